"""Hidden tests: gradient_descent_step (reached through probes.py; expected values come from the reference)."""

import pytest

from tito.grading.checks import assert_close

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
STEP = "gradient_descent_step"


@pytest.mark.points(2)
def test_gradient_descent_step_values(student, reference):
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=5, seed=1)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 "gradient_descent_step(p, 0.1) on a scalar, a vector and a matrix, 5 random gradients",
                 rtol=1e-12, atol=1e-14)


@pytest.mark.points(2)
def test_gradient_descent_step_updates_in_place(student, reference):
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=2, seed=2)
    assert_close(student.in_place(**case)["in place"], reference.in_place(**case)["in place"],
                 "gradient_descent_step(p, 0.1), 2 steps: the values read through the array each parameter held "
                 "before the first step (if they stayed behind, parameter.data.data holds a new array after the "
                 "step: change the existing array in place, parameter.data.data -= ..., so everything holding it "
                 "sees the update)", rtol=1e-12, atol=1e-14)


@pytest.mark.points(1)
def test_gradient_descent_step_leaves_gradient_unchanged(student, reference):
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=3, seed=2)
    assert_close(student.in_place(**case)["gradient kept"], reference.in_place(**case)["gradient kept"],
                 "gradient_descent_step(p, 0.1) called 3 times with the same gradient: parameters and gradients "
                 "after each call (a step that changes parameter.grad changes the steps after it: read the "
                 "gradient, do not modify it)", rtol=1e-12, atol=1e-14)


@pytest.mark.points(1)
def test_gradient_descent_step_skips_parameters_without_gradient(student, reference):
    # parameter 1 never has a gradient (grad is None); parameter 2 has one on even steps only
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.2}, shapes=SHAPES, steps=4, seed=3,
                sparse=[2], frozen=[1])
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 "gradient_descent_step with parameter.grad None (parameter 1 always, parameter 2 on odd steps): "
                 "such a parameter must be left exactly as it is", rtol=1e-12, atol=0.0)


@pytest.mark.points(1)
def test_gradient_descent_step_keeps_float32(student, reference):
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=3, seed=4, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 "gradient_descent_step on float32 parameters (the values, and their dtype: float32 parameters "
                 "stay float32)", rtol=1e-5, atol=1e-6)
