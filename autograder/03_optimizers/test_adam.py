"""Hidden tests: Adam (with L2 weight decay and AMSGrad) and AdamW (decoupled weight decay).

The state's averages, the bias-corrected update, epsilon and AMSGrad are compared with the reference's values,
each where the others cannot change the numbers (epsilon=0 where epsilon is not the point; beta1 = beta2 = 0,
where there is no bias to correct, for epsilon and AMSGrad). Weight decay, the per-parameter step count, float32,
in place and the gradient are each compared with the submission's own runs."""

import sys
from pathlib import Path

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_true

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizers_suite_checks import (check_decay_by_hand, check_float32, check_gradient_kept,  # noqa: E402
                                     check_in_place, check_skipping, name_of)

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
SCALES = [1.0, 1e-3, 50.0]  # gradients of very different sizes
RTOL, ATOL = 1e-9, 1e-12


def _compare(student, reference, concept, optimizer, hyper, steps, seed, what="", shapes=SHAPES, **extra):
    case = dict(optimizer=optimizer, hyper=hyper, shapes=shapes, steps=steps, seed=seed, **extra)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{concept}: {name_of(optimizer, hyper)}, {steps} steps{what}", rtol=RTOL, atol=ATOL)


def _state(student, reference, concept, hyper, steps, seed, names, what):
    """The state arrays called `names` after `steps` steps, compared with the reference's."""
    case = dict(optimizer="Adam", hyper=hyper, shapes=SHAPES, steps=steps, seed=seed, dtype="float64")
    got, expected = student.float32_run(**case)["state"], reference.float32_run(**case)["state"]
    assert_true(isinstance(got, dict), f"{concept}: {name_of('Adam', hyper)}: {got}")
    for key, value in expected.items():
        if not any(f"[{name!r}]" in key for name in names):
            continue
        assert_true(key in got, f"{concept}: {name_of('Adam', hyper)}, {steps} steps: optimizer.{key} is missing "
                                f"(keep it in the parameter's state under that name)")
        assert_close(got[key], value, f"{concept}: {name_of('Adam', hyper)}, {steps} steps{what}: optimizer.{key}",
                     rtol=RTOL, atol=ATOL)


# -- Adam -------------------------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_adam_moments(student, reference):
    for hyper, seed in (({"learning_rate": 0.02}, 31), ({"learning_rate": 0.02, "beta1": 0.5, "beta2": 0.8}, 37)):
        _state(student, reference, "the running averages", hyper, 12, seed, ("exp_avg", "exp_avg_sq"),
               " (exp_avg += (1 - beta1) * (g - exp_avg); exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g)")


@pytest.mark.points(3)
def test_adam_bias_correction(student, reference):
    hyper = {"learning_rate": 0.01, "epsilon": 0.0}
    case = dict(optimizer="Adam", hyper=hyper, shapes=[[4]], steps=3, seed=30, checkpoints=[1, 2, 3], start=True)
    got, expected = student.trajectory(**case), reference.trajectory(**case)
    hint = ""
    key = "parameter 0, shape (4,)"
    first = np.abs(np.asarray(got["after step 1"][key], dtype=float) - np.asarray(got["start"][key], dtype=float))
    ratio = first / hyper["learning_rate"]
    if np.all(np.isfinite(ratio)) and np.allclose(ratio, 0.1 / np.sqrt(0.001), rtol=1e-3):
        hint = (" (your first step moves each entry by 3.16 * learning_rate, as Adam does without bias correction: "
                "step_size = learning_rate / (1 - beta1**t), and divide sqrt(exp_avg_sq) by sqrt(1 - beta2**t))")
    elif np.all(np.isfinite(ratio)) and not np.allclose(ratio, 1.0, rtol=1e-3):
        hint = " (with bias correction, the first step moves each entry by learning_rate, whatever the gradient)"
    assert_close(got, expected, f"bias correction: {name_of('Adam', hyper)}, 3 steps on one vector{hint}",
                 rtol=RTOL, atol=ATOL)
    _compare(student, reference, "bias correction", "Adam", {"learning_rate": 0.02, "epsilon": 0.0}, steps=40, seed=31,
             shapes=[[3, 4]], scales=[50.0], what=" on one matrix with gradients of size 50")
    _compare(student, reference, "bias correction", "Adam",
             {"learning_rate": 0.03, "beta1": 0.5, "beta2": 0.8, "epsilon": 0.0}, steps=25, seed=37, shapes=[[5]],
             scales=[1e-3], what=" on one vector with gradients of size 0.001 (1 - beta1**t, 1 - beta2**t)")


