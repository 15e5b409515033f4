"""LRRescue's emergency options (module 06's class, used in module 09), driven by scripted losses and gradient norms."""

import math
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

from tinytorch.core.data import DataLoader, TensorDataset, make_spiral
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.training import History, LRRescue, Trainer, plot_history

matplotlib.use("Agg")


def scripted(rescue, losses, norms=None, learning_rate=0.4, corrupt_on_nan=True, epoch_every=None):
    """Feed (loss, grad_norm) pairs to `rescue` on a fake trainer whose weights change every step (step k adds k to
    every weight) and turn nan with a non-finite loss; return (trainer, the rate after each step, the weights
    after each step)."""
    model = Linear(2, 1, rng=0)
    trainer = SimpleNamespace(model=model, optimizer=SGD(model.parameters(), learning_rate=learning_rate),
                              history=History())
    rescue.on_train_begin(trainer)
    rescue.on_epoch_begin(trainer, 1)
    rates, weights = [], []
    norms = norms if norms is not None else [1.0] * len(losses)
    for step, (loss, norm) in enumerate(zip(losses, norms), start=1):
        if epoch_every and step > 1 and (step - 1) % epoch_every == 0:
            rescue.on_epoch_begin(trainer, (step - 1) // epoch_every + 1)
        for parameter in model.parameters():
            parameter.data.data[...] += step
            if corrupt_on_nan and not math.isfinite(loss):
                parameter.data.data[...] = np.nan
        rescue.on_batch_end(trainer, step, {"step": step, "loss": loss, "grad_norm": norm})
        rates.append(trainer.optimizer.learning_rate)
        weights.append(model.weight.data.data.copy())
    return trainer, rates, weights


def test_the_defaults_behave_as_before():
    """Without the new options, does a spike halve the rate at once and a nan go back to the epoch's start?"""
    rescue = LRRescue(factor=0.5, spike=2.0, smoothing=0.5)
    trainer, rates, weights = scripted(rescue, [1.0, 0.8, 1.0, 2.0, 0.9, math.nan], norms=[1, 1, 1, 50, 1, 1])
    assert rates == [0.4, 0.4, 0.4, 0.2, 0.2, 0.1]
    assert [event["reason"] for event in rescue.events] == ["spike", "not finite"]
    start = Linear(2, 1, rng=0).weight.data.data
    assert np.array_equal(weights[-1], start)  # the epoch's start: before any step


def test_a_gradient_explosion_cuts_the_rate_before_the_loss_moves():
    """With grad_spike=5, does a norm above 5 x the smoothed norm cut the rate while the loss is still normal,
    and leave the smoothed norm as it was?"""
    rescue = LRRescue(factor=0.5, smoothing=0.5, grad_spike=5.0)
    norms = [1.0, 1.2, 0.8, 10.0, 1.0, 4.9]
    trainer, rates, _ = scripted(rescue, [1.0, 0.9, 0.9, 0.9, 0.85, 0.8], norms=norms)
    # smoothed norm: 1.0, 1.1, 0.95 (then 10 > 4.75 is an explosion), 0.975, then 4.9 > 4.875 is one too
    assert [(event["step"], event["reason"]) for event in rescue.events] == [(4, "gradient explosion"),
                                                                             (6, "gradient explosion")]
    assert rates == [0.4, 0.4, 0.4, 0.2, 0.2, 0.1]
    assert rescue.grad_average == pytest.approx(0.975)
    nan_norm = LRRescue(grad_spike=5.0)
    scripted(nan_norm, [1.0, 1.0], norms=[1.0, math.nan])
    assert [event["reason"] for event in nan_norm.events] == ["gradient explosion"]


def test_patience_forgives_shorter_runs_of_bad_batches():
    """With patience=3, is a run of 2 spikes forgiven, and the third in a row acted on (then the count restarts)?"""
    rescue = LRRescue(factor=0.5, spike=2.0, smoothing=0.0, patience=3)
    losses = [1.0, 5.0, 5.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    _, rates, _ = scripted(rescue, losses)
    assert [event["step"] for event in rescue.events] == [7, 10]
    assert rates == [0.4] * 6 + [0.2] * 3 + [0.1]
    assert rescue.average == 1.0  # bad batches never enter the average


def test_patience_does_not_delay_a_nan():
    rescue = LRRescue(patience=5)
    _, rates, _ = scripted(rescue, [1.0, math.inf])
    assert [event["reason"] for event in rescue.events] == ["not finite"] and rates[-1] == 0.2


def test_min_lr_is_a_floor():
    rescue = LRRescue(factor=0.1, spike=2.0, smoothing=0.0, min_lr=0.01)
    _, rates, _ = scripted(rescue, [1.0, 3.0, 3.0, 3.0])
    assert rates == pytest.approx([0.4, 0.04, 0.01, 0.01])


def test_last_good_goes_back_to_the_last_normal_batch():
    """With restore='last_good', does a nan bring back the weights after the last normal batch (not the epoch's
    start), and the optimizer's state of that moment?"""
    losses = [1.0, 0.9, 5.0, 0.8, math.nan, 0.7]
    rescue = LRRescue(factor=0.5, smoothing=0.5, restore="last_good")
    _, rates, weights = scripted(rescue, losses, epoch_every=3)
    # an epoch starts before step 4; step 3 is a spike, step 4 the last normal batch before the nan at step 5
    assert np.array_equal(weights[4], weights[3])
    assert rates[2] == 0.2 and rates[4] == pytest.approx(0.1)
    epoch = LRRescue(factor=0.5, smoothing=0.5)
    _, _, from_epoch = scripted(epoch, losses, epoch_every=3)
    assert np.array_equal(from_epoch[4], from_epoch[2])  # the default: the weights of the epoch's start
    assert not np.array_equal(weights[4], from_epoch[4])


@pytest.mark.parametrize("options", [dict(grad_spike=1.0), dict(patience=0), dict(patience=1.5),
                                     dict(restore="best")])
def test_invalid_new_options_are_refused(options):
    with pytest.raises(ValueError):
        LRRescue(**options)


def test_interventions_are_logged_in_the_history_and_marked_on_the_plot():
    """In a real run at a far too high rate, does each event land in History.events, and does plot_history draw one
    line per event on the loss panel with a legend entry per reason?"""
    data = make_spiral(samples_per_arm=60, noise=0.1, seed=0)
    model = Sequential(Linear(2, 32, rng=0), ReLU(), Linear(32, 3, rng=1))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.5))
    rescue = LRRescue(grad_spike=4.0, patience=1)
    history = trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=16, shuffle=True, seed=0), epochs=5,
                          callbacks=[rescue], verbose=0)
    assert rescue.events and history.events == rescue.events
    figure = plot_history(history)
    loss_ax = figure.axes[0]
    marked = [line for line in loss_ax.get_lines() if line.get_linestyle() == ":"]
    assert len(marked) == len(history.events)
    labels = {text.get_text() for text in loss_ax.get_legend().get_texts()}
    assert {f"LRRescue: {event['reason']}" for event in history.events} <= labels
    assert plot_history(Trainer(model, CrossEntropyLoss(), Adam(model.parameters())).fit(
        DataLoader(TensorDataset(*data.train), batch_size=64), epochs=1, verbose=0)) is not None
