"""In Jupyter, each test cell of a release notebook says when it passed, and the last cell shows the check-up."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tito import cells as C
from tito.build.public_tests import test_function_name as defined_test
from tito.build.reference_fill import fill_with_reference

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def shown(cell) -> str:
    """What a code cell showed, as plain text without colours."""
    texts = [output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in cell.outputs]
    return ANSI.sub("", "".join(texts))


def release_notebook(course, module):
    return nbformat.read(course.paths.release / module.slug / module.notebook_name, as_version=4)


def execute(notebook, folder) -> None:
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()


def test_the_reference_notebook_shows_each_pass_and_full_marks(course, module, tmp_path):
    """Run top to bottom with the reference answers, does each test cell end with its pass line and points,
    and does the check-up give every visible point and see every written answer?"""
    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    notebook = fill_with_reference(release_notebook(course, module), source)
    nbformat.write(notebook, tmp_path / module.notebook_name)  # saved, as Jupyter does, for the written answers
    execute(notebook, tmp_path)
    tests = [cell for cell in notebook.cells if C.is_test_cell(cell)]
    assert tests
    for cell in tests:
        points = C.points(cell)
        expected = f"{defined_test(cell)} passed ({points:g} point{'' if points == 1 else 's'})"
        assert shown(cell).splitlines()[-1] == expected
    check_up = shown(notebook.cells[-1])
    total = sum(C.points(cell) for cell in tests)
    assert total == module.auto_points
    assert f"Auto-graded: {total:g}/{total:g} points ({len(tests)} of {len(tests)} tests passed)" in check_up
    written = [cell for cell in notebook.cells if C.is_written_answer(cell)]
    assert check_up.count("graded by hand): answered\n") == len(written)


def test_the_blank_notebook_stops_at_the_first_stub_and_names_it(course, module, tmp_path):
    """Run top to bottom as released, does the run stop with a NotImplementedError naming what to write?"""
    notebook = release_notebook(course, module)
    with pytest.raises(CellExecutionError) as stopped:
        execute(notebook, tmp_path)
    assert stopped.value.ename == "NotImplementedError"
    assert re.fullmatch(r"(class )?[\w.]+: write (this function|this method|the missing code) .*", stopped.value.evalue)
    assert not notebook.cells[-1].outputs, "the run went on past the error"
