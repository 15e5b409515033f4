"""Hidden tests: RMSprop, plain, centered, with momentum and with weight decay."""

import pytest

from tito.grading.checks import assert_close

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
    case = dict(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=3, seed=57)
    assert_close(student.float32_run(**case)["state"], reference.float32_run(**case)["state"],
                 f"{_name(hyper)} on float32 parameters, 3 steps: the arrays in optimizer.state (float32, like the "
                 "parameter)", rtol=1e-4, atol=1e-6)
    case = dict(case, steps=10, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name(hyper)} on float32 parameters, 10 steps (float32 parameters stay float32)",
                 rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
def test_rmsprop_updates_in_place(student, reference):
    hyper = {"learning_rate": 0.01, "weight_decay": 0.1}
    case = dict(optimizer="RMSprop", hyper=hyper, shapes=SHAPES, steps=3, seed=58)
    got, expected = student.in_place(**case), reference.in_place(**case)
    assert_close(got["in place"], expected["in place"],
                 f"{_name(hyper)}, 3 steps: the values read through the array each parameter held before the first "
                 "step (if they stayed behind, parameter.data.data holds a new array after step(): update it in "
                 "place)", rtol=RTOL, atol=ATOL)
    assert_close(got["gradient kept"], expected["gradient kept"],
                 f"{_name(hyper)}, step() called 3 times with the same gradient: parameters and gradients after "
                 "each step (a step that changes parameter.grad changes the steps after it: do not modify the "
                 "gradient)", rtol=RTOL, atol=ATOL)
