"""Hidden tests: SGD, with momentum, dampening, Nesterov momentum and weight decay.

Plain SGD and momentum are compared with the reference's values. Dampening, Nesterov momentum, weight decay,
skipping, float32, in place and the gradient are each compared with the submission's own runs, so that a
mistake in momentum fails the momentum test only."""

import sys
from pathlib import Path

import pytest

from tito.grading.checks import assert_close

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizers_suite_checks import (assert_ran_like, check_decay_by_hand, check_float32,  # noqa: E402
                                     check_gradient_kept, check_in_place, check_skipping, last_step, name_of)

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
RTOL, ATOL = 1e-9, 1e-12


def _compare(student, reference, concept, hyper, steps, seed, what="", **extra):
    case = dict(optimizer="SGD", hyper=hyper, shapes=SHAPES, steps=steps, seed=seed, **extra)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{concept}: {name_of('SGD', hyper)}, {steps} steps on a scalar, a vector and a matrix{what}",
                 rtol=RTOL, atol=ATOL)


def _variants(student, reference, concept, runs, steps, seed):
    case = dict(optimizer="SGD", runs=runs, shapes=SHAPES, steps=steps, seed=seed)
    got, expected = student.variants(**case), reference.variants(**case)
    for name in runs:
        assert_ran_like(concept, last_step(got[name]), got[name]["start"], last_step(expected[name]),
                        expected[name]["start"], f"{name_of('SGD', runs[name]['hyper'])}, {steps} steps")
    return got


@pytest.mark.points(2)
def test_sgd_several_parameters(student, reference):
    _compare(student, reference, "the SGD update", {"learning_rate": 0.1}, steps=20, seed=10)


@pytest.mark.points(1)
def test_sgd_follows_learning_rate_changes(student, reference):
    rates = [None] * 3 + [0.02] * 3 + [0.3] * 3
    _compare(student, reference, "learning_rate changes", {"learning_rate": 0.1}, steps=9, seed=12, rates=rates,
             what=" (optimizer.learning_rate set to 0.02 before step 4 and to 0.3 before step 7; "
                  "read self.learning_rate at every step)")


@pytest.mark.points(2)
def test_sgd_weight_decay(student, reference):
    for hyper, seed in (({"learning_rate": 0.05, "weight_decay": 0.1}, 11),
                        ({"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.05}, 16),
                        ({"learning_rate": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1}, 17)):
        check_decay_by_hand(student, reference, "weight decay", "SGD", hyper, SHAPES, steps=20, seed=seed,
                            hint="g = grad + weight_decay * param, before the momentum")


@pytest.mark.points(3)
def test_sgd_momentum(student, reference):
    _compare(student, reference, "momentum", {"learning_rate": 0.05, "momentum": 0.9}, steps=40, seed=13,
             what=" (the first velocity is g; then velocity = momentum * velocity + g; the step is "
                  "learning_rate * velocity)")


@pytest.mark.points(2)
def test_sgd_momentum_with_dampening(student, reference):
    steps, dampening = 20, 0.3
    runs = {"damped": {"hyper": {"learning_rate": 0.05, "momentum": 0.8, "dampening": dampening}},
            "undamped": {"hyper": {"learning_rate": 0.05, "momentum": 0.8},
                         "factors": [1.0] + [1 - dampening] * (steps - 1)}}
    got = _variants(student, reference, "dampening", runs, steps, seed=14)
    assert_close(got["damped"], got["undamped"],
                 f"dampening: {name_of('SGD', runs['damped']['hyper'])}, {steps} steps, compared with your own "
                 "SGD(learning_rate=0.05, momentum=0.8) given the same gradients, multiplied by 1 - dampening from "
                 "the second step on (dampening leaves the first velocity alone, then scales the new gradient)",
                 rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
def test_sgd_nesterov(student, reference):
    steps, momentum, learning_rate = 20, 0.9, 0.05
    nesterov = {"learning_rate": learning_rate, "momentum": momentum, "nesterov": True}
    runs = {"nesterov": {"hyper": nesterov}, "classical": {"hyper": {"learning_rate": learning_rate,
                                                                     "momentum": momentum}}}
    got = _variants(student, reference, "Nesterov momentum", runs, steps, seed=15)
    previous = "start"
    for step in range(1, steps + 1):
        key = f"after step {step}"
        for name, value in got["nesterov"][key].items():
            moved = value - got["nesterov"][previous][name]
            velocity = (got["classical"][previous][name] - got["classical"][key][name]) / learning_rate
            expected = -learning_rate * (got["gradients"][key][name] + momentum * velocity)
            assert_close(moved, expected,
                         f"Nesterov momentum: {name_of('SGD', nesterov)}, {key} [{name}]: the step, compared with "
                         "-learning_rate * (g + momentum * velocity) where velocity is the one your own classical "
                         "momentum run steps along", rtol=1e-7, atol=1e-12)
        previous = key


@pytest.mark.points(1)
def test_sgd_momentum_with_a_repeated_gradient(student, reference):
    hyper = {"learning_rate": 0.1, "momentum": 0.9}
    case = dict(optimizer="SGD", hyper=hyper, shapes=SHAPES, steps=4, seed=18)
    got, expected = student.repeated_gradient(**case), reference.repeated_gradient(**case)
    concept, fresh = "the velocity is a copy", "a fresh copy each step"
    assert_ran_like(concept, last_step(got[fresh]), got[fresh]["start"], last_step(expected[fresh]),
                    expected[fresh]["start"], f"{name_of('SGD', hyper)}, 4 steps")
    assert_close(got["set once"], got[fresh],
                 f"{concept}: {name_of('SGD', hyper)}, step() called 4 times with gradients set once, compared with "
                 "your own run given a fresh copy of the same gradients before each step (the first velocity must "
                 "be a copy of the gradient, not the gradient array itself)", rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
def test_sgd_momentum_skips_missing_gradients(student, reference):
    check_skipping(student, reference, "SGD", {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.01},
                   SHAPES, steps=12, seed=19, sparse=[1], frozen=[2],
                   hint="skip a parameter whose grad is None, and keep each parameter's velocity in its own state")


@pytest.mark.points(1)
def test_sgd_keeps_float32(student, reference):
    check_float32(student, reference, "SGD", {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.01},
                  SHAPES, steps=10, seed=20)


@pytest.mark.points(1)
def test_sgd_updates_in_place(student, reference):
    check_in_place(student, reference, "SGD", {"learning_rate": 0.05, "weight_decay": 0.1}, SHAPES, steps=3,
                   seed=21, hint="update it in place, param -= ...")


@pytest.mark.points(1)
def test_sgd_leaves_the_gradient_unchanged(student, reference):
    check_gradient_kept(student, reference, "SGD", {"learning_rate": 0.05, "weight_decay": 0.1}, SHAPES, steps=3,
                        seed=21, hint="compute grad + weight_decay * param as a new array instead of adding into the "
                                      "gradient")
