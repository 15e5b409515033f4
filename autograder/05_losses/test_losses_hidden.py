"""Hidden tests of the losses module: the submission against the reference, through probes.py only.

Each test checks one property: the values of one loss for one reduction, its stability at extreme inputs, its
float32 result against the submission's own float64 result (once that one is loosely right: the evidence that
its code ran). Each message names its concept first; a hint comes only with the evidence for it (a nan or inf
where exp overflowed).
"""

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


def check_stable(got, expected, concept, what, hint):
    """`got` against `expected` at extreme inputs; a nan or inf (where exp overflowed), or BCE's clamp at 100
    where the loss is larger (a sigmoid rounded to 0 or 1), gets the hint."""
    if not finite(got):
        raise AssertionError(f"{concept}: {what} gave nan or inf (exp overflowed): {hint}")
    value, right = got["value"], expected["value"]
    if value.shape == right.shape and np.any((value == 100.0) & (right > 100.0)):
        raise AssertionError(f"{concept}: {what} gave 100 where the loss is {right[(value == 100.0) & (right > 100.0)][0]:g}: "
                             f"a sigmoid of an extreme logit rounds to 0 or 1 and its log is clamped; {hint}")
    check_loss(got, expected, f"{concept}: {what}")


def check_reduction(got, expected, reduction, count, what):
    """check_loss, with a hint when reduction="sum" gave the mean (the sum divided by the element count)."""
    value = got["value"]
    if (reduction == "sum" and isinstance(value, np.ndarray) and value.shape == ()
            and np.isclose(value * count, expected["value"]) and not np.isclose(value, expected["value"])):
        raise AssertionError(f"{what}: value: expected {float(expected['value']):.10g}, got the mean "
                             f"{float(value):.10g} (reduction='sum' adds the {count} losses)")
    check_loss(got, expected, what)


def check_float32(student, reference, case, concept):
    """The submission's float32 loss against its own float64 loss (in float32), once the float64 one is loosely
    the reference's (the evidence that its code ran: every mistake of one concept passes it, zeros and
    constants do not)."""
    wide = student.loss_case(**{**case, "dtype": "float64"})
    expected = reference.loss_case(**{**case, "dtype": "float64"})
    assert_close(wide["value"], expected["value"], f"{concept}: the float64 loss this check compares your float32 "
                                                   "loss with (loosely, within 5%)", rtol=0.05, atol=1e-3)
    got = student.loss_case(**case)
    for key in ("value", "grad"):
        mine = got[key]
        assert_true(isinstance(mine, np.ndarray), f"{concept}: expected the {key} as an array, got {mine!r}")
        assert_close(mine, np.asarray(wide[key]).astype(np.float32),
                     f"{concept}: the {key} on float32 input, against your float64 result (float32 stays float32)",
                     rtol=1e-5, atol=1e-6)


# MSELoss: 6 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(student, reference, reduction):
    for shape in ([6], [3, 4]):
        case = dict(loss="MSELoss", reduction=reduction, seed=1, shape=shape)
        check_reduction(student.loss_case(**case), reference.loss_case(**case), reduction, int(np.prod(shape)),
                        f"MSELoss(reduction={reduction!r}) on {shape}")


# log_softmax and softplus: 8 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_values(student, reference, axis):
    case = dict(axis=axis, seed=2, extreme=False)
    check_loss(student.log_softmax_case(**case), reference.log_softmax_case(**case), f"log_softmax(axis={axis})")


@pytest.mark.points(2)
def test_log_softmax_extreme_logits(student, reference):
    for axis in (-1, 0):
        case = dict(axis=axis, seed=2, extreme=True)
        check_stable(student.log_softmax_case(**case), reference.log_softmax_case(**case), "log-sum-exp",
                     f"log_softmax(axis={axis}) with logits of ±1000",
                     "subtract the maximum along the axis before exp, and add it back after the log")


@pytest.mark.points(2)
def test_softplus_extremes(student, reference):
    values = [-1000.0, -50.0, -2.0, 0.0, 1e-9, 3.0, 50.0, 1000.0]
    got, expected = student.softplus_case(values=values), reference.softplus_case(values=values)
    if not finite(got):
        raise AssertionError("softplus overflow: softplus on values from -1000 to 1000 gave nan or inf (exp "
                             "overflowed): compute m + log(exp(-m) + exp(x - m)) with m = max(x, 0)")
    check_loss(got, expected, "softplus on values from -1000 to 1000", atol=1e-12)


