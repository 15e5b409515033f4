"""clip_gradients and clip_gradients_by_value against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

import math

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import clip_gradients, clip_gradients_by_value, gradient_norm

SHAPES = [(), (5,), (3, 4), (2,)]


def paired_parameters(seed, dtype=np.float64, scale=1.0):
    """The same gradients on both sides; the last parameter has no gradient."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for index, shape in enumerate(SHAPES):
        mine = Variable(np.zeros(shape, dtype=dtype))
        reference = torch.zeros(shape, dtype=torch.float64 if dtype == np.float64 else torch.float32,
                                requires_grad=True)
        if index < len(SHAPES) - 1:
            gradient = (scale * rng.standard_normal(shape)).astype(dtype)
            mine.grad = Variable(gradient.copy(), requires_grad=False)
            reference.grad = torch.tensor(gradient.copy())
        ours.append(mine)
        theirs.append(reference)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [1.0, 2.0, math.inf, 0.5, 3.0, 1.7])
@pytest.mark.parametrize("max_norm", [1e-3, 0.5, 2.0, 1e3])
def test_clip_gradients_matches_torch(norm_type, max_norm):
    """Same norm returned, same gradients after clipping, for several norms, under and over the threshold?"""
    ours, theirs = paired_parameters(seed=int(10 * norm_type) % 97 if norm_type != math.inf else 5)
    returned = clip_gradients(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type).item()
    assert isinstance(returned, float)
    assert returned == pytest.approx(expected, rel=1e-12), f"norm {norm_type}: expected {expected}, got {returned}"
    assert gradient_norm(ours, norm_type) == pytest.approx(min(expected, max_norm), rel=1e-6)
    for mine, reference in zip(ours, theirs):
        if reference.grad is None:
            assert mine.grad is None
            continue
        np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), rtol=1e-12, atol=0)


def test_clip_gradients_below_the_threshold_changes_nothing():
    """Is a gradient whose norm is below max_norm left bit for bit as it was (and in the same array)?"""
    ours, _ = paired_parameters(seed=1)
    arrays = [p.grad.data.data for p in ours if p.grad is not None]
    before = [array.copy() for array in arrays]
    norm = clip_gradients(ours, max_norm=1e6)
    assert norm > 0
    for array, original, parameter in zip(arrays, before, ours):
        assert parameter.grad.data.data is array
        assert np.array_equal(array, original)


def test_clip_gradients_float32_matches_torch_and_stays_float32():
    """Do float32 gradients stay float32 and match torch's float32 clipping?"""
    ours, theirs = paired_parameters(seed=3, dtype=np.float32, scale=10.0)
    returned = clip_gradients(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0).item()
    assert returned == pytest.approx(expected, rel=1e-6)
    for mine, reference in zip(ours, theirs):
        if reference.grad is not None:
            assert mine.grad.data.data.dtype == np.float32
            np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), rtol=1e-6)


def test_clip_gradients_with_no_gradients_returns_zero():
    """With no gradient anywhere, is the norm 0.0 (torch returns 0 too) and nothing raised?"""
    assert clip_gradients([Variable(np.ones(3))], 1.0) == 0.0
    assert clip_gradients([], 1.0) == 0.0
    assert torch.nn.utils.clip_grad_norm_([torch.ones(3, requires_grad=True)], 1.0).item() == 0.0


@pytest.mark.parametrize("clip_value", [0.0, 0.1, 0.7, 2.5, 100.0])
def test_clip_gradients_by_value_matches_torch(clip_value):
    """Does clamping every entry into [-clip_value, clip_value] match clip_grad_value_, in place?"""
    ours, theirs = paired_parameters(seed=11, scale=2.0)
    arrays = [p.grad.data.data for p in ours if p.grad is not None]
    assert clip_gradients_by_value(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for mine, reference in zip(ours, theirs):
        if reference.grad is None:
            assert mine.grad is None
            continue
        assert any(mine.grad.data.data is array for array in arrays), "clipping should be in place"
        np.testing.assert_array_equal(mine.grad.data.data, reference.grad.numpy())


@pytest.mark.parametrize("norm_type", [0, -1, float("nan")])
def test_gradient_norm_rejects_meaningless_norm_types(norm_type):
    ours, _ = paired_parameters(seed=2)
    with pytest.raises(ValueError, match="norm_type"):
        gradient_norm(ours, norm_type)
