"""The two notebooks built from one source: the instructor's (solutions in) and the student's."""

from __future__ import annotations

import copy

from nbformat import NotebookNode
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

from tito.build.check_up_cell import AppendCheckUp
from tito.build.name_stubs import NameStubs
from tito.build.announce_passes import AnnouncePasses
from tito.source import ModuleSource

# Mirrors `nbgrader generate_assignment`. Order matters:
# - NameStubs reads the stubs ClearSolutions writes, so it comes right after it;
# - checksums are computed after hidden tests are cleared, so they describe the cells students receive.
RELEASE_STEPS = (
    LockCells,
    ClearSolutions,
    NameStubs,
    ClearOutput,
    CheckCellMetadata,
    ClearHiddenTests,
    ComputeChecksums,
    CheckCellMetadata,
)


def source_notebook(source: ModuleSource) -> NotebookNode:
    """The nbgrader source notebook: every cell of the module, solutions and hidden tests in, each test cell
    saying when it passed, and the check-up cell last."""
    # Added here rather than in the release so that nbgrader's own generate_assignment releases the same notebook.
    # AppendCheckUp lists the test cells, so it comes after AnnouncePasses has changed them.
    notebook = source.notebook()
    module = source.path.name.removesuffix("_dev.py")
    notebook, _ = AnnouncePasses().preprocess(notebook, {})
    notebook, _ = AppendCheckUp(module=module, notebook=f"{module}.ipynb").preprocess(notebook, {})
    return notebook


def release_notebook(source_nb: NotebookNode) -> NotebookNode:
    """The student notebook: solutions replaced by named stubs, hidden tests removed, locked cells checksummed."""
    notebook = copy.deepcopy(source_nb)
    resources: dict = {}
    for step in RELEASE_STEPS:
        notebook, resources = step().preprocess(notebook, resources)
    return notebook
