"""The Trainer: what it records, how it schedules and clips, what it prints, and that it learns digits."""

import math

import numpy as np
import pytest

from tinytorch.core.data import DataLoader, TensorDataset, load_digits
from tinytorch.core.layers import Dropout, Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam, ExponentialLR, StepLR, gradient_norm
from tinytorch.core.training import (
    EPOCH_FIELDS,
    STEP_FIELDS,
    History,
    Trainer,
    accuracy,
    overfit_one_batch,
    plot_history,
)


def small_problem(seed=0, n=20, features=3, classes=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)), rng.integers(0, classes, size=n)


def small_trainer(learning_rate=0.1, **options):
    model = Sequential(Linear(3, 8, rng=0), ReLU(), Linear(8, 3, rng=1))
    return Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=learning_rate), **options)


def test_mlp_reaches_95_percent_on_digits():
    """Does an MLP trained with the Trainer classify at least 95% of the held-out digits?"""
    data = load_digits(seed=0)
    model = Sequential(Linear(64, 128, rng=0), ReLU(), Linear(128, 64, rng=1), ReLU(), Linear(64, 10, rng=2))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.003))
    history = trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=32, shuffle=True, seed=0), epochs=12,
                          val_loader=DataLoader(TensorDataset(*data.validation), batch_size=500), verbose=0)
    test = trainer.evaluate(DataLoader(TensorDataset(*data.test), batch_size=500))
    assert test["accuracy"] >= 0.95, test
    assert history.epochs["val_accuracy"][-1] >= 0.93


def test_history_fields_and_lengths():
    """Does the History hold every documented field, one entry per epoch and per step, with the right types?"""
    x, y = small_problem()
    trainer = small_trainer()
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=6), epochs=3, verbose=0)
    assert tuple(history.epochs) == EPOCH_FIELDS and tuple(history.steps) == STEP_FIELDS
    assert len(history) == 3 and all(len(values) == 3 for values in history.epochs.values())
    assert all(len(values) == 12 for values in history.steps.values())
    assert history.epochs["epoch"] == [1, 2, 3] and history.steps["step"] == list(range(1, 13))
    assert all(isinstance(v, int) for v in history.steps["epoch"])
    assert all(isinstance(v, float) for v in history.epochs["loss"] + history.steps["grad_norm"])
    assert all(math.isnan(v) for v in history.epochs["val_loss"] + history.epochs["val_accuracy"])
    assert history.last()["epoch"] == 3
    assert "3 epochs" in repr(history)
    with pytest.raises(IndexError):
        History().last()


def test_epoch_values_are_example_weighted_means_of_the_steps():
    """Is an epoch's loss the batch-size-weighted mean of its step losses, and its grad_norm the mean?"""
    x, y = small_problem(n=11)
    trainer = small_trainer()
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=4), epochs=2, verbose=0)
    weights = np.array([4, 4, 3])
    steps = np.array(history.steps["loss"]).reshape(2, 3)
    np.testing.assert_allclose(history.epochs["loss"], steps @ weights / 11)
    norms = np.array(history.steps["grad_norm"]).reshape(2, 3)
    np.testing.assert_allclose(history.epochs["grad_norm"], norms.mean(axis=1))


def test_training_accuracy_is_measured_on_the_training_outputs():
    """Is the epoch's training accuracy the fraction of correct predictions the steps made?"""
    x, y = small_problem(n=12)
    trainer = small_trainer(learning_rate=0.0)  # no update: every step sees the same model
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=5), epochs=1, verbose=0)
    expected = accuracy(trainer.model(x).data.data, y)
    assert history.epochs["accuracy"][0] == pytest.approx(expected)


def test_validation_is_measured_in_eval_mode_and_training_resumes_in_train_mode():
    """Is dropout off during validation, and back on for the next epoch's training?"""
    x, y = small_problem()
    model = Sequential(Linear(3, 16, rng=0), Dropout(0.5, rng=1), Linear(16, 3, rng=2))
    modes = []
    original = model.forward

    def spying_forward(inputs):
        modes.append(model.training)
        return original(inputs)

    model.forward = spying_forward
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.0))
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=10), epochs=2,
                          val_loader=DataLoader(TensorDataset(x, y), batch_size=20), verbose=0)
    assert modes == [True, True, False, True, True, False]
    model.eval()
    deterministic = CrossEntropyLoss()(model(x), y).item()
    assert history.epochs["val_loss"] == pytest.approx([deterministic, deterministic])


@pytest.mark.parametrize("interval, expected_steps, expected_epochs", [
    ("batch", [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125], [1.0, 0.125]),
    ("epoch", [1.0, 1.0, 1.0, 0.5, 0.5, 0.5], [1.0, 0.5]),
])
def test_scheduler_per_batch_or_per_epoch(interval, expected_steps, expected_epochs):
    """Does the scheduler step after each batch or each epoch, as scheduler_interval says?"""
    x, y = small_problem(n=6)
    model = Linear(3, 3, rng=0)
    optimizer = SGD(model.parameters(), learning_rate=1.0)
    trainer = Trainer(model, CrossEntropyLoss(), optimizer, scheduler=ExponentialLR(optimizer, gamma=0.5),
                      scheduler_interval=interval)
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=2), epochs=2, verbose=0)
    assert history.steps["learning_rate"] == pytest.approx(expected_steps)
    assert history.epochs["learning_rate"] == pytest.approx(expected_epochs)


