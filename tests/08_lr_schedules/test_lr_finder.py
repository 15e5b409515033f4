"""The learning-rate finder: the exponential sweep, bias-corrected smoothing, the divergence stop, the exact restore
of the model and optimizer, the two suggestions on curves with known answers, and the accuracy the lesson states
for digits and MNIST-1D when its rate is used with a schedule."""

import math

import numpy as np
import pytest

from tinytorch.core.data import DataLoader, TensorDataset, load_digits, load_mnist1d
from tinytorch.core.layers import BatchNorm1d, Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.schedulers import LRFinderResult, OneCycleLR, find_learning_rate, suggest_learning_rates
from tinytorch.core.training import Trainer


def regression_trainer(seed=0, learning_rate=0.05):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 4))
    y = x @ rng.normal(size=(4, 1)) + 0.05 * rng.normal(size=(64, 1))
    model = Linear(4, 1, rng=seed)
    return Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=learning_rate)), \
        DataLoader(TensorDataset(x, y), batch_size=16)


def test_the_sweep_is_exponential_and_cycles_through_the_loader():
    trainer, loader = regression_trainer()
    result = find_learning_rate(trainer, loader, min_lr=1e-5, max_lr=1e-1, steps=20, diverge_factor=math.inf)
    assert isinstance(result, LRFinderResult) and not result.diverged
    np.testing.assert_allclose(result.learning_rates, [1e-5 * 10 ** (4 * i / 20) for i in range(20)], rtol=1e-12)
    ratios = np.array(result.learning_rates[1:]) / np.array(result.learning_rates[:-1])
    np.testing.assert_allclose(ratios, (1e-1 / 1e-5) ** (1 / 20), rtol=1e-12)
    twin, twin_loader = regression_trainer()
    batches = list(twin_loader)
    expected = []
    for i, rate in enumerate(result.learning_rates):
        twin.optimizer.learning_rate = rate
        expected.append(twin.train_step(*batches[i % len(batches)]).loss)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.9, 0.98])
def test_smoothing_is_a_bias_corrected_moving_average(smoothing):
    trainer, loader = regression_trainer(1)
    result = find_learning_rate(trainer, loader, min_lr=1e-4, max_lr=1e-1, steps=15, smoothing=smoothing,
                                diverge_factor=math.inf)
    average, expected = 0.0, []
    for t, loss in enumerate(result.losses, start=1):
        average = smoothing * average + (1 - smoothing) * loss
        expected.append(average / (1 - smoothing**t))
    np.testing.assert_allclose(result.smoothed_losses, expected, rtol=1e-12)
    assert result.smoothed_losses[0] == pytest.approx(result.losses[0], rel=1e-12), "no bias towards 0 at the start"


def test_the_sweep_stops_at_the_first_diverging_loss():
    """Stop at the first smoothed loss above diverge_factor x the lowest before it; every earlier one is below."""
    for factor, smoothing in ((4.0, 0.0), (4.0, 0.8), (2.0, 0.5)):
        trainer, loader = regression_trainer(2)
        result = find_learning_rate(trainer, loader, min_lr=1e-3, max_lr=1e4, steps=100, smoothing=smoothing,
                                    diverge_factor=factor)
        smoothed = result.smoothed_losses
        assert result.diverged and len(smoothed) < 100
        assert smoothed[-1] > factor * min(smoothed[:-1]) or not math.isfinite(result.losses[-1])
        assert all(smoothed[i] <= factor * min(smoothed[:i]) for i in range(1, len(smoothed) - 1))


def test_a_loss_that_is_not_finite_stops_the_sweep():
    """With an infinite diverge_factor, only a nan or inf loss stops the sweep, on the step that produced it."""
    trainer, loader = regression_trainer(3)
    result = find_learning_rate(trainer, loader, min_lr=1e-2, max_lr=1e40, steps=200, diverge_factor=math.inf)
    assert result.diverged and not math.isfinite(result.losses[-1])
    assert all(math.isfinite(loss) for loss in result.losses[:-1])
    assert np.all(np.isfinite(trainer.model.weight.data.data)), "the weights are restored after a nan"


