"""checkup: it names each planted fault (a softmax before cross-entropy, a frozen first layer, a rate far too high,
saturating and dead initialisations) and nothing on healthy models, at several seeds; its measurements are the
instruments' own; it restores the model and the optimizer exactly; the report prints and draws."""

import math

import matplotlib
import numpy as np
import pytest

from tinytorch.core.data import make_spiral
from tinytorch.core.diagnostics import PROBLEMS, CheckupReport, activation_statistics, checkup, gradient_norms
from tinytorch.core.layers import Linear, ReLU, Sequential, Softmax, Tanh
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.training import Trainer

matplotlib.use("Agg")
DATA = make_spiral(samples_per_arm=100, arms=3, noise=0.1, seed=0).train


def mlp(seed=0, activation=ReLU, hidden=32):
    return Sequential(Linear(2, hidden, rng=seed), activation(), Linear(hidden, hidden, rng=seed + 1), activation(),
                      Linear(hidden, 3, rng=seed + 2))


def planted(fault, seed=0):
    """(model, loss, optimizer, the problem checkup must name)."""
    model = mlp(seed, Tanh if fault == "saturated" else ReLU)
    parameters = model.parameters()
    expected = None
    if fault == "softmax":
        model.append(Softmax())
        expected = ("cannot_overfit", "")
    elif fault == "frozen":
        parameters = parameters[2:]
        expected = ("frozen_layer", "0.weight")
    elif fault == "saturated":
        for layer in (model[0], model[2]):
            layer.weight.data.data[...] *= 8.0
        expected = ("saturated", "3")
    elif fault == "dead":
        model[2].bias.data.data[...] = -5.0
        expected = ("dead_relus", "3")
    if fault == "rate":
        return model, CrossEntropyLoss(), SGD(parameters, learning_rate=10.0, momentum=0.9), ("lr_too_high", "")
    return model, CrossEntropyLoss(), Adam(parameters, learning_rate=0.01), expected


def problems(report):
    return [(found["problem"], found["where"]) for found in report.problems]


@pytest.mark.parametrize("seed", [0, 7, 21])
@pytest.mark.parametrize("fault", ["healthy", "softmax", "frozen", "rate", "saturated", "dead"])
def test_checkup_names_each_planted_fault(fault, seed):
    model, loss_fn, optimizer, expected = planted(fault, seed)
    report = checkup(model, loss_fn, DATA, optimizer, classes=3, verbose=False, plot=False)
    assert all(found["problem"] in PROBLEMS for found in report.problems)
    if expected is None:
        assert problems(report) == []
    else:
        assert expected in problems(report)


def test_a_healthy_model_with_sgd_passes_too():
    model = mlp(3)
    report = checkup(model, CrossEntropyLoss(), DATA, SGD(model.parameters(), learning_rate=0.1, momentum=0.9),
                     classes=3, verbose=False, plot=False)
    assert problems(report) == []


def test_a_rate_far_too_low_is_named():
    model = mlp(4)
    report = checkup(model, CrossEntropyLoss(), DATA, SGD(model.parameters(), learning_rate=1e-9), classes=3,
                     verbose=False, plot=False)
    assert ("lr_too_low", "") in problems(report)


def test_the_measurements_are_the_instruments_at_initialisation():
    model, loss_fn, optimizer, _ = planted("saturated", 2)
    x, y = DATA[0][:16], DATA[1][:16]
    expected_stats = activation_statistics(model, x)
    loss_fn(model(x), y).backward()
    expected_norms = gradient_norms(model)
    model.zero_grad()
    report = checkup(model, loss_fn, DATA, optimizer, classes=3, batch_size=16, overfit_steps=10, sweep_steps=12,
                     verbose=False, plot=False)
    assert isinstance(report, CheckupReport)
    assert report.grad_norms == pytest.approx(expected_norms, rel=1e-12)
    assert report.activations.keys() == expected_stats.keys()
    assert len(report.overfit_losses) == 10 and len(report.sweep.learning_rates) <= 12
    assert report.initial_loss == pytest.approx(report.overfit_losses[0], rel=1e-12)
    assert report.chance_loss == pytest.approx(math.log(3))
    assert all(len(ratios) == 10 for ratios in report.update_ratios.values())


def test_checkup_restores_the_model_and_the_optimizer():
    """After a check-up, the next training step is exactly the one a twin takes without it."""
    (model, loss_fn, optimizer, _), (twin, twin_loss, twin_optimizer, _) = planted("healthy", 5), planted("healthy", 5)
    x, y = DATA[0][:20], DATA[1][:20]
    for trainer in (Trainer(model, loss_fn, optimizer), Trainer(twin, twin_loss, twin_optimizer)):
        trainer.train_step(x, y)  # some Adam state to restore
    checkup(model, loss_fn, DATA, optimizer, classes=3, verbose=False, plot=False)
    for name, value in twin.state_dict().items():
        assert np.array_equal(model.state_dict()[name], value), name
    assert optimizer.learning_rate == twin_optimizer.learning_rate
    assert all(parameter.grad is None for parameter in model.parameters())
    assert Trainer(model, loss_fn, optimizer).train_step(x, y).loss == Trainer(twin, twin_loss, twin_optimizer) \
        .train_step(x, y).loss


def test_without_classes_or_sweep(capsys):
    model, loss_fn, optimizer, _ = planted("frozen", 1)
    report = checkup(model, loss_fn, DATA, optimizer, sweep_steps=0, plot=False)
    assert report.sweep is None and math.isnan(report.chance_loss)
    assert ("frozen_layer", "0.weight") in problems(report)
    printed = capsys.readouterr().out
    assert "PROBLEM frozen_layer (0.weight)" in printed and "initial loss" in printed


def test_the_report_draws_four_panels():
    import matplotlib.pyplot as plt

    model, loss_fn, optimizer, _ = planted("softmax", 0)
    report = checkup(model, loss_fn, DATA, optimizer, classes=3, verbose=False, plot=False)
    fig = report.plot()
    assert len(fig.axes) == 4 and "cannot_overfit" in fig._suptitle.get_text()
    plt.close(fig)
