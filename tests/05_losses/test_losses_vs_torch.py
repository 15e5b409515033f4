"""Every loss against torch.nn: values and gradients in float64 to 1e-10, every reduction, extreme inputs."""

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.layers import Linear
from tinytorch.core.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    MSELoss,
    binary_cross_entropy,
    log_softmax,
    softplus,
)

TOL = dict(rtol=1e-10, atol=1e-10)
REDUCTIONS = ["mean", "sum", "none"]


def compare(ours, theirs, prediction, target, torch_target=None, seed=0):
    """Same loss in both libraries: values and the gradient with respect to the prediction."""
    mine = Variable(prediction.copy())
    reference = torch.tensor(prediction, requires_grad=True)
    torch_target = torch.tensor(target) if torch_target is None else torch_target
    with np.errstate(all="raise", under="ignore"):
        out = ours(mine, target)
    expected = theirs(reference, torch_target)
    assert isinstance(out, Variable)
    assert out.shape == tuple(expected.shape)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data.data, expected.detach().numpy(), **TOL)
    upstream = np.random.default_rng(seed).normal(size=out.shape) if out.shape else np.array(1.0)
    with np.errstate(all="raise", under="ignore"):
        out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    assert np.all(np.isfinite(mine.grad.data.data))
    np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL)
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7,), (4, 3), (2, 3, 2)], ids=str)
def test_mse_matches_torch(reduction, shape):
    rng = np.random.default_rng(1)
    compare(MSELoss(reduction), torch.nn.MSELoss(reduction=reduction), rng.normal(size=shape), rng.normal(size=shape))


def test_mse_sends_gradients_to_a_variable_target_like_torch():
    rng = np.random.default_rng(2)
    p, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    ours_p, ours_y = Variable(p.copy()), Variable(y.copy())
    theirs_p, theirs_y = torch.tensor(p, requires_grad=True), torch.tensor(y, requires_grad=True)
    MSELoss()(ours_p, ours_y).backward()
    torch.nn.MSELoss()(theirs_p, theirs_y).backward()
    np.testing.assert_allclose(ours_y.grad.data.data, theirs_y.grad.numpy(), **TOL)
    np.testing.assert_allclose(ours_p.grad.data.data, theirs_p.grad.numpy(), **TOL)


def _logits(seed, n=6, c=5, scale=3.0):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=scale, size=(n, c)), rng.integers(0, c, size=n)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(reduction):
    logits, labels = _logits(3)
    compare(CrossEntropyLoss(reduction), torch.nn.CrossEntropyLoss(reduction=reduction), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_extreme_logits(reduction):
    """Logits of +-1000 (and a row of equal huge logits): finite, exact values and gradients, no warnings."""
    logits = np.array([
        [1000.0, -1000.0, 0.0],
        [-1000.0, 1000.0, 0.0],
        [-1000.0, -1000.0, -1000.0],
        [1000.0, 1000.0, -1000.0],
        [0.0, 0.0, 1e-12],
    ])
    labels = np.array([1, 1, 0, 0, 2])
    out = compare(CrossEntropyLoss(reduction), torch.nn.CrossEntropyLoss(reduction=reduction), logits, labels)
    if reduction == "none":
        np.testing.assert_allclose(out.data.data[:4], [2000.0, 0.0, np.log(3), np.log(2)], **TOL)


def test_cross_entropy_accepts_targets_in_several_forms():
    logits, labels = _logits(4)
    expected = CrossEntropyLoss()(logits, labels).item()
    for form in (labels.tolist(), labels.astype(np.int32), labels.astype(np.float64), Variable(labels)):
        assert CrossEntropyLoss()(logits, form).item() == pytest.approx(expected, rel=1e-15)
    for bad in (labels[:-1], labels + 0.5, np.where(labels == 0, 5, labels), -np.ones_like(labels)):
        with pytest.raises(ValueError):
            CrossEntropyLoss()(logits, bad)
    with pytest.raises(ValueError):
        CrossEntropyLoss()(logits[0], labels[0])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_log_softmax_matches_torch(axis):
    x = np.random.default_rng(5).normal(scale=5, size=(4, 6))
    x[1] = [1000.0, -1000.0, 0.0, 1000.0, -5.0, 3.0]
    mine, reference = Variable(x.copy()), torch.tensor(x, requires_grad=True)
    out, expected = log_softmax(mine, axis=axis), torch.log_softmax(reference, dim=axis)
    np.testing.assert_allclose(out.data.data, expected.detach().numpy(), **TOL)
    upstream = np.random.default_rng(6).normal(size=x.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL)


def test_softplus_matches_torch():
    x = np.array([-1000.0, -745.0, -40.0, -1.0, 0.0, 1e-8, 2.0, 40.0, 1000.0])
    mine, reference = Variable(x.copy()), torch.tensor(x, requires_grad=True)
    out, expected = softplus(mine), torch.nn.functional.softplus(reference)
    np.testing.assert_allclose(out.data.data, expected.detach().numpy(), rtol=1e-10, atol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL)


def _binary(seed, shape=(5, 3)):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.01, 0.99, size=shape), (rng.uniform(size=shape) < 0.5) * 1.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch(reduction):
    p, y = _binary(7)
    y[0] = [0.3, 0.5, 0.9]  # soft labels too
    compare(BCELoss(reduction), torch.nn.BCELoss(reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_at_zero_and_one_clamps_like_torch(reduction):
    """p of exactly 0 or 1, and nearly so: torch's -100 clamp on the log and 1e-12 floor in the backward."""
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-16, 1e-13, 0.5, 1e-7])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.7, 0.5, 0.0])
    compare(BCELoss(reduction), torch.nn.BCELoss(reduction=reduction), p, y)


