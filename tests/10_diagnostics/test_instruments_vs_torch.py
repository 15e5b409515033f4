"""The instruments against PyTorch: each parameter's gradient norm after a backward pass of cross-entropy, and each
layer's activation statistics and saturation, computed by torch on a network with the same weights; update
ratios and dead units against their definitions; LayerMonitor against the same steps taken by hand."""

import math

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.data import DataLoader, TensorDataset
from tinytorch.core.diagnostics import (
    LayerMonitor,
    activation_statistics,
    dead_relu_fraction,
    gradient_norms,
    parameter_values,
    update_ratios,
)
from tinytorch.core.layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.training import Trainer

ACTIVATIONS = {"ReLU": (ReLU, torch.nn.ReLU), "Sigmoid": (Sigmoid, torch.nn.Sigmoid), "Tanh": (Tanh, torch.nn.Tanh)}


def twins(widths, activation, seed, scale=1.0):
    """The same MLP in tinytorch and in torch (float64), weights scaled by `scale`."""
    ours, theirs = [], []
    for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        layer = Linear(fan_in, fan_out, rng=seed + index)
        layer.weight.data.data[...] *= scale
        layer.bias.data.data[...] = np.random.default_rng(seed + 50 + index).normal(scale=0.3, size=fan_out)
        twin = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
        with torch.no_grad():
            twin.weight.copy_(torch.from_numpy(layer.weight.data.data))
            twin.bias.copy_(torch.from_numpy(layer.bias.data.data))
        ours.append(layer)
        theirs.append(twin)
        if index < len(widths) - 2:
            ours.append(ACTIVATIONS[activation][0]())
            theirs.append(ACTIVATIONS[activation][1]())
    return Sequential(*ours), torch.nn.Sequential(*theirs)


CASES = [([4, 16, 16, 3], "ReLU", 0, 1.0), ([6, 12, 12, 12, 5], "Tanh", 1, 2.5), ([3, 10, 10, 2], "Sigmoid", 2, 4.0),
         ([8, 32, 32, 32, 32, 10], "ReLU", 3, 0.5)]


@pytest.mark.parametrize("widths, activation, seed, scale", CASES)
def test_gradient_norms_match_torch(widths, activation, seed, scale):
    """Does each parameter's gradient norm equal the norm of torch's gradient of the same network and loss?"""
    model, twin = twins(widths, activation, seed, scale)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(25, widths[0])), rng.integers(0, widths[-1], size=25)
    CrossEntropyLoss()(model(Variable(x, requires_grad=False)), y).backward()
    torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    got = gradient_norms(model)
    expected = {name: float(parameter.grad.norm()) for name, parameter in twin.named_parameters()}
    assert list(got) == list(expected)
    for name, value in expected.items():
        assert math.isclose(got[name], value, rel_tol=1e-10), (name, got[name], value)
        assert type(got[name]) is float


@pytest.mark.parametrize("widths, activation, seed, scale", CASES)
def test_activation_statistics_match_torch(widths, activation, seed, scale):
    """Are each layer's mean, standard deviation and saturation those of torch's outputs (saturation by the
    derivative torch.autograd computes: below 1% of its largest)?"""
    model, twin = twins(widths, activation, seed, scale)
    x = np.random.default_rng(seed + 9).normal(size=(40, widths[0]))
    got = activation_statistics(model, x)
    out = torch.from_numpy(x)
    for index, layer in enumerate(twin):
        inputs = out.detach().requires_grad_(True)
        out = layer(inputs)
        stats = got[str(index)]
        assert stats["layer"] == type(layer).__name__
        assert math.isclose(stats["mean"], float(out.detach().mean()), rel_tol=1e-10, abs_tol=1e-14)
        assert math.isclose(stats["std"], float(out.detach().std(unbiased=False)), rel_tol=1e-10)
        if isinstance(layer, torch.nn.Linear):
            assert math.isnan(stats["saturated"])
            continue
        (derivative,) = torch.autograd.grad(out.sum(), inputs)  # element-wise: the activation's derivative
        largest = {"ReLU": 1.0, "Sigmoid": 0.25, "Tanh": 1.0}[activation]
        blocked = derivative < 0.01 * largest
        if activation == "ReLU":  # torch's ReLU passes 0 at 0 too
            blocked = out <= 0
        assert math.isclose(stats["saturated"], float(blocked.double().mean()), rel_tol=1e-12), (index, stats)


