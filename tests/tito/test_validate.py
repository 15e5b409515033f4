"""Malformed module sources are hard errors that name the file and the line."""

from __future__ import annotations

import pytest

from tito.course import Course
from tito.errors import SourceErrors
from tito.validate import load_module_source

IMPORTS = (
    '# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, '
    '"solution": false, "task": false}\n#| default_exp core.alpha\n#| export\nimport numpy as np\n\n'
)


def solution_cell(grade_id: str, body: str, solution: bool = True) -> str:
    flag = "true" if solution else "false"
    return (
        f'# %% nbgrader={{"grade": false, "grade_id": "{grade_id}", "locked": false, "schema_version": 3, '
        f'"solution": {flag}, "task": false}}\n{body}\n\n'
    )


def graded_cell(grade_id: str, body: str, points: str = '"points": 10, ') -> str:
    return (
        f'# %% nbgrader={{"grade": true, "grade_id": "{grade_id}", "locked": true, {points}"schema_version": 3, '
        f'"solution": false, "task": false}}\n{body}\n\n'
    )


GOOD_SOLUTION = "#| export\ndef add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"
GOOD_TEST = "def test_add_one():\n    assert add_one(1) == 2\n\ntest_add_one()"
WRITTEN = (
    '# %% [markdown] nbgrader={"grade": true, "grade_id": "why", "locked": false, "points": 5, '
    '"schema_version": 3, "solution": true, "task": false}\n# Because.\n'
)


def problems(course, text: str) -> list[tuple[int, str]]:
    """Write `text` as alpha's source, validate, and return (line, message) for every problem."""
    course.module("alpha").dev_path.write_text(text)
    with pytest.raises(SourceErrors) as raised:
        load_module_source(course.module("alpha"))
    return [(error.line, error.message) for error in raised.value.errors]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = text.split("\n")
    hits = [number for number, line in enumerate(lines, start=1) if needle in line]
    return hits[occurrence - 1]


def valid_source(solution: str = GOOD_SOLUTION, test: str = GOOD_TEST) -> str:
    return IMPORTS + solution_cell("add-one", solution) + graded_cell("test-add-one", test) + graded_cell(
        "test-dbl", "def test_dbl():\n    assert True", points='"points": 5, '
    ) + WRITTEN


def test_the_valid_source_is_accepted(mini_course):
    """Is the baseline used by the other tests itself valid (so each failure below has one cause)?"""
    mini_course.module("alpha").dev_path.write_text(valid_source())
    source = load_module_source(mini_course.module("alpha"))
    assert len(source.cells) == 5


def test_begin_without_end(mini_course):
    """Is a solution region that never closes reported at its BEGIN line?"""
    text = valid_source(solution="#| export\ndef add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1")
    assert problems(mini_course, text) == [
        (line_of(text, "### BEGIN SOLUTION"), "the solution region opened here is never closed")
    ]


def test_end_without_begin(mini_course):
    """Is an END marker with no BEGIN reported at the END line?"""
    text = valid_source(solution="#| export\ndef add_one(x):\n    return x + 1\n    ### END SOLUTION")
    assert problems(mini_course, text) == [
        (line_of(text, "### END SOLUTION"), "'### END SOLUTION' without a matching BEGIN")
    ]


def test_nested_regions(mini_course):
    """Is a BEGIN inside an open region reported as nesting?"""
    body = (
        "#| export\ndef add_one(x):\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n"
        "    return x + 1\n    ### END SOLUTION\n    ### END SOLUTION"
    )
    text = valid_source(solution=body)
    found = problems(mini_course, text)
    nested_line = line_of(text, "### BEGIN SOLUTION", occurrence=2)
    assert found[0][0] == nested_line
    assert "regions cannot nest" in found[0][1]


def test_hidden_tests_that_never_close(mini_course):
    """Are hidden-test markers checked like solution markers?"""
    test = "def test_add_one():\n    ### BEGIN HIDDEN TESTS\n    assert add_one(1) == 2\n\ntest_add_one()"
    text = valid_source(test=test)
    assert problems(mini_course, text) == [
        (line_of(text, "### BEGIN HIDDEN TESTS"), "the hidden tests region opened here is never closed")
    ]


def test_solution_region_outside_a_solution_cell(mini_course):
    """Is a solution region in a cell not marked as a solution reported at the cell header?"""
    text = IMPORTS + solution_cell("add-one", GOOD_SOLUTION, solution=False) + graded_cell("test-add-one", GOOD_TEST)
    found = problems(mini_course, text)
    header = line_of(text, '"grade_id": "add-one"')
    assert (header, 'this cell has a solution region but is not a solution cell (nbgrader "solution": true)') in found


