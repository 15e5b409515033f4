"""`tito module complete` messages: they point at the notebook cell, and carry nothing of pytest's own."""

from __future__ import annotations

import nbformat

from tito import pytest_runner
from tito.build.reference_fill import fill_with_reference
from tito.complete import complete_module
from tito.pytest_runner import FAILED, failure_summary
from tito.workspace import notebook_path, start_module


def answer(course, add_one_cell: str) -> int:
    """Start alpha, answer it with the reference, replace the `add-one` cell; return that cell's number."""
    info = course.module("alpha")
    start_module(course, info)
    release = nbformat.read(course.paths.release / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / info.slug / info.notebook_name, as_version=4)
    notebook = fill_with_reference(release, source)
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "add-one":
            cell.source = add_one_cell
            found = number
    nbformat.write(notebook, notebook_path(course, info))
    return found


def outcomes(report) -> dict[str, str]:
    return {test.name: test.message for test in report.tests}


def test_a_syntax_error_names_the_cell_its_line_and_shows_it(built_course):
    """Is a syntax error reported as the cell's grade_id and number and the line in the cell, with the line?"""
    number = answer(built_course, "#| export\ndef add_one(x):\n    return x + 1\n\n\n"
                                  "class Doubler:\n    def double(self, x)\n        return 2 * x")
    report = complete_module(built_course, built_course.module("alpha"))
    assert report.problem == (f"your code does not compile: expected ':' in cell `add-one` (cell {number}), "
                              "line 7: `def double(self, x)`")
    assert report.earned == 0


def test_an_exception_in_the_students_method_names_the_method_cell_and_line(built_course):
    """Does an error raised inside Doubler.double say so, with the cell and line, not the package file's line?"""
    number = answer(built_course, "#| export\ndef add_one(x):\n    return np.asarray(x) + 1\n\n\n"
                                  "class Doubler:\n    def double(self, x):\n"
                                  "        table = {}\n        return table[x]")
    report = complete_module(built_course, built_course.module("alpha"))
    messages = outcomes(report)
    assert messages["test_add_one"] == ""
    assert messages["test_doubler"] == (f"KeyError: 3\n  in Doubler.double: cell `add-one` (cell {number}), "
                                        "line 9: `return table[x]`")


def test_a_failed_assertion_shows_its_own_message_and_nothing_of_pytest(built_course):
    """Does a failed check show the assertion's message alone: no `+ where <function ... at 0x...>`, no
    `AssertionError` prefix, no junit note?"""
    answer(built_course, "#| export\ndef add_one(x):\n    return np.asarray(x) + 2\n\n\n"
                         "class Doubler:\n    def double(self, x):\n        return 2 * np.asarray(x)")
    report = complete_module(built_course, built_course.module("alpha"))
    assert outcomes(report)["test_add_one"] == "expected [2, 3], got [3 4]"


def test_code_that_fails_while_imported_names_the_cell(built_course):
    """Does a NameError at the top level of a cell stop the tests with a problem naming that cell and line?"""
    number = answer(built_course, "#| export\nscale = undefined_name\n\ndef add_one(x):\n    return x + 1")
    report = complete_module(built_course, built_course.module("alpha"))
    assert report.problem == ("the tests could not import your code: NameError: name 'undefined_name' is not "
                              f"defined\n  at cell `add-one` (cell {number}), line 2: `scale = undefined_name`")
    assert {test.outcome for test in report.tests} == {"not run"}


def test_a_bare_assert_keeps_the_comparison_and_drops_function_reprs():
    """For `assert f(x) == 3` without a message, is the comparison kept, with the values pytest found, minus the
    lines showing functions as `<function ... at 0x...>`?"""
    details = (
        "test_alpha.py:13: in test_add_one\n"
        "    assert np.allclose(add_one(1), 3)\n"
        "E   assert False\n"
        "E    +  where False = <function allclose at 0x7f00>(array([4.]), 3)\n"
        "E    +    where <function allclose at 0x7f00> = np.allclose\n"
        "E    +    and   array([4.]) = add_one(1)\n"
    )
    message = ("assert False\n +  where False = <function allclose at 0x7f00>(array([4.]), 3)\n"
               "[+2 more lines; full report in element text]")
    summary = failure_summary(pytest_runner.TestResult("test_add_one", FAILED, message, details))
    assert summary == "assert False\n+    and   array([4.]) = add_one(1)"


def test_a_long_message_is_read_whole_from_the_report_not_cut_by_junit():
    """When junit cuts the message (`[+N more lines; full report in element text]`), is the full text of the
    error used instead, without that note?"""
    lines = [f"line {n}" for n in range(4)]
    details = "test_alpha.py:3: in test_x\n    check()\n"
    details += "".join(f"E   {line}\n" for line in ["ValueError: bad", *lines])
    message = "ValueError: bad\nline 0\n[+3 more lines; full report in element text]"
    summary = failure_summary(pytest_runner.TestResult("test_x", FAILED, message, details))
    assert summary == "ValueError: bad\n" + "\n".join(lines)


def test_a_function_that_never_ends_is_named_leashed_and_costs_one_time_limit(built_course):
    """Does a looping add_one fail its test naming add_one, the test and the line, and does Doubler.double,
    which calls it, fail after the short leash (1 s) instead of waiting out a second limit?"""
    number = answer(built_course, "#| export\ndef add_one(x):\n    while True:\n        x = x\n\n\n"
                                  "class Doubler:\n    def double(self, x):\n        return add_one(x)")
    report = complete_module(built_course, built_course.module("alpha"), timeout=4)
    messages = outcomes(report)
    assert messages["test_add_one"].startswith("add_one did not finish within 4 s (called by test_add_one)\n"
                                               f"  in add_one: cell `add-one` (cell {number}), line ")
    assert messages["test_doubler"].startswith(
        "add_one did not finish within 1 s, the time it gets since it ran out of 4 s in test_add_one\n"
        f"  in add_one: cell `add-one` (cell {number}), line ")
    assert report.problem == "add_one did not finish within 4 s (called by test_add_one): is there an endless loop?"
