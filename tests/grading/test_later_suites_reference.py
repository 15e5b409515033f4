"""The hidden suites of modules 4 to 6 (autograder/04_layers, 05_losses, 06_training) are sound.

Their tests carry points that add up to each module's automatic points, none is named like a visible test, the
reference package passes all of them through the real sandbox, the untouched release notebook earns nothing, and
forged reports earn only the tests whose answers the probe chose itself. The mistakes each suite must catch, one
concept at a time, are in the bug catalogue (tests/grading/catalogue/bugs_04_06.py, run by test_bug_catalogue.py).
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


@pytest.mark.parametrize("name", sorted(MODULES))
def test_an_untouched_notebook_earns_nothing(course, sandbox, name, run_suite):
    """Does the release notebook, handed in as is, fail every hidden test, each with NotImplementedError?"""
    suite = HiddenSuite.for_module(course, course.module(name))
    outcomes = run_suite(suite, sandbox, release_package(suite))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed


# Tests whose right answers the probe itself chose (docs/grading-security.md, "Limits"): forging may earn them.
# Dropout's mask is a seeded random draw any code can make: its fraction, a new mask per call and the same mask
# for the same seed can be reported without the submission's Dropout. A loader that drops its only (short) batch
# yields nothing: an empty report is its right answer.
CONSTANT_ANSWERS = {
    "layers": {"test_load_state_dict_rejects_bad_checkpoints", "test_layers_reject_invalid_arguments",
               "test_dropout_mask[0.2]", "test_dropout_mask[0.6]"},
    "losses": {"test_invalid_inputs_raise"},
    "training": {"test_invalid_arguments_raise", "test_loader_batches_and_len[all-dropped]"},
}


@pytest.mark.parametrize("kind", ["zeros", "ones", "noise"])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_forged_reports_earn_only_the_constant_answers(course, name, kind, collected_tests):
    """Do reports of the reference's form with numbers that need no work (zeros, ones, noise) fail every test but
    those whose answers the probe chose itself? Every comparison of the submission with itself is gated on an
    output of the same run that follows the reference's, so none of them can be earned this way."""

    from tito.grading import fixtures

    suite = HiddenSuite.for_module(course, course.module(name))
    outcomes = run_with(suite, Forged(fixtures.reference_for(suite.folder), kind))
    assert outcomes.ran == {test for test, _ in collected_tests(suite)}, outcomes.code
    assert outcomes.passed <= CONSTANT_ANSWERS[name], sorted(outcomes.passed - CONSTANT_ANSWERS[name])
