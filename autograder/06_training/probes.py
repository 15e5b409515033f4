"""Probes for the training module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds a small problem from a seed, drives the submission's data and training code, and returns
plain data: float64 arrays, numbers, strings, lists and dicts. Models are built from the reference layers,
losses and optimizers (the prerequisites), so a difference can only come from this module's code. The sandbox
has numpy only, so the probes use the spiral (generated with numpy) rather than digits or MNIST-1D, and
verbose=0 (no rich).

A probe returns observations, never verdicts: "a tuple?", "kept without a copy?", "a float?", "unchanged?",
"restored?" are seen through values (the item with something appended, values read after a change, the returned
value as it is, the weights) that the grader compares with the reference's. Only the names of the exceptions
raised for invalid arguments are constants; the test that checks them is worth 1 point.
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
    accuracy,
    load_checkpoint,
    overfit_one_batch,
)

EPOCH_NAMES = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "grad_norm")
STEP_NAMES = ("step", "epoch", "loss", "learning_rate", "grad_norm")


def _floats(values):
    return np.array([float(value) for value in values], dtype=np.float64)


def _as_sent(value):
    """`value` itself when it crosses to the grader as it is (so that the grader sees its type), else a sentence."""
    if value is None or type(value) in (bool, int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
        return value
    return f"a {type(value).__name__}"


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


def _batches(x, y, size):
    """The batches of a loader without shuffling, as a plain list: the Trainer's probes use lists, so that they do
    not depend on the submission's DataLoader."""
    return [(x[start:start + size], y[start:start + size]) for start in range(0, len(x), size)]


class _Keep(Callback):
    """Keeps a copy of the model's weights at the end of every epoch."""

    def __init__(self):
        self.states = {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.states[epoch] = _weights(trainer.model)


def _untrained_val_loss(runner, val_batches):
    """The submission's evaluate() on the untrained model, given batches of one example (so that how it weighs
    batches does not matter): the evidence that its code ran (no train_step in it)."""
    return float(runner.evaluate(val_batches)["loss"])


def _history(history):
    epochs = {name: _floats(history.epochs[name]) for name in EPOCH_NAMES}
    steps = {name: _floats(history.steps[name]) for name in STEP_NAMES}
    return {"epochs": epochs, "steps": steps}


# Data.

def tensor_dataset(seed):
    """len, an item (with -1 appended the way one appends to a tuple), a batch, and an item read again after the
    array given to the dataset was changed in place (a TensorDataset keeps its arrays, no copy)."""
    x, y = _problem(seed, 9)
    dataset = TensorDataset(x, y)
    item = dataset[4]
    batch = dataset.get_batch([8, 0, 3, 3])
    try:
        appended = item + (-1,)
        appended = [np.array(appended[0], dtype=np.float64), int(appended[1]), appended[2]]
    except TypeError as error:
        appended = f"raised TypeError: {error}"
    x *= 2.0
    return {
        "len": len(dataset),
        "dataset[4] + (-1,)": appended,
        "batch": [np.array(batch[0], dtype=np.float64), np.array(batch[1], dtype=np.int64)],
        "dataset[4][0] after x *= 2": np.array(dataset[4][0], dtype=np.float64),
    }


def loader_epochs(n, batch_size, shuffle, seed, drop_last, epochs):
    """The labels of every batch of `epochs` epochs, and len(loader)."""
    dataset = TensorDataset(np.arange(n, dtype=np.float64)[:, None] * 2.0, np.arange(n))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last)
    seen, inputs_seen = [], []
    for _ in range(epochs):
        batches, batch_inputs = [], []
        for inputs, targets in loader:
            batches.append([int(t) for t in targets])
            batch_inputs.append(np.array(inputs, dtype=np.float64))
        seen.append(batches)
        inputs_seen.append(batch_inputs)
    return {"len": len(loader), "batches": seen, "inputs": inputs_seen}


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


