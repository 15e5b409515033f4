"""Hidden tests: Adam (with L2 weight decay and AMSGrad) and AdamW (decoupled weight decay)."""

import pytest

from tito.grading.checks import assert_close

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
SCALES = [1.0, 1e-3, 50.0]  # gradients of very different sizes
RTOL, ATOL = 1e-9, 1e-12


def _name(optimizer, hyper):
    return f"{optimizer}(" + ", ".join(f"{key}={value!r}" for key, value in hyper.items()) + ")"


def _compare(student, reference, optimizer, hyper, steps, seed, what="", shapes=SHAPES, **extra):
    case = dict(optimizer=optimizer, hyper=hyper, shapes=shapes, steps=steps, seed=seed, **extra)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name(optimizer, hyper)}, {steps} steps{what}", rtol=RTOL, atol=ATOL)


# -- Adam -------------------------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_adam_first_steps(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.01}, steps=3, seed=30, shapes=[[4]],
             checkpoints=[1, 2, 3], what=" on one vector (the first step moves each entry by about learning_rate: "
                                          "check the bias correction)")


@pytest.mark.points(2)
def test_adam_several_parameters(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.02}, steps=40, seed=31, scales=SCALES,
             what=" on a scalar, a vector and a matrix with gradients of sizes 1, 0.001 and 50")


@pytest.mark.points(2)
def test_adam_counts_steps_per_parameter(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.02}, steps=12, seed=32, sparse=[1], frozen=[2],
             what=" (parameter 1 has grad None on odd steps, parameter 2 always: skip them, untouched; each "
                  "parameter's bias correction uses its own step count, state['step'])")


@pytest.mark.points(2)
def test_adam_weight_decay(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.02, "weight_decay": 0.1}, steps=30, seed=33,
             what=" (Adam's weight decay adds weight_decay * param to the gradient, before the averages)")


@pytest.mark.points(3)
def test_adam_amsgrad(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.05, "beta2": 0.9, "amsgrad": True}, steps=30,
             seed=34, scales=SCALES,
             what=" (AMSGrad divides by the running maximum of exp_avg_sq, bias-corrected like exp_avg_sq)")
    _compare(student, reference, "Adam", {"learning_rate": 0.02, "weight_decay": 0.05, "amsgrad": True},
             steps=30, seed=35)


@pytest.mark.points(1)
def test_adam_zero_gradients(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.05, "weight_decay": 0.02}, steps=8, seed=36,
             zero_steps=3, checkpoints=[1, 3, 4],
             what=" whose first 3 gradients are all zeros (a zero gradient is still a step: update the averages "
                  "and the step count)")


@pytest.mark.points(1)
def test_adam_other_betas_and_epsilon(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.03, "beta1": 0.5, "beta2": 0.8, "epsilon": 1e-3},
             steps=25, seed=37, scales=[1.0, 1e-3, 10.0],
             what=" (use beta1, beta2 and epsilon from the constructor; epsilon is added after the square root)")


@pytest.mark.points(1)
def test_adam_float32_values(student, reference):
    hyper = {"learning_rate": 0.01, "amsgrad": True}
    case = dict(optimizer="Adam", hyper=hyper, shapes=SHAPES, steps=10, seed=38, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name('Adam', hyper)} on float32 parameters, 10 steps", rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
def test_adam_float32_state(student, reference):
    hyper = {"learning_rate": 0.01, "amsgrad": True}
    case = dict(optimizer="Adam", hyper=hyper, shapes=SHAPES, steps=3, seed=38)
    assert_close(student.float32_run(**case)["state"], reference.float32_run(**case)["state"],
                 f"{_name('Adam', hyper)} on float32 parameters, 3 steps: the arrays in optimizer.state (float32 "
                 "like the parameter: make them with np.zeros_like(param))", rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
def test_adam_updates_in_place(student, reference):
    hyper = {"learning_rate": 0.01, "weight_decay": 0.1}
    case = dict(optimizer="Adam", hyper=hyper, shapes=SHAPES, steps=3, seed=39)
    got, expected = student.in_place(**case), reference.in_place(**case)
    assert_close(got["in place"], expected["in place"],
                 f"{_name('Adam', hyper)}, 3 steps: the values read through the array each parameter held before "
                 "the first step (if they stayed behind, parameter.data.data holds a new array after step(): "
                 "update it in place)", rtol=RTOL, atol=ATOL)
    assert_close(got["gradient kept"], expected["gradient kept"],
                 f"{_name('Adam', hyper)}, step() called 3 times with the same gradient: parameters and gradients "
                 "after each step (a step that changes parameter.grad changes the steps after it: "
                 "apply_weight_decay returns a new array, it does not add into the gradient)", rtol=RTOL, atol=ATOL)


# -- AdamW ------------------------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_adamw_decoupled_weight_decay(student, reference):
    _compare(student, reference, "AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}, steps=30, seed=40,
             scales=SCALES,
             what=" (multiply param by 1 - learning_rate * weight_decay, then take Adam's step on the raw gradient)")


@pytest.mark.points(2)
def test_adamw_amsgrad(student, reference):
    _compare(student, reference, "AdamW", {"learning_rate": 0.05, "beta2": 0.9, "weight_decay": 0.2,
                                           "amsgrad": True}, steps=30, seed=41)


@pytest.mark.points(1)
def test_adamw_zero_gradients_and_default_decay(student, reference):
    _compare(student, reference, "AdamW", {"learning_rate": 0.1, "weight_decay": 0.5}, steps=5, seed=42,
             zero_steps=5, what=" with all-zero gradients (only the decay moves the weights)")
    _compare(student, reference, "AdamW", {"learning_rate": 0.1}, steps=10, seed=43,
             what=" (AdamW's default weight_decay is 0.01)")


@pytest.mark.points(1)
def test_adamw_follows_learning_rate_changes(student, reference):
    rates = [None] * 3 + [0.002] * 3 + [0.05] * 3
    _compare(student, reference, "AdamW", {"learning_rate": 0.01, "weight_decay": 0.3}, steps=9, seed=44,
             rates=rates, what=" (optimizer.learning_rate set to 0.002 before step 4 and to 0.05 before step 7: "
                               "the decay and the step both use the current learning_rate)")


@pytest.mark.points(1)
def test_adamw_keeps_float32(student, reference):
    hyper = {"learning_rate": 0.01, "weight_decay": 0.1}
    case = dict(optimizer="AdamW", hyper=hyper, shapes=SHAPES, steps=3, seed=45)
    assert_close(student.float32_run(**case)["state"], reference.float32_run(**case)["state"],
                 f"{_name('AdamW', hyper)} on float32 parameters, 3 steps: the arrays in optimizer.state (float32 "
                 "like the parameter)", rtol=1e-4, atol=1e-6)
    case = dict(case, steps=10, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 f"{_name('AdamW', hyper)} on float32 parameters, 10 steps (float32 parameters stay float32)",
                 rtol=1e-4, atol=1e-6)
