"""Every layer against its torch.nn twin: same weights, float64, forward values and gradients to 1e-10."""

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.layers import (
    SELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)

TOL = dict(rtol=1e-10, atol=1e-10)


def copy_weights(ours, theirs):
    """Load torch's float64 state_dict into our module (the keys must agree)."""
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})


def run_both(ours, theirs, x, seed=0):
    """Forward the same input through both, backward the same random upstream gradient; return the pairs."""
    mine = Variable(x.copy())
    reference = torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(reference)
    assert isinstance(out, Variable)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data.data, expected.detach().numpy(), **TOL)
    upstream = np.random.default_rng(seed + 100).normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL)
    return out, expected


def assert_parameter_grads_match(ours, theirs):
    named_ours, named_theirs = ours.named_parameters(), list(theirs.named_parameters())
    assert [name for name, _ in named_ours] == [name for name, _ in named_theirs]
    for (name, mine), (_, reference) in zip(named_ours, named_theirs):
        assert mine.grad is not None, f"{name} got no gradient"
        assert mine.grad.shape == tuple(reference.shape)
        np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL, err_msg=name)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)], ids=str)
def test_linear_matches_torch(bias, shape):
    """Does Linear give torch.nn.Linear's output and input, weight and bias gradients, for any leading axes?"""
    torch.manual_seed(0)
    theirs = torch.nn.Linear(4, 3, bias=bias).double()
    ours = Linear(4, 3, bias=bias, rng=0)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (3, 4)
    copy_weights(ours, theirs)
    run_both(ours, theirs, np.random.default_rng(1).normal(size=shape))
    assert_parameter_grads_match(ours, theirs)


ACTIVATIONS = {
    "ReLU": (ReLU, torch.nn.ReLU),
    "Sigmoid": (Sigmoid, torch.nn.Sigmoid),
    "Tanh": (Tanh, torch.nn.Tanh),
    "SELU": (SELU, torch.nn.SELU),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_match_torch(name):
    """Do the element-wise activations match torch, including at 0 and at +-1000?"""
    ours, theirs = ACTIVATIONS[name]
    x = np.concatenate([np.random.default_rng(2).normal(scale=3, size=20), [0.0, -1000.0, 1000.0, -30.0, 30.0]])
    with np.errstate(over="raise", invalid="raise"):
        run_both(ours(), theirs(), x.reshape(5, 5))


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_matches_torch(axis):
    """Does Softmax(axis) match torch.nn.Softmax(dim), values and gradients, also for logits of +-1000?"""
    x = np.random.default_rng(3).normal(scale=4, size=(4, 5))
    x[0, :2] = [1000.0, -1000.0]
    x[:, 3] = 1000.0
    with np.errstate(over="raise", invalid="raise"):
        out, _ = run_both(Softmax(axis=axis), torch.nn.Softmax(dim=axis), x)
    np.testing.assert_allclose(out.data.data.sum(axis=axis), 1.0, **TOL)


def test_flatten_matches_torch():
    run_both(Flatten(), torch.nn.Flatten(), np.random.default_rng(4).normal(size=(3, 2, 4)))


def test_batchnorm_training_steps_match_torch():
    """Over several training batches: outputs, all gradients, running statistics and the batch counter."""
    rng = np.random.default_rng(5)
    theirs = torch.nn.BatchNorm1d(4, eps=1e-3, momentum=0.2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.normal(size=4)))
        theirs.bias.copy_(torch.tensor(rng.normal(size=4)))
    ours = BatchNorm1d(4, eps=1e-3, momentum=0.2)
    copy_weights(ours, theirs)
    for step in range(4):
        x = rng.normal(loc=[0.0, 3.0, -2.0, 10.0], scale=[1.0, 0.1, 5.0, 2.0], size=(6 + step, 4))
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, x, seed=step)
        assert_parameter_grads_match(ours, theirs)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **TOL)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), **TOL)
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == step + 1

    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    before = ours.state_dict()
    run_both(ours, theirs, rng.normal(size=(3, 4)), seed=9)
    assert_parameter_grads_match(ours, theirs)
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=f"eval mode changed {name}")


def test_batchnorm_cumulative_average_matches_torch():
    """momentum=None: torch keeps a plain average of the batch statistics; so do we."""
    rng = np.random.default_rng(6)
    theirs = torch.nn.BatchNorm1d(3, momentum=None).double()
    ours = BatchNorm1d(3, momentum=None)
    for step in range(5):
        run_both(ours, theirs, rng.normal(loc=step, size=(4, 3)), seed=step)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **TOL)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), **TOL)


def test_batchnorm_eval_before_training_matches_torch():
    ours, theirs = BatchNorm1d(3).eval(), torch.nn.BatchNorm1d(3).double().eval()
    run_both(ours, theirs, np.random.default_rng(7).normal(size=(2, 3)))


def test_batchnorm_rejects_a_single_training_example_like_torch():
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(3).double()(torch.ones(1, 3, dtype=torch.float64))
    with pytest.raises(ValueError):
        BatchNorm1d(3)(np.ones((1, 3)))
    BatchNorm1d(3).eval()(np.ones((1, 3)))  # fine in eval mode, as in torch