def rejections():
    """The name of the exception each invalid argument raises (or None): constants, checked for 1 point."""
    x, y = np.zeros((10, 2)), np.zeros(10)
    stopper = EarlyStopping(monitor="val_loss")
    stopper.on_train_begin(_FakeTrainer(Linear(1, 1, bias=False)))
    return {
        "TensorDataset(x, y) with 10 and 5 examples": _raised(lambda: TensorDataset(x, y[:5])),
        "TensorDataset() with no arrays": _raised(lambda: TensorDataset()),
        "train_val_test_split(x, y) with 10 and 4 examples": _raised(lambda: train_val_test_split(x, y[:4])),
        "train_val_test_split(validation_fraction=-0.1)": _raised(
            lambda: train_val_test_split(x, y, validation_fraction=-0.1)),
        "train_val_test_split(validation_fraction=0.5, test_fraction=0.5)": _raised(
            lambda: train_val_test_split(x, y, validation_fraction=0.5, test_fraction=0.5)),
        "train_val_test_split(validation_fraction=0.0, test_fraction=1.0)": _raised(
            lambda: train_val_test_split(x, y, validation_fraction=0.0, test_fraction=1.0)),
        "EarlyStopping(monitor='val_loss') fed logs without val_loss": _raised(
            lambda: stopper.on_epoch_end(_FakeTrainer(Linear(1, 1, bias=False)), 1, {"epoch": 1})),
    }


def spiral_splits(arms, seed):
    """The spiral's splits (cut by the submission's split function)."""
    splits = make_spiral(samples_per_arm=50, arms=arms, noise=0.2, seed=seed)
    return {part: [np.array(getattr(splits, part)[0], dtype=np.float64), np.array(getattr(splits, part)[1], dtype=np.int64)]
            for part in ("train", "validation", "test")}


# The Trainer.

def train_step(seed, clip_norm=None, learning_rate=0.3, stale=False):
    """One train_step on a fresh model; with stale=True every parameter first holds a gradient of ones, left from
    an earlier batch, which zero_grad must clear."""
    x, y = _problem(seed, 6)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=learning_rate),
                      clip_norm=clip_norm)
    if stale:
        for weight in model.parameters():
            weight.grad = Variable(np.ones(weight.shape), requires_grad=False)
    result = runner.train_step(x, y)
    return {
        "loss": _as_sent(result.loss),
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
    measured = runner.evaluate(_batches(x, y, batch_size))
    return {
        "keys": sorted(measured),
        "loss": float(measured["loss"]),
        "accuracy": float(measured["accuracy"]),
        "weights afterwards": _weights(model),
        # in the mode the model was in before evaluate: with dropout (drawn from its seeded rng) in training
        "the model's output on x afterwards": np.array(model(x).data.data, dtype=np.float64),
    }


def _optimizer(name, model):
    if name == "SGD":
        return SGD(model.parameters(), learning_rate=0.2, momentum=0.5)
    return Adam(model.parameters(), learning_rate=0.01)


def fit_history(seed, n, batch_size, epochs, with_validation, clip_norm=None, optimizer="SGD"):
    """fit's History and weights, and those of a twin Trainer driven by hand: train_step on each batch, the
    epoch's means, evaluate on the validation batches. The grader compares the two (fit's bookkeeping, whatever
    train_step computes); the first step's loss is the run's evidence, compared with the reference's."""
    x, y = _problem(seed, n)
    train = _batches(x, y, batch_size)
    val = _batches(*_problem(seed + 100, 7), 3) if with_validation else None
    model, twin = _mlp(seed), _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), _optimizer(optimizer, model), clip_norm=clip_norm)
    history = runner.fit(train, epochs=epochs, val_loader=val, verbose=0)
    history.epochs["epoch"].append(-1)  # seen through runner.history only if fit returned it
    returned_is_kept = runner.history.epochs["epoch"][-1] if runner.history.epochs["epoch"] else None
    history.epochs["epoch"].pop()

    hand = Trainer(twin, CrossEntropyLoss(), _optimizer(optimizer, twin), clip_norm=clip_norm)
    steps = {name: [] for name in STEP_NAMES}
    epochs_seen = {name: [] for name in EPOCH_NAMES}
    for epoch in range(1, epochs + 1):
        losses, sizes, correct, norms, rates = [], [], [], [], []
        for inputs, targets in train:
            rate = float(hand.optimizer.learning_rate)
            result = hand.train_step(inputs, targets)
            losses.append(float(result.loss))
            sizes.append(len(targets))
            correct.append(accuracy(result.outputs, targets) * len(targets))
            norms.append(float(result.grad_norm))
            rates.append(rate)
            for name, value in zip(STEP_NAMES, (len(steps["step"]) + 1, epoch, losses[-1], rate, norms[-1])):
                steps[name].append(value)
        measured = hand.evaluate(val) if val is not None else {"loss": math.nan, "accuracy": math.nan}
        row = (epoch, float(np.dot(losses, sizes) / sum(sizes)), float(sum(correct) / sum(sizes)),
               float(measured["loss"]), float(measured["accuracy"]), rates[0], float(np.mean(norms)))
        for name, value in zip(EPOCH_NAMES, row):
            epochs_seen[name].append(value)
    return {**_history(history), "weights": _weights(model),
            "returned history appended to, read through trainer.history": _as_sent(returned_is_kept),
            "by hand": {"epochs": {name: _floats(values) for name, values in epochs_seen.items()},
                        "steps": {name: _floats(values) for name, values in steps.items()},
                        "weights": _weights(twin)}}


