"""Locked cells of the real optimizers release are recognised by their content, whatever their metadata says."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest

from tito import cells as C
from tito.build.reference_fill import fill_with_reference
from tito.course import Course
from tito.grading.prepare import prepare_submission, restore_locked_cells

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("core.optimizers",)
MEMORY_RETURN = "    return num_parameters * optimizer.state_numbers_per_parameter * bytes_per_number"


@pytest.fixture(scope="module")
def notebooks():
    """(the release notebook release/03_optimizers/optimizers.ipynb, the same answered with the reference)."""
    course = Course.load(ROOT)
    release = nbformat.read(course.paths.release / "03_optimizers" / "optimizers.ipynb", as_version=4)
    source = nbformat.read(course.paths.source / "03_optimizers" / "optimizers.ipynb", as_version=4)
    return release, fill_with_reference(release, source)


@pytest.fixture(scope="module")
def release(notebooks):
    return notebooks[0]


@pytest.fixture(scope="module")
def answered(notebooks):
    return notebooks[1]


@pytest.fixture(scope="module")
def manifest():
    return json.loads((ROOT / "release" / "03_optimizers" / "manifest.json").read_text())


def prepare(notebook, release, manifest):
    return prepare_submission(nbformat.writes(notebook).encode(), release, manifest, TARGETS, "bob's notebook")


def cell(notebook, grade_id):
    return next(c for c in notebook.cells if C.grade_id(c) == grade_id)


def without_metadata(notebook, grade_id, metadata):
    """A copy of `notebook` whose cell `grade_id` has `metadata` instead of its own."""
    edited = copy.deepcopy(notebook)
    cell(edited, grade_id).metadata = metadata
    return edited


@pytest.mark.parametrize("which", ["answered", "release"])
def test_honest_notebooks_are_unaffected(which, release, answered, manifest):
    """Do the reference solution and the blank release notebook pass without a note?"""
    prepared = prepare(answered if which == "answered" else release, release, manifest)
    assert prepared.problem is None
    assert (prepared.tampering, prepared.notes) == ([], [])


def test_a_helper_cell_of_the_students_own_is_exported(release, answered, manifest):
    """Is a student's own `#| export` helper cell, with no metadata, kept as theirs?"""
    helped = copy.deepcopy(answered)
    position = helped.cells.index(cell(helped, "sgd-class"))
    helped.cells.insert(position, nbformat.v4.new_code_cell(
        "#| export\ndef _momentum_buffer(gradient):\n    \"\"\"A fresh velocity.\"\"\"\n    return gradient.copy()"
    ))
    prepared = prepare(helped, release, manifest)
    assert (prepared.tampering, prepared.notes) == ([], [])
    assert "def _momentum_buffer(gradient):" in prepared.exports["core.optimizers"]


@pytest.mark.parametrize("metadata", [{}, {"nbgrader": "removed"}, {"nbgrader": {"grade_id": "mine", "locked": False}}])
def test_an_edited_export_cell_without_its_metadata_is_not_exported(metadata, release, answered, manifest):
    """With its nbgrader metadata removed (or replaced) and its code changed to return a wrong value, is the
    locked cell still put back as released, and the edited copy never exported?"""
    tampered = without_metadata(answered, "memory-helpers", nbformat.from_dict(metadata))
    memory = cell(release, "memory-helpers")
    edited = next(c for c in tampered.cells if c.source == memory.source)
    edited.source = edited.source.replace(MEMORY_RETURN, "    return -12345")
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == [
        "locked cell memory-helpers: its metadata was removed and its source edited; the released cell was used"
    ]
    assert "    return -12345" not in prepared.exports["core.optimizers"]
    assert prepared.exports == prepare(answered, release, manifest).exports


def test_an_edited_test_cell_without_its_metadata_is_put_back(release, answered, manifest):
    """Is a locked test cell whose metadata was removed and whose check was weakened replaced by the release's?"""
    tampered = without_metadata(answered, "test-sgd", nbformat.NotebookNode())
    released = cell(release, "test-sgd").source
    weakened = released.replace("assert np.allclose(b.data.data, [0.3])", "assert True or np.allclose(b.data.data, [0.3])")
    assert weakened != released
    next(c for c in tampered.cells if c.source == released).source = weakened
    tampering: list[str] = []
    cells = restore_locked_cells(tampered, release, manifest, tampering)
    assert tampering == ["locked cell test-sgd: its metadata was removed and its source edited; the released cell was used"]
    assert [c.source for c in cells].count(released) == 1
    assert weakened not in [c.source for c in cells]
    assert cells.index(next(c for c in cells if c.source == released)) == manifest_index(manifest, "test-sgd")


def manifest_index(manifest, grade_id):
    return next(entry["index"] for entry in manifest["cells"] if entry["grade_id"] == grade_id)


def test_an_edit_hidden_in_a_long_cell_is_still_caught(release, answered, manifest):
    """Does padding an edited copy with lines of its own (to look unlike the release) not hide it?"""
    tampered = without_metadata(answered, "optimizer-base", nbformat.NotebookNode())
    base = next(c for c in tampered.cells if c.source == cell(release, "optimizer-base").source)
    base.source = base.source.replace('raise ValueError(f"invalid {name}', 'print(f"invalid {name}') + "\n".join(
        f"\n_PADDING_{n} = {n}" for n in range(300)
    )
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == [
        "locked cell optimizer-base: its metadata was removed and its source edited; the released cell was used"
    ]
    assert "_PADDING_1 " not in prepared.exports["core.optimizers"]


def test_a_cell_redefining_a_locked_class_is_ignored(release, answered, manifest):
    """Is an extra cell that redefines a locked class (the locked cell left intact) left out of the package?"""
    sneaky = copy.deepcopy(answered)
    sneaky.cells.append(nbformat.v4.new_code_cell("#| export\nclass Optimizer:\n    pass"))
    prepared = prepare(sneaky, release, manifest)
    assert prepared.tampering == [
        "locked cell optimizer-base: a cell without nbgrader metadata repeats it with edits; that cell was ignored"
    ]
    assert prepared.exports == prepare(answered, release, manifest).exports


def test_a_copy_stripped_of_its_export_line_is_never_exported(release, answered, manifest):
    """If the edited copy also loses its `#| export` line, is the released cell exported and the copy not?"""
    tampered = without_metadata(answered, "memory-helpers", nbformat.NotebookNode())
    memory = next(c for c in tampered.cells if c.source == cell(release, "memory-helpers").source)
    memory.source = memory.source.replace("#| export\n", "").replace(MEMORY_RETURN, "    return -12345")
    prepared = prepare(tampered, release, manifest)
    assert prepared.tampering == ["locked cell memory-helpers: deleted; the released cell was used"]
    assert prepared.exports == prepare(answered, release, manifest).exports
