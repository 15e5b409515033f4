"""A student notebook answered with the reference solutions: the submission that earns every point."""

from __future__ import annotations

import copy

from nbformat import NotebookNode

from tito import cells as C


def fill_with_reference(release_nb: NotebookNode, source_nb: NotebookNode) -> NotebookNode:
    """Copy the source notebook's solution cells into a copy of the release notebook, matched by grade_id."""
    solutions = {C.grade_id(cell): cell.source for cell in source_nb.cells if C.is_solution(cell)}
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        if C.is_solution(cell) and C.grade_id(cell) in solutions:
            cell.source = solutions[C.grade_id(cell)]
    return filled