def fit_twice(seed):
    """Two fit calls on the same Trainer: the numbering of epochs and steps continues."""
    x, y = _problem(seed, 8)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1))
    loader = _batches(x, y, 3)
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
    runner.fit(_batches(x, y, 3), epochs=2, callbacks=[Recorder()], verbose=0)
    return events


def scheduled_rates(interval, seed):
    x, y = _problem(seed, 7)
    model = _mlp(seed)
    optimizer = SGD(model.parameters(), learning_rate=0.5)
    runner = Trainer(model, CrossEntropyLoss(), optimizer, scheduler=ExponentialLR(optimizer, gamma=0.7),
                      scheduler_interval=interval)
    history = runner.fit(_batches(x, y, 3), epochs=3, verbose=0)
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
    }


def early_stopping_in_fit(seed, patience):
    """EarlyStopping on a run that overfits: where it stops, its best epoch, and the weights the model ends with,
    next to the weights it had at the end of the epoch of lowest val_loss (kept by another callback). The
    untrained model's val_loss (the submission's evaluate) is the run's evidence."""
    data = make_spiral(samples_per_arm=30, noise=0.25, seed=seed, validation_fraction=0.4, test_fraction=0.0)
    model = Sequential(Linear(2, 64, rng=seed), ReLU(), Linear(64, 64, rng=seed + 1), ReLU(), Linear(64, 3, rng=seed + 2))
    runner = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    order = np.random.default_rng(0).permutation(len(data.train[1]))
    train = _batches(data.train[0][order], data.train[1][order], 8)
    val = _batches(*data.validation, 100)
    evidence = _untrained_val_loss(runner, _batches(*data.validation, 1))
    keep, stopper = _Keep(), EarlyStopping(patience=patience)
    history = runner.fit(train, epochs=150, val_loader=val, callbacks=[keep, stopper], verbose=0)
    val_loss = _floats(history.epochs["val_loss"])
    lowest = int(np.argmin(val_loss)) + 1 if len(val_loss) else None
    return {"untrained val_loss": evidence, "epochs_run": len(history), "best_epoch": stopper.best_epoch,
            "epoch of lowest val_loss": lowest, "val_loss": val_loss, "weights at the end": _weights(model),
            "weights at the end of the epoch of lowest val_loss": keep.states.get(lowest)}


