"""Messages that point at the notebook: a line of a generated package file, traced back to its cell."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from tito.cell_map import build_maps, qualified_name
from tito.course import Course
from tito.export import render_exports
from tito.grading.grade import grade_class
from tito.grading.prepare import prepare_submission
from tito.release import MANIFEST_NAME
from tito.sandbox.limits import Limits

LIMITS = Limits(call_seconds=3, submission_seconds=30)


def with_answer(notebook, grade_id: str, source: str):
    edited = copy.deepcopy(notebook)
    for cell in edited.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return edited


def cell_number(notebook, grade_id: str) -> int:
    """The cell's number in the notebook, from 1."""
    return next(number for number, cell in enumerate(notebook.cells, start=1)
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def prepare(notebook, release, graded_course):
    manifest = json.loads((graded_course.paths.release / "01_alpha" / MANIFEST_NAME).read_text())
    return prepare_submission(nbformat.writes(notebook).encode(), release, manifest, ("core.alpha",), "a notebook")


def test_every_line_of_the_real_optimizers_export_maps_to_the_cell_that_holds_it():
    """Does each mapped line of tinytorch/core/optimizers.py, as exported from the source notebook, read exactly
    as that line of that cell, is it given code exactly when its cell is locked, and is every code line mapped?"""
    course = Course.load()
    info = course.module("optimizers")
    notebook = nbformat.read(course.paths.source / info.slug / info.notebook_name, as_version=4)
    exports = render_exports(notebook.cells, "x")
    maps = build_maps(notebook.cells, exports)
    lines = exports["core.optimizers"].split("\n")
    mapped, given, students = 0, set(), set()
    for number, line in enumerate(lines, start=1):
        origin = maps.locate("core/optimizers.py", number)
        if origin is None:
            assert number <= 2 or not line.strip(), f"line {number} is not mapped: {line!r}"
            continue
        mapped += 1
        cell = notebook.cells[origin.cell - 1]
        assert cell.source.split("\n")[origin.line - 1] == line
        assert cell.metadata["nbgrader"]["grade_id"] == origin.grade_id
        assert origin.given is (cell.metadata["nbgrader"]["locked"] and not cell.metadata["nbgrader"]["solution"])
        (given if origin.given else students).add(origin.grade_id)
    assert mapped > 500
    assert {"optimizers-imports", "optimizer-base", "scheduler-base"} <= given
    assert {"sgd-class", "rmsprop-class", "adam-class"} <= students


def test_a_cell_the_exporter_does_not_copy_verbatim_is_left_unmapped():
    """If a cell's code is not found in the exported file, are its lines left unmapped rather than guessed?"""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("#| default_exp core.x\n#| export\nimport numpy as np"),
                      nbformat.v4.new_code_cell("#| export\ndef f():\n    return 1")]
    exports = render_exports(notebook.cells, "x")
    exports["core.x"] = exports["core.x"].replace("return 1", "return 2")
    maps = build_maps(notebook.cells, exports)
    texts = {maps.locate("core/x.py", n).text for n in range(1, 20) if maps.locate("core/x.py", n)}
    assert texts == {"import numpy as np"}


def test_qualified_names_come_from_the_indentation_above_the_line():
    """Is a line inside a method named Class.method, and a name the lines do not support left as it is?"""
    text = "class A:\n    '''doc'''\n\n    def f(self):\n        x = 1\n        while True:\n            x += 1\n"
    assert qualified_name(text, 7, "f") == "A.f"
    assert qualified_name(text, 7, "g") == "g"
    assert qualified_name("def top():\n    return 1\n", 2, "top") == "top"


def test_a_syntax_error_in_a_graded_submission_names_the_cell_and_its_line(graded_course, alpha_notebooks, tmp_path):
    """Does `tito grade` report a syntax error as the notebook cell (grade_id and number) and the line in it, with
    the line shown, instead of a line of the generated core/alpha.py?"""
    release, answered = alpha_notebooks
    broken = with_answer(answered, "add-one", "#| export\ndef add_one(x):\n    return np.asarray(x) +\n")
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(broken, folder / "alice.ipynb")
    run = grade_class(graded_course, graded_course.module("alpha"), folder, tmp_path / "out", limits=LIMITS)
    [result] = run.results
    number = cell_number(broken, "add-one")
    message = result.tests[0].message
    assert f"cell `add-one` (cell {number}), line 3: `return np.asarray(x) +`" in message
    assert "invalid syntax" in message
    assert "alpha.py" not in message and "line 1" not in message.split("cell `add-one`")[0]
    assert result.score == 0


def test_a_traceback_from_the_students_code_names_the_cell_method_and_line(graded_course, alpha_notebooks, tmp_path):
    """Does an exception raised in the student's method read `in Doubler.double: cell `add-one` (cell N), line
    L: `...``, and no longer as a line of core/alpha.py?"""
    release, answered = alpha_notebooks
    source = next(c.source for c in answered.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add-one")
    source = source.replace("return 2 * np.asarray(x)", "table = {}\n        return table[x]")
    broken = with_answer(answered, "add-one", source)
    line = source.split("\n").index("        return table[x]") + 1
    prepared = prepare(broken, release, graded_course)
    assert prepared.problem is None
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(broken, folder / "bob.ipynb")
    run = grade_class(graded_course, graded_course.module("alpha"), folder, tmp_path / "out", limits=LIMITS)
    [result] = run.results
    verdicts = {test.name: test for test in result.tests}
    assert verdicts["test_add_one_on_a_matrix"].passed
    message = verdicts["test_doubler"].message
    number = cell_number(broken, "add-one")
    assert f"in Doubler.double: cell `add-one` (cell {number}), line {line}: `return table[x]`" in message
    assert "KeyError" in message and "core/alpha.py" not in message


@pytest.mark.parametrize("where", ["given", "student"])
def test_lines_of_locked_cells_are_given_code_and_the_rest_the_students(alpha_notebooks, graded_course, where):
    """Does the map of a graded submission call locked cells given code and answer cells the student's?"""
    release, answered = alpha_notebooks
    prepared = prepare(answered, release, graded_course)
    text = prepared.exports["core.alpha"].split("\n")
    wanted = "import numpy as np" if where == "given" else "    return np.asarray(x) + 1"
    number = text.index(wanted) + 1
    origin = prepared.cell_maps.locate("tinytorch/core/alpha.py", number)
    assert origin.given is (where == "given")
    assert prepared.cell_maps.is_students("core/alpha.py", number) is (where == "student")
