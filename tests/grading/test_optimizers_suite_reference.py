"""The optimizers hidden suite (autograder/03_optimizers) is sound.

Its tests carry points that add up to the module's automatic points; the reference package passes all of them
through the real sandbox; deliberately broken packages fail exactly the tests meant to catch each bug; a correct
package written differently from the reference passes; the untouched release notebook earns next to nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tito.course import Course
from tito.grading.prepare import prepare_submission
from tito.grading.suite import HiddenSuite
from tito.package import package_texts

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

# Each broken package: (edits to core/optimizers.py, the exact set of hidden tests that must fail).
BROKEN = {
    "adam-without-bias-correction": (
        [("step_size = self.learning_rate / (1 - self.beta1**step)", "step_size = self.learning_rate"),
         ("denom = np.sqrt(exp_avg_sq) / (1 - self.beta2**step) ** 0.5 + self.epsilon",
          "denom = np.sqrt(exp_avg_sq) + self.epsilon")],
        {"test_adam_first_steps", "test_adam_several_parameters", "test_adam_counts_steps_per_parameter",
         "test_adam_weight_decay", "test_adam_amsgrad", "test_adam_zero_gradients",
         "test_adam_other_betas_and_epsilon", "test_adam_float32_values", "test_adamw_decoupled_weight_decay",
         "test_adamw_amsgrad", "test_adamw_zero_gradients_and_default_decay",
         "test_adamw_follows_learning_rate_changes", "test_adamw_keeps_float32", "test_adam_state_dict_round_trip",
         "test_adamw_state_dict_round_trip", "test_train_simple_model_with_a_scheduler",
         # the in-place check reads the values the update wrote (the reference's, if it is right)
         "test_adam_updates_in_place"},
    ),
    "momentum-with-the-wrong-sign": (
        [("velocity *= self.momentum", "velocity *= -self.momentum")],
        {"test_sgd_follows_learning_rate_changes", "test_sgd_momentum", "test_sgd_momentum_with_dampening",
         "test_sgd_nesterov", "test_sgd_momentum_with_weight_decay", "test_sgd_momentum_with_a_repeated_gradient",
         "test_sgd_momentum_skips_missing_gradients", "test_sgd_keeps_float32", "test_sgd_state_dict_round_trip",
         "test_train_simple_model_losses_and_parameters"},
    ),
    "step-lr-off-by-one": (
        [(STEP_LR_TEST, STEP_LR_TEST.replace("self.last_epoch %", "(self.last_epoch + 1) %"))],
        {"test_step_lr", "test_schedulers_report_their_rate", "test_scheduler_state_dict_round_trip"},
    ),
    "adam-state-in-float64": (
        [('state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}',
          'state = {"step": 0, "exp_avg": np.zeros(param.shape), "exp_avg_sq": np.zeros(param.shape)}')],
        {"test_adam_float32_state", "test_adamw_keeps_float32"},
    ),
    "descent-promotes-float32-to-float64": (
        [(DESCENT_UPDATE, DESCENT_UPDATE.replace("-= learning_rate * parameter.grad.data.data",
                                                 "= (parameter.data.data - learning_rate * "
                                                 "parameter.grad.data.data).astype(np.float64)"))],
        {"test_gradient_descent_step_keeps_float32", "test_gradient_descent_step_updates_in_place"},
    ),
    "descent-replaces-the-array": (
        [(DESCENT_UPDATE, DESCENT_UPDATE.replace("-=", "= parameter.data.data -"))],
        {"test_gradient_descent_step_updates_in_place"},
    ),
    "sgd-decays-into-the-gradient": (
        [("            grad = grad + self.weight_decay * param\n        if self.momentum != 0:",
          "            grad += self.weight_decay * param\n        if self.momentum != 0:")],
        {"test_sgd_updates_in_place"},
    ),
    "clip-scales-even-under-the-threshold": (
        [("    if coefficient < 1:\n", "    if True:\n")],
        {"test_clip_gradients_under_the_threshold", "test_clip_gradients_inf_norm"},
    ),
    "clip-ignores-max-norm": (
        [("    coefficient = max_norm / (total + 1e-6)\n", "    coefficient = 1.0 / (total + 1e-6)\n")],
        # 1 / (total + 1e-6) is below 1 whenever the norm exceeds 1, so gradients under max_norm shrink too
        {"test_clip_gradients_over_the_threshold", "test_clip_gradients_under_the_threshold",
         "test_clip_gradients_inf_norm", "test_clip_gradients_other_norms_and_missing_gradients",
         "test_train_simple_model_with_clipping"},
    ),
    "cosine-stops-at-t-max": (
        [(COSINE_FIRST_LINE, COSINE_FIRST_LINE + "        if epoch > self.T_max:\n            return self.eta_min\n")],
        {"test_cosine_annealing_lr_beyond_t_max", "test_cosine_annealing_lr_default_eta_min",
         "test_schedulers_report_their_rate", "test_scheduler_state_dict_round_trip",
         "test_train_simple_model_with_a_scheduler"},
    ),
    "training-records-the-rate-after-the-scheduler": (
        [("        history.learning_rates.append(optimizer.learning_rate)\n", ""),
         ("            scheduler.step()\n",
          "            scheduler.step()\n        history.learning_rates.append(optimizer.learning_rate)\n")],
        {"test_train_simple_model_with_a_scheduler"},
    ),
    "zero-grad-keeps-the-gradients": (
        [("            parameter.grad = None\n", "            pass\n")],
        {"test_zero_grad_clears_every_gradient", "test_train_simple_model_losses_and_parameters",
         "test_train_simple_model_with_a_scheduler", "test_train_simple_model_with_clipping",
         "test_train_simple_model_history"},
    ),
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
}


@pytest.mark.parametrize("bug", sorted(BROKEN))
def test_a_broken_package_fails_the_right_tests(suite, sandbox, bug, run_suite, broken, collected_tests):
    """Does the suite fail exactly the tests that should catch this bug, and pass the others?"""
    edits, should_fail = BROKEN[bug]
    outcomes = run_suite(suite, sandbox, broken(*edits))
    assert set(outcomes.failed) == should_fail, {
        "failed but should pass": sorted(set(outcomes.failed) - should_fail),
        "passed but should fail": sorted(should_fail - set(outcomes.failed)),
        "messages": outcomes.failed,
    }
    assert len(outcomes.passed) + len(outcomes.failed) == len(collected_tests(suite))


def test_a_failure_message_names_the_case_the_step_and_the_parameter(suite, sandbox, run_suite, broken):
    """Does a student read which optimizer, which step and which parameter went wrong?"""
    edits, _ = BROKEN["adam-without-bias-correction"]
    message = run_suite(suite, sandbox, broken(*edits)).failed["test_adam_several_parameters"]
    assert "Adam(learning_rate=0.02), 40 steps" in message
    assert "[after step 1] [parameter 0, shape ()]" in message
    assert "expected" in message and "got" in message


def test_an_untouched_notebook_earns_nothing(suite, sandbox, run_suite, broken):
    """Does the release notebook, handed in as is, fail every test (points go only to code students write)?"""
    release = suite.course.paths.release / suite.module.slug
    notebook = release / suite.module.notebook_name
    prepared = prepare_submission(notebook.read_bytes(), nbformat.read(notebook, as_version=4),
                                  json.loads((release / "manifest.json").read_text()), suite.module.exports,
                                  "the release notebook")
    assert prepared.problem is None, prepared.problem
    outcomes = run_suite(suite, sandbox, package_texts(suite.course, suite.module, prepared.exports))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed
