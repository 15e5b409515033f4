"""Probes for the training module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds a small problem from a seed, drives the submission's data and training code, and returns
plain data: float64 arrays, numbers, strings, lists and dicts. Models are built from the reference layers,
losses and optimizers (the prerequisites), so a difference can only come from this module's code. The sandbox
has numpy only, so the probes use the spiral (generated with numpy) rather than digits or MNIST-1D, and
verbose=0 (no rich).
"""

import math
import tempfile
from pathlib import Path

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.data import (
    DataLoader,
    Dataset,
    TensorDataset,
    make_spiral,
    train_val_test_split,
)
from tinytorch.core.layers import Dropout, Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam, ExponentialLR
from tinytorch.core.training import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRRescue,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
    overfit_one_batch,
)

EPOCH_NAMES = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "grad_norm")
STEP_NAMES = ("step", "epoch", "loss", "learning_rate", "grad_norm")


def _floats(values):
    return np.array([float(value) for value in values], dtype=np.float64)


def _raised(action):
    """The name of the exception `action()` raises, or None."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - we report which type the submission raised
        return type(error).__name__
    return None


def _problem(seed, n, features=3, classes=3):
    generator = np.random.default_rng(seed)
    return generator.normal(size=(n, features)), generator.integers(0, classes, size=n)


def _mlp(seed, features=3, hidden=8, classes=3, dropout=False):
    layers = [Linear(features, hidden, rng=seed), ReLU()]
    if dropout:
        layers.append(Dropout(0.5, rng=seed + 7))
    return Sequential(*layers, Linear(hidden, classes, rng=seed + 1))


def _weights(model):
    return [np.array(p.data.data, dtype=np.float64) for p in model.parameters()]


def _history(history):
    epochs = {name: _floats(history.epochs[name]) for name in EPOCH_NAMES}
    steps = {name: _floats(history.steps[name]) for name in STEP_NAMES}
    return {"epochs": epochs, "steps": steps}


# Data.

def tensor_dataset(seed):
    x, y = _problem(seed, 9)
    dataset = TensorDataset(x, y)
    item = dataset[4]
    batch = dataset.get_batch([8, 0, 3, 3])
    return {
        "len": len(dataset),
        "item_is_tuple": isinstance(item, tuple),
        "item": [np.array(item[0], dtype=np.float64), int(item[1])],
        "batch": [np.array(batch[0], dtype=np.float64), np.array(batch[1], dtype=np.int64)],
        "kept_without_copy": dataset.arrays[0] is x,
        "mismatch": _raised(lambda: TensorDataset(x, y[:5])),
        "empty": _raised(lambda: TensorDataset()),
    }


def loader_epochs(n, batch_size, shuffle, seed, drop_last, epochs):
    """The labels of every batch of `epochs` epochs, and len(loader)."""
    dataset = TensorDataset(np.arange(n, dtype=np.float64)[:, None] * 2.0, np.arange(n))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last)
    seen, paired = [], True
    for _ in range(epochs):
        batches = []
        for inputs, targets in loader:
            paired = paired and np.array_equal(inputs[:, 0], 2.0 * targets)
            batches.append([int(t) for t in targets])
        seen.append(batches)
    return {"len": len(loader), "batches": seen, "paired": bool(paired)}


def loader_custom_dataset():
    """A dataset with only __len__ and __getitem__, batched through the base class's get_batch."""

    class Cubes(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return np.array([index, index ** 3], dtype=np.float64), index % 3

    return [[np.array(part, dtype=np.float64) for part in batch] for batch in DataLoader(Cubes(), batch_size=2)]


def split(n, validation_fraction, test_fraction, seed):
    x = np.arange(n, dtype=np.float64)[:, None] * 3.0
    y = np.arange(n)
    splits = train_val_test_split(x, y, validation_fraction=validation_fraction, test_fraction=test_fraction,
                                  seed=seed)
    parts = {}
    for name in ("train", "validation", "test"):
        part_x, part_y = getattr(splits, name)
        parts[name] = {"x": np.array(part_x, dtype=np.float64), "y": np.array(part_y, dtype=np.int64)}
    return parts


def split_errors():
    x, y = np.zeros((10, 2)), np.zeros(10)
    return {
        "lengths": _raised(lambda: train_val_test_split(x, y[:4])),
        "negative": _raised(lambda: train_val_test_split(x, y, validation_fraction=-0.1)),
        "sum_one": _raised(lambda: train_val_test_split(x, y, validation_fraction=0.5, test_fraction=0.5)),
        "test_one": _raised(lambda: train_val_test_split(x, y, validation_fraction=0.0, test_fraction=1.0)),
    }


def spiral_splits(arms, seed):
    """The spiral's splits (cut by the submission's split function)."""
    splits = make_spiral(samples_per_arm=50, arms=arms, noise=0.2, seed=seed)
    return {part: [np.array(getattr(splits, part)[0], dtype=np.float64), np.array(getattr(splits, part)[1], dtype=np.int64)]
            for part in ("train", "validation", "test")}


# The Trainer.

def train_step(seed, clip_norm=None, learning_rate=0.3):
    x, y = _problem(seed, 6)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=learning_rate),
                      clip_norm=clip_norm)
    for weight in model.parameters():  # stale gradients that zero_grad must clear
        weight.grad = Variable(np.ones(weight.shape), requires_grad=False)
    result = runner.train_step(x, y)
    return {
        "loss": float(result.loss),
        "loss_is_float": isinstance(result.loss, float),
        "grad_norm": float(result.grad_norm),
        "outputs": np.array(result.outputs, dtype=np.float64),
        "weights": _weights(model),
    }


