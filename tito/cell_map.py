"""Where a line of an exported package file comes from in the notebook.

`tito export` (and the grader, and `tito module complete`) turn a notebook's `#| export` cells into package
files (`tinytorch/core/optimizers.py`). A syntax error or a traceback names a line of that generated file,
which the student never sees; `CellMap` turns it back into the notebook cell (its nbgrader `grade_id` and
its number, counting cells from 1 at the top of the notebook) and the line within that cell.

The map is built from the same cells the exporter reads, and checked against the file the exporter wrote:
a block it cannot find verbatim in that file is left unmapped (its lines keep their file location) rather
than pointed at the wrong cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sandbox's client reads maps with nothing but numpy installed: no nbformat at run time
    from nbformat import NotebookNode

TEXT_LIMIT = 120      # characters of a source line (or a function's name) quoted in a message
_DEFINITION = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(?P<name>[A-Za-z_]\w*)")


@dataclass(frozen=True)
class Origin:
    """One line of a package file, as it is in the notebook."""

    grade_id: str | None   # the cell's nbgrader grade_id (None for a cell the student added)
    cell: int | None       # the cell's number in the notebook, from 1 (None: a locked cell the grader put back)
    line: int              # the line within the cell, from 1
    text: str              # the line itself
    given: bool            # a locked cell: code the release gives, not the student's

    def cell_name(self) -> str:
        """`cell `adam-class` (cell 27)`, `cell 14` or `cell `optimizer-base` (given code)`."""
        named = f"cell `{self.grade_id}`" if self.grade_id else ""
        details = [f"cell {self.cell}"] if self.cell is not None else []
        if self.given:
            details.append("given code")
        if not named:
            return ", ".join(details) if details else "a cell"
        return f"{named} ({', '.join(details)})" if details else named

    def describe(self, quote: bool = True) -> str:
        """`cell `adam-class` (cell 27), line 12: `denom = ...``."""
        where = f"{self.cell_name()}, line {self.line}"
        shown = _quoted(self.text)
        return f"{where}: {shown}" if quote and shown else where


def _quoted(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT - 3] + "..."
    return f"`{text}`"


class CellMap:
    """The origins of the lines of one exported file (`target` such as `core.optimizers`)."""

    def __init__(self, target: str, origins: Mapping[int, Origin]):
        self.target = target
        self.path = target.replace(".", "/") + ".py"     # as tracebacks in the sandbox name it
        self._origins = dict(origins)

    def locate(self, line: int) -> Origin | None:
        return self._origins.get(line)

    def __len__(self) -> int:
        return len(self._origins)


class CellMaps:
    """The maps of every file a notebook exports, looked up by a file name as tracebacks give it."""

    def __init__(self, maps: Iterable[CellMap] = ()):
        self.maps = {cell_map.path: cell_map for cell_map in maps}

    def for_file(self, filename: str) -> CellMap | None:
        """The map of `filename`: `core/optimizers.py`, `tinytorch/core/optimizers.py` or an absolute path to
        it; None for any other file."""
        name = str(filename).replace("\\", "/")
        if "/tinytorch/" in name:
            name = name.rsplit("/tinytorch/", 1)[-1]
        elif name.startswith("tinytorch/"):
            name = name[len("tinytorch/"):]
        return self.maps.get(name)

    def locate(self, filename: str, line: int) -> Origin | None:
        cell_map = self.for_file(filename)
        return cell_map.locate(line) if cell_map is not None else None

    def is_students(self, filename: str, line: int) -> bool:
        """Whether a line of a package file is code the student wrote (a mapped line of a cell not locked)."""
        origin = self.locate(filename, line)
        return origin is not None and not origin.given

    # `(core/optimizers.py, line 342)`, `at core/optimizers.py, line 342:` and pytest's
    # `/.../tinytorch/core/optimizers.py:342:` as the sandbox and pytest write file locations
    _IN_PARENS = re.compile(r" ?\((?P<file>[\w./\\-]+\.py), line (?P<line>\d+)\)(?P<colon>:)?(?P<text>[^\n]*)")
    _AT = re.compile(r"\bat (?P<file>[\w./\\-]+\.py), line (?P<line>\d+)(?P<colon>:)?(?P<text>[^\n]*)")

    def rewrite(self, text: str) -> str:
        """`text` with each location in a mapped file (as describe_exception writes them) replaced by the
        notebook cell and line: `in update (core/optimizers.py, line 342): x = 1` becomes
        `in update: cell `adam-class` (cell 27), line 12: `x = 1``."""
        if not self.maps or not text:
            return text

        def replace(match: re.Match, lead: str) -> str:
            origin = self.locate(match["file"], int(match["line"]))
            if origin is None:
                return match.group(0)
            return f"{lead}{origin.describe()}"

        text = self._IN_PARENS.sub(lambda match: replace(match, ": "), text)
        return self._AT.sub(lambda match: replace(match, "at "), text)


def build_maps(cells: Iterable[NotebookNode], exports: Mapping[str, str],
               numbers: Mapping[int, int] | None = None) -> CellMaps:
    """The maps of the files `exports` (target -> file text, as `render_exports` wrote them from `cells`).

    `numbers` gives a cell's number by `id(cell)` when `cells` is not the notebook's own list (the grader puts
    released copies of locked cells in); by default a cell's number is its place in `cells`, from 1.
    """
    from tito import cells as C
    blocks: dict[str, list[tuple[NotebookNode, int | None]]] = {}
    default_target: str | None = None
    for index, cell in enumerate(cells, start=1):
        target, exported = None, False
        for _, name, argument in C.directives(cell):
            if name == "default_exp":
                default_target = argument
            elif name == "export":
                exported, target = True, argument or default_target
        if exported and target is not None:
            number = numbers.get(id(cell)) if numbers is not None else index
            blocks.setdefault(target, []).append((cell, number))
    maps = []
    for target, text in exports.items():
        maps.append(CellMap(target, _origins(text, blocks.get(target, []))))
    return CellMaps(maps)


def _origins(text: str, blocks: list[tuple[NotebookNode, int | None]]) -> dict[int, Origin]:
    """Line of `text` -> Origin, for each cell's package code found verbatim, in order, in `text`."""
    from tito import cells as C
    origins: dict[int, Origin] = {}
    offset, line_at_offset = 0, 1     # counted as the search moves on: each part of `text` is read once
    for cell, number in blocks:
        kept = _kept_lines(cell)
        code = "\n".join(line for _, line in kept)
        if not code or code != C.package_code(cell):
            continue  # the exporter's rules changed: leave this cell unmapped rather than guess
        found = text.find(code, offset)
        if found < 0:
            continue
        first = line_at_offset + text.count("\n", offset, found)
        offset, line_at_offset = found + len(code), first + code.count("\n")
        given = C.is_locked(cell) and not C.is_solution(cell)
        grade_id = C.grade_id(cell) if isinstance(C.grade_id(cell), str) else None
        for place, (index, line) in enumerate(kept):
            origins[first + place] = Origin(grade_id, number, index + 1, line, given)
    return origins


