"""An nbgrader preprocessor that makes each solution stub say which function to write."""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

from tito import cells as C

STUB_RAISE = "raise NotImplementedError()"
_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>\w+)")
_CLASS = re.compile(r"^(?P<indent>\s*)class\s+(?P<name>\w+)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def enclosing_name(lines: list[str], index: int) -> tuple[str | None, str]:
    """The (class, function) that encloses line `index`, by indentation; either may be missing."""
    depth = _indent(lines[index])
    function = None
    for line in reversed(lines[:index]):
        if not line.strip() or _indent(line) >= depth:
            continue
        depth = _indent(line)
        if function is None and (match := _DEF.match(line)):
            function = match["name"]
        elif match := _CLASS.match(line):
            return match["name"], function or ""
    return None, function or ""


def stub_message(owner: str | None, function: str, grade_id: str | None) -> str:
    if owner and function:
        return f"{owner}.{function}: write this method (its docstring is the spec)"
    if function:
        return f"{function}: write this function (its docstring is the spec)"
    if owner:
        return f"class {owner}: write the missing code (its docstring is the spec)"
    return f"cell {grade_id}: write the code for this cell"


class NameStubs(NbGraderPreprocessor):
    """Runs after ClearSolutions: `raise NotImplementedError()` becomes a message naming the enclosing function."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not C.is_solution(cell):
            return cell, resources
        lines = cell.source.split("\n")
        for index, line in enumerate(lines):
            if line.strip() == STUB_RAISE:
                owner, function = enclosing_name(lines, index)
                message = stub_message(owner, function, C.grade_id(cell))
                lines[index] = line.replace(STUB_RAISE, f"raise NotImplementedError({message!r})")
        cell.source = "\n".join(lines)
        return cell, resources
