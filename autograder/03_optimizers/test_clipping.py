"""Hidden tests: clip_gradients (global norm, torch's clip_grad_norm_) and clip_gradients_by_value.

Only the threshold tests depend on max_norm; the tests of the other norms use max_norm=1.0, where
max_norm / (total + 1e-6) is 1 / (total + 1e-6), so each mistake fails the tests of its own concept."""

import pytest

import numpy as np

from tito.grading.checks import assert_close, assert_equal, assert_true

SHAPES = [[], [4], [2, 3]]  # a scalar, a vector and a matrix
SCALES = [1.0, 10.0, 0.1]
RTOL, ATOL = 1e-9, 1e-12


def _number(value):
    """A float for a Python number, numpy scalar or one-element array (their type is checked apart); anything
    else (a sentence from the probe, a bool) as it is, so that the comparison shows it."""
    if type(value) in (int, float) or (isinstance(value, (np.generic, np.ndarray)) and value.dtype.kind in "iuf"
                                       and np.size(value) == 1):
        return float(np.asarray(value).reshape(()))
    return value


def _compare(got, expected, what, rtol=RTOL, atol=ATOL):
    assert_close(_number(got["returned"]), _number(expected["returned"]),
                 f"{what}: the value returned (the global norm before clipping)", rtol=rtol, atol=atol)
    assert_equal(got["parameters without gradient"], expected["parameters without gradient"],
                 f"{what}: parameters whose grad is None afterwards")
    assert_close(got["gradients"], expected["gradients"], f"{what}: the gradients afterwards", rtol=rtol, atol=atol)


@pytest.mark.points(3)
def test_clip_gradients_over_the_threshold(student, reference):
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=2.5, seed=60)
    got = student.clip(**case)
    _compare(got, reference.clip(**case),
             "clipping to max_norm: clip_gradients(parameters, max_norm=2.5) with a global 2-norm far above 2.5 "
             "(every gradient is multiplied by max_norm / (total + 1e-6))")
    returned = got["returned"]
    assert_true(type(returned) is float,
                f"the norm returned: clip_gradients should return it as a Python float (float(...)), not a "
                f"{'0-d array' if isinstance(returned, np.ndarray) else type(returned).__name__}")


@pytest.mark.points(2)
def test_clip_gradients_under_the_threshold(student, reference):
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=1000.0, seed=61)
    _compare(student.clip(**case), reference.clip(**case),
             "under the threshold: clip_gradients(parameters, max_norm=1000.0) with a global norm below 1000 but "
             "above 1 (the gradients must stay exactly as they were)", rtol=1e-15, atol=0.0)
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=100.0, seed=63)
    _compare(student.clip(**case), reference.clip(**case),
             "under the threshold: clip_gradients(parameters, max_norm=100.0) with a global norm below 100 but "
             "above 1", rtol=1e-15, atol=0.0)


@pytest.mark.points(2)
def test_clip_gradients_inf_norm(student, reference):
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=1.0, seed=62, norm_type="inf")
    _compare(student.clip(**case), reference.clip(**case),
             "the inf-norm: clip_gradients(parameters, max_norm=1.0, norm_type=math.inf) (the norm is the largest "
             "absolute entry)")


@pytest.mark.points(1)
def test_clip_gradients_other_norms_and_missing_gradients(student, reference):
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=1.0, seed=64, norm_type="1.0", missing=[1])
    _compare(student.clip(**case), reference.clip(**case),
             "other norms and missing gradients: clip_gradients(parameters, max_norm=1.0, norm_type=1.0) where "
             "parameter 1 has grad None (skip it)")
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=1.0, seed=65, missing=[0])
    _compare(student.clip(**case), reference.clip(**case),
             "other norms and missing gradients: clip_gradients(parameters, max_norm=1.0) where parameter 0 has grad "
             "None (skip it)")
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=1.0, seed=66, missing=[0, 1, 2])
    _compare(student.clip(**case), reference.clip(**case),
             "other norms and missing gradients: clip_gradients(parameters, max_norm=1.0) where no parameter has a "
             "gradient (the norm is 0.0)")


@pytest.mark.points(1)
def test_clip_gradients_changes_gradients_in_place(student, reference):
    # max_norm=1.0: the coefficient is 1 / (total + 1e-6), so this checks where the scaling goes, not max_norm
    case = dict(shapes=SHAPES, scales=SCALES, max_norm=1.0, seed=60)
    key = "read through the gradient arrays held before the call"
    assert_close(student.clip(**case)[key], reference.clip(**case)[key],
                 "in place: clip_gradients(parameters, max_norm=1.0) with a norm far above 1: the values read "
                 "through the "
                 "array each p.grad.data.data held before the call (if they stayed behind, the gradient array was "
                 "replaced: scale p.grad.data.data in place, with *=)")


@pytest.mark.points(1)
def test_clip_gradients_by_value(student, reference):
    case = dict(shapes=SHAPES, scales=SCALES, clip_value=0.5, seed=67, missing=[2])
    got, expected = student.clip_by_value(**case), reference.clip_by_value(**case)
    what = "clipping by value: clip_gradients_by_value(parameters, 0.5) where parameter 2 has grad None"
    assert_equal(got["returned"], expected["returned"], f"{what}: the value returned")
    _compare(dict(got, returned=0.0), dict(expected, returned=0.0), what, rtol=1e-15, atol=0.0)
    key = "read through the gradient arrays held before the call"
    assert_close(got[key], expected[key],
                 f"{what}: the values read through the array each p.grad.data.data held before the call (if they "
                 "stayed behind, the gradient array was replaced: clip it in place, np.clip(..., out=...))",
                 rtol=1e-15, atol=0.0)
