"""Callbacks in real runs: early stopping, checkpoints, CSV and TensorBoard logs, the learning-rate rescue."""

import csv
import math
import struct

import numpy as np
import pytest

from tinytorch.core.data import DataLoader, TensorDataset, make_spiral
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.training import (
    EPOCH_FIELDS,
    Callback,
    CSVLogger,
    EarlyStopping,
    LRRescue,
    ModelCheckpoint,
    TensorBoardLogger,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)


def spiral_setup(learning_rate=0.01, samples_per_arm=30, noise=0.25, hidden=64):
    data = make_spiral(samples_per_arm=samples_per_arm, noise=noise, seed=1, validation_fraction=0.4,
                       test_fraction=0.0)
    model = Sequential(Linear(2, hidden, rng=0), ReLU(), Linear(hidden, hidden, rng=1), ReLU(),
                       Linear(hidden, 3, rng=2))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=learning_rate))
    train = DataLoader(TensorDataset(*data.train), batch_size=8, shuffle=True, seed=0)
    validation = DataLoader(TensorDataset(*data.validation), batch_size=100)
    return trainer, train, validation


class WeightsAtEpochEnd(Callback):
    """Keeps a copy of the model's weights after every epoch."""

    def __init__(self):
        self.states = {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.states[epoch] = trainer.model.state_dict()


def test_early_stopping_stops_an_overfitting_run_and_restores_the_best_weights():
    """On a run that overfits, does EarlyStopping stop patience epochs after the best and restore its weights?"""
    trainer, train, validation = spiral_setup()
    stopper, weights = EarlyStopping(monitor="val_loss", patience=4), WeightsAtEpochEnd()
    history = trainer.fit(train, epochs=200, val_loader=validation, callbacks=[weights, stopper], verbose=0)
    val_losses = history.epochs["val_loss"]
    best = int(np.argmin(val_losses)) + 1
    assert len(history) < 200, "the run overfits, so early stopping should end it"
    assert stopper.best_epoch == best and stopper.best == min(val_losses)
    assert stopper.stopped_epoch == len(history) == best + 4
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, weights.states[best][name])


def test_early_stopping_on_accuracy_without_restoring():
    trainer, train, validation = spiral_setup()
    stopper, weights = EarlyStopping(monitor="val_accuracy", mode="max", patience=3, restore_best=False), WeightsAtEpochEnd()
    history = trainer.fit(train, epochs=200, val_loader=validation, callbacks=[weights, stopper], verbose=0)
    assert stopper.stopped_epoch == len(history)
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, weights.states[len(history)][name])


def test_early_stopping_needs_the_monitored_value():
    trainer, train, _ = spiral_setup()
    with pytest.raises(ValueError, match="val_loader"):
        trainer.fit(train, epochs=2, callbacks=[EarlyStopping(monitor="val_loss")], verbose=0)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")


def test_model_checkpoint_saves_the_best_and_reloads_it(tmp_path):
    """Does ModelCheckpoint write an .npz whenever val_loss improves, and does load_checkpoint restore it?"""
    trainer, train, validation = spiral_setup()
    checkpoint, weights = ModelCheckpoint(tmp_path / "models" / "epoch{epoch:03d}"), WeightsAtEpochEnd()
    history = trainer.fit(train, epochs=12, val_loader=validation, callbacks=[weights, checkpoint], verbose=0)
    val_losses = history.epochs["val_loss"]
    improving = [epoch for epoch in range(1, 13) if val_losses[epoch - 1] < min([math.inf] + val_losses[:epoch - 1])]
    assert [path.name for path in checkpoint.saved] == [f"epoch{epoch:03d}.npz" for epoch in improving]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [p.name for p in checkpoint.saved]

    best = improving[-1]
    fresh = Sequential(Linear(2, 64, rng=9), ReLU(), Linear(64, 64, rng=9), ReLU(), Linear(64, 3, rng=9))
    load_checkpoint(fresh, checkpoint.saved[-1])
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, weights.states[best][name])
    with np.load(checkpoint.saved[-1]) as archive:
        assert sorted(archive.files) == sorted(fresh.state_dict())


