"""The optimizers hidden suite (autograder/03_optimizers) is sound.

Its tests carry points that add up to the module's automatic points; the reference package passes all of them
through the real sandbox; deliberately broken packages fail exactly the tests meant to catch each bug; a correct
package written differently from the reference passes; the untouched release notebook earns next to nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite_runs import release_package, run_with  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OPTIMIZERS_FILE = "tinytorch/core/optimizers.py"


@pytest.fixture(scope="module")
def suite() -> HiddenSuite:
    course = Course.load(ROOT)
    return HiddenSuite.for_module(course, course.module("optimizers"))


@pytest.fixture
def broken(suite, edited_package):
    """`broken(*edits)`: the reference package with `core/optimizers.py` edited."""
    return lambda *edits: edited_package(suite.reference_package(), OPTIMIZERS_FILE, edits)


def test_points_add_up_to_the_modules_automatic_points(suite, collected_tests):
    """Does every hidden test carry points, with a total of exactly 100 (module.yaml's points.auto)?"""
    tests = collected_tests(suite)  # raises if a test has no points marker or two tests share a name
    assert len(tests) >= 40
    assert sum(points for _, points in tests) == 100 == suite.module.auto_points
    assert all(points > 0 for _, points in tests)


def test_the_reference_passes_through_pytest():
    """Does `pytest autograder/03_optimizers` (student = the reference in a real sandbox) exit with 0?"""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "autograder/03_optimizers", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_reference_passes_every_test(suite, sandbox, run_suite, broken, collected_tests):
    """Does the in-process harness used below see every test pass on the reference package?"""
    outcomes = run_suite(suite, sandbox, suite.reference_package())
    assert outcomes.failed == {}
    assert outcomes.passed == {name for name, _ in collected_tests(suite)}


DESCENT_UPDATE = "    parameter.data.data -= learning_rate * parameter.grad.data.data"
COSINE_FIRST_LINE = "        lr, epoch = self.optimizer.learning_rate, self.last_epoch\n"
STEP_LR_TEST = "        if self.last_epoch % self.step_size == 0:\n"
TEXTBOOK_ADAM = (
    "        m_hat = exp_avg / (1 - self.beta1**step)\n"
    "        v_hat = exp_avg_sq / (1 - self.beta2**step)\n"
    "        param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)\n"
    "        return\n"
)
CLOSED_FORM_STEP_LR = "        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)\n"
CLOSED_FORM_COSINE = (
    "        return self.eta_min + (self.base_lr - self.eta_min)"
    " * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2\n"
)

# Packages that are not one mistake (the single-concept bugs are in tests/grading/catalogue/bugs_03.py):
# (edits to core/optimizers.py, the exact set of hidden tests that must fail).
NOTHING_MOVES = [
    ("            self.update(value, grad, state)\n", "            pass\n"),
    (DESCENT_UPDATE, "    return"),
]
OPTIMIZER_TESTS_THAT_PASS = {
    # what does not step an optimizer: clipping, schedules, validation
    "test_clip_gradients_over_the_threshold", "test_clip_gradients_under_the_threshold",
    "test_clip_gradients_inf_norm", "test_clip_gradients_other_norms_and_missing_gradients",
    "test_clip_gradients_changes_gradients_in_place", "test_clip_gradients_by_value", "test_step_lr_schedule",
    "test_exponential_lr_schedule", "test_cosine_annealing_lr_first_period", "test_cosine_annealing_lr_beyond_t_max",
    "test_cosine_annealing_lr_default_eta_min", "test_scheduler_state_dict_round_trip",
    "test_boundary_values_are_accepted",
    "test_clipping_and_schedulers_reject_invalid_arguments",
}
BROKEN = {
    # Correct code written differently from the reference: textbook Adam, closed-form schedules, a velocity
    # rebuilt out of place. Nothing may fail: the suite checks behaviour, not the reference's wording.
    "equivalent-rewrite": (
        [("        step_size = self.learning_rate / (1 - self.beta1**step)\n",
          TEXTBOOK_ADAM + "        step_size = self.learning_rate / (1 - self.beta1**step)\n"),
         (STEP_LR_TEST, CLOSED_FORM_STEP_LR + STEP_LR_TEST),
         (COSINE_FIRST_LINE, CLOSED_FORM_COSINE + COSINE_FIRST_LINE),
         ("                velocity *= self.momentum\n",
          '                velocity = state["momentum_buffer"] = self.momentum * velocity\n')],
        set(),
    ),
    # Steps that move nothing agree with themselves: every test that compares the submission with itself (float32
    # with float64, in place, resumed with uninterrupted, decay by hand, the training loop) must still fail, since
    # it first asks for a run that moves the parameters the way the reference's does.
    "nothing-moves": (NOTHING_MOVES, None),
}


@pytest.mark.parametrize("bug", sorted(BROKEN))
def test_a_broken_package_fails_the_right_tests(suite, sandbox, bug, run_suite, broken, collected_tests):
    """Does the suite fail exactly the tests that should catch this bug, and pass the others?"""
    edits, should_fail = BROKEN[bug]
    outcomes = run_suite(suite, sandbox, broken(*edits))
    if should_fail is None:
        should_fail = {name for name, _ in collected_tests(suite)} - OPTIMIZER_TESTS_THAT_PASS
    assert set(outcomes.failed) == should_fail, {
        "failed but should pass": sorted(set(outcomes.failed) - should_fail),
        "passed but should fail": sorted(should_fail - set(outcomes.failed)),
        "messages": outcomes.failed,
    }
    assert len(outcomes.passed) + len(outcomes.failed) == len(collected_tests(suite))


def test_a_failure_message_names_the_concept_the_case_the_step_and_the_parameter(suite, sandbox, run_suite, broken):
    """Does a student read the concept first, then which optimizer, which step and which parameter went wrong?"""
    edits = [("step_size = self.learning_rate / (1 - self.beta1**step)", "step_size = self.learning_rate"),
             ("denom = np.sqrt(exp_avg_sq) / (1 - self.beta2**step) ** 0.5 + self.epsilon",
              "denom = np.sqrt(exp_avg_sq) + self.epsilon")]
    message = run_suite(suite, sandbox, broken(*edits)).failed["test_adam_bias_correction"]
    assert message.startswith("AssertionError: bias correction: Adam(learning_rate=0.01, epsilon=0.0), 3 steps on one "
                              "vector")
    assert "3.16 * learning_rate" in message  # the hint the evidence supports
    assert "[after step 1] [parameter 0, shape (4,)]" in message
    assert "expected" in message and "got" in message


def test_no_hidden_test_is_named_like_a_visible_one(suite, collected_tests):
    """Do the hidden tests avoid the names of the notebook's own tests (test_step_lr, test_adam, ...)?"""
    visible = (suite.course.paths.release / suite.module.slug / "test_optimizers.py").read_text()
    for test, _ in collected_tests(suite):
        assert f"def {test.split('[')[0]}(" not in visible, f"{test} repeats a visible test's name"


def test_an_untouched_notebook_earns_nothing(suite, sandbox, run_suite, broken):
    """Does the release notebook, handed in as is, fail every test (points go only to code students write)?"""
    outcomes = run_suite(suite, sandbox, release_package(suite))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed


# -- forged reports -------------------------------------------------------------------------------------------

class Forged:
    """A `student` whose every probe answer has the reference's form (keys, shapes, dtypes, strings, None) but
    numbers that need no work: zeros, ones, seeded noise, or the seeded starting values ("echo": every array of a
    run is the run's "start", as a submission whose steps move nothing, or a forger who echoes the inputs)."""

    def __init__(self, reference, kind: str):
        self._reference, self._kind = reference, kind
        self._noise = np.random.default_rng(0)

    def _number(self):
        return {"zeros": 0, "ones": 1}.get(self._kind, None) if self._kind != "noise" else self._noise.normal()

    def _forge(self, value, start=None):
        if isinstance(value, dict):
            if self._kind == "echo" and isinstance(value.get("start"), dict):
                start = value["start"]
            return {key: value[key] if key == "start" else self._forge(value[key], start) for key in value}
        if isinstance(value, list):
            return [self._forge(item, start) for item in value]
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            if self._kind == "echo":
                same = [array for array in (start or {}).values() if array.shape == value.shape]
                return same[0].astype(value.dtype) if same else value * 0
            return np.array([self._number() for _ in range(value.size)]).reshape(value.shape).astype(value.dtype)
        if type(value) is float:
            return 0.1 if self._kind == "echo" else float(self._number())
        return value  # None, ints, bools, strings (exception names, sentences)

    def __getattr__(self, probe):
        if probe.startswith("_"):
            raise AttributeError(probe)
        return lambda **arguments: self._forge(getattr(self._reference, probe)(**arguments))



# Tests whose right answers are constants (docs/grading-security.md, "Limits"): forging may earn them.
CONSTANT_ANSWERS = {"test_boundary_values_are_accepted", "test_clipping_and_schedulers_reject_invalid_arguments"}


@pytest.mark.parametrize("kind", ["zeros", "ones", "noise", "echo"])
def test_forged_reports_earn_only_the_constant_answers(suite, kind, collected_tests):
    """Do reports of the right form with numbers that need no work (zeros, ones, noise, the starting values sent
    back) fail every test but the validation ones? The self-comparisons (float32, in place, checkpoints, decay by
    hand, the training loop) are gated on a run that moves like the reference's, so none of them can be earned."""

    from tito.grading import fixtures

    outcomes = run_with(suite, Forged(fixtures.reference_for(suite.folder), kind))
    assert outcomes.ran == {test for test, _ in collected_tests(suite)}, outcomes.code
    assert outcomes.passed <= CONSTANT_ANSWERS, sorted(outcomes.passed - CONSTANT_ANSWERS)