def test_bce_rejects_values_outside_zero_one_like_torch():
    for bad in ([0.5, 1.5], [-0.1, 0.5], [np.nan, 0.5]):
        with pytest.raises(ValueError):
            BCELoss()(np.array(bad), np.array([1.0, 0.0]))
    with pytest.raises(RuntimeError):
        torch.nn.BCELoss()(torch.tensor([0.5, 1.5]), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError):
        BCELoss()(np.full((3, 1), 0.5), np.ones(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction):
    rng = np.random.default_rng(8)
    x = rng.normal(scale=4, size=(4, 5))
    y = rng.uniform(size=(4, 5))
    y[0] = [0.0, 1.0, 0.0, 1.0, 0.5]
    compare(BCEWithLogitsLoss(reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_extreme_logits(reduction):
    x = np.array([1000.0, 1000.0, -1000.0, -1000.0, 0.0, 0.0, 745.0, -745.0, 40.0, -40.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0])
    out = compare(BCEWithLogitsLoss(reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction), x, y)
    if reduction == "none":
        np.testing.assert_allclose(out.data.data[:4], [0.0, 1000.0, 1000.0, 0.0], **TOL)


def test_float32_losses_stay_float32():
    rng = np.random.default_rng(9)
    logits = Variable(rng.normal(size=(4, 3)).astype(np.float32))
    for loss, target in (
        (CrossEntropyLoss(), np.array([0, 2, 1, 1])),
        (MSELoss(), rng.normal(size=(4, 3))),
        (BCEWithLogitsLoss(), rng.uniform(size=(4, 3))),
        (BCELoss(), rng.uniform(size=(4, 3))),
    ):
        logits.zero_grad()
        prediction = logits.sigmoid() if isinstance(loss, BCELoss) else logits
        out = loss(prediction, target)
        assert out.dtype == np.float32, type(loss).__name__
        out.backward()
        assert logits.grad.dtype == np.float32, type(loss).__name__


def test_binary_cross_entropy_is_one_node_and_ignores_the_target_gradient():
    p = Variable(np.array([0.2, 0.7]))
    y = Variable(np.array([1.0, 0.0]))
    out = binary_cross_entropy(p, y)
    assert out._parents == (p,)
    out.sum().backward()
    assert y.grad is None


def test_reductions_are_validated_and_losses_print():
    for loss_class in (MSELoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss):
        with pytest.raises(ValueError):
            loss_class(reduction="avg")
        assert issubclass(loss_class, Loss)
        assert repr(loss_class("sum")) == f"{loss_class.__name__}(reduction='sum')"


def test_a_classifier_step_matches_torch():
    """A Linear layer plus CrossEntropyLoss, weights copied: the layer's gradients agree with torch's."""
    rng = np.random.default_rng(10)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(4, 3).double()
    ours = Linear(4, 3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x, labels = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    CrossEntropyLoss()(ours(x), labels).backward()
    torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(labels)).backward()
    np.testing.assert_allclose(ours.weight.grad.data.data, theirs.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(ours.bias.grad.data.data, theirs.bias.grad.numpy(), **TOL)
