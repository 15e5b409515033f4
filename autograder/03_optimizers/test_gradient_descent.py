"""Hidden tests: gradient_descent_step (reached through probes.py; expected values come from the reference)."""

import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
STEP = "gradient_descent_step"


@pytest.mark.points(2)
def test_gradient_descent_step_values(student, reference):
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=5, seed=1)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 "gradient_descent_step(p, 0.1) on a scalar, a vector and a matrix, 5 random gradients",
                 rtol=1e-12, atol=1e-14)


@pytest.mark.points(2)
def test_gradient_descent_step_updates_in_place(student):
    report = student.in_place(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=2, seed=2)
    for key in ("parameter 0, shape ()", "parameter 1, shape (5,)", "parameter 2, shape (3, 4)"):
        assert_true(report[key]["same array"] and report[key]["shares memory"],
                    f"gradient_descent_step: after the step, {key} holds a new array (parameter.data.data was "
                    "replaced); change the existing array in place (parameter.data.data -= ...), so everything "
                    "holding it sees the update")
        assert_true(report[key]["changed"], f"gradient_descent_step: {key} did not change after two steps")


@pytest.mark.points(1)
def test_gradient_descent_step_leaves_gradient_unchanged(student):
    report = student.in_place(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=2, seed=2)
    assert_true(report["gradients unchanged"],
                "gradient_descent_step changed parameter.grad; read the gradient, do not modify it")


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
    run = student.float32_run(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=3, seed=4)
    assert_equal(run["parameter dtypes"], ["float32"] * 3,
                 "dtypes of float32 parameters after gradient_descent_step")
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=3, seed=4, dtype="float32")
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 "gradient_descent_step on float32 parameters", rtol=1e-5, atol=1e-6)
