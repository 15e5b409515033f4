"""The hidden suites of modules 4 to 6 (autograder/04_layers, 05_losses, 06_training) are sound.

Their tests carry points that add up to each module's automatic points; the reference package passes all of them
through the real sandbox; deliberately broken packages fail exactly the tests meant to catch each bug. The bugs
are chosen where a probe used to return a verdict ("returns self?", "a copy?", "a float?", "finite?"), to show
that the observations that replaced them catch the same mistakes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

ROOT = Path(__file__).resolve().parents[2]
FILES = {"layers": "tinytorch/core/layers.py", "losses": "tinytorch/core/losses.py",
         "training": "tinytorch/core/training.py", "data": "tinytorch/core/data.py"}
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


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_reference_passes_every_test(course, sandbox, name, run_suite, collected_tests):
    """Does the reference package, run through the sandbox, pass every hidden test?"""
    suite = HiddenSuite.for_module(course, course.module(name))
    outcomes = run_suite(suite, sandbox, suite.reference_package())
    assert outcomes.failed == {}
    assert outcomes.passed == {test for test, _ in collected_tests(suite)}


TRAIN_ALL = "    for _, module in self.named_modules():\n        module.training = bool(mode)\n"

# Each broken package: (module, file, edits, the exact set of hidden tests that must fail).
BROKEN = {
    "layers: eval() returns None": (
        "layers", "layers", [("        return self.train(False)\n", "        self.train(False)\n")],
        {"test_train_and_eval_reach_every_module"},
    ),
    "layers: train() sets only the module's own flag": (
        "layers", "layers", [(TRAIN_ALL, "    self.training = bool(mode)\n")],
        # a BatchNorm1d inside stays in training: the reloaded model's eval output is off too
        {"test_train_and_eval_reach_every_module", "test_state_dict_round_trip"},
    ),
    "layers: state_dict() returns the live arrays": (
        "layers", "layers",
        [("return {name: np.array(array, copy=True) for name, array in self._state_arrays().items()}",
          "return dict(self._state_arrays())")],
        {"test_state_dict_round_trip"},
    ),
    "layers: Dropout does not scale what it keeps": (
        "layers", "layers",
        [("return x * (keep.astype(x.dtype) / (1.0 - self.p))", "return x * keep.astype(x.dtype)")],
        {"test_dropout_statistics[0.2]", "test_dropout_statistics[0.6]"},
    ),
    "layers: Dropout drops in eval mode too": (
        "layers", "layers", [("if not self.training or self.p == 0.0:", "if self.p == 0.0:")],
        {"test_dropout_statistics[0.2]", "test_dropout_statistics[0.6]", "test_train_and_eval_reach_every_module"},
    ),
    "losses: softplus as log(1 + exp(x))": (
        "losses", "losses",
        [("    m = np.maximum(x.data.data, 0)\n    return ((x - m).exp() + np.exp(-m)).log() + m\n",
          "    return (x.exp() + 1.0).log()\n")],
        {"test_softplus", "test_bce_with_logits_extreme_logits[none]", "test_bce_with_logits_extreme_logits[sum]"},
    ),
    "training: evaluate() leaves the model in eval mode": (
        "training", "training", [("        self.model.train(was_training)\n", "        pass\n")],
        {"test_evaluate"},
    ),
    "training: train_step's loss is an array": (
        "training", "training",
        [("return StepResult(loss=loss.item(),", "return StepResult(loss=loss.data.data,")],
        {"test_train_step", "test_overfit_one_batch"},
    ),
    "training: TensorDataset copies its arrays": (
        "training", "data",
        [("self.arrays = tuple(np.asarray(array) for array in arrays)",
          "self.arrays = tuple(np.array(array) for array in arrays)")],
        {"test_tensor_dataset"},
    ),
    "training: dataset[i] is a list": (
        "training", "data",
        [("return tuple(array[index] for array in self.arrays)", "return [array[index] for array in self.arrays]")],
        {"test_tensor_dataset"},
    ),
    "training: EarlyStopping never restores the best weights": (
        "training", "training",
        [("        trainer.model.load_state_dict(self.best_state)\n", "        pass\n")],
        {"test_early_stopping_rules", "test_early_stopping_in_a_real_run"},
    ),
    "training: overfit_one_batch returns numpy scalars": (
        "training", "training",
        [("return [trainer.train_step(inputs, targets).loss for _ in range(steps)]",
          "return [np.float64(trainer.train_step(inputs, targets).loss) for _ in range(steps)]")],
        {"test_overfit_one_batch"},
    ),
}


@pytest.mark.parametrize("bug", list(BROKEN))
def test_a_broken_package_fails_the_right_tests(course, sandbox, bug, run_suite, edited_package, collected_tests):
    """Does the suite fail exactly the tests that should catch this bug, and pass the others?"""
    name, file, edits, should_fail = BROKEN[bug]
    suite = HiddenSuite.for_module(course, course.module(name))
    outcomes = run_suite(suite, sandbox, edited_package(suite.reference_package(), FILES[file], edits))
    assert set(outcomes.failed) == should_fail, {
        "failed but should pass": sorted(set(outcomes.failed) - should_fail),
        "passed but should fail": sorted(should_fail - set(outcomes.failed)),
        "messages": outcomes.failed,
    }
    assert len(outcomes.passed) + len(outcomes.failed) == len(collected_tests(suite))