def test_scheduler_interval_must_be_explicit():
    model = Linear(3, 3)
    optimizer = SGD(model.parameters(), learning_rate=1.0)
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, CrossEntropyLoss(), optimizer, scheduler=StepLR(optimizer, step_size=1))
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, CrossEntropyLoss(), optimizer, scheduler=StepLR(optimizer, step_size=1),
                scheduler_interval="step")
    with pytest.raises(ValueError, match="no scheduler"):
        Trainer(model, CrossEntropyLoss(), optimizer, scheduler_interval="epoch")


def test_clipping_records_the_norm_before_clipping_and_bounds_the_update():
    """With clip_norm, is the recorded norm the unclipped one, and the SGD update at most lr * clip_norm?"""
    x, y = small_problem()
    trainer = small_trainer(learning_rate=1.0, clip_norm=0.05)
    parameters = trainer.optimizer.parameters
    before = [p.data.data.copy() for p in parameters]
    result = trainer.train_step(x, y)

    twin = small_trainer()
    CrossEntropyLoss()(twin.model(x), y).backward()
    unclipped = gradient_norm(twin.optimizer.parameters)
    assert result.grad_norm == pytest.approx(unclipped) and unclipped > 0.05
    moved = math.sqrt(sum(np.sum((p.data.data - b) ** 2) for p, b in zip(parameters, before)))
    assert moved == pytest.approx(0.05, rel=1e-4)

    history = small_trainer(learning_rate=1.0, clip_norm=0.05).fit(
        DataLoader(TensorDataset(x, y), batch_size=5), epochs=2, verbose=0)
    assert max(history.steps["grad_norm"]) > 0.05, "the History records norms before clipping"


def test_regression_without_accuracy():
    """Does a model that does not classify train with accuracy=None, recording nan accuracy?"""
    x = np.linspace(-1, 1, 16)[:, None]
    model = Linear(1, 1, rng=0)
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=0.3), accuracy=None)
    history = trainer.fit(DataLoader(TensorDataset(x, 3 * x - 1), batch_size=4), epochs=30, verbose=0)
    assert history.epochs["loss"][-1] < 1e-3
    assert all(math.isnan(v) for v in history.epochs["accuracy"])
    with pytest.raises(ValueError, match="accuracy=None"):
        Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=0.3)).train_epoch(
            DataLoader(TensorDataset(x, 3 * x - 1), batch_size=4))


def test_verbose_0_prints_nothing(capsys):
    x, y = small_problem()
    small_trainer().fit(DataLoader(TensorDataset(x, y), batch_size=5), epochs=2,
                        val_loader=DataLoader(TensorDataset(x, y)), verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_and_2_show_each_epoch(capsys):
    x, y = small_problem()
    loader = DataLoader(TensorDataset(x, y), batch_size=5)
    small_trainer().fit(loader, epochs=2, val_loader=loader, verbose=1)
    bars = capsys.readouterr().out
    assert "epoch 1/2" in bars and "epoch 2/2" in bars and "4/4" in bars and "val_loss" in bars
    small_trainer().fit(loader, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2") and "loss" in lines[1]
    with pytest.raises(ValueError, match="verbose"):
        small_trainer().fit(loader, epochs=1, verbose=3)


def test_fit_continues_numbering_across_calls():
    x, y = small_problem()
    trainer = small_trainer()
    loader = DataLoader(TensorDataset(x, y), batch_size=10)
    trainer.fit(loader, epochs=2, verbose=0)
    history = trainer.fit(loader, epochs=1, verbose=0)
    assert history.epochs["epoch"] == [1, 2, 3] and history.steps["step"] == list(range(1, 7))
    assert history.steps["epoch"] == [1, 1, 2, 2, 3, 3]


def test_overfit_one_batch_drives_the_loss_down_without_touching_history():
    x, y = small_problem(n=8)
    trainer = small_trainer(learning_rate=0.5)
    losses = overfit_one_batch(trainer, x, y, steps=200)
    assert len(losses) == 200 and losses[-1] < 0.05 * losses[0]
    assert len(trainer.history) == 0 and trainer.global_step == 0


def test_plot_history_draws_four_panels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = small_problem()
    loader = DataLoader(TensorDataset(x, y), batch_size=6)
    history = small_trainer().fit(loader, epochs=3, val_loader=loader, verbose=0)
    figure = plot_history(history, title="tiny")
    try:
        assert len(figure.axes) == 4
        labels = [ax.get_ylabel() for ax in figure.axes]
        assert labels == ["loss", "accuracy", "learning rate", "gradient norm"]
        loss_lines = figure.axes[0].get_lines()
        assert len(loss_lines[0].get_xdata()) == len(history.steps["loss"])
        np.testing.assert_allclose(loss_lines[0].get_xdata()[-1], 3.0)
    finally:
        plt.close(figure)