def _kept_lines(cell: NotebookNode) -> list[tuple[int, str]]:
    """(line index in the cell, line) of each line `package_code` keeps, in order."""
    from tito import cells as C
    kept = [
        (index, line) for index, line in enumerate(cell.source.split("\n"))
        if not C.DIRECTIVE.match(line.strip()) and line.strip() not in (C.SOLUTION_BEGIN, C.SOLUTION_END)
    ]
    while kept and kept[0][1] == "":
        kept.pop(0)
    while kept and kept[-1][1] == "":
        kept.pop()
    return kept


def syntax_problem(exports: Mapping[str, str], maps: CellMaps) -> str | None:
    """Why the exported code does not compile, pointing at the notebook cell; None when it compiles.

    Compiling reads the text only: nothing of it runs."""
    for target, text in exports.items():
        filename = f"tinytorch/{target.replace('.', '/')}.py"
        try:
            compile(text, filename, "exec")
        except SyntaxError as error:
            return describe_syntax_error(error, maps, target)
        except (ValueError, MemoryError, RecursionError) as error:  # NUL bytes, absurd nesting
            return f"your exported code for {target} cannot be read as Python: {error}"
    return None


def describe_syntax_error(error: SyntaxError, maps: CellMaps, target: str = "") -> str:
    """`invalid syntax in cell `adam-class` (cell 27), line 12: `def f(x)``, or the file's line when the line
    is not in the map."""
    line = error.lineno or 0
    origin = maps.locate(str(error.filename or ""), line) if line else None
    message = error.msg or "invalid syntax"
    if origin is not None:
        return f"your code does not compile: {message} in {origin.describe()}"
    shown = _quoted(str(error.text or ""))
    shown_file = f"{target.replace('.', '/')}.py" if target else str(error.filename)
    where = f"{shown_file}, line {line}" if line else ""
    return (f"your exported code for {target or error.filename} does not compile: {message}"
            + (f" ({where})" if where else "") + (f": {shown}" if shown else ""))


def qualified_name(text: str, line: int, name: str) -> str:
    """`RMSprop.update` for a line inside method `update` of class `RMSprop` of `text`, read from the
    indentation of the lines above it; `name` (the frame's function) when the lines do not agree with it."""
    lines = text.split("\n")
    if name == "<module>" or not 1 <= line <= len(lines):
        return name
    limit = _indent(lines[line - 1]) if lines[line - 1].strip() else 1 << 30
    parts: list[str] = []
    for index in range(line - 2, -1, -1):
        current = lines[index]
        stripped = current.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = _indent(current)
        if indent >= limit:
            continue
        limit = indent
        match = _DEFINITION.match(current)
        if match:
            parts.append(match["name"])
        if indent == 0:
            break
    parts.reverse()
    if not parts or parts[-1] != name:
        return name
    return ".".join(parts)[:TEXT_LIMIT]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
