"""Writing a submission by editing a notebook: each edit names its cell and must find its target exactly once.

When the module's reference changes so that an edit no longer applies, building the corpus fails with the
cell and the text it looked for, instead of quietly producing a submission that tests something else.
"""

from __future__ import annotations

import copy
import textwrap

import nbformat
from nbformat import NotebookNode

from tito import cells as C
from tito.build.reference_fill import fill_with_reference
from tito.course import Course
from tito.modules import ModuleInfo


class CorpusError(AssertionError):
    """An edit that no longer fits the module's notebook: update the corpus."""


def module_notebooks(course: Course, module: ModuleInfo) -> tuple[NotebookNode, NotebookNode]:
    """(the student notebook as released, the same notebook answered with the reference solutions)."""
    release = nbformat.read(course.paths.release / module.slug / module.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    return release, fill_with_reference(release, source)


def replace_once(text: str, old: str, new: str, where: str) -> str:
    count = text.count(old)
    if count != 1:
        raise CorpusError(f"{where}: expected {old!r} exactly once, found it {count} times")
    return text.replace(old, new)


class Draft:
    """A copy of a notebook being turned into one submission."""

    def __init__(self, notebook: NotebookNode):
        self.notebook = copy.deepcopy(notebook)

    def cell(self, grade_id: str) -> NotebookNode:
        found = [cell for cell in self.notebook.cells if C.grade_id(cell) == grade_id]
        if len(found) != 1:
            raise CorpusError(f"expected one cell {grade_id!r} in the notebook, found {len(found)}")
        return found[0]

    def replace(self, grade_id: str, old: str, new: str) -> Draft:
        """Replace `old` (which must occur once in the cell) by `new`."""
        cell = self.cell(grade_id)
        cell.source = replace_once(cell.source, old, new, f"cell {grade_id}")
        return self

    def insert_before(self, grade_id: str, anchor: str, code: str) -> Draft:
        """Insert `code` before the line `anchor` (which must occur once), indented like that line."""
        indent = anchor[: len(anchor) - len(anchor.lstrip())]
        block = textwrap.indent(textwrap.dedent(code).strip("\n"), indent) + "\n"
        return self.replace(grade_id, anchor, block + anchor)

    def answer_from(self, other: NotebookNode, *grade_ids: str) -> Draft:
        """Take these cells' sources from `other` (the reference-answered or the release notebook)."""
        sources = {C.grade_id(cell): cell.source for cell in other.cells if C.grade_id(cell)}
        for grade_id in grade_ids:
            self.cell(grade_id).source = sources[grade_id]
        return self

    def add_cell(self, cell_id: str, code: str) -> Draft:
        """Append a code cell of the student's own (exported when `code` starts with `#| export`)."""
        self.notebook.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(code).strip("\n") + "\n", id=cell_id))
        return self

    def remove_cells(self, predicate) -> Draft:
        before = len(self.notebook.cells)
        self.notebook.cells = [cell for cell in self.notebook.cells if not predicate(cell)]
        if len(self.notebook.cells) == before:
            raise CorpusError("no cell matched the cells to remove")
        return self

    def bytes(self) -> bytes:
        return nbformat.writes(self.notebook).encode("utf-8")
