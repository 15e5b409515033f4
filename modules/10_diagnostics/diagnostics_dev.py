# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 10: Diagnostics
#
# Module 6 taught you to read loss curves by eye and to overfit one batch before a long run. This module turns
# that habit into tools:
#
# 1. `diagnose(history)`: rules that read a run's loss curves and return a verdict (the learning rate far too
#    high, too high or too low, overfitting, underfitting, a dead network, or healthy), the numbers that decided
#    it, and the first thing to try;
# 2. four **instruments** that look inside the network, layer by layer: gradient norms, the fraction of dead
#    ReLUs, the size of each update relative to the weights, and activation statistics;
# 3. `checkup(model, loss, data, optimizer)`: one call that overfits one batch, sweeps the learning rate
#    (module 8's finder), reads the instruments before and after a few steps, and names what looks wrong.
#
# You will then run the check-up on four broken models and write down what it found. Everything lands in
# `tinytorch.core.diagnostics`.

# %% nbgrader={"grade": false, "grade_id": "diagnostics-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.diagnostics
#| export
import math
from dataclasses import dataclass, field

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.data import DataLoader, TensorDataset
from tinytorch.core.layers import ReLU, Sequential, Sigmoid, Tanh
from tinytorch.core.schedulers import LRFinderResult, find_learning_rate
from tinytorch.core.training import Callback, History, Trainer

# %%
import matplotlib.pyplot as plt
import pytest

from tinytorch.core.data import make_spiral
from tinytorch.core.layers import Linear, Softmax
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam

# Every run of this lesson is short on purpose (the whole notebook takes seconds): the failures show within 20
# epochs, and some look different after 40 (the network that dies below partly comes back to life).

# %% [markdown]
# ## 1. Rules for loss curves
#
# Module 6's table said what each shape of curve usually means. To let a program say it, each shape needs a
# number, and each number a threshold. `diagnose` reads the training loss per epoch (and the validation loss,
# when the run had a validation set) and computes this **evidence**:
#
# | evidence | definition | what it measures |
# | --- | --- | --- |
# | `non_finite_at` | the epoch (from 1) of the first training loss that is nan or inf; 0 if none | blow-up |
# | `end_over_start` | last training loss / first training loss | did the run end worse than it started? |
# | `end_over_chance` | last training loss / ln(classes) | worse than a uniform guess? |
# | `chance_gap` | \|mean of the last third of the losses - ln(classes)\| / ln(classes) | stuck at a uniform guess? |
# | `rises` | the sum of the increases from one epoch to the next / first training loss | zig-zag |
# | `total_drop` | 1 - last / first training loss | how much was learned |
# | `late_share` | (loss at epoch index n // 2 - last) / (first - last); 0 if the loss did not fall | still falling? |
# | `val_rise` | last validation loss / lowest validation loss - 1 | validation going back up |
# | `train_fall_after_val_min` | 1 - last training loss / training loss at the epoch of the lowest validation loss | training still falling |
#
# `end_over_chance` and `chance_gap` need the number of classes (a classifier's loss at a uniform guess is
# ln(classes)); the last two need a validation curve. When a training loss is not finite, only
# `non_finite_at` is computed: nothing else means anything after a blow-up.
#
# The **rules** then look at the evidence in this order; the first that matches gives the verdict:
#
# | verdict | rule | first thing to try |
# | --- | --- | --- |
# | `lr_far_too_high` | a non-finite loss, or `end_over_start` > 1, or `end_over_chance` > 2 | divide the rate by 10 |
# | `dead_network` | `chance_gap` < 0.03 and `late_share` < 0.3 (flat at a uniform guess) | a lower rate, check the initialisation |
# | `overfitting` | `val_rise` > 0.1 and `train_fall_after_val_min` > 0.05 | early stopping, regularisation |
# | `lr_too_high` | `rises` > 0.2 | divide the rate by 3, or a schedule |
# | `lr_too_low` | `total_drop` < 0.5 and `late_share` > 0.3 (a slow, steady fall) | multiply the rate by 3 to 10 |
# | `underfitting` | `total_drop` < 0.5 otherwise (flat, and high) | a bigger model, or train longer |
# | `healthy` | none of the above | keep going |
#
# A rule that needs evidence the run does not have (no classes, no validation) does not match. The order
# matters: a network that died after a burst has a loss that fell a lot from its first epoch, and an
# overfitting run on a small, noisy set zig-zags; each is caught by a rule before the one it would fool.
#
# These thresholds are not laws. They were set on the runs of this lesson and on the synthetic curves below,
# and the last question asks you where they break.

# %% nbgrader={"grade": false, "grade_id": "diagnosis-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
VERDICTS = ("lr_far_too_high", "dead_network", "overfitting", "lr_too_high", "lr_too_low", "underfitting", "healthy")

FIRST_FIXES = {
    "lr_far_too_high": "divide the learning rate by 10 (and check the loss for a log of 0)",
    "dead_network": "restart with a learning rate 10x lower, and check the initialisation (dead ReLUs, saturation)",
    "overfitting": "keep the weights of the best validation epoch (EarlyStopping), then regularise: weight decay, "
                   "dropout, more data or a smaller model",
    "lr_too_high": "divide the learning rate by 3, or decay it with a schedule",
    "lr_too_low": "multiply the learning rate by 3 to 10 (run the learning-rate finder)",
    "underfitting": "give the model more capacity (wider or deeper), or train longer at a higher rate",
    "healthy": "nothing to fix: train longer, or tune for the last few percent",
}

# The thresholds of the rules (the table above).
FAR_ABOVE_CHANCE = 2.0   # lr_far_too_high: the last loss above twice ln(classes)
CHANCE_GAP = 0.03        # dead_network: the last third within 3% of ln(classes) ...
LATE_SHARE = 0.3         # ... and the second half gave less than 30% of the fall (for lr_too_low: more)
VAL_RISE = 0.1           # overfitting: validation 10% above its lowest ...
TRAIN_FALL = 0.05        # ... while training fell by more than 5% after that epoch
ROUGH = 0.2              # lr_too_high: the increases add up to more than a fifth of the first loss
SLOW = 0.5               # lr_too_low and underfitting: less than half of the first loss was lost


@dataclass
class Diagnosis:
    """What diagnose found: the verdict, the evidence (name -> Python float) and the first thing to try."""

    verdict: str
    evidence: dict
    first_fix: str

    def __str__(self):
        numbers = ", ".join(f"{name} {value:.3g}" for name, value in self.evidence.items())
        return f"{self.verdict} ({numbers}); first try: {self.first_fix}"


def loss_curves(history):
    """(training losses, validation losses or None), one per epoch, as float64 arrays.

    `history` is a History (its epochs) or a dict with a list "loss" and optionally "val_loss". A validation
    curve of another length, or all nan (a run without a validation loader), counts as none.
    """
    epochs = history.epochs if isinstance(history, History) else history
    train = np.asarray(epochs["loss"], dtype=np.float64)
    val = epochs.get("val_loss")
    val = None if val is None else np.asarray(val, dtype=np.float64)
    if val is not None and (val.shape != train.shape or np.all(np.isnan(val))):
        val = None
    if train.ndim != 1 or train.size < 3:
        raise ValueError(f"invalid history: diagnose needs at least 3 epochs of training loss, got {train.size}")
    return train, val

# %% [markdown]
# Write `curve_evidence` and `verdict_of`, following the two tables. Return Python floats (`float(...)`), and
# leave out the evidence a run cannot give.

