"""Hidden tests: RMSprop, plain, centered, with momentum and with weight decay.

The update and the centered update are compared with the reference's values with epsilon=0 (so that where
epsilon goes matters only in the epsilon test). Momentum, weight decay, skipping, float32, in place and the
gradient are each compared with the submission's own runs."""

import sys
from pathlib import Path

import pytest

from tito.grading.checks import assert_close

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizers_suite_checks import (assert_ran_like, check_decay_by_hand, check_float32,  # noqa: E402
                                     check_gradient_kept, check_in_place, check_skipping, last_step, name_of)

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
SCALES = [1.0, 1e-3, 50.0]  # gradients of very different sizes
RTOL, ATOL = 1e-9, 1e-12


def _compare(student, reference, concept, hyper, steps, seed, what="", **extra):
    case = dict(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=steps, seed=seed, **extra)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{concept}: {name_of('RMSprop', hyper)}, {steps} steps on a scalar, a vector and a matrix{what}",
                 rtol=RTOL, atol=ATOL)


@pytest.mark.points(3)
def test_rmsprop_several_parameters(student, reference):
    what = " with gradients of sizes 1, 0.001 and 50 (square_avg = alpha * square_avg + (1 - alpha) * g * g; no bias "
    _compare(student, reference, "the RMSprop update", {"learning_rate": 0.01, "epsilon": 0.0}, steps=40, seed=50,
             scales=SCALES, what=what + "correction)")
    _compare(student, reference, "the RMSprop update", {"learning_rate": 0.02, "alpha": 0.9, "epsilon": 0.0},
             steps=25, seed=55, what=" (use alpha from the constructor)")


@pytest.mark.points(1)
def test_rmsprop_epsilon(student, reference):
    _compare(student, reference, "epsilon", {"learning_rate": 0.02, "alpha": 0.9, "epsilon": 1e-3}, steps=25,
             seed=55, scales=[1e-3, 1e-3, 1e-2], zero_steps=2,
             what=" with gradients of sizes 0.001 and 0.01, the first 2 all zeros (epsilon is added after the "
                  "square root: sqrt(square_avg) + epsilon)")


@pytest.mark.points(1)
def test_rmsprop_weight_decay(student, reference):
    check_decay_by_hand(student, reference, "weight decay", "RMSprop", {"learning_rate": 0.01, "weight_decay": 0.1},
                        SHAPES, steps=20, seed=51, hint="g = grad + weight_decay * param, before square_avg")


@pytest.mark.points(2)
def test_rmsprop_momentum(student, reference):
    steps, momentum = 20, 0.9
    runs = {"with momentum": {"hyper": {"learning_rate": 0.01, "momentum": momentum}},
            "without": {"hyper": {"learning_rate": 0.01}}}
    case = dict(optimizer="RMSprop", runs=runs, shapes=SHAPES, steps=steps, seed=52)
    got, expected = student.variants(**case), reference.variants(**case)
    for name in runs:
        assert_ran_like("momentum", last_step(got[name]), got[name]["start"], last_step(expected[name]),
                        expected[name]["start"], f"{name_of('RMSprop', runs[name]['hyper'])}, {steps} steps")
    with_momentum, without = got["with momentum"], got["without"]
    previous, before = "start", None
    for step in range(1, steps + 1):
        key = f"after step {step}"
        for name, value in with_momentum[key].items():
            moved = value - with_momentum[previous][name]
            expected_move = without[key][name] - without[previous][name]
            if before is not None:
                expected_move = expected_move + momentum * before[name]
            assert_close(moved, expected_move,
                         f"momentum: {name_of('RMSprop', runs['with momentum']['hyper'])}, {key} [{name}]: the step, "
                         "compared with momentum * the previous step + the step your own RMSprop without momentum "
                         "takes (buffer = momentum * buffer + g / avg; param -= learning_rate * buffer)",
                         rtol=1e-7, atol=1e-12)
        before = {name: value - with_momentum[previous][name] for name, value in with_momentum[key].items()}
        previous = key


@pytest.mark.points(3)
def test_rmsprop_centered(student, reference):
    _compare(student, reference, "centered RMSprop", {"learning_rate": 0.01, "centered": True, "epsilon": 0.0},
             steps=40, seed=53, scales=SCALES,
             what=" (grad_avg = grad_avg + (1 - alpha) * (g - grad_avg); divide by sqrt(square_avg - grad_avg**2))")


@pytest.mark.points(1)
def test_rmsprop_skips_missing_gradients(student, reference):
    check_skipping(student, reference, "RMSprop", {"learning_rate": 0.01, "momentum": 0.9, "centered": True},
                   SHAPES, steps=12, seed=56, sparse=[1], frozen=[2],
                   hint="skip a parameter whose grad is None; each parameter has its own averages")


@pytest.mark.points(1)
def test_rmsprop_keeps_float32(student, reference):
    check_float32(student, reference, "RMSprop", {"learning_rate": 0.01, "momentum": 0.9, "centered": True},
                  SHAPES, steps=10, seed=57)


@pytest.mark.points(1)
def test_rmsprop_updates_in_place(student, reference):
    check_in_place(student, reference, "RMSprop", {"learning_rate": 0.01, "weight_decay": 0.1}, SHAPES, steps=3,
                   seed=58, hint="update it in place, param -= ...")


@pytest.mark.points(1)
def test_rmsprop_leaves_the_gradient_unchanged(student, reference):
    check_gradient_kept(student, reference, "RMSprop", {"learning_rate": 0.01, "weight_decay": 0.1}, SHAPES,
                        steps=3, seed=58, hint="do not modify the gradient: g = grad + weight_decay * param is a new "
                                               "array")
