"""The hidden suite of module 07_optimizer_paths: forged reports earn only the tests whose answers are constants.

Its points, test names, the reference's full marks and the untouched notebook's zero are checked with the
other new modules' in test_module_suites_sound.py; the mistakes it must catch, one concept at a time, are in
the bug catalogue (tests/grading/catalogue/bugs_07.py, run by test_bug_catalogue.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_basics_suites_reference import Forged  # noqa: E402 - the forger of modules 01 and 02
from suite_runs import run_with  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NAME = "optimizer_paths"

# Tests whose right answers are constants (docs/grading-security.md, "Limits"): the names of the exceptions
# raised for invalid arguments. Forging may earn them; each is worth 1 point.
CONSTANT_ANSWERS = {"test_invalid_arguments_raise", "test_best_rate_refuses_an_all_diverged_sweep"}


@pytest.fixture(scope="module")
def suite() -> HiddenSuite:
    course = Course.load(ROOT)
    return HiddenSuite.for_module(course, course.module(NAME))


def test_constant_answer_tests_are_worth_one_point(suite, collected_tests):
    """Are the tests a forger may pass worth 1 point each (2 in all)?"""
    points = dict(collected_tests(suite))
    assert {name: points[name] for name in CONSTANT_ANSWERS} == {name: 1 for name in CONSTANT_ANSWERS}


@pytest.mark.parametrize("kind", ["zeros", "ones", "noise"])
def test_forged_reports_earn_only_the_constant_answers(suite, kind, collected_tests):
    """Do reports of the reference's form with numbers that need no work (zeros, ones, noise) fail every test but
    those whose answers are the names of exceptions? The purity and Python-float checks compare the submission
    with itself only once its numbers follow the reference's, so none of them can be earned this way."""
    from tito.grading import fixtures

    outcomes = run_with(suite, Forged(fixtures.reference_for(suite.folder), kind))
    assert outcomes.ran == {test for test, _ in collected_tests(suite)}, outcomes.code
    assert outcomes.passed <= CONSTANT_ANSWERS, sorted(outcomes.passed - CONSTANT_ANSWERS)
