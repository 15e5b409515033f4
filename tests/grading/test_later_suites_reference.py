"""The hidden suites of modules 4 to 6 (autograder/04_layers, 05_losses, 06_training) are sound.

Their tests carry points that add up to each module's automatic points, none is named like a visible test, and
the reference package passes all of them through the real sandbox. The mistakes each suite must catch, one
concept at a time, are in the bug catalogue (tests/grading/catalogue/bugs_04_06.py, run by test_bug_catalogue.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

ROOT = Path(__file__).resolve().parents[2]
MODULES = {"layers": 70, "losses": 50, "training": 80}


@pytest.fixture(scope="module")
def course() -> Course:
    return Course.load(ROOT)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_points_add_up_to_the_modules_automatic_points(course, name, collected_tests):
    """Does every hidden test carry points, with a total of exactly module.yaml's points.auto (70, 50 and 80)?"""
    suite = HiddenSuite.for_module(course, course.module(name))
    tests = collected_tests(suite)
    assert sum(points for _, points in tests) == MODULES[name] == suite.module.auto_points
    assert all(points > 0 for _, points in tests)


def test_no_hidden_test_is_named_like_a_visible_one(course, collected_tests):
    """Do the hidden tests avoid the names of the notebook's own tests (test_dropout, test_mse, ...)?"""
    for name in MODULES:
        suite = HiddenSuite.for_module(course, course.module(name))
        visible = (course.paths.release / suite.module.slug / f"test_{name}.py").read_text()
        for test, _ in collected_tests(suite):
            assert f"def {test.split('[')[0]}(" not in visible, f"{test} repeats a visible test's name"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_reference_passes_every_test(course, sandbox, name, run_suite, collected_tests):
    """Does the reference package, run through the sandbox, pass every hidden test?"""
    suite = HiddenSuite.for_module(course, course.module(name))
    outcomes = run_suite(suite, sandbox, suite.reference_package())
    assert outcomes.failed == {}
    assert outcomes.passed == {test for test, _ in collected_tests(suite)}
