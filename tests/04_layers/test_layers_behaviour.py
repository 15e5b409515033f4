"""What torch cannot check for us: initialisation statistics, dropout statistics and seeding, Module mechanics."""

import numpy as np
import pytest

from tinytorch.core.autograd import Variable
from tinytorch.core.layers import (
    INIT_SCHEMES,
    SELU,
    BatchNorm1d,
    Dropout,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    init_std,
)

EXPECTED_STD = {
    "he": lambda fan_in, fan_out: np.sqrt(2 / fan_in),
    "xavier": lambda fan_in, fan_out: np.sqrt(2 / (fan_in + fan_out)),
    "lecun": lambda fan_in, fan_out: np.sqrt(1 / fan_in),
    "normal": lambda fan_in, fan_out: 0.01,
}


@pytest.mark.parametrize("fans", [(300, 100), (100, 300), (512, 512)], ids=str)
@pytest.mark.parametrize("init", INIT_SCHEMES)
def test_init_variance_is_the_schemes(init, fans):
    """Is the weight variance within sampling error of the scheme's, with mean 0 and a normal shape?

    The sample variance of n normal draws has relative standard error sqrt(2 / n); we allow 6 of them.
    """
    fan_in, fan_out = fans
    std = EXPECTED_STD[init](fan_in, fan_out)
    assert init_std(init, fan_in, fan_out) == pytest.approx(std, rel=1e-12)
    weights = Linear(fan_in, fan_out, init=init, rng=11).weight.data.data
    n = weights.size
    assert weights.shape == (fan_out, fan_in)
    assert abs(weights.var() / std**2 - 1) < 6 * np.sqrt(2 / n)
    assert abs(weights.mean()) < 6 * std / np.sqrt(n)
    kurtosis = ((weights - weights.mean()) ** 4).mean() / weights.var() ** 2
    assert abs(kurtosis - 3) < 6 * np.sqrt(24 / n)  # a normal distribution, not a uniform one (1.8)


def test_init_rejects_unknown_schemes():
    with pytest.raises(ValueError, match="uniform"):
        Linear(3, 2, init="uniform")


def test_seeds_generators_and_dtypes():
    """An int seed reproduces weights; a shared Generator gives different layers; float32 weights round float64's."""
    a, b = Linear(5, 4, rng=3), Linear(5, 4, rng=3)
    np.testing.assert_array_equal(a.weight.data.data, b.weight.data.data)
    generator = np.random.default_rng(3)
    first, second = Linear(5, 4, rng=generator), Linear(5, 4, rng=generator)
    np.testing.assert_array_equal(first.weight.data.data, a.weight.data.data)
    assert not np.array_equal(first.weight.data.data, second.weight.data.data)
    single = Linear(5, 4, rng=3, dtype=np.float32)
    assert single.weight.dtype == single.bias.dtype == np.float32
    np.testing.assert_array_equal(single.weight.data.data, a.weight.data.data.astype(np.float32))
    assert np.all(a.bias.data.data == 0)


@pytest.mark.parametrize("layer", [Linear(4, 4, dtype=np.float32, rng=0), ReLU(), Sigmoid(), Tanh(), SELU(),
                                   Softmax(), Dropout(0.3, rng=0), BatchNorm1d(4, dtype=np.float32)],
                         ids=lambda layer: type(layer).__name__)
def test_float32_stays_float32(layer):
    x = Variable(np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32))
    out = layer(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_statistics(p):
    """Kept fraction 1 - p within 6 standard errors; kept values x / (1 - p); the mean is preserved."""
    dropout = Dropout(p, rng=int(p * 10))
    x = np.full((400, 250), 3.0)
    out = dropout(x).data.data
    kept = out != 0
    n = x.size
    assert abs(kept.mean() - (1 - p)) < 6 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[kept], 3.0 / (1 - p), rtol=1e-12)
    assert abs(out.mean() / 3.0 - 1) < 6 * np.sqrt(p / ((1 - p) * n))


def test_dropout_masks_are_independent_across_calls_and_elements():
    dropout = Dropout(0.5, rng=0)
    first = dropout(np.ones((200, 200))).data.data != 0
    second = dropout(np.ones((200, 200))).data.data != 0
    both = (first & second).mean()
    assert abs(both - 0.25) < 6 * np.sqrt(0.25 * 0.75 / first.size)
    assert abs(np.corrcoef(first[:, :-1].ravel(), first[:, 1:].ravel())[0, 1]) < 0.02