# %% nbgrader={"grade": false, "grade_id": "curve-evidence", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def curve_evidence(train, val=None, classes=None):
    """The evidence of the first table, as a dict {name: Python float}, from the float64 arrays of loss_curves.

    Always "non_finite_at"; if it is not 0, nothing else. Otherwise also "end_over_start", "rises",
    "total_drop" and "late_share"; with `classes` (an int), "end_over_chance" and "chance_gap" (the last third
    is train[-(n // 3):] for n epochs); with a finite validation curve `val`, "val_rise" and
    "train_fall_after_val_min" (the epoch of the lowest validation loss is np.argmin(val)).
    """
    ### BEGIN SOLUTION
    n = train.size
    finite = np.isfinite(train)
    evidence = {"non_finite_at": 0.0 if finite.all() else float(np.argmin(finite) + 1)}
    if not finite.all():
        return evidence
    start, end = train[0], train[-1]
    evidence["end_over_start"] = float(end / start)
    evidence["rises"] = float(np.clip(np.diff(train), 0.0, None).sum() / start)
    evidence["total_drop"] = float(1.0 - end / start)
    evidence["late_share"] = float((train[n // 2] - end) / (start - end)) if start > end else 0.0
    if classes is not None:
        chance = math.log(classes)
        evidence["end_over_chance"] = float(end / chance)
        evidence["chance_gap"] = float(abs(train[-(n // 3):].mean() - chance) / chance)
    if val is not None and np.isfinite(val).all():
        best = int(np.argmin(val))
        evidence["val_rise"] = float(val[-1] / val[best] - 1.0)
        evidence["train_fall_after_val_min"] = float(1.0 - end / train[best])
    return evidence
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "verdict-of", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def verdict_of(evidence):
    """The verdict of the second table: the first rule, in the table's order, that matches `evidence`.

    A rule whose evidence is missing does not match (evidence.get(name) is None).
    """
    ### BEGIN SOLUTION
    def has(name):
        return evidence.get(name) is not None

    if evidence["non_finite_at"] > 0 or evidence["end_over_start"] > 1.0 or \
            (has("end_over_chance") and evidence["end_over_chance"] > FAR_ABOVE_CHANCE):
        return "lr_far_too_high"
    if has("chance_gap") and evidence["chance_gap"] < CHANCE_GAP and evidence["late_share"] < LATE_SHARE:
        return "dead_network"
    if has("val_rise") and evidence["val_rise"] > VAL_RISE and evidence["train_fall_after_val_min"] > TRAIN_FALL:
        return "overfitting"
    if evidence["rises"] > ROUGH:
        return "lr_too_high"
    if evidence["total_drop"] < SLOW:
        return "lr_too_low" if evidence["late_share"] > LATE_SHARE else "underfitting"
    return "healthy"
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "diagnose", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def diagnose(history, classes=None):
    """A Diagnosis of a run's loss curves (a History, or a dict of lists "loss" and optionally "val_loss").

    classes: the number of classes of a classifier trained with cross-entropy (enables the ln(classes) rules).
    """
    train, val = loss_curves(history)
    evidence = curve_evidence(train, val, classes)
    verdict = verdict_of(evidence)
    return Diagnosis(verdict, evidence, FIRST_FIXES[verdict])

# %% [markdown]
# ### Synthetic curves
#
# Before trusting the rules on real runs, try them where you know the answer: curves made from formulas, one
# per shape, 20 epochs each, over three classes (ln 3 ≈ 1.10).

# %% nbgrader={"grade": false, "grade_id": "example-curves", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def example_curves(epochs=20, seed=0):
    """One synthetic run per verdict, {verdict: {"loss": [...], optionally "val_loss": [...]}}, over 3 classes."""
    k = np.arange(epochs)
    rng = np.random.default_rng(seed)
    return {
        "healthy": {"loss": list(1.1 * np.exp(-k / 4) + 0.05), "val_loss": list(1.1 * np.exp(-k / 4) + 0.1)},
        "lr_far_too_high": {"loss": [1.1, 0.9, 0.8, 1.5, 4.0, 20.0] + [math.nan] * (epochs - 6)},
        "lr_too_high": {"loss": list(0.6 + 0.3 * np.exp(-k / 3) + 0.15 * (-1.0) ** k)},
        "lr_too_low": {"loss": list(1.1 - 0.3 * k / epochs)},
        "overfitting": {"loss": list(1.1 * np.exp(-k / 5)), "val_loss": list(0.5 + 0.6 * np.exp(-k / 3) + 0.03 * k)},
        "underfitting": {"loss": list(0.75 + 0.3 * np.exp(-k))},
        "dead_network": {"loss": [2.0, 3.0, 1.3] + list(math.log(3) + 0.005 * rng.standard_normal(epochs - 3))},
    }

# %%
for name, curves in example_curves().items():
    print(f"{name:>16} -> {diagnose(curves, classes=3)}")

# %% nbgrader={"grade": true, "grade_id": "test-curve-evidence", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
def test_curve_evidence():
    """The evidence of the table, computed by hand on small curves."""
    train = np.array([2.0, 1.5, 1.6, 1.0, 1.2, 0.8])
    val = np.array([2.1, 1.6, 1.4, 1.5, 1.7, 1.9])
    got = curve_evidence(train, val, classes=4)
    expected = {"non_finite_at": 0.0, "end_over_start": 0.4, "rises": (0.1 + 0.2) / 2.0, "total_drop": 0.6,
                "late_share": (1.0 - 0.8) / (2.0 - 0.8), "end_over_chance": 0.8 / math.log(4),
                "chance_gap": abs(1.0 - math.log(4)) / math.log(4), "val_rise": 1.9 / 1.4 - 1,
                "train_fall_after_val_min": 1 - 0.8 / 1.6}
    assert set(got) == set(expected), f"evidence: expected the names {sorted(expected)}, got {sorted(got)}"
    for name, value in expected.items():
        assert type(got[name]) is float, f"evidence {name}: a Python float expected, got {type(got[name]).__name__}"
        assert math.isclose(got[name], value, rel_tol=1e-12), \
            f"evidence {name}: expected {value:.6g}, got {got[name]:.6g}"
    got = curve_evidence(np.array([1.0, 0.9, 1.2]))
    assert set(got) == {"non_finite_at", "end_over_start", "rises", "total_drop", "late_share"}, \
        f"evidence without classes or validation: expected five names, got {sorted(got)}"
    assert got["late_share"] == 0.0, f"late_share of a loss that did not fall: expected 0.0, got {got['late_share']}"
    got = curve_evidence(np.array([1.0, 0.9, np.inf, np.nan]), np.array([1.0, 1.0, 1.0, 1.0]), classes=3)
    assert got == {"non_finite_at": 3.0}, \
        f"evidence of a blow-up at epoch 3: expected only non_finite_at 3.0, got {got}"
    ### BEGIN HIDDEN TESTS
    got = curve_evidence(np.array([3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.25]), np.array([np.nan] * 7), classes=10)
    assert "val_rise" not in got and math.isclose(got["chance_gap"], abs(0.275 - math.log(10)) / math.log(10))
    ### END HIDDEN TESTS

test_curve_evidence()

# %% nbgrader={"grade": true, "grade_id": "test-verdicts-synthetic", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
def test_verdicts_synthetic():
    """Each synthetic curve gets its own verdict, the evidence that decided it and its first fix."""
    for name, curves in example_curves().items():
        diagnosis = diagnose(curves, classes=3)
        assert diagnosis.verdict == name, f"diagnose on the synthetic {name} curve: got {diagnosis}"
        assert diagnosis.first_fix == FIRST_FIXES[name], f"diagnose: the first fix of {name} is FIRST_FIXES[{name!r}]"
    ### BEGIN HIDDEN TESTS
    assert diagnose({"loss": [1.0, 2.0, 3.0]}).verdict == "lr_far_too_high"
    ### END HIDDEN TESTS

test_verdicts_synthetic()

# %% [markdown]
# The borderline cases matter as much: each rule must stop where the table says. A loss that drops by just under
# half is slow; just over half is not. A validation loss 9% above its lowest is noise; 11% is overfitting. And a
# run without the number of classes cannot be called dead.

# %% nbgrader={"grade": true, "grade_id": "test-verdicts-borderline", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_verdicts_borderline():
    """Curves on either side of each threshold, and rules that need evidence the run does not have."""
    steady = list(np.linspace(1.0, 0.52, 10))
    assert diagnose({"loss": steady}).verdict == "lr_too_low", "a steady fall of 48%: lr_too_low"
    assert diagnose({"loss": list(np.linspace(1.0, 0.48, 10))}).verdict == "healthy", "a steady fall of 52%: healthy"
    falling = list(1.0 * np.exp(-np.arange(10) / 3))
    for rise, verdict in ((0.09, "healthy"), (0.11, "overfitting")):
        val = [0.5] * 9 + [0.5 * (1 + rise)]
        assert diagnose({"loss": falling, "val_loss": val}).verdict == verdict, \
            f"validation {rise:.0%} above its lowest while training falls: {verdict}"
    flat = [1.2] + [math.log(3)] * 9
    assert diagnose({"loss": flat}, classes=3).verdict == "dead_network", "flat at ln 3 with classes=3: dead_network"
    assert diagnose({"loss": flat}).verdict == "underfitting", \
        "without classes the dead-network rule cannot match: a flat curve that lost 8% is underfitting"
    ### BEGIN HIDDEN TESTS
    assert diagnose({"loss": [1.0, 0.5, 0.7, 0.4, 0.42]}).verdict == "lr_too_high"
    ### END HIDDEN TESTS

test_verdicts_borderline()

# %% [markdown]
# ## 2. Real runs, made to fail each way
#
# Now on real training: module 6's three-armed spiral, a small MLP, and seven runs that differ in one setting
# each. `plot_diagnoses` (given) draws each run's curves with `diagnose`'s verdict in its title.

# %% nbgrader={"grade": false, "grade_id": "plot-diagnoses", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def plot_diagnoses(histories, classes=None, columns=4):
    """A matplotlib Figure: one panel per run of `histories` ({title: History or dict}), training loss (blue) and
    validation loss (orange) per epoch on a log axis, with diagnose's verdict under the title."""
    import matplotlib.pyplot as plt

    rows = -(-len(histories) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False)
    for ax, (title, history) in zip(axes.flat, histories.items()):
        train, val = loss_curves(history)
        epochs = np.arange(1, train.size + 1)
        shown = np.where(np.isfinite(train), train, np.nan)
        ax.plot(epochs, shown, "o-", markersize=2, color="tab:blue", label="train")
        if val is not None:
            ax.plot(epochs, val, "o-", markersize=2, color="tab:orange", label="validation")
        if classes is not None:
            ax.axhline(math.log(classes), color="gray", linestyle=":", linewidth=1)
        if np.nanmin(shown) > 0 and np.nanmax(shown) > 20 * np.nanmin(shown):
            ax.set_yscale("log")
        verdict = diagnose(history, classes).verdict
        ax.set_title(f"{title}\n-> {verdict}", fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    for ax in list(axes.flat)[len(histories):]:
        ax.axis("off")
    fig.tight_layout()
    return fig

# %%
SPIRAL = make_spiral(samples_per_arm=100, arms=3, noise=0.1, seed=0)
SCARCE = make_spiral(samples_per_arm=30, arms=3, noise=0.25, seed=1, validation_fraction=0.5, test_fraction=0.0)
RUN_EPOCHS = 20


def spiral_mlp(hidden=32, seed=0):
    """2 -> hidden -> hidden -> 3, with ReLU and He initialisation."""
    return Sequential(Linear(2, hidden, rng=seed), ReLU(), Linear(hidden, hidden, rng=seed + 1), ReLU(),
                      Linear(hidden, 3, rng=seed + 2))


def spiral_run(model, optimizer, data=SPIRAL, epochs=RUN_EPOCHS, batch_size=32, callbacks=()):
    """Train `model` on `data` with cross-entropy; return the History (training and validation losses)."""
    trainer = Trainer(model, CrossEntropyLoss(), optimizer)
    with np.errstate(all="ignore"):  # the runs that blow up overflow on purpose
        return trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=batch_size, shuffle=True, seed=0),
                           epochs=epochs, val_loader=DataLoader(TensorDataset(*data.validation), batch_size=500),
                           callbacks=callbacks, verbose=0)


def failing_runs():
    """Seven runs on the spiral, each made to fail one way (or not at all): {what was done: History}."""
    runs = {}
    model = spiral_mlp()
    runs["Adam 0.01"] = spiral_run(model, Adam(model.parameters(), learning_rate=0.01))
    model = spiral_mlp()
    runs["SGD 500, momentum 0.9"] = spiral_run(model, SGD(model.parameters(), learning_rate=500.0, momentum=0.9))
    model = spiral_mlp()
    runs["SGD 0.5, momentum 0.9"] = spiral_run(model, SGD(model.parameters(), learning_rate=0.5, momentum=0.9))
    model = spiral_mlp()
    runs["Adam 1e-4"] = spiral_run(model, Adam(model.parameters(), learning_rate=1e-4))
    model = spiral_mlp(hidden=128)
    runs["128 units, 45 noisy points"] = spiral_run(model, Adam(model.parameters(), learning_rate=0.01), data=SCARCE,
                                                    epochs=3 * RUN_EPOCHS, batch_size=16)
    model = Sequential(Linear(2, 3, rng=0))
    runs["no hidden layer"] = spiral_run(model, Adam(model.parameters(), learning_rate=0.05))
    model = spiral_mlp()
    runs["Adam 1.0"] = spiral_run(model, Adam(model.parameters(), learning_rate=1.0))
    return runs


RUNS = failing_runs()
plot_diagnoses(RUNS, classes=3)
plt.show()
for name, history in RUNS.items():
    print(f"{name:>28}: {diagnose(history, classes=3)}")

# %% [markdown]
# Each run fails the way it was made to. SGD at a rate of 500 throws the weights so far in the first batches that
# the logits are huge and the loss sits in the hundreds, far above ln 3: the log-sum-exp of module 5 keeps it
# finite, so the evidence is `end_over_chance`, not a nan. SGD at 0.5 with momentum zig-zags. Adam at $10^{-4}$
# falls in a slow straight line. The wide network on 45 noisy points memorises them while its validation loss
# turns back up. A linear model cannot separate spiral arms, so its loss flattens high. Adam at 1.0 kills the
# ReLUs in its first steps and the loss settles at ln 3 (the dotted line).

# %% nbgrader={"grade": true, "grade_id": "test-diagnose-real-runs", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_diagnose_real_runs():
    """diagnose names the way each of the lesson's seven runs on the spiral was made to fail."""
    from tinytorch.core.data import make_spiral
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD, Adam

    spiral = make_spiral(samples_per_arm=100, arms=3, noise=0.1, seed=0)
    scarce = make_spiral(samples_per_arm=30, arms=3, noise=0.25, seed=1, validation_fraction=0.5, test_fraction=0.0)

    def mlp(hidden=32):
        return Sequential(Linear(2, hidden, rng=0), ReLU(), Linear(hidden, hidden, rng=1), ReLU(),
                          Linear(hidden, 3, rng=2))

    def run(model, optimizer, rate, data=spiral, epochs=20, batch_size=32, **settings):
        trainer = Trainer(model, CrossEntropyLoss(), optimizer(model.parameters(), learning_rate=rate, **settings))
        with np.errstate(all="ignore"):
            return trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=batch_size, shuffle=True, seed=0),
                               epochs=epochs, val_loader=DataLoader(TensorDataset(*data.validation), batch_size=500),
                               verbose=0)

    runs = {"healthy": run(mlp(), Adam, 0.01), "lr_far_too_high": run(mlp(), SGD, 500.0, momentum=0.9),
            "lr_too_high": run(mlp(), SGD, 0.5, momentum=0.9), "lr_too_low": run(mlp(), Adam, 1e-4),
            "overfitting": run(mlp(128), Adam, 0.01, data=scarce, epochs=60, batch_size=16),
            "underfitting": run(Sequential(Linear(2, 3, rng=0)), Adam, 0.05), "dead_network": run(mlp(), Adam, 1.0)}
    got = {made: diagnose(history, classes=3).verdict for made, history in runs.items()}
    assert got == {made: made for made in runs}, f"diagnose on the lesson's runs, each made to fail one way: got {got}"

test_diagnose_real_runs()

# %% [markdown]
# ## 3. Instruments: looking inside, layer by layer
#
# A verdict on the curves says *that* something is wrong; the instruments say *where*. Each reads one number
# per layer (or per parameter), at one moment or over training.
#
# - **Gradient norm per parameter**, $\lVert \nabla_w L \rVert_2$. Module 6's global norm adds every layer
#   together; per layer, a gradient that shrinks from the last layer to the first (vanishing) or grows
#   (exploding) shows up at once, and a parameter whose gradient is exactly 0 receives no signal at all.
# - **Update/weight ratio**, $\lVert w_{t+1} - w_t \rVert / \lVert w_t \rVert$: how much one step changes a
#   weight matrix, relative to its size. A rule of thumb (from Karpathy's CS231n notes) says about $10^{-3}$
#   is healthy for SGD: far above and the weights are thrown around, far below and they barely move. Adam's
#   steps are about the learning rate per entry, so its ratios sit higher. A ratio of exactly 0 while the
#   gradient is not 0 means the optimizer never touches that parameter. A parameter that is 0 (a bias at the
#   start) has no ratio: nan.
# - **Activation statistics**: the mean and standard deviation of each layer's output over a batch, and the
#   fraction of **saturated** outputs, where the activation's derivative is below 1% of its largest value and
#   passes almost no gradient back: a ReLU output of 0 (derivative 0), a sigmoid output $s$ with
#   $s(1-s) < 0.01 \cdot 0.25$, a tanh output $t$ with $1 - t^2 < 0.01$. Other layers have no saturation (nan).
# - **Dead ReLUs**: the fraction of a ReLU layer's units that output 0 for *every* example of the batch. Such a
#   unit gets no gradient and, with plain SGD, never comes back.
#
# The instruments read the layers of a `Sequential` one by one with `layer_outputs` (given).

# %% nbgrader={"grade": false, "grade_id": "layer-outputs", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def layer_outputs(model, inputs):
    """[(name, layer, output ndarray)] for each layer of the Sequential `model` run on `inputs`; names are the
    layers' positions as strings ("0", "1", ...), as in named_parameters(). No gradient is recorded."""
    if not isinstance(model, Sequential):
        raise ValueError(f"invalid model: the instruments read the layers of a Sequential, got {type(model).__name__}")
    x = Variable(np.asarray(inputs), requires_grad=False)
    outputs = []
    for index, layer in enumerate(model):
        x = layer(x)
        outputs.append((str(index), layer, x.data.data))
    return outputs


def parameter_values(model):
    """{name: a float64 copy of the parameter's values} for every parameter of `model`."""
    return {name: np.array(parameter.data.data, dtype=np.float64, copy=True)
            for name, parameter in model.named_parameters()}

# %% nbgrader={"grade": false, "grade_id": "instruments", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def gradient_norms(model):
    """{name: the 2-norm of the parameter's gradient, a Python float} for every parameter of
    model.named_parameters(), in that order; 0.0 for a parameter whose grad is None."""
    ### BEGIN SOLUTION
    return {name: float(np.linalg.norm(parameter.grad.data.data)) if parameter.grad is not None else 0.0
            for name, parameter in model.named_parameters()}
    ### END SOLUTION


def update_ratios(before, model):
    """{name: ||after - before|| / ||before||, a Python float} for every parameter, where `before` is
    parameter_values(model) taken before the step and `after` the parameter's values now; nan where
    ||before|| is 0."""
    ### BEGIN SOLUTION
    ratios = {}
    for name, parameter in model.named_parameters():
        old = before[name]
        size = np.linalg.norm(old)
        ratios[name] = float(np.linalg.norm(parameter.data.data - old) / size) if size > 0 else math.nan
    return ratios
    ### END SOLUTION


def saturated_fraction(layer, output):
    """The fraction (a Python float) of `output` entries where `layer`'s derivative is below 1% of its largest:
    ReLU: output <= 0; Sigmoid: s * (1 - s) < 0.01 * 0.25; Tanh: 1 - t**2 < 0.01; any other layer: nan."""
    ### BEGIN SOLUTION
    if isinstance(layer, ReLU):
        return float(np.mean(output <= 0))
    if isinstance(layer, Sigmoid):
        return float(np.mean(output * (1 - output) < 0.01 * 0.25))
    if isinstance(layer, Tanh):
        return float(np.mean(1 - output**2 < 0.01))
    return math.nan
    ### END SOLUTION


def activation_statistics(model, inputs):
    """{layer name: {"layer": the layer's class name, "mean": ..., "std": ..., "saturated": ...}} for each layer
    of layer_outputs(model, inputs): the mean and (population) standard deviation of the layer's output over
    all its entries, and saturated_fraction(layer, output); numbers as Python floats."""
    ### BEGIN SOLUTION
    return {name: {"layer": type(layer).__name__, "mean": float(output.mean()), "std": float(output.std()),
                   "saturated": saturated_fraction(layer, output)}
            for name, layer, output in layer_outputs(model, inputs)}
    ### END SOLUTION


def dead_relu_fraction(model, inputs):
    """{layer name: the fraction of the layer's units (columns of its output) that are 0 for every example of
    `inputs`, a Python float}, for each ReLU layer of layer_outputs(model, inputs)."""
    ### BEGIN SOLUTION
    return {name: float(np.mean(np.all(output <= 0, axis=0)))
            for name, layer, output in layer_outputs(model, inputs) if isinstance(layer, ReLU)}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gradient-norms", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_gradient_norms():
    """gradient_norms gives each parameter's own 2-norm, in named_parameters() order, 0.0 without a gradient."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    model = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    assert gradient_norms(model) == {"0.weight": 0.0, "0.bias": 0.0, "2.weight": 0.0, "2.bias": 0.0}, \
        f"gradient norms before any backward pass: expected 0.0 for each parameter, got {gradient_norms(model)}"
    CrossEntropyLoss()(model(x), y).backward()
    got = gradient_norms(model)
    assert list(got) == ["0.weight", "0.bias", "2.weight", "2.bias"], \
        f"gradient norms: one entry per parameter in named_parameters() order, got {list(got)}"
    for name, parameter in model.named_parameters():
        expected = math.sqrt(float(np.sum(parameter.grad.data.data ** 2)))
        assert type(got[name]) is float and math.isclose(got[name], expected, rel_tol=1e-12), \
            f"gradient norm of {name}: expected {expected:.6g}, got {got[name]!r}"
    ### BEGIN HIDDEN TESTS
    assert sum(value**2 for value in got.values()) == pytest.approx(
        sum(float(np.sum(p.grad.data.data**2)) for p in model.parameters()), rel=1e-12)
    ### END HIDDEN TESTS

test_gradient_norms()

# %% nbgrader={"grade": true, "grade_id": "test-update-ratios", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_update_ratios():
    """update_ratios divides the change of each parameter by its size before the step; nan for a zero parameter."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    model = Sequential(Linear(3, 2, rng=0))
    before = parameter_values(model)
    model[0].weight.data.data[...] *= 1.001
    model[0].bias.data.data[...] += 0.5
    got = update_ratios(before, model)
    assert set(got) == {"0.weight", "0.bias"}, f"update ratios: one per parameter, got {sorted(got)}"
    assert type(got["0.weight"]) is float and math.isclose(got["0.weight"], 1e-3, rel_tol=1e-9), \
        f"update ratio of a weight scaled by 1.001: expected 1e-3, got {got['0.weight']!r}"
    assert math.isnan(got["0.bias"]), f"update ratio of a bias that was 0: expected nan, got {got['0.bias']}"
    before = parameter_values(model)
    model[0].weight.data.data[0] = 0.0
    expected = np.linalg.norm(before["0.weight"][0]) / np.linalg.norm(before["0.weight"])
    got = update_ratios(before, model)
    assert math.isclose(got["0.weight"], expected, rel_tol=1e-12) and got["0.bias"] == 0.0, \
        f"update ratios after zeroing a row: expected {expected:.6g} and 0.0, got {got}"

test_update_ratios()

# %% nbgrader={"grade": true, "grade_id": "test-activation-statistics", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_activation_statistics():
    """Mean, standard deviation and saturation of each layer's output, for ReLU, Sigmoid, Tanh and Linear."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    model = Sequential(Linear(4, 6, rng=0), Tanh(), Linear(6, 6, rng=1), Sigmoid(), Linear(6, 5, rng=2), ReLU())
    model[0].weight.data.data[...] *= 4.0  # push the tanh into saturation
    x = np.random.default_rng(1).normal(size=(50, 4))
    got = activation_statistics(model, x)
    outputs = [x]
    for layer in model:
        outputs.append(layer(Variable(outputs[-1], requires_grad=False)).data.data)
    assert list(got) == [str(i) for i in range(6)], f"activation statistics: one entry per layer, got {list(got)}"
    for index, layer in enumerate(model):
        out, stats = outputs[index + 1], got[str(index)]
        assert stats["layer"] == type(layer).__name__, \
            f"layer {index}: expected {type(layer).__name__}, got {stats['layer']}"
        assert math.isclose(stats["mean"], out.mean(), rel_tol=1e-12) and \
            math.isclose(stats["std"], out.std(), rel_tol=1e-12), \
            f"layer {index}: mean and std expected {out.mean():.6g}, {out.std():.6g}, " \
            f"got {stats['mean']:.6g}, {stats['std']:.6g}"
    expected = {"1": np.mean(1 - outputs[2]**2 < 0.01), "3": np.mean(outputs[4] * (1 - outputs[4]) < 0.0025),
                "5": np.mean(outputs[6] <= 0)}
    for name, value in expected.items():
        assert math.isclose(got[name]["saturated"], value, rel_tol=1e-12), \
            f"saturation of layer {name} ({got[name]['layer']}): expected {value:.4f}, got {got[name]['saturated']:.4f}"
    assert got["1"]["saturated"] > 0.3, "the tanh layer fed weights 4 times too large should be saturated"
    assert all(math.isnan(got[name]["saturated"]) for name in ("0", "2", "4")), "Linear layers: saturation nan"

test_activation_statistics()

# %% nbgrader={"grade": true, "grade_id": "test-dead-relu-fraction", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_dead_relu_fraction():
    """A unit is dead when it outputs 0 for every example; a unit at 0 for some examples is alive."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    model = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 3, rng=1), ReLU())
    model[0].weight.data.data[...] = [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    model[0].bias.data.data[...] = [0.0, 0.0, -1.0, 0.5]
    x = np.array([[1.0, 1.0], [-1.0, 2.0], [2.0, 3.0]])
    got = dead_relu_fraction(model, x)
    assert set(got) == {"1", "3"}, f"dead ReLUs: one entry per ReLU layer, got {sorted(got)}"
    # unit 0 is alive for x0 and x2, unit 1 for x1, unit 2 is always -1, unit 3 always positive
    assert got["1"] == 0.25, f"dead ReLUs of layer 1: one unit of four is 0 for every example, got {got['1']}"
    out = np.maximum(np.maximum(x @ model[0].weight.data.data.T + model[0].bias.data.data, 0)
                     @ model[2].weight.data.data.T, 0)
    assert got["3"] == np.mean(np.all(out <= 0, axis=0)), f"dead ReLUs of layer 3: got {got['3']}"

test_dead_relu_fraction()

# %% [markdown]
# ### Over training: a callback
#
# `LayerMonitor` records the gradient norms and update ratios of every parameter at every `every`-th step of a
# `Trainer.fit`. The Trainer calls `on_batch_begin` before the step and `on_batch_end` after it, with the
# gradients of that step still in place. Write both.

# %% nbgrader={"grade": false, "grade_id": "layer-monitor", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class LayerMonitor(Callback):
    """Per-parameter gradient norms and update/weight ratios during fit, at steps every, 2 * every, ..."""

    def __init__(self, every=1):
        if not (isinstance(every, int) and every >= 1):
            raise ValueError(f"invalid every: {every!r} (must be an integer >= 1)")
        self.every = every

    def on_train_begin(self, trainer):
        self.steps = []          # the steps recorded
        self.grad_norms = {}     # name -> [gradient norm at each recorded step]
        self.update_ratios = {}  # name -> [update ratio at each recorded step]
        self._before = None

    def on_batch_begin(self, trainer, step):
        """At a step that is a multiple of `every`, keep parameter_values(trainer.model) in self._before;
        otherwise set self._before to None."""
        ### BEGIN SOLUTION
        self._before = parameter_values(trainer.model) if step % self.every == 0 else None
        ### END SOLUTION

    def on_batch_end(self, trainer, step, logs):
        """If self._before is not None: append step to self.steps, and each parameter's gradient norm and update
        ratio (gradient_norms, update_ratios) to its list in self.grad_norms and self.update_ratios."""
        ### BEGIN SOLUTION
        if self._before is None:
            return
        self.steps.append(step)
        for name, value in gradient_norms(trainer.model).items():
            self.grad_norms.setdefault(name, []).append(value)
        for name, value in update_ratios(self._before, trainer.model).items():
            self.update_ratios.setdefault(name, []).append(value)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-layer-monitor", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_layer_monitor():
    """The monitor records, at every second step, what gradient_norms and update_ratios measure at that step."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(24, 2)), rng.integers(0, 3, size=24)
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD

    def mlp():
        return Sequential(Linear(2, 8, rng=5), ReLU(), Linear(8, 8, rng=6), ReLU(), Linear(8, 3, rng=7))

    model, twin = mlp(), mlp()
    monitor = LayerMonitor(every=2)
    Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1)).fit(
        DataLoader(TensorDataset(x, y), batch_size=8), epochs=2, callbacks=[monitor], verbose=0)
    assert monitor.steps == [2, 4, 6], \
        f"LayerMonitor(every=2) over 6 steps: expected steps [2, 4, 6], got {monitor.steps}"
    trainer = Trainer(twin, CrossEntropyLoss(), SGD(twin.parameters(), learning_rate=0.1))
    norms, ratios = {}, {}
    for step, (inputs, targets) in enumerate(list(DataLoader(TensorDataset(x, y), batch_size=8)) * 2, start=1):
        before = parameter_values(twin)
        trainer.train_step(inputs, targets)
        if step % 2 == 0:
            for name, parameter in twin.named_parameters():
                norms.setdefault(name, []).append(float(np.linalg.norm(parameter.grad.data.data)))
                ratios.setdefault(name, []).append(float(np.linalg.norm(parameter.data.data - before[name])
                                                         / np.linalg.norm(before[name])))
    for name in norms:
        assert np.allclose(monitor.grad_norms[name], norms[name], rtol=1e-10), \
            f"LayerMonitor gradient norms of {name}: expected {np.round(norms[name], 5)}, " \
            f"got {monitor.grad_norms[name]}"
        assert np.allclose(monitor.update_ratios[name], ratios[name], rtol=1e-10), \
            f"LayerMonitor update ratios of {name}: expected {np.round(ratios[name], 6)}, " \
            f"got {monitor.update_ratios[name]}"

test_layer_monitor()

# %% [markdown]
# Here are the instruments on three of the runs of section 2, retrained with a monitor: the healthy one, the
# one that zig-zags and the one that died. Gradient norms per weight matrix (left) and update/weight ratios
# (right, with the $10^{-3}$ line).

# %%
fig, axes = plt.subplots(3, 2, figsize=(11, 7.5), sharex=True)
for row, (title, make_optimizer) in enumerate((
        ("Adam 0.01", lambda m: Adam(m.parameters(), learning_rate=0.01)),
        ("SGD 0.5, momentum 0.9", lambda m: SGD(m.parameters(), learning_rate=0.5, momentum=0.9)),
        ("Adam 1.0", lambda m: Adam(m.parameters(), learning_rate=1.0)))):
    model, monitor = spiral_mlp(), LayerMonitor()
    spiral_run(model, make_optimizer(model), callbacks=[monitor], epochs=5)
    for name in ("0.weight", "2.weight", "4.weight"):
        axes[row, 0].plot(monitor.steps, np.maximum(monitor.grad_norms[name], 1e-12), linewidth=0.8, label=name)
        axes[row, 1].plot(monitor.steps, monitor.update_ratios[name], linewidth=0.8, label=name)
    axes[row, 1].axhline(1e-3, color="gray", linestyle=":")
    axes[row, 0].set(yscale="log", ylabel=title)
    axes[row, 1].set(yscale="log")
axes[0, 0].set_title("gradient norm per weight matrix")
axes[0, 1].set_title("update / weight ratio")
axes[0, 0].legend(fontsize=7)
for ax in axes[-1]:
    ax.set_xlabel("step")
fig.tight_layout()
plt.show()

# %% [markdown]
# In the healthy run Adam's ratios start near $10^{-2}$ and fall slowly; the first layer, whose two inputs give it
# small gradients, moves least. SGD at 0.5 changes the weight matrices by several percent at every step, up to 10%
# for the last one. The run at 1.0 starts with steps as large as the weights themselves (ratios near 1). From about
# step 20 on, the gradients of the first two weight matrices are exactly 0 on some batches (drawn at $10^{-12}$): on
# those batches no unit of the first ReLU layer is active. After these five epochs about 80% of the units of each
# ReLU layer output 0 for every training example, and what is left carries the small gradient of a network stuck
# near ln 3. The update ratios keep falling smoothly all the same: Adam's first moment keeps the weights moving for
# a while after their gradient has gone.
#
# ### Checking against PyTorch
#
# The instruments measure the same things PyTorch would: `tests/10_diagnostics` rebuilds the network in torch
# with the same weights and compares each parameter's gradient norm and each layer's activation statistics.
#
# ## 4. The check-up
#
# `checkup` puts it all together in one call, on a model you have not trained yet:
#
# 1. the loss and the instruments at initialisation, on one batch (the gradient norms after one backward pass);
# 2. `overfit_steps` steps on that batch (module 6's overfit-one-batch), recording the loss and the update
#    ratios of every step, then the instruments again;
# 3. a short learning-rate sweep (module 8's `find_learning_rate`, `sweep_steps` batches from $10^{-6}$ to 10)
#    over the data.
#
# The model and the optimizer are put back as they were at the end: the check-up trains nothing. The
# measurements go into a `CheckupReport`; `checkup_findings` (yours) reads it and lists the problems.

# %% nbgrader={"grade": false, "grade_id": "checkup-report", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
PROBLEMS = {
    "lr_too_high": "the learning rate is too high for this model",
    "lr_too_low": "the learning rate is too low: the weights barely move",
    "frozen_layer": "a parameter gets a gradient but never changes: is it in the optimizer?",
    "dead_relus": "most units of a ReLU layer are dead from the start",
    "saturated": "most outputs of a sigmoid or tanh layer are saturated from the start",
    "initial_loss_high": "the loss at initialisation is far above ln(classes): the initial weights are too large",
    "cannot_overfit": "the model cannot overfit one batch: check the loss and the model's last layer",
}


@dataclass
class CheckupReport:
    """What checkup measured (numbers as Python floats, per-parameter and per-layer dicts keyed by name)."""

    learning_rate: float
    chance_loss: float            # ln(classes), or nan without classes
    initial_loss: float           # the batch's loss at initialisation
    grad_norms: dict              # name -> gradient norm at initialisation
    activations: dict             # layer -> activation statistics at initialisation
    dead_relus: dict              # ReLU layer -> dead fraction at initialisation
    overfit_losses: list          # the loss of each step on the one batch
    update_ratios: dict           # name -> [update ratio of each of those steps]
    activations_after: dict       # layer -> activation statistics after them
    dead_relus_after: dict        # ReLU layer -> dead fraction after them
    sweep: LRFinderResult = None  # the learning-rate sweep (None if it was skipped)
    problems: list = field(default_factory=list)  # [{"problem": a key of PROBLEMS, "where": a name or ""}]

    def summary(self):
        """A few lines: the numbers that matter, then each problem found."""
        lines = [f"initial loss {self.initial_loss:.3f} (ln(classes) {self.chance_loss:.3f}); one batch: "
                 f"{self.overfit_losses[0]:.3f} -> {self.overfit_losses[-1]:.3g} in {len(self.overfit_losses)} steps"]
        if self.sweep is not None:
            lines.append(f"learning rate {self.learning_rate:.3g}; the sweep's lowest loss at "
                         f"{10 * self.sweep.min_div_10_lr:.3g}, steepest descent at {self.sweep.steepest_lr:.3g}")
        for name, stats in self.activations.items():
            if not math.isnan(stats["saturated"]):
                dead = f", dead units {self.dead_relus[name]:.0%}" if name in self.dead_relus else ""
                lines.append(f"layer {name} ({stats['layer']}): std {stats['std']:.3g}, saturated "
                             f"{stats['saturated']:.0%}{dead}")
        if not self.problems:
            lines.append("nothing looks wrong")
        for found in self.problems:
            where = f" ({found['where']})" if found["where"] else ""
            lines.append(f"PROBLEM {found['problem']}{where}: {PROBLEMS[found['problem']]}")
        return "\n".join(lines)

    def plot(self, title="Check-up"):
        """A Figure of four panels: the one-batch losses, the sweep, the update ratios and the saturation."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
        axes[0].plot(np.arange(1, len(self.overfit_losses) + 1), self.overfit_losses)
        axes[0].set(xlabel="step (one batch)", ylabel="loss", title="overfitting one batch")
        if all(loss > 0 for loss in self.overfit_losses if math.isfinite(loss)):
            axes[0].set_yscale("log")
        if self.sweep is not None:
            self.sweep.plot(axes[1], title="learning-rate sweep")
            axes[1].axvline(self.learning_rate, color="black", linewidth=1)
        for name, ratios in self.update_ratios.items():
            if name.endswith("weight"):
                axes[2].plot(np.arange(1, len(ratios) + 1), np.maximum(ratios, 1e-12), label=name)
        axes[2].axhline(1e-3, color="gray", linestyle=":")
        axes[2].set(yscale="log", xlabel="step (one batch)", title="update / weight ratio")
        axes[2].legend(fontsize=7)
        layers = [name for name, stats in self.activations.items() if not math.isnan(stats["saturated"])]
        positions = np.arange(len(layers))
        axes[3].bar(positions - 0.2, [self.activations[name]["saturated"] for name in layers], 0.4, label="at init")
        axes[3].bar(positions + 0.2, [self.activations_after[name]["saturated"] for name in layers], 0.4,
                    label="after")
        axes[3].set_xticks(positions, [f"{name} {self.activations[name]['layer']}" for name in layers], fontsize=7)
        axes[3].set(ylim=(0, 1), title="saturated outputs")
        axes[3].legend(fontsize=7)
        fig.suptitle(f"{title}: " + (", ".join(found["problem"] for found in self.problems) or "nothing found"))
        fig.tight_layout()
        return fig


def _loss_and_gradients(model, loss_fn, inputs, targets):
    """The batch's loss (a float) and the gradient norms after one backward pass; the gradients are cleared."""
    model.zero_grad()
    loss = loss_fn(model(Variable(inputs, requires_grad=False)), targets)
    loss.backward()
    norms = gradient_norms(model)
    model.zero_grad()
    return loss.item(), norms


def checkup(model, loss_fn, data, optimizer, classes=None, batch_size=32, overfit_steps=100, sweep_steps=50,
            verbose=True, plot=True):
    """Check a model before training it: see the steps above. `data` is (inputs, targets); the first
    `batch_size` examples are the batch. Returns a CheckupReport whose `problems` are checkup_findings(report).
    The model and the optimizer are restored at the end."""
    inputs, targets = (np.asarray(array) for array in data)
    batch = inputs[:batch_size], targets[:batch_size]
    saved_model, saved_optimizer = model.state_dict(), optimizer.state_dict()
    trainer = Trainer(model, loss_fn, optimizer, accuracy=None)
    try:
        with np.errstate(all="ignore"):
            initial_loss, norms = _loss_and_gradients(model, loss_fn, *batch)
            activations, dead = activation_statistics(model, batch[0]), dead_relu_fraction(model, batch[0])
            losses, ratios = [], {name: [] for name, _ in model.named_parameters()}
            for _ in range(overfit_steps):
                before = parameter_values(model)
                losses.append(trainer.train_step(*batch).loss)
                for name, ratio in update_ratios(before, model).items():
                    ratios[name].append(ratio)
                if not math.isfinite(losses[-1]):
                    break
            activations_after = activation_statistics(model, batch[0])
            dead_after = dead_relu_fraction(model, batch[0])
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_optimizer)
            sweep = None
            if sweep_steps:
                loader = DataLoader(TensorDataset(inputs, targets), batch_size=batch_size, shuffle=True, seed=0)
                sweep = find_learning_rate(trainer, loader, min_lr=1e-6, max_lr=10.0, steps=sweep_steps)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        model.zero_grad()
    report = CheckupReport(optimizer.learning_rate, math.log(classes) if classes else math.nan, initial_loss, norms,
                           activations, dead, losses, ratios, activations_after, dead_after, sweep)
    report.problems = checkup_findings(report)
    if verbose:
        print(report.summary())
    if plot:
        report.plot()
    return report

# %% [markdown]
# `checkup_findings` turns the measurements into problems, each a dict `{"problem": ..., "where": ...}` with a
# key of `PROBLEMS` and the parameter or layer it concerns ("" when it concerns the whole run). List them in
# this order:
#
# | problem | rule | where |
# | --- | --- | --- |
# | `lr_too_high` | an overfit loss is not finite, or the last overfit loss is above the first, or (with a sweep) the rate is above 10 x the sweep's `min_div_10_lr` (the rate of its lowest loss) | "" |
# | `lr_too_low` | every weight's (names ending in "weight") largest update ratio is below 1e-6 | "" |
# | `frozen_layer` | a parameter whose gradient norm at initialisation is above 0 but whose update ratios are all exactly 0 | its name, one entry each |
# | `dead_relus` | a ReLU layer with a dead fraction above 0.5 at initialisation | its name, one entry each |
# | `saturated` | a Sigmoid or Tanh layer with a saturated fraction above 0.5 at initialisation | its name, one entry each |
# | `initial_loss_high` | the chance loss is known (not nan) and the initial loss is above 2 x the chance loss | "" |
# | `cannot_overfit` | the lowest finite overfit loss is above 0.2 x the first overfit loss | "" |
#
# Parameters and layers go in the order of the report's dicts. A frozen bias that starts at 0 has nan ratios
# and is not reported (its weight is).

# %% nbgrader={"grade": false, "grade_id": "checkup-findings", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def checkup_findings(report):
    """The problems the table above finds in the CheckupReport `report`: a list of {"problem", "where"} dicts."""
    ### BEGIN SOLUTION
    found = []
    losses = report.overfit_losses
    finite = [loss for loss in losses if math.isfinite(loss)]
    too_high = len(finite) < len(losses) or losses[-1] > losses[0]
    if report.sweep is not None and report.learning_rate > 10 * report.sweep.min_div_10_lr:
        too_high = True
    if too_high:
        found.append({"problem": "lr_too_high", "where": ""})
    weights = [ratios for name, ratios in report.update_ratios.items() if name.endswith("weight")]
    if weights and all(max(ratios) < 1e-6 for ratios in weights if ratios):
        found.append({"problem": "lr_too_low", "where": ""})
    for name, ratios in report.update_ratios.items():
        if report.grad_norms[name] > 0 and ratios and all(ratio == 0 for ratio in ratios):
            found.append({"problem": "frozen_layer", "where": name})
    for name, fraction in report.dead_relus.items():
        if fraction > 0.5:
            found.append({"problem": "dead_relus", "where": name})
    for name, stats in report.activations.items():
        if stats["layer"] in ("Sigmoid", "Tanh") and stats["saturated"] > 0.5:
            found.append({"problem": "saturated", "where": name})
    if not math.isnan(report.chance_loss) and report.initial_loss > 2 * report.chance_loss:
        found.append({"problem": "initial_loss_high", "where": ""})
    if finite and min(finite) > 0.2 * losses[0]:
        found.append({"problem": "cannot_overfit", "where": ""})
    return found
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-checkup-findings", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
def test_checkup_findings():
    """Each rule of the table on a report built by hand; nothing is found in a healthy report."""
    def report(**changes):
        values = dict(learning_rate=0.01, chance_loss=math.log(3), initial_loss=1.2,
                      grad_norms={"0.weight": 0.5, "0.bias": 0.1, "2.weight": 0.3, "2.bias": 0.2},
                      activations={"0": {"layer": "Linear", "mean": 0.0, "std": 1.0, "saturated": math.nan},
                                   "1": {"layer": "ReLU", "mean": 0.4, "std": 0.6, "saturated": 0.5}},
                      dead_relus={"1": 0.1}, overfit_losses=[1.2, 0.8, 0.1],
                      update_ratios={"0.weight": [1e-2, 1e-2, 1e-2], "0.bias": [math.nan, 0.1, 0.1],
                                     "2.weight": [1e-2, 1e-2, 1e-2], "2.bias": [math.nan, 0.1, 0.1]},
                      activations_after={}, dead_relus_after={}, sweep=None)
        values.update(changes)
        return CheckupReport(**values)

    def problems(**changes):
        return [(found["problem"], found["where"]) for found in checkup_findings(report(**changes))]

    assert problems() == [], f"a healthy report: expected no problem, got {problems()}"
    cases = [
        ({"overfit_losses": [1.2, 0.1, math.nan]}, [("lr_too_high", "")]),
        ({"overfit_losses": [1.2, 0.1, 1.3]}, [("lr_too_high", "")]),
        ({"update_ratios": {"0.weight": [1e-7, 2e-7, 1e-7], "0.bias": [math.nan, 1e-7, 1e-7],
                            "2.weight": [5e-7, 1e-7, 1e-7], "2.bias": [math.nan, 1e-7, 1e-7]}}, [("lr_too_low", "")]),
        ({"update_ratios": {"0.weight": [0.0, 0.0, 0.0], "0.bias": [math.nan] * 3,
                            "2.weight": [1e-2, 1e-2, 1e-2], "2.bias": [math.nan, 0.1, 0.1]}},
         [("frozen_layer", "0.weight")]),
        ({"dead_relus": {"1": 0.75}}, [("dead_relus", "1")]),
        ({"activations": {"1": {"layer": "Tanh", "mean": 0.0, "std": 0.99, "saturated": 0.8},
                          "2": {"layer": "ReLU", "mean": 0.0, "std": 0.1, "saturated": 0.9}}}, [("saturated", "1")]),
        ({"initial_loss": 2.3}, [("initial_loss_high", "")]),
        ({"overfit_losses": [1.2, 0.5, 0.25]}, [("cannot_overfit", "")]),
        ({"chance_loss": math.nan, "initial_loss": 30.0, "overfit_losses": [30.0, 10.0, 1.0]}, []),
    ]
    for changes, expected in cases:
        assert problems(**changes) == expected, \
            f"checkup_findings with {changes}: expected {expected}, got {problems(**changes)}"
    assert problems(grad_norms={"0.weight": 0.0, "0.bias": 0.0, "2.weight": 0.3, "2.bias": 0.2},
                    update_ratios={"0.weight": [0.0] * 3, "0.bias": [math.nan] * 3, "2.weight": [1e-2] * 3,
                                   "2.bias": [math.nan, 0.1, 0.1]}) == [], \
        "a parameter without gradient that does not move is not frozen (nothing asked it to move)"
    ### BEGIN HIDDEN TESTS
    many = problems(overfit_losses=[1.2, 1.5, 1.4], initial_loss=5.0, dead_relus={"1": 0.9})
    assert many == [("lr_too_high", ""), ("dead_relus", "1"), ("initial_loss_high", ""), ("cannot_overfit", "")], many
    ### END HIDDEN TESTS

test_checkup_findings()

# %% [markdown]
# ### Broken models
#
# Here are a healthy model and four broken ones, each with its optimizer, on the spiral. Each break is one line
# that you could easily write by mistake. Run the check-up on each and read its report and figure.

# %%
def broken_models():
    """{name: (model, loss function, optimizer)}: a healthy model and four that are broken one way each."""
    made = {}
    model = spiral_mlp(seed=0)
    made["healthy"] = (model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    model = spiral_mlp(seed=0).append(Softmax())
    made["A"] = (model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    model = spiral_mlp(seed=0)
    made["B"] = (model, CrossEntropyLoss(), Adam(model.parameters()[2:], learning_rate=0.01))
    model = spiral_mlp(seed=0)
    made["C"] = (model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=10.0, momentum=0.9))
    model = Sequential(Linear(2, 32, rng=0), Tanh(), Linear(32, 32, rng=1), Tanh(), Linear(32, 3, rng=2))
    for layer in (model[0], model[2]):
        layer.weight.data.data[...] *= 8.0
    made["D"] = (model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    return made


BROKEN = broken_models()
CHECKUP_DATA = SPIRAL.train
for name, (model, loss_fn, optimizer) in BROKEN.items():
    print(f"--- model {name}")
    checkup(model, loss_fn, CHECKUP_DATA, optimizer, classes=3, plot=False)


# %% [markdown]
# The figure of one check-up: model B's.

# %%
checkup(*BROKEN["B"][:2], CHECKUP_DATA, BROKEN["B"][2], classes=3, verbose=False, plot=True)
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test-checkup-names-planted-faults", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
def test_checkup_names_planted_faults():
    """The check-up finds nothing wrong with a healthy model, names each planted fault, and restores every model."""
    from tinytorch.core.data import make_spiral
    from tinytorch.core.layers import Linear, Softmax
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD, Adam

    data = make_spiral(samples_per_arm=100, arms=3, noise=0.1, seed=0).train

    def mlp(activation=ReLU):
        return Sequential(Linear(2, 32, rng=0), activation(), Linear(32, 32, rng=1), activation(),
                          Linear(32, 3, rng=2))

    saturated = mlp(Tanh)
    for layer in (saturated[0], saturated[2]):
        layer.weight.data.data[...] *= 8.0
    planted = {  # name: (model, its optimizer, the problem expected)
        "healthy": (mlp(), lambda model: Adam(model.parameters(), learning_rate=0.01), None),
        "softmax": (mlp().append(Softmax()), lambda model: Adam(model.parameters(), learning_rate=0.01),
                    ("cannot_overfit", "")),
        "frozen": (mlp(), lambda model: Adam(model.parameters()[2:], learning_rate=0.01), ("frozen_layer", "0.weight")),
        "rate": (mlp(), lambda model: SGD(model.parameters(), learning_rate=10.0, momentum=0.9), ("lr_too_high", "")),
        "init": (saturated, lambda model: Adam(model.parameters(), learning_rate=0.01), ("saturated", "3")),
    }
    for name, (model, make_optimizer, expected) in planted.items():
        before = model.state_dict()
        report = checkup(model, CrossEntropyLoss(), data, make_optimizer(model), classes=3, verbose=False,
                         plot=False)
        found = [(item["problem"], item["where"]) for item in report.problems]
        if expected is None:
            assert found == [], f"checkup on a healthy model: expected no problem, got {found}"
        else:
            assert expected in found, f"checkup on the planted fault '{name}': expected {expected} among {found}"
        assert all(np.array_equal(value, model.state_dict()[key]) for key, value in before.items()), \
            f"checkup on '{name}': the model's weights should be restored"

test_checkup_names_planted_faults()

# %% [markdown]
# ## Question 1: what the check-up found
#
# For each of the broken models A, B, C and D, say what the check-up reported, which measurement gave it away,
# what the broken line is (read `broken_models`), and how you would fix it. Which of the four would a full
# training run have shown clearly in its loss curves, and which would have trained to a worse model without any
# visible sign?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-checkup-found", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# **A** cannot overfit one batch: after 100 steps the loss is still 0.63 (the healthy model's: 0.02). The last
# layer is a `Softmax`, and `CrossEntropyLoss` applies its own log-softmax to what it gets, so the "logits" are
# squeezed into [0, 1] and no prediction can be confident. Fix: remove the `Softmax` (or use a loss that takes
# probabilities). Everything else looks normal: gradients flow, ratios are fine, the sweep is ordinary.
#
# **B** has a frozen layer: `0.weight` gets a gradient at initialisation but its update ratio is exactly 0 at
# every step. The optimizer was given `model.parameters()[2:]`, so the first layer never moves (its bias too,
# which the report cannot see because its ratio is nan). Fix: pass `model.parameters()`. With two layers of
# three it overfits worse too (0.25 after 100 steps), so `cannot_overfit` comes along.
#
# **C**: the learning rate is too high. The one-batch loss rises (1.09 to 2.4) and the rate of 10 is five
# times the rate of the sweep's lowest loss (2). Fix: a rate near the sweep's steepest descent (0.55) or its minimum
# / 10 (0.2).
#
# **D** has saturated tanh units: weights 8 times too large put most outputs of the second tanh layer at +-1,
# where the derivative is nearly 0; the initial loss is also above ln 3. Fix: the initialisation (Xavier or LeCun
# for tanh, not 8 times He). It still learns a bit, slowly, because the unsaturated units carry the gradient.
#
# A full run would show C clearly (a loss that blows up or zig-zags). A and D would train to a worse model with
# unremarkable curves (a loss that falls, then flattens too high, which reads as "underfitting"); B would too,
# since the other layers compensate for the frozen one. Those are exactly the bugs the check-up is for.

# %% [markdown]
# ## Question 2: where the rules break
#
# `diagnose` uses fixed thresholds. Give one realistic run that it would misjudge for each of two different
# rules (say which verdict it would give, and which it should give), and explain why the evidence misleads it.
# Then say what one extra measurement (from the instruments of section 3, or from a History) would fix each case.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-rules-break", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Many answers are possible; two examples.
#
# A regression run (MSE) whose loss falls from 100 to 60 in 20 epochs with a good rate, because the targets are
# noisy and 60 is the noise floor. `total_drop` is 0.4, so the verdict is `lr_too_low` or `underfitting`, but it
# is healthy: the rules measure the drop relative to the first loss, not relative to the best loss reachable,
# which they cannot know. A baseline (the loss of predicting the mean, or the validation loss of a known good
# model) would give the missing scale.
#
# A run with a learning-rate schedule that restarts (warm restarts) rises at each restart: `rises` can pass 0.2
# and the verdict is `lr_too_high`, although the rises are planned. Reading the learning rate recorded in the
# History and ignoring the epochs right after a restart would fix it.
#
# Others: a run of 3 epochs (too short for the late-share and last-third rules); a classifier with unbalanced
# classes whose dead network sits at the entropy of the class frequencies, not at ln(classes), so `chance_gap`
# misses it (dead-ReLU fractions from the instruments would catch it); an overfitting run whose validation loss
# rises less than 10% because training stopped early.

# %% [markdown]
# ## What you built
#
# `tinytorch.core.diagnostics`: `diagnose`, rules that give a verdict on a run's curves with the evidence and a
# first fix; the instruments `gradient_norms`, `update_ratios`, `activation_statistics` and
# `dead_relu_fraction`, and a `LayerMonitor` callback that records them during training; and `checkup`, which
# overfits one batch, sweeps the rate and reads the instruments, then names what looks wrong. The habit to keep:
# run a check-up before a long run, and when a run goes wrong, look inside the layers before changing the
# settings at random.
