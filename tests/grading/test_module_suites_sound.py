"""The hidden suites of modules 07 to 10 are sound: their points add up to each module's automatic points, no
hidden test repeats a visible test's name, the reference passes every test through the sandbox, and the untouched
release notebook earns nothing. (Each module's forged-report test is in tests/grading/test_<name>_suite.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite_runs import release_package  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POINTS = {"optimizer_paths": 100, "lr_schedules": 100, "optimizer_studies": 100, "diagnostics": 100}


@pytest.fixture(scope="module")
def course() -> Course:
    return Course.load(ROOT)


def hidden_suite(course: Course, name: str) -> HiddenSuite:
    return HiddenSuite.for_module(course, course.module(name))


@pytest.mark.parametrize("name", list(POINTS))
def test_points_add_up_to_the_modules_automatic_points(course, name, collected_tests):
    """Does every hidden test carry points, with a total of exactly module.yaml's points.auto?"""
    suite = hidden_suite(course, name)
    tests = collected_tests(suite)
    assert sum(points for _, points in tests) == POINTS[name] == suite.module.auto_points
    assert all(points > 0 for _, points in tests)


@pytest.mark.parametrize("name", list(POINTS))
def test_no_hidden_test_is_named_like_a_visible_one(course, name, collected_tests):
    """Do the hidden tests avoid the names of the notebook's own tests?"""
    suite = hidden_suite(course, name)
    visible = (suite.course.paths.release / suite.module.slug / f"test_{name}.py").read_text()
    for test, _ in collected_tests(suite):
        assert f"def {test.split('[')[0]}(" not in visible, f"{test} repeats a visible test's name"


@pytest.mark.parametrize("name", list(POINTS))
def test_the_reference_passes_every_test(course, name, sandbox, run_suite, collected_tests):
    """Does the reference package, run through the sandbox, pass every hidden test?"""
    suite = hidden_suite(course, name)
    outcomes = run_suite(suite, sandbox, suite.reference_package())
    assert outcomes.failed == {}
    assert outcomes.passed == {test for test, _ in collected_tests(suite)}


@pytest.mark.parametrize("name", list(POINTS))
def test_an_untouched_notebook_earns_nothing(course, name, sandbox, run_suite):
    """Does the release notebook, handed in as is, fail every hidden test, each with NotImplementedError?"""
    suite = hidden_suite(course, name)
    outcomes = run_suite(suite, sandbox, release_package(suite))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed
