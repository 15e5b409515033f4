"""`tito module start` and `tito module complete`, as a student runs them."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat
import pytest

from tito.complete import complete_module
from tito.errors import TitoError
from tito.workspace import notebook_path, start_module

sys.path.insert(0, str(Path(__file__).parent))
from students import QUIRKY_ALPHA, answer_with_reference, edit_solution, tito  # noqa: E402


def test_start_copies_the_release_notebook_once(built_course):
    """Does `start` copy the student notebook, and refuse to overwrite work on a second run?"""
    info = built_course.module("alpha")
    path, copied = start_module(built_course, info)
    assert copied and path == built_course.paths.workspace / "01_alpha" / "alpha.ipynb"
    path.write_text(path.read_text().replace("YOUR ANSWER HERE", "my own answer"))
    done = tito(built_course, "module", "start", "alpha")
    assert done.returncode == 0
    assert done.stdout.startswith("workspace/01_alpha/alpha.ipynb already exists; it was left as it is")
    assert "my own answer" in path.read_text()


def test_the_released_notebook_fails_with_the_stub_messages(built_course):
    """Does completing an untouched notebook fail, exit non-zero, and say which functions to write?"""
    start_module(built_course, built_course.module("alpha"))
    done = tito(built_course, "module", "complete", "alpha")
    assert done.returncode == 1
    assert "NotImplementedError: add_one: write this function" in done.stdout
    assert "NotImplementedError: Doubler.double: write this method" in done.stdout
    assert "Auto-graded: 0/15 points (0 of 2 tests passed)" in done.stdout
    assert "why-add-one (5 points, graded by hand): not answered yet" in done.stdout


def test_the_reference_answers_pass_and_the_instructor_package_is_untouched(built_course):
    """Does a notebook answered with the reference earn every point, writing only the student's package?"""
    reference_file = built_course.paths.root / "tinytorch" / "core" / "alpha.py"
    before = hashlib.sha256(reference_file.read_bytes()).hexdigest()
    start_module(built_course, built_course.module("alpha"))
    answer_with_reference(built_course, "alpha")
    done = tito(built_course, "module", "complete", "alpha")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Auto-graded: 15/15 points (2 of 2 tests passed)" in done.stdout
    assert "why-add-one (5 points, graded by hand): answered" in done.stdout
    assert hashlib.sha256(reference_file.read_bytes()).hexdigest() == before
    student_file = built_course.paths.workspace / "package" / "tinytorch" / "core" / "alpha.py"
    assert "from workspace/01_alpha/alpha.ipynb" in student_file.read_text()


def test_tests_run_against_the_students_code_not_the_reference(built_course):
    """Is a wrong answer caught even though the reference package sits in the same checkout?"""
    start_module(built_course, built_course.module("alpha"))
    answer_with_reference(built_course, "alpha")
    edit_solution(
        built_course, "alpha", "add-one",
        "#| export\ndef add_one(x):\n    return np.asarray(x) + 2\n\n\n"
        "class Doubler:\n    def double(self, x):\n        return 2 * np.asarray(x)",
    )
    report = complete_module(built_course, built_course.module("alpha"))
    outcomes = {test.name: test.outcome for test in report.tests}
    assert outcomes == {"test_add_one": "failed", "test_doubler": "passed"}
    assert "expected [2, 3], got [3 4]" in report.tests[0].message
    assert (report.earned, report.possible) == (5, 15)


def test_missing_prerequisites_come_from_the_reference_and_say_so(built_course):
    """Can a student complete module 2 without having done module 1, and are they told?"""
    start_module(built_course, built_course.module("beta"))
    answer_with_reference(built_course, "beta")
    done = tito(built_course, "module", "complete", "beta")
    assert done.returncode == 0, done.stdout
    assert "alpha: reference (you have not run `tito module complete alpha`)" in done.stdout


def test_a_students_own_earlier_module_is_used(built_course):
    """Once a student's module 1 passes its tests, does module 2 run on the student's module 1?"""
    for name in ("alpha", "beta"):
        start_module(built_course, built_course.module(name))
        answer_with_reference(built_course, name)
    edit_solution(built_course, "alpha", "add-one", QUIRKY_ALPHA)
    assert complete_module(built_course, built_course.module("alpha")).all_passed
    report = complete_module(built_course, built_course.module("beta"))
    assert report.package.reference_targets == ()
    assert report.tests[0].outcome == "failed" and "expected 3, got 21" in report.tests[0].message


def test_code_that_does_not_compile_is_reported(built_course):
    """Is a syntax error in the student's export reported as such, with every test at zero?"""
    start_module(built_course, built_course.module("alpha"))
    edit_solution(built_course, "alpha", "add-one", "#| export\ndef add_one(x)\n    return x")
    report = complete_module(built_course, built_course.module("alpha"))
    assert "does not compile" in report.problem
    assert report.earned == 0 and not report.all_passed


def test_an_endless_loop_is_stopped(built_course):
    """Does an infinite loop end at the timeout with a message, rather than hang?"""
    start_module(built_course, built_course.module("alpha"))
    edit_solution(built_course, "alpha", "add-one", "#| export\ndef add_one(x):\n    while True:\n        pass")
    report = complete_module(built_course, built_course.module("alpha"), timeout=5)
    assert "did not finish within 5 s" in report.problem
    assert report.earned == 0


def test_deleting_the_export_lines_is_explained(built_course):
    """If the student deletes the `#| export` lines, are they told why nothing was exported?"""
    start_module(built_course, built_course.module("alpha"))
    path = notebook_path(built_course, built_course.module("alpha"))
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace("#| default_exp core.alpha", "")
    nbformat.write(notebook, path)
    with pytest.raises(TitoError, match="before any '#| default_exp'"):
        complete_module(built_course, built_course.module("alpha"))


def test_a_broken_notebook_file_is_a_clear_error(built_course):
    """Is a notebook that is not JSON reported as unreadable, not as a traceback?"""
    start_module(built_course, built_course.module("alpha"))
    notebook_path(built_course, built_course.module("alpha")).write_text("{ not json")
    done = tito(built_course, "module", "complete", "alpha")
    assert done.returncode == 2
    assert "is not a readable notebook" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_complete_before_start_says_what_to_do(built_course):
    """Does completing a module never started point to `tito module start`?"""
    done = tito(built_course, "module", "complete", "01")
    assert done.returncode == 2
    assert "run `tito module start alpha` first" in done.stdout


def test_tito_test_passes_pytests_exit_status_through(built_course):
    """Does `tito test NAME` exit 0 when the module's tests pass and 1 when one fails?"""
    assert tito(built_course, "test", "alpha", "-q").returncode == 0
    assert tito(built_course, "test", "--module", "01", "-q").returncode == 0
    package_file = built_course.paths.root / "tinytorch" / "core" / "alpha.py"
    package_file.write_text(package_file.read_text().replace("+ 1", "+ 2"))
    failed = tito(built_course, "test", "alpha", "-q")
    assert failed.returncode == 1
    assert "test_add_one" in failed.stdout


def test_tito_test_leaves_no_bytecode_in_the_shipped_folders(built_course):
    """Does `tito test` leave release/ and autograder/ as they were, with no __pycache__ written into them?"""
    assert tito(built_course, "test", "alpha", "-q").returncode == 0
    root = built_course.paths.root
    written = sorted(str(path.relative_to(root)) for folder in ("release", "autograder")
                     for path in (root / folder).rglob("__pycache__"))
    assert not written