@pytest.mark.points(2)
def test_adam_epsilon(student, reference):
    _compare(student, reference, "epsilon", "Adam", {"learning_rate": 0.03, "beta1": 0.0, "beta2": 0.0,
                                                     "epsilon": 1e-3},
             steps=10, seed=36, scales=[1e-3, 1e-3, 1e-2],
             what=" with gradients of sizes 0.001 and 0.01 (epsilon is added after the square root: "
                  "denom = sqrt(exp_avg_sq) / sqrt(1 - beta2**t) + epsilon)")


@pytest.mark.points(3)
def test_adam_amsgrad(student, reference):
    hyper = {"learning_rate": 0.05, "beta1": 0.0, "beta2": 0.0, "epsilon": 0.0, "amsgrad": True}
    _compare(student, reference, "AMSGrad", "Adam", hyper, steps=20, seed=34, scales=SCALES,
             what=" (AMSGrad divides by the running maximum of exp_avg_sq, state['max_exp_avg_sq'])")
    _state(student, reference, "AMSGrad", hyper, 20, 34, ("max_exp_avg_sq",),
           " (max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq), in place)")


@pytest.mark.points(2)
def test_adam_weight_decay(student, reference):
    check_decay_by_hand(student, reference, "weight decay", "Adam", {"learning_rate": 0.02, "weight_decay": 0.1},
                        SHAPES, steps=20, seed=33,
                        hint="Adam's weight decay adds weight_decay * param to the gradient, before the averages")


@pytest.mark.points(2)
def test_adam_counts_steps_per_parameter(student, reference):
    check_skipping(student, reference, "Adam", {"learning_rate": 0.02}, SHAPES, steps=12, seed=32, sparse=[1],
                   frozen=[2], concept="each parameter's own step count",
                   hint="skip a parameter whose grad is None; each parameter's bias correction uses its own step "
                        "count, state['step']")


@pytest.mark.points(2)
def test_adam_float32(student, reference):
    check_float32(student, reference, "Adam", {"learning_rate": 0.01, "amsgrad": True}, SHAPES, steps=10, seed=38)


@pytest.mark.points(1)
def test_adam_updates_in_place(student, reference):
    check_in_place(student, reference, "Adam", {"learning_rate": 0.01, "weight_decay": 0.1}, SHAPES, steps=3,
                   seed=39, hint="update it in place, param -= ...")


@pytest.mark.points(1)
def test_adam_leaves_the_gradient_unchanged(student, reference):
    check_gradient_kept(student, reference, "Adam", {"learning_rate": 0.01, "weight_decay": 0.1}, SHAPES, steps=3,
                        seed=39, hint="apply_weight_decay returns a new array, it does not add into the gradient")


# -- AdamW ------------------------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_adamw_decoupled_weight_decay(student, reference):
    check_decay_by_hand(student, reference, "decoupled weight decay", "AdamW",
                        {"learning_rate": 0.01, "weight_decay": 0.1}, SHAPES, steps=20, seed=40, decoupled=True,
                        hint="multiply param by 1 - learning_rate * weight_decay, then take Adam's step on the raw "
                             "gradient")


@pytest.mark.points(1)
def test_adamw_decay_follows_learning_rate_changes(student, reference):
    check_decay_by_hand(student, reference, "decoupled weight decay", "AdamW",
                        {"learning_rate": 0.01, "weight_decay": 0.3}, SHAPES, steps=9, seed=44, decoupled=True,
                        rates=[None] * 3 + [0.002] * 3 + [0.05] * 3,
                        hint="optimizer.learning_rate set to 0.002 before step 4 and to 0.05 before step 7: the "
                             "decay uses the current learning_rate")


@pytest.mark.points(1)
def test_adamw_zero_gradients_and_default_decay(student, reference):
    _compare(student, reference, "decoupled weight decay", "AdamW", {"learning_rate": 0.1, "weight_decay": 0.5},
             steps=5, seed=42, zero_steps=5, what=" with all-zero gradients (only the decay moves the weights)")
    _compare(student, reference, "decoupled weight decay", "AdamW", {"learning_rate": 0.1}, steps=10, seed=43,
             zero_steps=10, what=" with all-zero gradients (AdamW's default weight_decay is 0.01)")


@pytest.mark.points(1)
def test_adamw_keeps_float32(student, reference):
    check_float32(student, reference, "AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}, SHAPES, steps=10,
                  seed=45)
