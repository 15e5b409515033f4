"""Reading a submission, checking its locked cells and exporting it, before any of it runs."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from tito.grading.prepare import prepare_submission
from tito.release import MANIFEST_NAME


@pytest.fixture
def manifest(graded_course):
    return json.loads((graded_course.paths.release / "01_alpha" / MANIFEST_NAME).read_text())


def prepare(notebook_or_bytes, release, manifest):
    data = notebook_or_bytes if isinstance(notebook_or_bytes, bytes) else nbformat.writes(notebook_or_bytes).encode()
    return prepare_submission(data, release, manifest, ("core.alpha",), "alice's notebook")


def cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def test_the_reference_answers_export_cleanly(alpha_notebooks, manifest):
    """Does a clean submission export its solution code with no tampering noted?"""
    release, answered = alpha_notebooks
    prepared = prepare(answered, release, manifest)
    assert prepared.problem is None and prepared.tampering == []
    assert "return np.asarray(x) + 1" in prepared.exports["core.alpha"]
    assert [(w.grade_id, w.answered) for w in prepared.written] == [("why-add-one", True)]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "the submitted file is empty"),
        (b"\xff\xfe\x00garbage", "is not text"),
        (b"{not json", "it is not valid JSON"),
        (b'{"hello": 1}', "not a Jupyter notebook"),
        (b'{"cells": [], "nbformat": 3, "metadata": {}}', "nbformat 3"),
        (b'{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no cells"),
        (b'{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "structure is broken"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"cells": [], "nbformat": 4, "metadata": {"a": ' + b"[" * 200 + b"]" * 200 + b"}}", "nested too deeply"),
        (b'{"cells": [], "nbformat": ' + b"9" * 5000 + b"}", "a number too long to read"),
        (b'{"cells": [], "nbformat": 4, "metadata": "x"}', "its metadata is not an object"),
        (b'{"cells": {"a": 1}, "nbformat": 4}', "its cells are not a list"),
        (b'{"cells": ["print(1)"], "nbformat": 4}', "cell 1 is not an object"),
        (b'{"cells": [{"cell_type": "python", "source": ""}], "nbformat": 4}', "cell 1 has no type"),
        (b'{"cells": [{"cell_type": "code", "source": ["a", 1]}], "nbformat": 4}', "cell 1 has no source text"),
        (b'{"cells": [{"cell_type": "code", "source": "\\ud800"}], "nbformat": 4}', "not valid Unicode"),
        (b'{"cells": [{"cell_type": "code", "source": "", "metadata": "x"}], "nbformat": 4}',
         "the metadata of cell 1 is not an object"),
        (b'{"cells": [{"cell_type": "code", "source": "", "outputs": "x"}], "nbformat": 4}',
         "the outputs of cell 1 are not a list of objects"),
        (b'{"cells": [{"cell_type": "code", "source": "", "outputs": [1]}], "nbformat": 4}',
         "the outputs of cell 1 are not a list of objects"),
        (b'{"cells": [{"cell_type": "markdown", "source": "", "attachments": []}], "nbformat": 4}',
         "the attachments of cell 1 are not an object"),
        (b'{"cells": [], "nbformat": [[[1]]]}', "nbformat (a JSON list)"),
    ],
)
def test_unusable_files_get_a_clear_problem(alpha_notebooks, manifest, data, message):
    """Is every kind of broken file reported in words a student understands, with nothing exported?"""
    release, _ = alpha_notebooks
    prepared = prepare(data, release, manifest)
    assert prepared.exports is None and message in prepared.problem


def test_an_edited_locked_cell_is_put_back(alpha_notebooks, manifest):
    """Is an edit to a locked export cell reported, and the released code used instead?"""
    release, answered = alpha_notebooks
    tampered = copy.deepcopy(answered)
    cell(tampered, "alpha-imports").source += "\nimport os; os.system('echo pwned')"
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == ["locked cell alpha-imports: its source was edited; the released cell was used"]
    assert "pwned" not in prepared.exports["core.alpha"]


def test_a_deleted_test_cell_is_reported(alpha_notebooks, manifest):
    """Is deleting a test cell caught as tampering?"""
    release, answered = alpha_notebooks
    tampered = copy.deepcopy(answered)
    tampered.cells = [c for c in tampered.cells if c.get("id") != "test-doubler"]
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == ["locked cell test-doubler: deleted; the released cell was used"]


def test_edited_points_are_reported(alpha_notebooks, manifest):
    """Is raising a test's points in the metadata caught?"""
    release, answered = alpha_notebooks
    tampered = copy.deepcopy(answered)
    cell(tampered, "test-add-one").metadata.nbgrader.points = 1000
    cell(tampered, "why-add-one").metadata.nbgrader.points = 99
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == [
        "locked cell test-add-one: its points metadata was changed; the released cell was used",
        "cell why-add-one: its points metadata was changed; the released points stand",
    ]


def test_exports_to_other_modules_are_ignored(alpha_notebooks, manifest):
    """Can a student overwrite a prerequisite module by exporting to it? (No: it is ignored and noted.)"""
    release, answered = alpha_notebooks
    sneaky = copy.deepcopy(answered)
    sneaky.cells.append(nbformat.v4.new_code_cell("#| export core.tensor\nTensor = None"))
    prepared = prepare(sneaky, release, manifest)
    assert list(prepared.exports) == ["core.alpha"]
    assert prepared.notes == ["code exported to core.tensor was ignored (not part of this module)"]


def test_removing_the_export_lines_is_explained(alpha_notebooks, manifest):
    """If the student deletes the export line of a solution cell, is that code left out of the package?"""
    release, answered = alpha_notebooks
    stripped = copy.deepcopy(answered)
    for c in stripped.cells:
        if c.get("id") == "add-one":
            c.source = c.source.replace("#| export\n", "")
    prepared = prepare(stripped, release, manifest)
    assert prepared.problem is None
    assert "def add_one" not in prepared.exports["core.alpha"]  # graded as missing code, test by test


def test_an_edited_locked_cell_without_its_metadata_is_put_back(alpha_notebooks, manifest):
    """Does removing a locked cell's nbgrader metadata before editing it still get the released cell used?"""
    release, answered = alpha_notebooks
    tampered = copy.deepcopy(answered)
    imports = cell(tampered, "alpha-imports")
    imports.metadata = nbformat.NotebookNode()
    imports.source += "\nimport os; os.system('echo pwned')"
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == [
        "locked cell alpha-imports: its metadata was removed and its source edited; the released cell was used"
    ]
    assert "pwned" not in prepared.exports["core.alpha"]
    assert prepared.exports == prepare(answered, release, manifest).exports


def test_an_unedited_locked_cell_without_its_metadata_is_only_noted(alpha_notebooks, manifest):
    """Is a locked cell that lost its metadata but not a character of its source a note, not tampering?"""
    release, answered = alpha_notebooks
    stripped = copy.deepcopy(answered)
    cell(stripped, "test-doubler").metadata.nbgrader = "gone"
    prepared = prepare(stripped, release, manifest)
    assert prepared.tampering == []
    assert prepared.notes == ["locked cell test-doubler: its metadata was removed; the released cell was used"]