def evaluate(seed, batch_size, model_mode):
    x, y = _problem(seed, 11)
    model = _mlp(seed, dropout=True)
    if model_mode == "eval":
        model.eval()
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1))
    before = _weights(model)
    measured = runner.evaluate(DataLoader(TensorDataset(x, y), batch_size=batch_size))
    return {
        "keys": sorted(measured),
        "loss": float(measured["loss"]),
        "accuracy": float(measured["accuracy"]),
        "training_after": [bool(module.training) for _, module in model.named_modules()],
        "unchanged": all(np.array_equal(a, b) for a, b in zip(before, _weights(model))),
    }


def fit_history(seed, n, batch_size, epochs, with_validation, shuffle=True, clip_norm=None, optimizer="SGD"):
    x, y = _problem(seed, n)
    model = _mlp(seed)
    if optimizer == "SGD":
        chosen = SGD(model.parameters(), learning_rate=0.2, momentum=0.5)
    else:
        chosen = Adam(model.parameters(), learning_rate=0.01)
    runner = Trainer(model, CrossEntropyLoss(), chosen, clip_norm=clip_norm)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, seed=seed)
    val_loader = DataLoader(TensorDataset(*_problem(seed + 100, 7)), batch_size=3) if with_validation else None
    history = runner.fit(loader, epochs=epochs, val_loader=val_loader, verbose=0)
    return {**_history(history), "weights": _weights(model), "same_object": history is runner.history}


def fit_twice(seed):
    """Two fit calls on the same Trainer: the numbering of epochs and steps continues."""
    x, y = _problem(seed, 8)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1))
    loader = DataLoader(TensorDataset(x, y), batch_size=3)
    runner.fit(loader, epochs=1, verbose=0)
    return _history(runner.fit(loader, epochs=2, verbose=0))


def hook_order(seed):
    events = []

    class Recorder(Callback):
        def on_train_begin(self, run):
            events.append("train_begin")

        def on_train_end(self, run):
            events.append("train_end")

        def on_epoch_begin(self, run, epoch):
            events.append(f"epoch_begin {epoch}")

        def on_epoch_end(self, run, epoch, logs):
            events.append(f"epoch_end {epoch} fields={sorted(logs)} lr={logs['learning_rate']}")

        def on_batch_begin(self, run, step):
            events.append(f"batch_begin {step} recorded={len(run.history.steps['step'])}")

        def on_batch_end(self, run, step, logs):
            events.append(f"batch_end {step} epoch={logs['epoch']} fields={sorted(logs)} "
                          f"recorded={len(run.history.steps['step'])}")

    x, y = _problem(seed, 7)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1))
    runner.fit(DataLoader(TensorDataset(x, y), batch_size=3), epochs=2, callbacks=[Recorder()], verbose=0)
    return events


def scheduled_rates(interval, seed):
    x, y = _problem(seed, 7)
    model = _mlp(seed)
    optimizer = SGD(model.parameters(), learning_rate=0.5)
    runner = Trainer(model, CrossEntropyLoss(), optimizer, scheduler=ExponentialLR(optimizer, gamma=0.7),
                      scheduler_interval=interval)
    history = runner.fit(DataLoader(TensorDataset(x, y), batch_size=3), epochs=3, verbose=0)
    return {"steps": _floats(history.steps["learning_rate"]), "epochs": _floats(history.epochs["learning_rate"]),
            "final": float(optimizer.learning_rate)}


# Callbacks.

class _FakeTrainer:
    def __init__(self, model, optimizer=None):
        self.model, self.optimizer, self.stop_training = model, optimizer, False


def early_stopping_sequence(values, patience, min_delta, mode, restore_best, monitor="val_loss"):
    """Feed `values` to EarlyStopping epoch by epoch; the weights are marked with the epoch number."""
    marked = Linear(1, 1, bias=False)
    runner = _FakeTrainer(marked)
    stopper = EarlyStopping(monitor=monitor, patience=patience, min_delta=min_delta, mode=mode,
                            restore_best=restore_best)
    stopper.on_train_begin(runner)
    stopped_after = None
    for epoch, value in enumerate(values, start=1):
        value = float(value)  # "nan" arrives as a string: JSON has no nan
        marked.weight.data.data[...] = epoch
        stopper.on_epoch_end(runner, epoch, {"epoch": epoch, monitor: value})
        if runner.stop_training:
            stopped_after = epoch
            break
    stopper.on_train_end(runner)
    best = stopper.best
    return {
        "stopped_after": stopped_after,
        "stopped_epoch": stopper.stopped_epoch,
        "best": None if best is None else float(best),
        "best_epoch": stopper.best_epoch,
        "wait": int(stopper.wait),
        "weights_of_epoch": float(marked.weight.data.data.item()),
        "missing_monitor": _raised(lambda: stopper.on_epoch_end(runner, 99, {"epoch": 99})),
    }


