"""Hidden tests: RMSprop, plain, centered, with momentum and with weight decay."""

import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
SCALES = [1.0, 1e-3, 50.0]  # gradients of very different sizes
RTOL, ATOL = 1e-9, 1e-12


def _name(hyper):
    return "RMSprop(" + ", ".join(f"{key}={value!r}" for key, value in hyper.items()) + ")"


def _compare(student, reference, hyper, steps, seed, what="", **extra):
    case = dict(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=steps, seed=seed, **extra)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name(hyper)}, {steps} steps on a scalar, a vector and a matrix{what}", rtol=RTOL, atol=ATOL)


@pytest.mark.points(3)
def test_rmsprop_several_parameters(student, reference):
    _compare(student, reference, {"learning_rate": 0.01}, steps=40, seed=50, scales=SCALES,
             what=" with gradients of sizes 1, 0.001 and 50 (no bias correction; epsilon after the square root)")


@pytest.mark.points(1)
def test_rmsprop_weight_decay(student, reference):
    _compare(student, reference, {"learning_rate": 0.01, "weight_decay": 0.1}, steps=30, seed=51)


@pytest.mark.points(2)
def test_rmsprop_momentum(student, reference):
    _compare(student, reference, {"learning_rate": 0.01, "momentum": 0.9}, steps=40, seed=52,
             what=" (the momentum buffer accumulates g / avg; the step is learning_rate * buffer)")


@pytest.mark.points(2)
def test_rmsprop_centered(student, reference):
    _compare(student, reference, {"learning_rate": 0.01, "centered": True}, steps=40, seed=53, scales=SCALES,
             what=" (centered: subtract grad_avg squared inside the square root)")


@pytest.mark.points(1)
def test_rmsprop_centered_with_momentum_and_weight_decay(student, reference):
    _compare(student, reference, {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
             steps=30, seed=54)


@pytest.mark.points(1)
def test_rmsprop_other_alpha_and_epsilon(student, reference):
    _compare(student, reference, {"learning_rate": 0.02, "alpha": 0.9, "epsilon": 1e-3}, steps=25, seed=55,
             zero_steps=2, what=" whose first 2 gradients are zeros")


@pytest.mark.points(1)
def test_rmsprop_skips_missing_gradients(student, reference):
    _compare(student, reference, {"learning_rate": 0.01, "momentum": 0.9, "centered": True}, steps=12, seed=56,
             sparse=[1], frozen=[2],
             what=" (parameter 1 has grad None on odd steps, parameter 2 always: skip them, untouched)")


@pytest.mark.points(1)
def test_rmsprop_keeps_float32(student, reference):
    hyper = {"learning_rate": 0.01, "momentum": 0.9, "centered": True}
    run = student.float32_run(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=3, seed=57)
    assert_equal(run["parameter dtypes"], ["float32"] * 3, f"{_name(hyper)}: dtypes of float32 parameters")
    assert_equal(run["state arrays that are not float32"], [],
                 f"{_name(hyper)} on float32 parameters: state arrays that are not float32")
    case = dict(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=10, seed=57, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name(hyper)} on float32 parameters, 10 steps", rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
def test_rmsprop_updates_in_place(student):
    hyper = {"learning_rate": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}
    report = student.in_place(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=3, seed=58)
    for key in ("parameter 0, shape ()", "parameter 1, shape (5,)", "parameter 2, shape (3, 4)"):
        assert_true(report[key]["same array"] and report[key]["shares memory"],
                    f"{_name(hyper)}: after step(), {key} holds a new array (parameter.data.data was replaced); "
                    "update it in place")
        assert_true(report[key]["changed"], f"{_name(hyper)}: {key} did not change in 3 steps")
    assert_true(report["gradients unchanged"],
                f"{_name(hyper)} changed parameter.grad during step(); do not modify the gradient")