def test_hidden_tests_outside_a_test_cell(mini_course):
    """Are hidden tests allowed only in graded test cells?"""
    body = "#| export\ndef add_one(x):\n    ### BEGIN HIDDEN TESTS\n    return x + 1\n    ### END HIDDEN TESTS"
    text = valid_source(solution=body)
    found = problems(mini_course, text)
    assert (line_of(text, '"grade_id": "add-one"'), "hidden tests are only allowed in graded test cells") in found


def test_duplicate_grade_id(mini_course):
    """Is a repeated grade_id reported at the second use, pointing back to the first?"""
    text = valid_source().replace('"grade_id": "test-dbl"', '"grade_id": "test-add-one"')
    first = line_of(text, '"grade_id": "test-add-one"')
    second = line_of(text, '"grade_id": "test-add-one"', occurrence=2)
    found = problems(mini_course, text)
    assert (second, f"duplicate grade_id 'test-add-one' (first used on line {first})") in found


def test_graded_cell_without_points(mini_course):
    """Does a graded cell need points?"""
    text = IMPORTS + solution_cell("add-one", GOOD_SOLUTION) + graded_cell("test-add-one", GOOD_TEST, points="")
    found = problems(mini_course, text)
    assert (line_of(text, '"grade_id": "test-add-one"'), "graded cell 'test-add-one' needs points > 0") in found


def test_export_before_default_exp(mini_course):
    """Is an export cell with nowhere to go reported at its directive?"""
    text = solution_cell("add-one", GOOD_SOLUTION) + graded_cell("test-add-one", GOOD_TEST)
    found = problems(mini_course, text)
    assert found[0] == (line_of(text, "#| export"), "'#| export' before any '#| default_exp': say where the code goes")


def test_a_test_cell_needs_exactly_one_test_function(mini_course):
    """Does a graded test cell with two test functions get rejected (its points would be ambiguous)?"""
    test = "def test_a():\n    pass\n\ndef test_b():\n    pass"
    text = valid_source(test=test)
    found = problems(mini_course, text)
    assert (
        line_of(text, '"grade_id": "test-add-one"'),
        "test cell 'test-add-one' must define exactly one test_ function, found 2",
    ) in found


def test_syntax_error_in_an_export_cell(mini_course):
    """Is a syntax error in exported code reported at its own line?"""
    text = valid_source(solution="#| export\ndef add_one(x)\n    return x + 1")
    assert problems(mini_course, text) == [(line_of(text, "def add_one(x)"), "syntax error: expected ':'")]


def test_yaml_points_must_match_the_cells(mini_course):
    """Is a module.yaml whose point total disagrees with the cells reported in module.yaml?"""
    yaml_path = mini_course.module("alpha").yaml_path
    mini_course.module("alpha").dev_path.write_text(valid_source())
    yaml_path.write_text(yaml_path.read_text().replace("auto: 15", "auto: 20"))
    info = Course.load(mini_course.paths.root).module("alpha")
    with pytest.raises(SourceErrors) as raised:
        load_module_source(info)
    (error,) = raised.value.errors
    assert error.path == info.yaml_path
    assert error.line == line_of(info.yaml_path.read_text(), "auto: 20")
    assert error.message == "points.auto is 20 but the source's cells add up to 15"


def test_yaml_exports_must_match_the_source(mini_course):
    """Is a source exporting somewhere module.yaml does not say reported?"""
    text = valid_source().replace("#| default_exp core.alpha", "#| default_exp core.other")
    mini_course.module("alpha").dev_path.write_text(text)
    with pytest.raises(SourceErrors, match=r"exports \['core.alpha'\] but the source exports \['core.other'\]"):
        load_module_source(mini_course.module("alpha"))


def test_the_cli_prints_file_and_line_and_fails(mini_course):
    """Does `tito export` on a bad source print file:line and exit non-zero?"""
    import subprocess
    import sys

    text = valid_source(solution="#| export\ndef add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1")
    path = mini_course.module("alpha").dev_path
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(mini_course.paths.root), "export", "alpha"],
        capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert f"{path}:{line_of(text, '### BEGIN SOLUTION')}: the solution region opened here is never closed" in done.stdout.replace("\n", "")
