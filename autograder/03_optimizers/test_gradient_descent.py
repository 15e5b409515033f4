"""Hidden tests: gradient_descent_step (reached through probes.py; expected values come from the reference).

The values are compared with the reference's; every other property (float32, in place, the gradient, skipping)
is checked on the submission's own runs, so that one mistake fails one test."""

import sys
from pathlib import Path

import pytest

from tito.grading.checks import assert_close

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizers_suite_checks import (check_float32, check_gradient_kept, check_in_place,  # noqa: E402
                                     check_skipping)

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
STEP = "gradient_descent_step"


@pytest.mark.points(2)
def test_gradient_descent_step_values(student, reference):
    case = dict(optimizer=STEP, hyper={"learning_rate": 0.1}, shapes=SHAPES, steps=5, seed=1)
    assert_close(student.trajectory(**case), reference.trajectory(**case),
                 "the update value -= learning_rate * gradient: gradient_descent_step(p, 0.1) on a scalar, a vector "
                 "and a matrix, 5 random gradients", rtol=1e-12, atol=1e-14)


@pytest.mark.points(1)
def test_gradient_descent_step_keeps_float32(student, reference):
    check_float32(student, reference, STEP, {"learning_rate": 0.1}, SHAPES, steps=3, seed=4, state=False)


@pytest.mark.points(2)
def test_gradient_descent_step_updates_in_place(student, reference):
    check_in_place(student, reference, STEP, {"learning_rate": 0.1}, SHAPES, steps=2, seed=2,
                   hint="change the existing array in place, parameter.data.data -= ..., so everything holding it "
                        "sees the update")


@pytest.mark.points(1)
def test_gradient_descent_step_leaves_gradient_unchanged(student, reference):
    check_gradient_kept(student, reference, STEP, {"learning_rate": 0.1}, SHAPES, steps=3, seed=2,
                        hint="read the gradient, do not modify it")


@pytest.mark.points(1)
def test_gradient_descent_step_skips_parameters_without_gradient(student, reference):
    check_skipping(student, reference, STEP, {"learning_rate": 0.2}, SHAPES, steps=4, seed=3, sparse=[2],
                   frozen=[1], hint="if parameter.grad is None, do nothing")