def test_saturation_grows_with_the_scale_of_the_weights():
    """Does saturation rise from near 0 to most outputs as tanh's inputs grow?"""
    x = np.random.default_rng(0).normal(size=(200, 10))
    fractions = []
    for scale in (0.1, 1.0, 10.0):
        model, _ = twins([10, 50, 50, 2], "Tanh", 4, scale)
        fractions.append(activation_statistics(model, x)["3"]["saturated"])
    assert fractions[0] == 0.0 < fractions[1] < 0.05 and fractions[2] > 0.8, fractions


def test_dead_units_follow_the_biases():
    """With hidden biases far below 0 every unit is dead; far above, none; in between, some."""
    x = np.random.default_rng(1).normal(size=(64, 5))
    fractions = []
    for bias in (-50.0, 0.0, 50.0):
        model, _ = twins([5, 20, 3], "ReLU", 0)
        model[0].bias.data.data[...] = bias
        fractions.append(dead_relu_fraction(model, x)["1"])
    assert fractions[0] == 1.0 and fractions[2] == 0.0 and fractions[1] < 0.2, fractions
    model, _ = twins([5, 20, 3], "ReLU", 0)
    model[0].bias.data.data[:5] = -50.0
    assert dead_relu_fraction(model, x)["1"] == 0.25


def test_update_ratio_of_sgd_is_the_rate_times_the_gradient_over_the_weight():
    """For plain SGD one step changes w by lr * grad: the ratio is lr * ||grad|| / ||w||."""
    model, _ = twins([4, 8, 3], "ReLU", 5)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(10, 4)), rng.integers(0, 3, size=10)
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.03))
    before = parameter_values(model)
    trainer.train_step(x, y)
    got, norms = update_ratios(before, model), gradient_norms(model)
    for name, value in before.items():
        assert math.isclose(got[name], 0.03 * norms[name] / np.linalg.norm(value), rel_tol=1e-9), name


def test_adam_ratios_sit_near_the_rate_over_the_weights_scale():
    """Adam's first step moves every entry by about the rate: the ratio is about lr / rms(w)."""
    model, _ = twins([20, 40, 3], "ReLU", 6)
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(30, 20)), rng.integers(0, 3, size=30)
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=1e-3))
    before = parameter_values(model)
    trainer.train_step(x, y)
    ratio = update_ratios(before, model)["0.weight"]
    expected = 1e-3 / np.sqrt(np.mean(before["0.weight"] ** 2))
    assert 0.9 * expected < ratio < 1.0001 * expected, (ratio, expected)


def test_layer_monitor_records_what_the_instruments_measure_at_each_step():
    """Does LayerMonitor(every=3) hold, at steps 3, 6, ..., the gradient norms and update ratios of those steps?"""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    model, _ = twins([4, 8, 8, 3], "ReLU", 7)
    twin, _ = twins([4, 8, 8, 3], "ReLU", 7)
    monitor = LayerMonitor(every=3)
    Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01)).fit(
        DataLoader(TensorDataset(x, y), batch_size=5), epochs=2, callbacks=[monitor], verbose=0)
    assert monitor.steps == [3, 6, 9, 12]
    trainer = Trainer(twin, CrossEntropyLoss(), Adam(twin.parameters(), learning_rate=0.01))
    for step, (inputs, targets) in enumerate(list(DataLoader(TensorDataset(x, y), batch_size=5)) * 2, start=1):
        before = parameter_values(twin)
        trainer.train_step(inputs, targets)
        if step % 3 == 0:
            position = monitor.steps.index(step)
            for name, value in gradient_norms(twin).items():
                assert monitor.grad_norms[name][position] == pytest.approx(value, rel=1e-12)
            for name, value in update_ratios(before, twin).items():
                assert monitor.update_ratios[name][position] == pytest.approx(value, rel=1e-12, nan_ok=True)
    with pytest.raises(ValueError, match="every"):
        LayerMonitor(every=0)


def test_instruments_need_a_sequential():
    with pytest.raises(ValueError, match="Sequential"):
        activation_statistics(Linear(2, 2, rng=0), np.zeros((1, 2)))
