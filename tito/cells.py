"""What a notebook cell is, in nbgrader's terms and in tito's (`#|` directives)."""

from __future__ import annotations

import re

from nbformat import NotebookNode

DIRECTIVE = re.compile(r"^#\|\s*(?P<name>[\w-]+)\s*(?P<argument>\S*)\s*$")
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def nbgrader(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata; {} when it has none, or when a submitted notebook's metadata is not a dict."""
    metadata = cell.get("metadata")
    found = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader(cell).get("solution", False))


def is_grade(cell: NotebookNode) -> bool:
    return bool(nbgrader(cell).get("grade", False))


def is_locked(cell: NotebookNode) -> bool:
    return bool(nbgrader(cell).get("locked", False))


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test: a graded, locked code cell that is not a solution."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_written_answer(cell: NotebookNode) -> bool:
    """A hand-graded answer: a graded markdown solution cell."""
    return cell.cell_type == "markdown" and is_grade(cell) and is_solution(cell)


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader(cell).get("grade_id")


def points(cell: NotebookNode) -> float:
    return float(nbgrader(cell).get("points", 0) or 0)


def directives(cell: NotebookNode) -> list[tuple[int, str, str]]:
    """`(line index, name, argument)` for each `#| name argument` line of a code cell."""
    if cell.cell_type != "code":
        return []
    found = []
    for index, line in enumerate(cell.source.split("\n")):
        match = DIRECTIVE.match(line.strip())
        if match:
            found.append((index, match["name"], match["argument"]))
    return found


def package_code(cell: NotebookNode) -> str:
    """A code cell as it goes into the package: without `#|` directives or solution markers."""
    lines = [
        line for line in cell.source.split("\n")
        if not DIRECTIVE.match(line.strip()) and line.strip() not in (SOLUTION_BEGIN, SOLUTION_END)
    ]
    return "\n".join(lines).strip("\n")