def test_dropout_seeding_and_modes():
    x = np.ones((30, 30))
    np.testing.assert_array_equal(Dropout(0.4, rng=7)(x).data.data, Dropout(0.4, rng=7)(x).data.data)
    assert not np.array_equal(Dropout(0.4, rng=7)(x).data.data, Dropout(0.4, rng=8)(x).data.data)
    model = Sequential(Linear(30, 30, rng=0), Dropout(0.4, rng=1))
    model.eval()
    np.testing.assert_array_equal(model(x).data.data, model(x).data.data)
    model.train()
    assert not np.array_equal(model(x).data.data, model(x).data.data)
    with pytest.raises(ValueError):
        Dropout(1.5)
    with pytest.raises(ValueError):
        Dropout(-0.1)


class Tree(Module):
    def __init__(self):
        self.head = Sequential(Linear(2, 3, rng=0), Dropout(0.5))
        self.scales = [Parameter(np.ones(3)), Parameter(np.zeros(3))]
        self.pair = (BatchNorm1d(3), Linear(3, 1, rng=1))
        self.note = "not a member"

    def forward(self, x):
        h = self.head(x) * self.scales[0] + self.scales[1]
        return self.pair[1](self.pair[0](h))


def test_module_tree_names_modes_and_lists():
    tree = Tree()
    assert [name for name, _ in tree.named_modules()] == ["", "head", "head.0", "head.1", "pair.0", "pair.1"]
    assert [name for name, _ in tree.named_parameters()] == [
        "scales.0", "scales.1", "head.0.weight", "head.0.bias", "pair.0.weight", "pair.0.bias",
        "pair.1.weight", "pair.1.bias",
    ]
    assert list(tree.state_dict())[-5:] == [
        "pair.0.running_mean", "pair.0.running_var", "pair.0.num_batches_tracked", "pair.1.weight", "pair.1.bias",
    ]
    assert tree.train() is tree and tree.eval() is tree
    assert not any(module.training for _, module in tree.named_modules())
    tree.train()
    assert all(module.training for _, module in tree.named_modules())
    out = tree(np.ones((4, 2))).sum()
    out.backward()
    assert all(p.grad is not None for p in tree.parameters())
    tree.zero_grad()
    assert all(p.grad is None for p in tree.parameters())


def test_load_state_dict_is_in_place_cast_and_atomic():
    tree = Tree()
    weight = tree.head[0].weight.data.data
    running = tree.pair[0].running_mean
    state = {name: value + 1 for name, value in tree.state_dict().items()}
    state["pair.0.num_batches_tracked"] = np.array(7.0)
    tree.load_state_dict(state)
    assert tree.head[0].weight.data.data is weight and tree.pair[0].running_mean is running
    np.testing.assert_array_equal(weight, state["head.0.weight"])
    assert tree.pair[0].num_batches_tracked.dtype == np.int64 and int(tree.pair[0].num_batches_tracked) == 7

    snapshot = tree.state_dict()
    for broken in (
        {k: v for k, v in state.items() if k != "scales.1"},
        {**state, "head.2.weight": np.zeros(1)},
        {**state, "pair.1.weight": np.zeros((3, 1))},
    ):
        with pytest.raises(ValueError):
            tree.load_state_dict(broken)
        for name, value in tree.state_dict().items():
            np.testing.assert_array_equal(value, snapshot[name])


def test_state_dict_is_a_copy():
    layer = BatchNorm1d(2)
    state = layer.state_dict()
    layer(np.array([[1.0, 2.0], [3.0, 5.0]]))
    assert np.all(state["running_mean"] == 0) and int(state["num_batches_tracked"]) == 0
    assert all(isinstance(value, np.ndarray) for value in state.values())


def test_module_without_forward_and_subclass_without_init():
    class Empty(Module):
        pass

    empty = Empty()
    assert empty.training is True and empty.parameters() == [] and empty.state_dict() == {}
    with pytest.raises(NotImplementedError):
        empty(1.0)


def test_sequential_helpers_and_repr():
    model = Sequential([Linear(2, 2, rng=0), ReLU()])
    assert len(model) == 2 and isinstance(model[0], Linear) and [type(m) for m in model] == [Linear, ReLU]
    model.append(Linear(2, 1, rng=1))
    assert [name for name, _ in model.named_parameters()][-1] == "2.bias"
    assert "(0): Linear(in_features=2, out_features=2, bias=True)" in repr(model)
    assert repr(Parameter(np.zeros(1))).startswith("Parameter(")
    with pytest.raises(TypeError):
        Sequential(lambda x: x)


def test_selu_is_self_normalising():
    """SELU keeps mean 0 and variance 1 for standard normal inputs (to sampling error)."""
    x = np.random.default_rng(0).standard_normal(1_000_000)
    y = SELU()(x).data.data
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01