# CrossEntropyLoss: 14 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_loss(student, reference, reduction):
    case = dict(loss="CrossEntropyLoss", reduction=reduction, seed=3, shape=[6, 5])
    check_reduction(student.loss_case(**case), reference.loss_case(**case), reduction, 6,
                    f"CrossEntropyLoss(reduction={reduction!r})")


@pytest.mark.points(2)
def test_cross_entropy_target_forms(student, reference):
    got, expected = student.target_forms(seed=4), reference.target_forms(seed=4)
    assert_close(got, expected, "CrossEntropyLoss with class indices given as a list, int32, floats and a Variable")


@pytest.mark.points(2)
def test_cross_entropy_float32(student, reference):
    case = dict(loss="CrossEntropyLoss", reduction="none", seed=5, shape=[4, 3], dtype="float32")
    check_float32(student, reference, case, "CrossEntropyLoss in float32")


@pytest.mark.points(4)
def test_cross_entropy_extreme_logits(student, reference):
    case = dict(
        loss="CrossEntropyLoss", reduction="none",
        prediction=[[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]],
        target=[1, 1, 2, 0],
    )
    check_stable(student.loss_literal(**case), reference.loss_literal(**case), "log-sum-exp",
                 "CrossEntropyLoss(reduction='none') with logits of ±1000",
                 "compute it from log_softmax, which subtracts the maximum before exp")


# BCELoss: 8 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss(student, reference, reduction):
    case = dict(loss="BCELoss", reduction=reduction, seed=6, shape=[4, 3])
    check_reduction(student.loss_case(**case), reference.loss_case(**case), reduction, 12,
                    f"BCELoss(reduction={reduction!r})")


@pytest.mark.points(2)
def test_bce_at_zero_and_one(student, reference):
    case = dict(loss="BCELoss", reduction="none", prediction=[0.0, 1.0, 0.0, 1.0, 1e-30, 1e-13, 0.5],
                target=[1.0, 0.0, 0.0, 1.0, 1.0, 0.6, 0.5])
    got, expected = student.loss_literal(**case), reference.loss_literal(**case)
    concept = "BCE clamping"
    assert_true(finite(got), f"{concept}: BCELoss at p = 0 and 1: the loss and its gradient must be finite (log "
                             "clamped at -100, the gradient's denominator floored at 1e-12)")
    check_loss(got, expected, f"{concept}: BCELoss at probabilities 0, 1 and nearly 0 (log clamped at -100, "
                              "1e-12 floor)")


# Invalid inputs: 2 points (exception names are constants a forged report could give; kept cheap).


@pytest.mark.points(2)
def test_invalid_inputs_raise(student, reference):
    got, expected = student.invalid_inputs(), reference.invalid_inputs()
    for key, error in expected.items():
        assert_equal(got.get(key), error, f"bad input ({key.replace('_', ' ')}) should raise")


# BCEWithLogitsLoss: 12 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_loss(student, reference, reduction):
    case = dict(loss="BCEWithLogitsLoss", reduction=reduction, seed=8, shape=[5, 2])
    check_reduction(student.loss_case(**case), reference.loss_case(**case), reduction, 10,
                    f"BCEWithLogitsLoss(reduction={reduction!r})")


@pytest.mark.points(2)
def test_bce_with_logits_float32(student, reference):
    case = dict(loss="BCEWithLogitsLoss", reduction="none", seed=9, shape=[6], dtype="float32")
    check_float32(student, reference, case, "BCEWithLogitsLoss in float32")


@pytest.mark.points(4)
def test_bce_with_logits_extreme_logits(student, reference):
    case = dict(loss="BCEWithLogitsLoss", reduction="none",
                prediction=[1000.0, 1000.0, -1000.0, -1000.0, 0.0, 745.0, -745.0, 40.0],
                target=[1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 0.0])
    check_stable(student.loss_literal(**case), reference.loss_literal(**case), "stable BCE with logits",
                 "BCEWithLogitsLoss(reduction='none') with logits up to ±1000",
                 "compute softplus(x) - y * x with a stable softplus, not the log of a sigmoid")
