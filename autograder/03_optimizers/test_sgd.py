"""Hidden tests: SGD, with momentum, dampening, Nesterov momentum and weight decay."""

import pytest

from tito.grading.checks import assert_close

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
RTOL, ATOL = 1e-9, 1e-12


def _name(hyper):
    return "SGD(" + ", ".join(f"{key}={value!r}" for key, value in hyper.items()) + ")"


def _compare(student, reference, hyper, steps, seed, what="", **extra):
    case = dict(optimizer="SGD", hyper=hyper, shapes=SHAPES, steps=steps, seed=seed, **extra)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name(hyper)}, {steps} steps on a scalar, a vector and a matrix{what}", rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
def test_sgd_several_parameters(student, reference):
    _compare(student, reference, {"learning_rate": 0.1}, steps=20, seed=10)


@pytest.mark.points(1)
def test_sgd_weight_decay(student, reference):
    _compare(student, reference, {"learning_rate": 0.05, "weight_decay": 0.1}, steps=20, seed=11)


@pytest.mark.points(1)
def test_sgd_follows_learning_rate_changes(student, reference):
    rates = [None] * 3 + [0.02] * 3 + [0.3] * 3
    _compare(student, reference, {"learning_rate": 0.1, "momentum": 0.5}, steps=9, seed=12, rates=rates,
             what=" (optimizer.learning_rate set to 0.02 before step 4 and to 0.3 before step 7; "
                  "read self.learning_rate at every step)")


@pytest.mark.points(2)
def test_sgd_momentum(student, reference):
    _compare(student, reference, {"learning_rate": 0.05, "momentum": 0.9}, steps=40, seed=13)


@pytest.mark.points(2)
def test_sgd_momentum_with_dampening(student, reference):
    _compare(student, reference, {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3}, steps=30, seed=14,
             what=" (dampening scales the new gradient from the second step on)")


@pytest.mark.points(2)
def test_sgd_nesterov(student, reference):
    _compare(student, reference, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, steps=40, seed=15)


@pytest.mark.points(2)
def test_sgd_momentum_with_weight_decay(student, reference):
    _compare(student, reference, {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.05}, steps=30,
             seed=16)
    _compare(student, reference, {"learning_rate": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1},
             steps=30, seed=17)


@pytest.mark.points(1)
def test_sgd_momentum_with_a_repeated_gradient(student, reference):
    case = dict(optimizer="SGD", hyper={"learning_rate": 0.1, "momentum": 0.9}, shapes=SHAPES, steps=4, seed=18)
    assert_close(student.repeated_gradient(**case), reference.repeated_gradient(**case),
                 "SGD(learning_rate=0.1, momentum=0.9), step() called 4 times with the same gradients (the "
                 "velocity must be a copy of the first gradient, not the gradient array itself)", rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
def test_sgd_momentum_skips_missing_gradients(student, reference):
    _compare(student, reference, {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.01}, steps=12, seed=19,
             sparse=[1], frozen=[2],
             what=" (parameter 1 has grad None on odd steps, parameter 2 always: skip them, untouched, "
                  "and keep each parameter's velocity separate)")


@pytest.mark.points(1)
def test_sgd_keeps_float32(student, reference):
    hyper = {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.01}
    case = dict(optimizer="SGD", hyper=hyper, shapes=SHAPES, steps=3, seed=20)
    assert_close(student.float32_run(**case)["state"], reference.float32_run(**case)["state"],
                 f"{_name(hyper)} on float32 parameters, 3 steps: the arrays in optimizer.state, by the names the "
                 "docstring gives (a float32 parameter's velocity is float32 too)", rtol=1e-4, atol=1e-6)
    case = dict(case, steps=10, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name(hyper)} on float32 parameters, 10 steps (float32 parameters stay float32)",
                 rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
def test_sgd_updates_in_place(student, reference):
    hyper = {"learning_rate": 0.05, "weight_decay": 0.1}
    case = dict(optimizer="SGD", hyper=hyper, shapes=SHAPES, steps=3, seed=21)
    got, expected = student.in_place(**case), reference.in_place(**case)
    assert_close(got["in place"], expected["in place"],
                 f"{_name(hyper)}, 3 steps: the values read through the array each parameter held before the first "
                 "step (if they stayed behind, parameter.data.data holds a new array after step(): update it in "
                 "place, param -= ...)", rtol=RTOL, atol=ATOL)
    assert_close(got["gradient kept"], expected["gradient kept"],
                 f"{_name(hyper)}, step() called 3 times with the same gradient: parameters and gradients after "
                 "each step (a step that changes parameter.grad changes the steps after it: compute grad + "
                 "weight_decay * param as a new array instead of adding into the gradient)", rtol=RTOL, atol=ATOL)
