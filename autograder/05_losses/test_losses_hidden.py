"""Hidden tests of the losses module: the submission against the reference, through probes.py only."""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

REDUCTIONS = ["mean", "sum", "none"]


def check_loss(got, expected, what, **tolerance):
    value = got["value"]
    assert_true(isinstance(value, np.ndarray), f"{what}: expected the loss as a Variable, got {value!r}")
    assert_equal(list(value.shape), list(expected["value"].shape), f"{what}: shape of the loss")
    assert_equal(str(value.dtype), str(expected["value"].dtype), f"{what}: dtype of the loss")
    assert_close(value, expected["value"], f"{what}: value", **tolerance)
    assert_true(got["grad"] is not None, f"{what}: backward() gave the prediction no gradient")
    assert_close(got["grad"], expected["grad"], f"{what}: gradient with respect to the prediction", **tolerance)


def finite(got):
    """Whether the loss and its gradient (as they arrived in the grader) hold no inf or nan."""
    return all(isinstance(got[key], np.ndarray) and bool(np.all(np.isfinite(got[key]))) for key in ("value", "grad"))


# MSELoss: 6 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse(student, reference, reduction):
    for shape in ([6], [3, 4]):
        case = dict(loss="MSELoss", reduction=reduction, seed=1, shape=shape)
        check_loss(student.loss_case(**case), reference.loss_case(**case), f"MSELoss(reduction={reduction!r}) on {shape}")


# log_softmax and softplus: 8 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("axis, extreme", [(-1, True), (0, True), (1, False)])
def test_log_softmax(student, reference, axis, extreme):
    case = dict(axis=axis, seed=2, extreme=extreme)
    got, expected = student.log_softmax_case(**case), reference.log_softmax_case(**case)
    what = f"log_softmax(axis={axis})" + (" with logits of ±1000" if extreme else "")
    assert_true(finite(got), f"{what}: values and gradients must be finite")
    check_loss(got, expected, what)


@pytest.mark.points(2)
def test_softplus(student, reference):
    values = [-1000.0, -50.0, -2.0, 0.0, 1e-9, 3.0, 50.0, 1000.0]
    got, expected = student.softplus_case(values=values), reference.softplus_case(values=values)
    assert_true(finite(got), "softplus at ±1000: values and gradients must be finite")
    check_loss(got, expected, "softplus on values from -1000 to 1000", atol=1e-12)


# CrossEntropyLoss: 14 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy(student, reference, reduction):
    case = dict(loss="CrossEntropyLoss", reduction=reduction, seed=3, shape=[6, 5])
    check_loss(student.loss_case(**case), reference.loss_case(**case), f"CrossEntropyLoss(reduction={reduction!r})")


@pytest.mark.points(2)
def test_cross_entropy_target_forms(student, reference):
    got, expected = student.target_forms(seed=4), reference.target_forms(seed=4)
    assert_close(got, expected, "CrossEntropyLoss with class indices given as a list, int32, floats and a Variable")


@pytest.mark.points(2)
def test_cross_entropy_float32(student, reference):
    case = dict(loss="CrossEntropyLoss", reduction="mean", seed=5, shape=[4, 3], dtype="float32")
    check_loss(student.loss_case(**case), reference.loss_case(**case), "CrossEntropyLoss on float32 logits",
               rtol=1e-5, atol=1e-6)


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_cross_entropy_extreme_logits(student, reference, reduction):
    case = dict(
        loss="CrossEntropyLoss", reduction=reduction,
        prediction=[[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]],
        target=[1, 1, 2, 0],
    )
    got, expected = student.loss_literal(**case), reference.loss_literal(**case)
    what = f"CrossEntropyLoss(reduction={reduction!r}) with logits of ±1000"
    assert_true(finite(got), f"{what}: the loss and its gradient must be finite (no inf or nan)")
    check_loss(got, expected, what)


# BCELoss: 8 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(student, reference, reduction):
    case = dict(loss="BCELoss", reduction=reduction, seed=6, shape=[4, 3])
    check_loss(student.loss_case(**case), reference.loss_case(**case), f"BCELoss(reduction={reduction!r})")


@pytest.mark.points(2)
def test_bce_at_zero_and_one(student, reference):
    case = dict(loss="BCELoss", reduction="none", prediction=[0.0, 1.0, 0.0, 1.0, 1e-30, 1e-13, 0.5],
                target=[1.0, 0.0, 0.0, 1.0, 1.0, 0.6, 0.5])
    got, expected = student.loss_literal(**case), reference.loss_literal(**case)
    assert_true(finite(got), "BCELoss at p = 0 and 1: the loss and its gradient must be finite")
    check_loss(got, expected, "BCELoss at probabilities 0, 1 and nearly 0 (log clamped at -100, 1e-12 floor)")


# Invalid inputs: 2 points (exception names are constants a forged report could give; kept cheap).


@pytest.mark.points(2)
def test_invalid_inputs_raise(student, reference):
    got, expected = student.invalid_inputs(), reference.invalid_inputs()
    for key, error in expected.items():
        assert_equal(got.get(key), error, f"bad input ({key.replace('_', ' ')}) should raise")


# BCEWithLogitsLoss: 12 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(student, reference, reduction):
    case = dict(loss="BCEWithLogitsLoss", reduction=reduction, seed=8, shape=[5, 2])
    check_loss(student.loss_case(**case), reference.loss_case(**case), f"BCEWithLogitsLoss(reduction={reduction!r})")


@pytest.mark.points(2)
def test_bce_with_logits_float32(student, reference):
    case = dict(loss="BCEWithLogitsLoss", reduction="sum", seed=9, shape=[6], dtype="float32")
    check_loss(student.loss_case(**case), reference.loss_case(**case), "BCEWithLogitsLoss on float32 logits",
               rtol=1e-5, atol=1e-6)


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_bce_with_logits_extreme_logits(student, reference, reduction):
    case = dict(loss="BCEWithLogitsLoss", reduction=reduction,
                prediction=[1000.0, 1000.0, -1000.0, -1000.0, 0.0, 745.0, -745.0, 40.0],
                target=[1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 0.0])
    got, expected = student.loss_literal(**case), reference.loss_literal(**case)
    what = f"BCEWithLogitsLoss(reduction={reduction!r}) with logits up to ±1000"
    assert_true(finite(got), f"{what}: the loss and its gradient must be finite (no inf or nan)")
    check_loss(got, expected, what)