def test_model_checkpoint_every_epoch_and_plain_save(tmp_path):
    trainer, train, _ = spiral_setup()
    checkpoint = ModelCheckpoint(tmp_path / "last", save_best_only=False)
    trainer.fit(train, epochs=3, callbacks=[checkpoint], verbose=0)
    assert [path.name for path in checkpoint.saved] == ["last.npz"] * 3
    path = save_checkpoint(trainer.model, tmp_path / "copy.npz")
    assert path == tmp_path / "copy.npz" and path.is_file()


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    """Does CSVLogger write the EPOCH_FIELDS header and the History's values, row by row?"""
    trainer, train, validation = spiral_setup()
    path = tmp_path / "logs" / "run.csv"
    history = trainer.fit(train, epochs=3, val_loader=validation, callbacks=[CSVLogger(path)], verbose=0)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == EPOCH_FIELDS and len(rows) == 3
    for name in EPOCH_FIELDS:
        np.testing.assert_allclose([float(row[name]) for row in rows], history.epochs[name], rtol=1e-15)

    trainer.fit(train, epochs=2, callbacks=[CSVLogger(path, append=True)], verbose=0)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert rows[-1]["val_loss"] == "nan"
    trainer.fit(train, epochs=1, callbacks=[CSVLogger(path)], verbose=0)
    assert len(path.read_text().splitlines()) == 2, "without append the file starts over"


def read_event_file(path):
    """Every scalar in a TensorBoard event file, as {tag: [(step, value), ...]}, checking each record's CRCs."""
    from tensorboardX.crc32c import crc32c
    from tensorboardX.proto.event_pb2 import Event

    def masked(data):
        crc = crc32c(data)
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    scalars, data, offset = {}, path.read_bytes(), 0
    while offset < len(data):
        header = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[offset + 8:offset + 12])
        body = data[offset + 12:offset + 12 + length]
        (body_crc,) = struct.unpack("<I", data[offset + 12 + length:offset + 16 + length])
        assert header_crc == masked(header) and body_crc == masked(body), "corrupt record"
        offset += 16 + length
        event = Event.FromString(body)
        for value in event.summary.value:
            scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars


def test_tensorboard_logger_writes_readable_event_files(tmp_path):
    """Do the event files hold step/* for every step and epoch/* for every measured field, with the values?"""
    trainer, train, validation = spiral_setup()
    history = trainer.fit(train, epochs=3, val_loader=validation, callbacks=[TensorBoardLogger(tmp_path / "tb")],
                          verbose=0)
    files = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert len(files) == 1
    scalars = read_event_file(files[0])
    expected_tags = {f"step/{name}" for name in ("loss", "learning_rate", "grad_norm")}
    expected_tags |= {f"epoch/{name}" for name in EPOCH_FIELDS[1:]}
    assert set(scalars) == expected_tags
    steps = history.steps
    assert [step for step, _ in scalars["step/loss"]] == steps["step"]
    np.testing.assert_allclose([v for _, v in scalars["step/loss"]], steps["loss"], rtol=1e-6)
    for name in EPOCH_FIELDS[1:]:
        assert [step for step, _ in scalars[f"epoch/{name}"]] == [1, 2, 3]
        np.testing.assert_allclose([v for _, v in scalars[f"epoch/{name}"]], history.epochs[name], rtol=1e-6)


def test_tensorboard_logger_without_validation_or_steps(tmp_path):
    trainer, train, _ = spiral_setup()
    trainer.fit(train, epochs=2, callbacks=[TensorBoardLogger(tmp_path, log_steps=False)], verbose=0)
    scalars = read_event_file(next(tmp_path.glob("events.out.tfevents.*")))
    assert set(scalars) == {"epoch/loss", "epoch/accuracy", "epoch/learning_rate", "epoch/grad_norm"}