def test_the_model_and_optimizer_are_restored_bit_for_bit():
    """Weights, BatchNorm buffers, Adam's state and step counts and the rate: identical after a diverging sweep,
    and training continues exactly as without the sweep. Also when a step raises."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(60, 6)), rng.integers(0, 4, size=60)

    def make():
        model = Sequential(Linear(6, 16, rng=1), BatchNorm1d(16), ReLU(), Linear(16, 4, rng=2))
        return Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01, amsgrad=True))

    trainer, twin = make(), make()
    for start in (0, 20, 40):
        trainer.train_step(x[start:start + 20], y[start:start + 20])
        twin.train_step(x[start:start + 20], y[start:start + 20])
    result = find_learning_rate(trainer, DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True, seed=0),
                                min_lr=1e-4, max_lr=1e6, steps=80)
    assert result.diverged

    def same(a, b):
        model_a, model_b = a.model.state_dict(), b.model.state_dict()
        assert model_a.keys() == model_b.keys()
        assert all(np.array_equal(model_a[name], model_b[name]) for name in model_a)
        state_a, state_b = a.optimizer.state_dict(), b.optimizer.state_dict()
        assert state_a["hyperparameters"] == state_b["hyperparameters"]
        assert state_a["state"].keys() == state_b["state"].keys()
        for index, buffers in state_b["state"].items():
            for key, value in buffers.items():
                assert np.array_equal(state_a["state"][index][key], value), (index, key)

    same(trainer, twin)
    for _ in range(3):
        assert trainer.train_step(x[:30], y[:30]).loss == twin.train_step(x[:30], y[:30]).loss
    same(trainer, twin)

    class Breaking:
        def __len__(self):
            return 2

        def __iter__(self):
            yield x[:20], y[:20]
            yield x[:20, :3], y[:20]

    with pytest.raises(Exception):
        find_learning_rate(trainer, Breaking(), min_lr=1.0, max_lr=100.0, steps=10)
    same(trainer, twin)


def dip(exponents, centre=-2.0, width=0.5):
    return 1.0 - np.exp(-((exponents - centre) ** 2) / (2 * width**2))


@pytest.mark.parametrize("centre, width", [(-2.0, 0.5), (-3.0, 0.4), (-1.0, 0.7)])
def test_suggestions_on_curves_with_known_answers(centre, width):
    """A Gaussian dip in log10(rate): the steepest fall is at centre - width, the minimum at the centre."""
    exponents = np.round(np.arange(-6.0, 0.51, 0.1), 10)
    steepest, tenth = suggest_learning_rates(10.0**exponents, dip(exponents, centre, width))
    assert steepest == pytest.approx(10 ** (centre - width), rel=1e-9)
    assert tenth == pytest.approx(10 ** (centre - 1), rel=1e-9)


def test_suggestions_ignore_the_first_points_the_rise_and_what_is_not_finite():
    exponents = np.round(np.arange(-5.0, 0.01, 0.1), 10)
    losses = dip(exponents)
    losses[:4] += [2.0, 1.0, 0.5, 0.1]  # one-batch noise at the start
    rates = list(10.0**exponents) + [3.0, 6.0, 9.0]
    losses = list(losses) + [4.0, 0.5, math.nan]  # a spike that falls back, then nan
    assert suggest_learning_rates(rates, losses) == pytest.approx((10**-2.5, 10**-3), rel=1e-9)
    assert suggest_learning_rates(rates, losses, skip_start=0)[0] == pytest.approx(rates[0], rel=1e-12)
    with pytest.raises(ValueError):
        suggest_learning_rates([1e-3, 1e-2, 1e-1], [1.0, math.nan, math.inf], skip_start=0)


def test_the_figure_marks_both_suggestions():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trainer, loader = regression_trainer(5)
    result = find_learning_rate(trainer, loader, min_lr=1e-4, max_lr=1e3, steps=60)
    ax = result.plot()
    assert ax.get_xscale() == "log"
    marked = {line.get_xdata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2}
    assert marked == {result.steepest_lr, result.min_div_10_lr}
    plt.close("all")


def mlp(inputs, hidden, classes, seed=0):
    return Sequential(Linear(inputs, hidden, rng=seed), ReLU(), Linear(hidden, hidden, rng=seed + 1), ReLU(),
                      Linear(hidden, classes, rng=seed + 2))


def finder_then_one_cycle(data, inputs, rate_rule, epochs, batch_size=64):
    model = mlp(inputs, 128, 10)
    sweep = find_learning_rate(Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=1e-3)),
                               DataLoader(TensorDataset(*data.train), batch_size=batch_size, shuffle=True, seed=0),
                               min_lr=1e-5, max_lr=10.0, steps=100)
    rate = rate_rule(sweep)
    optimizer = Adam(model.parameters(), learning_rate=rate)
    loader = DataLoader(TensorDataset(*data.train), batch_size=batch_size, shuffle=True, seed=0)
    trainer = Trainer(model, CrossEntropyLoss(), optimizer, scheduler_interval="batch",
                      scheduler=OneCycleLR(optimizer, max_lr=rate, epochs=epochs, steps_per_epoch=len(loader)))
    trainer.fit(loader, epochs=epochs, verbose=0)
    return sweep, trainer.evaluate(DataLoader(TensorDataset(*data.test), batch_size=500))["accuracy"]


def test_digits_reach_97_percent_with_the_finders_rate_and_one_cycle():
    """The lesson's digits run: the steepest-descent rate as the peak of 15 epochs of one-cycle."""
    sweep, accuracy = finder_then_one_cycle(load_digits(), 64, lambda sweep: sweep.steepest_lr, epochs=15)
    assert 1e-3 < sweep.steepest_lr < 0.1 and sweep.diverged
    assert accuracy >= 0.97, f"{accuracy:.1%}"


def test_mnist1d_figures_of_the_lesson():
    """The lesson's MNIST-1D numbers (15 epochs): one-cycle peaking at the minimum / 10 rate reaches at least 65%
    test accuracy; Adam at a constant 1e-3 stays near 55%."""
    data = load_mnist1d()
    sweep, one_cycle = finder_then_one_cycle(data, 40, lambda sweep: sweep.min_div_10_lr, epochs=15)
    assert one_cycle >= 0.65, f"{one_cycle:.1%}"
    model = mlp(40, 128, 10)
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=1e-3))
    trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=64, shuffle=True, seed=0), epochs=15, verbose=0)
    default = trainer.evaluate(DataLoader(TensorDataset(*data.test), batch_size=500))["accuracy"]
    assert 0.52 <= default <= 0.58 and one_cycle > default + 0.08, (default, one_cycle)
