"""What a student has completed, and whose code each module of their package uses.

`tito module complete` records every run in `workspace/progress.json`: the score of the last run of each module
and, once a run passes every visible test, the code that passed. The rule: a module becomes the student's own
in their package only once its `tito module complete` passes; until then the modules built on it use the
reference. A later run that fails does not take the student's code away: the modules built on it keep the code
of the last run that passed, and say so, until the module passes again or `tito module reset` drops it.

The package in `workspace/package/` is rebuilt from this record at every run, so it never holds anything the
record does not explain; deleting a module's workspace folder changes nothing, `tito module reset` is the way
back to the reference.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tito.course import Course
from tito.errors import TitoError
from tito.modules import ModuleInfo, with_prerequisites

PROGRESS_FILE = "progress.json"
VERSION = 1


def now() -> str:
    """The current local time, to the second, with its offset: how runs are dated in the record."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def when(stamp: str, year: bool = True) -> str:
    """`2026-12-02T09:10:00+00:00` -> `2026-12-02 09:10` (`12-02 09:10` without the year), for people."""
    return datetime.datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


@dataclass(frozen=True)
class Attempt:
    """One run of `tito module complete`: when, which notebook, the auto-graded score."""

    at: str
    notebook: str
    earned: float
    possible: float
    passed_tests: int
    tests: int
    passed: bool

    @property
    def score(self) -> str:
        return f"{self.earned:g}/{self.possible:g}"


@dataclass(frozen=True)
class PassedCode:
    """The code of the last run that passed: export target -> the file it wrote."""

    attempt: Attempt
    code: dict[str, str]


@dataclass(frozen=True)
class ModuleProgress:
    last: Attempt | None = None
    passed: PassedCode | None = None


@dataclass(frozen=True)
class CodeSource:
    """Whose code the package uses for one module, and why, in words for the student."""

    module: str
    own: bool
    why: str
    code: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        return f"{self.module}: {'your code' if self.own else 'reference'} ({self.why})"


@dataclass
class Progress:
    """The record in `workspace/progress.json`: per module, the last run and the last run that passed;
    `set_aside` keeps what `tito module reset` took out of use (nothing is ever dropped)."""

    path: Path
    modules: dict[str, ModuleProgress] = field(default_factory=dict)
    set_aside: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, course: Course) -> "Progress":
        path = course.paths.workspace / PROGRESS_FILE
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            modules = {name: _module_from_json(entry) for name, entry in data["modules"].items()}
            return cls(path, modules, list(data.get("set_aside", [])))
        except (ValueError, KeyError, TypeError) as error:
            raise TitoError(
                f"{course.relative(path)} is not a progress record tito can read ({error}); move it aside and "
                "run `tito module complete` again for each module you have finished"
            ) from None

    def save(self) -> None:
        data = {
            "version": VERSION,
            "modules": {name: _module_to_json(entry) for name, entry in sorted(self.modules.items())},
            "set_aside": self.set_aside,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.path)  # all or nothing: a run that is interrupted leaves the old record

    def of(self, info: ModuleInfo) -> ModuleProgress:
        return self.modules.get(info.name, ModuleProgress())

    def record(self, info: ModuleInfo, attempt: Attempt, code: dict[str, str]) -> None:
        """Record a run; a run that passed makes `code` the module's own code."""
        previous = self.of(info)
        passed = PassedCode(attempt, dict(code)) if attempt.passed else previous.passed
        self.modules[info.name] = ModuleProgress(attempt, passed)

    def reset(self, info: ModuleInfo, at: str, moved_to: str | None) -> ModuleProgress:
        """Take the module's record out of use (kept under `set_aside`); return what it was."""
        previous = self.modules.pop(info.name, ModuleProgress())
        self.set_aside.append(
            {"module": info.name, "reset_at": at, "notebook_moved_to": moved_to, **_module_to_json(previous)}
        )
        return previous


def code_source(progress: Progress, info: ModuleInfo) -> CodeSource:
    """Whose code the package uses for `info` when a module built on it is checked."""
    entry = progress.of(info)
    last, passed = entry.last, entry.passed
    missing = [target for target in info.exports if passed is not None and target not in passed.code]
    if passed is not None and missing:  # the module's exports changed since the run that passed
        return CodeSource(info.name, False, f"the code that passed {when(passed.attempt.at)} has no "
                          f"{', '.join(missing)}: run `tito module complete {info.name}` again")
    if passed is not None:
        why = f"complete passed {when(passed.attempt.at)}"
        if last is not None and not last.passed:
            why += f"; your last complete, {when(last.at)}, did not pass: {last.score}"
        return CodeSource(info.name, True, why, {target: passed.code[target] for target in info.exports})
    if last is not None:
        return CodeSource(info.name, False, f"your notebook has not passed yet: {last.score} on {when(last.at)}")
    return CodeSource(info.name, False, f"you have not run `tito module complete {info.name}`")


def prerequisite_sources(course: Course, progress: Progress, info: ModuleInfo) -> list[CodeSource]:
    """For each module `info` builds on (transitively, in course order), whose code the package uses."""
    return [code_source(progress, prerequisite) for prerequisite in with_prerequisites(course.modules, info)[:-1]]


def _module_to_json(entry: ModuleProgress) -> dict:
    data: dict = {"last": asdict(entry.last) if entry.last else None}
    if entry.passed is not None:
        data["passed"] = {"attempt": asdict(entry.passed.attempt), "code": entry.passed.code}
    return data


def _module_from_json(data: dict) -> ModuleProgress:
    last = Attempt(**data["last"]) if data.get("last") else None
    passed = data.get("passed")
    return ModuleProgress(last, PassedCode(Attempt(**passed["attempt"]), dict(passed["code"])) if passed else None)