def test_lr_rescue_saves_a_run_whose_learning_rate_is_far_too_high():
    """With Adam at lr 0.3 on the spiral, does the rescue cut the rate early and end with a much better model?"""
    data = make_spiral(samples_per_arm=200, arms=3, noise=0.1, seed=0)
    results = {}
    for rescued in (False, True):
        model = Sequential(Linear(2, 64, rng=0), ReLU(), Linear(64, 64, rng=1), ReLU(), Linear(64, 3, rng=2))
        trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.3))
        callbacks = [LRRescue()] if rescued else []
        history = trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=32, shuffle=True, seed=0),
                              epochs=30, val_loader=DataLoader(TensorDataset(*data.validation), batch_size=500),
                              callbacks=callbacks, verbose=0)
        results[rescued] = (history, callbacks)
    plain, (rescued_history, (rescue,)) = results[False][0], results[True]
    assert rescue.events and rescue.events[0]["reason"] == "spike" and rescue.events[0]["step"] <= 5
    rates = rescued_history.steps["learning_rate"]
    assert rates[0] == 0.3 and rates[-1] < 0.05
    assert rescued_history.epochs["val_accuracy"][-1] > plain.epochs["val_accuracy"][-1] + 0.2


class NanOnce(Callback):
    """Reports a nan loss at one step and corrupts the weights, as a diverging update would."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, logs):
        if step == self.step:
            for parameter in trainer.model.parameters():
                parameter.data.data[...] = np.nan
            logs["loss"] = math.nan


def test_lr_rescue_restores_the_epoch_start_after_a_nan():
    trainer, train, _ = spiral_setup()
    weights = WeightsAtEpochEnd()
    rescue = LRRescue(factor=0.25)
    trainer.fit(train, epochs=1, callbacks=[weights], verbose=0)
    start = weights.states[1]
    steps_per_epoch = len(train)
    trainer.fit(train, epochs=1, callbacks=[NanOnce(step=steps_per_epoch + 2), rescue], verbose=0)
    assert [event["reason"] for event in rescue.events] == ["not finite"]
    assert trainer.optimizer.learning_rate == pytest.approx(0.01 * 0.25)
    assert all(np.all(np.isfinite(value)) for value in trainer.model.state_dict().values())
    assert not all(np.array_equal(trainer.model.state_dict()[k], v) for k, v in start.items()), "training went on"


@pytest.mark.parametrize("options", [dict(factor=1.0), dict(factor=0.0), dict(spike=1.0), dict(smoothing=1.0),
                                     dict(min_lr=-1.0)])
def test_lr_rescue_rejects_bad_settings(options):
    with pytest.raises(ValueError):
        LRRescue(**options)


def test_callbacks_see_the_documented_arguments():
    """Are the hooks called with 1-based epochs and steps, and do the logs match the History?"""
    calls = []

    class Spy(Callback):
        def on_epoch_begin(self, trainer, epoch):
            calls.append(("epoch_begin", epoch))

        def on_batch_begin(self, trainer, step):
            calls.append(("batch_begin", step))

        def on_batch_end(self, trainer, step, logs):
            assert logs == {name: values[-1] for name, values in trainer.history.steps.items()}
            calls.append(("batch_end", step))

        def on_epoch_end(self, trainer, epoch, logs):
            assert trainer.history.last() == {**logs, "val_loss": trainer.history.last()["val_loss"],
                                              "val_accuracy": trainer.history.last()["val_accuracy"]}
            calls.append(("epoch_end", epoch))

    trainer, train, _ = spiral_setup()
    small = DataLoader(TensorDataset(*[part[:10] for part in train.dataset.arrays]), batch_size=5)
    trainer.fit(small, epochs=2, callbacks=[Spy()], verbose=0)
    assert calls == [("epoch_begin", 1), ("batch_begin", 1), ("batch_end", 1), ("batch_begin", 2),
                     ("batch_end", 2), ("epoch_end", 1), ("epoch_begin", 2), ("batch_begin", 3),
                     ("batch_end", 3), ("batch_begin", 4), ("batch_end", 4), ("epoch_end", 2)]
