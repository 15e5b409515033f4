"""The hidden suite of module 09_optimizer_studies: forged reports earn only the tests whose answers are constants.

Its points, test names, the reference's full marks and the untouched notebook's zero are checked with the
other new modules' in test_module_suites_sound.py; the mistakes it must catch, one concept at a time, are in
the bug catalogue (tests/grading/catalogue/bugs_09.py, run by test_bug_catalogue.py).
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
NAME = "optimizer_studies"

# Tests whose right answers are constants (docs/grading-security.md, "Limits"): none in this suite. Keys cross as
# numbers, bools as 1.0 and 0.0, so every observation is forged as zeros, ones or noise.
CONSTANT_ANSWERS: set[str] = set()


@pytest.fixture(scope="module")
def suite() -> HiddenSuite:
    course = Course.load(ROOT)
    return HiddenSuite.for_module(course, course.module(NAME))


@pytest.mark.parametrize("kind", ["zeros", "ones", "noise"])
def test_forged_reports_earn_only_the_constant_answers(suite, kind, collected_tests):
    """Do reports of the reference's form with numbers that need no work (zeros, ones, noise) fail every test? Keys,
    flags and positions all cross as numbers, so none of them keeps the reference's answer."""
    from tito.grading import fixtures

    outcomes = run_with(suite, Forged(fixtures.reference_for(suite.folder), kind))
    assert outcomes.ran == {test for test, _ in collected_tests(suite)}, outcomes.code
    assert outcomes.passed <= CONSTANT_ANSWERS, sorted(outcomes.passed - CONSTANT_ANSWERS)
