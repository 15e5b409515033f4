"""The hidden suite of module 10_diagnostics (autograder/10_diagnostics) is sound.

Its tests carry points that add up to the module's automatic points, none is named like a visible test, the
reference package passes all of them through the real sandbox, the untouched release notebook earns nothing, and
forged reports earn only the tests whose answers are constants. The mistakes it must catch, one concept at a
time, are in the bug catalogue (tests/grading/catalogue/bugs_10.py, run by test_bug_catalogue.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_basics_suites_reference import Forged  # noqa: E402 - the forger of modules 01 and 02
from suite_runs import release_package, run_with  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NAME, POINTS = "diagnostics", 100

# No hidden test of this module has a constant answer: every verdict, first fix and problem name is compared only
# after numbers that a working submission computes (the evidence, the problems as numbers, the measurements).
CONSTANT_ANSWERS: set[str] = set()


@pytest.fixture(scope="module")
def suite() -> HiddenSuite:
    course = Course.load(ROOT)
    return HiddenSuite.for_module(course, course.module(NAME))


def test_points_add_up_to_the_modules_automatic_points(suite, collected_tests):
    """Does every hidden test carry points, with a total of exactly module.yaml's points.auto (100)?"""
    tests = collected_tests(suite)
    assert sum(points for _, points in tests) == POINTS == suite.module.auto_points
    assert all(points > 0 for _, points in tests)


def test_no_hidden_test_is_named_like_a_visible_one(suite, collected_tests):
    """Do the hidden tests avoid the names of the notebook's own tests (test_curve_evidence, ...)?"""
    visible = (suite.course.paths.release / suite.module.slug / f"test_{NAME}.py").read_text()
    for test, _ in collected_tests(suite):
        assert f"def {test.split('[')[0]}(" not in visible, f"{test} repeats a visible test's name"


def test_the_reference_passes_every_test(suite, sandbox, run_suite, collected_tests):
    """Does the reference package, run through the sandbox, pass every hidden test?"""
    outcomes = run_suite(suite, sandbox, suite.reference_package())
    assert outcomes.failed == {}
    assert outcomes.passed == {test for test, _ in collected_tests(suite)}


def test_an_untouched_notebook_earns_nothing(suite, sandbox, run_suite):
    """Does the release notebook, handed in as is, fail every hidden test, each with NotImplementedError?"""
    outcomes = run_suite(suite, sandbox, release_package(suite))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed


@pytest.mark.parametrize("kind", ["zeros", "ones", "noise"])
def test_forged_reports_earn_only_the_constant_answers(suite, kind, collected_tests):
    """Do reports of the reference's form with numbers that need no work (zeros, ones, noise) fail every test?
Forged reports repeat the reference's strings (verdicts, first fixes, problem names), so each test compares the
numbers behind them first."""
    from tito.grading import fixtures

    outcomes = run_with(suite, Forged(fixtures.reference_for(suite.folder), kind))
    assert outcomes.ran == {test for test, _ in collected_tests(suite)}, outcomes.code
    assert outcomes.passed <= CONSTANT_ANSWERS, sorted(outcomes.passed - CONSTANT_ANSWERS)
