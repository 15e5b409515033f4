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

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sandbox's client reads maps with nothing but numpy installed: no nbformat at run time
    from nbformat import NotebookNode

TEXT_LIMIT = 120      # characters of a source line (or a function's name) quoted in a message
LINE_KEPT = 500       # characters of a line an Origin holds
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

    def describe(self) -> str:
        """`cell `adam-class` (cell 27), line 12: `denom = ...``."""
        where = f"{self.cell_name()}, line {self.line}"
        shown = _quoted(self.text)
        return f"{where}: {shown}" if shown else where


def _quoted(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT - 3] + "..."
    return f"`{text}`"


@dataclass(frozen=True)
class _Block:
    """One cell's code in an exported file."""

    first: int                          # the file line of its first line
    count: int                          # how many lines it has
    start: int                          # where its first line starts in the file's text
    grade_id: str | None
    number: int | None
    given: bool
    runs: tuple[tuple[int, int], ...]   # (place in the block, index of the line in the cell) where each run of
                                        # consecutive cell lines starts (directive lines are not exported)


class CellMap:
    """The origins of the lines of one exported file (`target` such as `core.optimizers`).

    It keeps a few numbers per cell and the file's text (the string the exporter made, not a copy): a line's
    text is read from it when asked, so a notebook of 15 MB lines costs nothing more to map."""

    def __init__(self, target: str, text: str, blocks: list[_Block]):
        self.target = target
        self.path = target.replace(".", "/") + ".py"     # as tracebacks in the sandbox name it
        self._text = text
        self._blocks = blocks
        self._firsts = [block.first for block in blocks]

    def locate(self, line: int) -> Origin | None:
        index = bisect.bisect_right(self._firsts, line) - 1
        if index < 0 or line - self._blocks[index].first >= self._blocks[index].count:
            return None
        block = self._blocks[index]
        place = line - block.first
        run_start, cell_index = block.runs[bisect.bisect_right(block.runs, (place, 1 << 62)) - 1]
        return Origin(block.grade_id, block.number, cell_index + place - run_start + 1,
                      self._line_text(block.start, place), block.given)

    def _line_text(self, start: int, place: int) -> str:
        """The `place`-th line from offset `start` of the text, its first LINE_KEPT characters."""
        text = self._text
        for _ in range(place):
            start = text.find("\n", start) + 1
        end = text.find("\n", start, start + LINE_KEPT)
        return text[start:end if end >= 0 else min(start + LINE_KEPT, len(text))]


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

    # ` (core/optimizers.py, line 342): text` and `at core/optimizers.py, line 342: text`, as
    # probes.describe_exception writes a frame and a syntax error (the text is the line, shown again from the map)
    _IN_PARENS = re.compile(r" ?\((?P<file>[\w./\\-]+\.py), line (?P<line>\d{1,9})\)(?::[^\n]*)?")
    _AT = re.compile(r"\bat (?P<file>[\w./\\-]+\.py), line (?P<line>\d{1,9})(?::[^\n]*)?")

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
        maps.append(CellMap(target, text, _blocks(text, blocks.get(target, []))))
    return CellMaps(maps)


def _blocks(text: str, cells: list[tuple[NotebookNode, int | None]]) -> list[_Block]:
    """Where each cell's package code is in `text`: found verbatim, in order (a cell that is not, because the
    exporter's rules changed, is left out rather than guessed)."""
    from tito import cells as C
    blocks: list[_Block] = []
    offset, line_at_offset = 0, 1     # counted as the search moves on: each part of `text` is read once
    for cell, number in cells:
        kept = _kept_lines(cell)
        code = "\n".join(line for _, line in kept)
        if not code or code != C.package_code(cell):
            continue
        found = text.find(code, offset)
        if found < 0:
            continue
        first = line_at_offset + text.count("\n", offset, found)
        offset, line_at_offset = found + len(code), first + code.count("\n")
        runs = [(place, index) for place, (index, _) in enumerate(kept)
                if place == 0 or index != kept[place - 1][0] + 1]
        grade_id = C.grade_id(cell)
        blocks.append(_Block(first, len(kept), found, grade_id if isinstance(grade_id, str) else None, number,
                             C.is_locked(cell) and not C.is_solution(cell), tuple(runs)))
    return blocks


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


def describe_syntax_error(error: SyntaxError, maps: CellMaps, target: str) -> str:
    """`your code does not compile: invalid syntax in cell `adam-class` (cell 27), line 12: `def f(x)``, or
    the exported file's line when the map does not know it."""
    line = error.lineno or 0
    origin = maps.locate(str(error.filename or ""), line) if line else None
    message = error.msg or "invalid syntax"
    if origin is not None:
        return f"your code does not compile: {message} in {origin.describe()}"
    shown = _quoted(str(error.text or ""))
    where = f" ({target.replace('.', '/')}.py, line {line})" if line else ""
    return f"your exported code for {target} does not compile: {message}{where}" + (f": {shown}" if shown else "")


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