def early_stopping_in_fit(seed, patience):
    """EarlyStopping on a run that overfits: where it stops, and whether the model ends with the best weights."""
    data = make_spiral(samples_per_arm=30, noise=0.25, seed=seed, validation_fraction=0.4, test_fraction=0.0)
    model = Sequential(Linear(2, 64, rng=seed), ReLU(), Linear(64, 64, rng=seed + 1), ReLU(), Linear(64, 3, rng=seed + 2))
    runner = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    states = {}

    class Keep(Callback):
        def on_epoch_end(self, run, epoch, logs):
            states[epoch] = [np.array(p.data.data, copy=True) for p in run.model.parameters()]

    stopper = EarlyStopping(patience=patience)
    history = runner.fit(DataLoader(TensorDataset(*data.train), batch_size=8, shuffle=True, seed=0), epochs=150,
                          val_loader=DataLoader(TensorDataset(*data.validation), batch_size=100),
                          callbacks=[Keep(), stopper], verbose=0)
    best = int(np.argmin(history.epochs["val_loss"])) + 1
    restored = all(np.array_equal(p.data.data, kept) for p, kept in zip(model.parameters(), states[best]))
    return {"epochs_run": len(history), "best_epoch": stopper.best_epoch, "argmin_epoch": best,
            "restored_best": bool(restored)}


def lr_rescue(losses, factor, spike, smoothing, min_lr, learning_rate):
    """Feed losses to LRRescue; a nan or inf comes with corrupted weights that must be restored."""
    model = Linear(2, 2, rng=3)
    start = _weights(model)
    optimizer = SGD(model.parameters(), learning_rate=learning_rate, momentum=0.9)
    runner = _FakeTrainer(model, optimizer)
    rescue = LRRescue(factor=factor, spike=spike, smoothing=smoothing, min_lr=min_lr)
    rescue.on_train_begin(runner)
    rescue.on_epoch_begin(runner, epoch=1)
    rates, averages, restored = [], [], []
    for step, loss in enumerate(losses, start=1):
        loss = float(loss)
        if not math.isfinite(loss):
            for weight in model.parameters():
                weight.data.data[...] = np.nan
        rescue.on_batch_end(runner, step, {"step": step, "loss": loss})
        rates.append(float(optimizer.learning_rate))
        averages.append(math.nan if rescue.average is None else float(rescue.average))
        restored.append(all(np.array_equal(a, b) for a, b in zip(start, _weights(model))))
    events = [[int(e["step"]), float(e["loss"]), float(e["learning_rate"]), str(e["reason"])] for e in rescue.events]
    return {"rates": np.array(rates), "averages": np.array(averages), "restored": restored, "events": events}


def overfit(seed, steps):
    x, y = _problem(seed, 12, features=4, classes=4)
    model = Sequential(Linear(4, 32, rng=seed), ReLU(), Linear(32, 4, rng=seed + 1))
    runner = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    losses = overfit_one_batch(runner, x, y, steps=steps)
    return {"losses": _floats(losses), "all_floats": all(isinstance(loss, float) for loss in losses),
            "epochs_recorded": len(runner.history), "steps_recorded": len(runner.history.steps["step"])}


def spiral_accuracy(seed):
    data = make_spiral(samples_per_arm=150, arms=3, noise=0.05, seed=seed)
    model = Sequential(Linear(2, 64, rng=seed), ReLU(), Linear(64, 64, rng=seed + 1), ReLU(), Linear(64, 3, rng=seed + 2))
    runner = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    runner.fit(DataLoader(TensorDataset(*data.train), batch_size=32, shuffle=True, seed=seed), epochs=40, verbose=0)
    return float(runner.evaluate(DataLoader(TensorDataset(*data.validation), batch_size=512))["accuracy"])


def checkpoint_and_csv(seed):
    """ModelCheckpoint and CSVLogger in a fit with validation: what they wrote, read back."""
    folder = Path(tempfile.mkdtemp())
    x, y = _problem(seed, 12)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.3))
    checkpoint = ModelCheckpoint(folder / "best{epoch}")
    history = runner.fit(DataLoader(TensorDataset(x, y), batch_size=5), epochs=4,
                          val_loader=DataLoader(TensorDataset(*_problem(seed + 1, 6))),
                          callbacks=[checkpoint, CSVLogger(folder / "log.csv")], verbose=0)
    fresh = _mlp(seed + 50)
    load_checkpoint(fresh, checkpoint.saved[-1])
    lines = (folder / "log.csv").read_text().splitlines()
    return {"saved": [Path(path).name for path in checkpoint.saved], "val_loss": _floats(history.epochs["val_loss"]),
            "reloaded": _weights(fresh), "csv_header": lines[0], "csv_rows": len(lines) - 1}