def _pair_of_models():
    torch.manual_seed(1)
    theirs = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(6, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 8, bias=False),
        torch.nn.SELU(),
        torch.nn.Linear(8, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 3),
        torch.nn.Softmax(dim=-1),
    ).double()
    ours = Sequential(
        Flatten(), Linear(6, 8), BatchNorm1d(8), ReLU(), Linear(8, 8, bias=False), SELU(),
        Linear(8, 5), Tanh(), Linear(5, 3), Softmax(),
    )
    return ours, theirs


def test_parameters_and_state_dict_keys_follow_torch():
    """Same architecture: same parameter names, order, count and shapes; same state_dict keys in order."""
    ours, theirs = _pair_of_models()
    names = [name for name, _ in theirs.named_parameters()]
    assert [name for name, _ in ours.named_parameters()] == names
    assert len(ours.parameters()) == len(list(theirs.parameters())) == 9
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(isinstance(p, Parameter) and p.requires_grad for p in ours.parameters())


def test_a_whole_model_matches_torch_in_train_and_eval():
    """A deep mixed Sequential, weights copied from torch: outputs and every gradient, in both modes."""
    ours, theirs = _pair_of_models()
    copy_weights(ours, theirs)
    rng = np.random.default_rng(8)
    for step in range(2):
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, rng.normal(size=(7, 2, 3)), seed=step)
        assert_parameter_grads_match(ours, theirs)
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    run_both(ours, theirs, rng.normal(size=(3, 2, 3)), seed=5)
    assert_parameter_grads_match(ours, theirs)
    state = ours.state_dict()
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(state[name], value.numpy(), **TOL, err_msg=name)


def test_state_dict_round_trip_from_tinytorch_to_torch():
    """Our state_dict loads into torch (torch.from_numpy) and gives the same outputs there."""
    ours, theirs = _pair_of_models()
    rng = np.random.default_rng(9)
    for _ in range(3):
        ours(rng.normal(size=(5, 6)))  # move the running statistics away from their initial values
    theirs.load_state_dict({name: torch.from_numpy(value) for name, value in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, rng.normal(size=(4, 6)))


class Residual(Module):
    """A custom module mixing an own parameter, a child, and a list of children."""

    def __init__(self, rng):
        self.inner = Linear(4, 4, rng=rng)
        self.gate = Parameter(np.full(4, 0.5))
        self.blocks = [Linear(4, 4, rng=rng), BatchNorm1d(4)]

    def forward(self, x):
        h = self.inner(x).tanh()
        for block in self.blocks:
            h = block(h)
        return x + h * self.gate


class TorchResidual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = torch.nn.Linear(4, 4)
        self.gate = torch.nn.Parameter(torch.full((4,), 0.5, dtype=torch.float64))
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4)])

    def forward(self, x):
        h = torch.tanh(self.inner(x))
        for block in self.blocks:
            h = block(h)
        return x + h * self.gate


def test_custom_module_with_a_list_of_layers_matches_torch():
    """Own parameters before children's, lists named "blocks.0": the order torch's ModuleList gives."""
    ours, theirs = Residual(np.random.default_rng(0)), TorchResidual().double()
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    torch_modules = [name for name, m in theirs.named_modules() if not isinstance(m, torch.nn.ModuleList)]
    assert [name for name, _ in ours.named_modules()] == torch_modules  # a plain list is not a module of its own
    copy_weights(ours, theirs)
    run_both(ours, theirs, np.random.default_rng(1).normal(size=(6, 4)))
    assert_parameter_grads_match(ours, theirs)
    ours.eval()
    theirs.eval()
    assert [m.training for _, m in ours.named_modules()] == [False] * 4
    assert [m.training for m in theirs.modules()] == [False] * 5


def test_shared_layer_is_listed_once_like_torch():
    layer, torch_layer = Linear(3, 3, rng=0), torch.nn.Linear(3, 3).double()
    ours, theirs = Sequential(layer, ReLU(), layer), torch.nn.Sequential(torch_layer, torch.nn.ReLU(), torch_layer)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == ["0.weight", "0.bias"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_weights(ours, theirs)
    run_both(ours, theirs, np.random.default_rng(2).normal(size=(4, 3)))
    assert_parameter_grads_match(ours, theirs)


def test_dropout_gradient_uses_the_forward_mask_like_torch():
    """Dropout's mask cannot match torch's RNG, but given our mask, torch's formula x * mask / (1 - p) agrees."""
    x = np.random.default_rng(3).normal(size=(50, 40)) + 5.0  # never zero, so kept entries are visible
    ours = Dropout(0.25, rng=4)
    mine = Variable(x.copy())
    out = ours(mine)
    kept = out.data.data != 0
    reference = torch.tensor(x, requires_grad=True)
    expected = reference * torch.tensor(kept.astype(np.float64)) / 0.75
    np.testing.assert_allclose(out.data.data, expected.detach().numpy(), **TOL)
    upstream = np.random.default_rng(5).normal(size=x.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL)
    assert torch.nn.Dropout(0.25).eval()(reference).data_ptr() == reference.data_ptr()
    ours.eval()
    assert ours(mine) is mine  # the identity, like torch in eval mode