def lr_rescue(losses, factor, spike, smoothing, min_lr, learning_rate):
    """Feed losses to LRRescue; a nan or inf comes with corrupted weights that must be restored."""
    model = Linear(2, 2, rng=3)
    optimizer = SGD(model.parameters(), learning_rate=learning_rate, momentum=0.9)
    runner = _FakeTrainer(model, optimizer)
    rescue = LRRescue(factor=factor, spike=spike, smoothing=smoothing, min_lr=min_lr)
    rescue.on_train_begin(runner)
    rescue.on_epoch_begin(runner, epoch=1)
    rates, averages, weights = [], [], []
    for step, loss in enumerate(losses, start=1):
        loss = float(loss)
        if not math.isfinite(loss):
            for weight in model.parameters():
                weight.data.data[...] = np.nan
        rescue.on_batch_end(runner, step, {"step": step, "loss": loss})
        rates.append(float(optimizer.learning_rate))
        averages.append(math.nan if rescue.average is None else float(rescue.average))
        weights.append(_weights(model))
    events = [[int(e["step"]), float(e["loss"]), float(e["learning_rate"]), str(e["reason"])] for e in rescue.events]
    return {"rates": np.array(rates), "averages": np.array(averages), "weights": weights, "events": events}


def overfit(seed, steps):
    """overfit_one_batch's losses, and those of a twin Trainer's train_step called `steps` times by hand; then
    the History of a 1-epoch fit that follows each (overfit_one_batch must not record History). The first loss
    is the run's evidence, compared with the reference's."""
    x, y = _problem(seed, 12, features=4, classes=4)
    runners = []
    for _ in range(2):
        model = Sequential(Linear(4, 32, rng=seed), ReLU(), Linear(32, 4, rng=seed + 1))
        runners.append(Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01)))
    losses = overfit_one_batch(runners[0], x, y, steps=steps)
    by_hand = [float(runners[1].train_step(x, y).loss) for _ in range(steps)]
    batches = _batches(x, y, 5)
    return {"losses": [_as_sent(loss) for loss in losses] if isinstance(losses, list) else _as_sent(losses),
            "losses by hand": _floats(by_hand),
            "history of a 1-epoch fit that follows": _history(runners[0].fit(batches, epochs=1, verbose=0)),
            "history of a 1-epoch fit that follows by hand": _history(runners[1].fit(batches, epochs=1, verbose=0))}


def checkpoint_and_csv(seed):
    """ModelCheckpoint and CSVLogger in a fit with validation: the val_loss of each epoch, the checkpoints
    written, a fresh model after loading the last one, the weights at the end of each epoch (kept by another
    callback), and the CSV read back. The untrained model's val_loss is the run's evidence."""
    folder = Path(tempfile.mkdtemp())
    x, y = _problem(seed, 12)
    model = _mlp(seed)
    runner = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.3))
    val = _batches(*_problem(seed + 1, 6), 1)
    evidence = _untrained_val_loss(runner, val)
    checkpoint, keep = ModelCheckpoint(folder / "best{epoch}"), _Keep()
    history = runner.fit(_batches(x, y, 5), epochs=4, val_loader=val,
                         callbacks=[keep, checkpoint, CSVLogger(folder / "log.csv")], verbose=0)
    fresh = _mlp(seed + 50)
    load_checkpoint(fresh, checkpoint.saved[-1])
    lines = (folder / "log.csv").read_text().splitlines()
    return {"untrained val_loss": evidence, "saved": [Path(path).name for path in checkpoint.saved],
            "val_loss": _floats(history.epochs["val_loss"]), "reloaded": _weights(fresh),
            "weights at the end of each epoch": [keep.states[epoch] for epoch in sorted(keep.states)],
            "csv_header": lines[0], "csv_rows": [[float(value) for value in line.split(",")] for line in lines[1:]],
            "epochs": {name: _floats(values) for name, values in history.epochs.items()}}
