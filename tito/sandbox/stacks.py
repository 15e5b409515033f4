"""Which function of a submission was running when a call ran out of time.

When a probe call passes its time limit the worker asks the child for its stack (`faulthandler`, registered
on runtime.STACK_SIGNAL, writes it from C whatever the child is doing) and reads it here. Everything in the
dump is the submission's to forge; a forged dump only changes the submission's own message and which of its
own functions is stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tito.cell_map import TEXT_LIMIT, CellMaps, Origin, qualified_name

_THREAD = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-fA-F]+ \(most recent call first\):$"
                     r"|^Stack \(most recent call first\):$")
_FRAME = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d{1,9}) in (?P<name>.*)$')
NAME_LIMIT = 120   # characters of a function's name


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    name: str


@dataclass(frozen=True)
class Culprit:
    """The function a call was stuck in: the innermost frame of the student's own code, if there is one,
    else the innermost frame of the module's package files (code the release gives)."""

    name: str                  # `RMSprop.update`; `<module>` for code run at import
    file: str                  # the package file, as `core/optimizers.py`
    line: int
    origin: Origin | None      # the notebook cell and line, when the map knows the line
    students: bool             # the student's own code (it may be stopped), not the release's
    text: str = ""             # the line's source

    def where(self) -> str:
        if self.origin is not None:
            return self.origin.describe()
        shown = self.text.strip()[:TEXT_LIMIT]
        return f"{self.file}, line {self.line}" + (f": `{shown}`" if shown else "")

    def who(self) -> str:
        if self.name == "<module>":
            return "your code at the top level of a cell" if self.students else "code at the top level of a cell"
        return self.name if self.students else f"{self.name} (given code)"


def parse(dump: str) -> list[Frame]:
    """The frames, innermost first, of the thread that was running a probe (else the dump's first thread)."""
    threads: list[list[Frame]] = []
    for line in dump.splitlines():
        if _THREAD.match(line.strip()):
            threads.append([])
            continue
        match = _FRAME.match(line)
        if match and threads:
            threads[-1].append(Frame(match["file"], int(match["line"]), match["name"][:NAME_LIMIT]))
    for frames in threads:
        if any(frame.file == "<probes>" for frame in frames):
            return frames
    return threads[0] if threads else []


def package_file(filename: str) -> str | None:
    """`core/optimizers.py` for a file of the child's package, None for any other file."""
    name = filename.replace("\\", "/")
    return name.rsplit("/tinytorch/", 1)[-1] if "/tinytorch/" in name else None


def culprit(frames: list[Frame], files: dict[str, str], targets: list[str], maps: CellMaps | None) -> Culprit | None:
    """The function to blame among `frames` (innermost first), or None when no frame is in the module's files.

    `files` is the package as sent to the child (`tinytorch/core/optimizers.py` -> text), to name a method by
    its class. With `maps`, the student's code is what the map places in a cell that is not locked; without
    (a package that is not a student's notebook), every line of the module's files is."""
    module_files = {target.replace(".", "/") + ".py" for target in targets}
    inside = [(frame, path) for frame in frames if (path := package_file(frame.file)) in module_files]
    if not inside:
        return None
    mapped = maps is not None and bool(maps.maps)

    def students(frame: Frame, path: str) -> bool:
        return maps.is_students(path, frame.line) if mapped else True

    frame, path = next(((frame, path) for frame, path in inside if students(frame, path)), inside[0])
    text = files.get(f"tinytorch/{path}", "")
    origin = maps.locate(path, frame.line) if mapped else None
    lines = text.split("\n")
    source = lines[frame.line - 1] if 1 <= frame.line <= len(lines) else ""
    return Culprit(qualified_name(text, frame.line, frame.name), path, frame.line, origin, students(frame, path),
                   source)
