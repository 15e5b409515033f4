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
# # Module 9: Optimizer studies
#
# Modules 3, 7 and 8 gave you optimizers, their paths on toy surfaces and their schedules. This module asks
# which of them to trust on a real problem, and answers with experiments rather than single runs. One run says
# little: a different learning rate, a noisier data set or another seed can reverse a comparison. So you will
#
# 1. write an **experiment runner**: a grid of configurations, each trained for a fixed budget with a fixed
#    seed, run in parallel processes, each result cached on disk under a key made from the configuration's
#    content (a rerun is instant, an interrupted grid resumes where it stopped), summarised in a table;
# 2. compare SGD with momentum, Adam and RMSprop on noisy spirals at three noise levels and five learning rates,
#    and read the heatmaps;
# 3. map momentum against the learning rate, with and without Nesterov, and find the *effective* learning rate
#    that explains the map;
# 4. push gradients through 50-layer networks, and see which activation and initialisation let them arrive.
#
# The runner lands in `tinytorch.experiments`. It trains with the pieces of earlier modules (`Linear`,
# `BatchNorm1d`, `CrossEntropyLoss`, `Trainer.train_step`, the optimizers of module 3), so a configuration is
# plain data: names and numbers.

# %% nbgrader={"grade": false, "grade_id": "experiments-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp experiments
#| export
import hashlib
import json
import math
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from itertools import product
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.data import make_spiral
from tinytorch.core.layers import SELU, BatchNorm1d, Linear, ReLU, Sequential, Sigmoid, Tanh
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam, Nadam, RMSprop
from tinytorch.core.training import Trainer, accuracy

# %%
import tempfile
import time

import matplotlib.pyplot as plt
import pytest

# The lesson's grids are sized to finish in well under a minute in all (about 10 s on two cores the first time;
# cached reruns of a grid take milliseconds). Set the environment variable TINYTORCH_FULL_RUNS=1 before starting
# Jupyter for the full grids (about a minute for the whole lesson on two cores, well within three); the numbers
# quoted below are for the full grids. The grids' records are kept in CACHE, a folder under your temporary
# directory: delete it to run them again from scratch.
FULL_RUNS = os.environ.get("TINYTORCH_FULL_RUNS") == "1"
CACHE = os.path.join(tempfile.gettempdir(), "tinytorch-studies-full" if FULL_RUNS else "tinytorch-studies")

# %% [markdown]
# ## 1. A configuration is data
#
# A configuration is a dict of names and numbers: the data (noisy spirals, with a noise level), the model (the
# widths of its hidden layers, an activation, an initialisation, BatchNorm or not), the optimizer and its
# settings, the budget (epochs, batch size) and the seed. Whatever a configuration leaves out takes the value in
# `DEFAULTS`, so `{"optimizer": "SGD", "learning_rate": 0.1}` is a complete experiment.
#
# A grid is every combination of a few *axes*: `grid(optimizer=["SGD", "Adam"], learning_rate=[0.01, 0.1])` is
# four configurations. Write `grid`; the order is `itertools.product`'s (the first axis varies slowest), so a
# table of results reads like the loops you would have written by hand.

# %% nbgrader={"grade": false, "grade_id": "configurations", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
RUNNER_VERSION = 1  # part of every cache key: raise it when train_config changes what a configuration means

DEFAULTS = {
    "noise": 0.1, "samples_per_arm": 100, "arms": 3,                    # the data: make_spiral's arguments
    "hidden": [32, 32], "activation": "relu", "init": "he", "batch_norm": False,   # the model
    "optimizer": "Adam", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False,  # the optimizer
    "epochs": 20, "batch_size": 32, "seed": 0,                          # the budget and the seed
}
ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "selu": SELU}
OPTIMIZERS = ("SGD", "Adam", "RMSprop", "Nadam")


def full_config(config):
    """DEFAULTS updated with `config` (a new dict); a key that DEFAULTS does not know raises a ValueError."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown configuration keys {unknown}: a configuration may set {sorted(DEFAULTS)}")
    return {**DEFAULTS, **config}

# %% nbgrader={"grade": false, "grade_id": "grid", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def grid(base=None, **axes):
    """Every combination of the axes' values, each a new dict: `base` (a dict, or None for {}) updated with one
    value of each axis. The first axis varies slowest and the last fastest, as in itertools.product.

    grid({"epochs": 5}, optimizer=["SGD", "Adam"], learning_rate=[0.1, 0.01]) ==
        [{"epochs": 5, "optimizer": "SGD", "learning_rate": 0.1}, {"epochs": 5, "optimizer": "SGD",
          "learning_rate": 0.01}, {"epochs": 5, "optimizer": "Adam", "learning_rate": 0.1}, ...]
    """
    for name, values in axes.items():
        if len(values) == 0:
            raise ValueError(f"axis {name!r} has no values")
    ### BEGIN SOLUTION
    base = dict(base or {})
    names = list(axes)
    return [{**base, **dict(zip(names, values))} for values in product(*(axes[name] for name in names))]
    ### END SOLUTION

# %% [markdown]
# ### A key made from the content
#
# The cache stores each result in a file named by the configuration's *key*: a hash of its content. Two
# configurations with the same content must get the same key, however they were written: with the keys in
# another order, or with a default spelled out. Any change of content must change it: another learning rate,
# another seed, or a new version of the training code (`RUNNER_VERSION`).
#
# The recipe: fill in the defaults, write the result as JSON with the keys sorted and no spaces, hash the text
# with SHA-256 and keep the first 16 hexadecimal digits (64 bits: a collision among a few thousand
# configurations has a probability of about 1e-12). JSON tells `1` from `1.0`, so write learning rates as floats.

# %% nbgrader={"grade": false, "grade_id": "config-key", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def config_key(config):
    """The first 16 hex digits of the SHA-256 of the text

        json.dumps({"runner": RUNNER_VERSION, "config": full_config(config)}, sort_keys=True, separators=(",", ":"))

    encoded as UTF-8 (text.encode()). Returns a str.
    """
    ### BEGIN SOLUTION
    text = json.dumps({"runner": RUNNER_VERSION, "config": full_config(config)}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-grid-and-keys", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
def test_grid_and_keys():
    """grid makes every combination in product order; config_key depends on the content alone."""
    configs = grid({"epochs": 5}, optimizer=["SGD", "Adam"], learning_rate=[0.1, 0.01, 0.001])
    assert len(configs) == 6, f"grid: 2 x 3 values make 6 configurations, got {len(configs)}"
    expected = [("SGD", 0.1), ("SGD", 0.01), ("SGD", 0.001), ("Adam", 0.1), ("Adam", 0.01), ("Adam", 0.001)]
    got = [(c.get("optimizer"), c.get("learning_rate")) for c in configs]
    assert got == expected, f"grid: the first axis varies slowest: expected {expected}, got {got}"
    assert all(c.get("epochs") == 5 for c in configs), "grid: every configuration holds the base's entries"
    configs[0]["seed"] = 7
    assert "seed" not in configs[1], "grid: each configuration is a dict of its own"

    key = config_key({"optimizer": "SGD", "learning_rate": 0.1})
    assert isinstance(key, str) and len(key) == 16, f"config_key: 16 hex digits, got {key!r}"
    assert key == config_key({"learning_rate": 0.1, "optimizer": "SGD"}), "config_key: the order of the keys"
    assert key == config_key({"learning_rate": 0.1, "optimizer": "SGD", "seed": DEFAULTS["seed"]}), \
        "config_key: a default written out is the same configuration"
    assert key != config_key({"optimizer": "SGD", "learning_rate": 0.1, "seed": 1}), "config_key: another seed"
    text = json.dumps({"runner": RUNNER_VERSION, "config": full_config({})}, sort_keys=True, separators=(",", ":"))
    assert config_key({}) == hashlib.sha256(text.encode()).hexdigest()[:16], "config_key({}): the recipe"
    ### BEGIN HIDDEN TESTS
    assert grid(None, seed=[1, 2]) == [{"seed": 1}, {"seed": 2}]
    assert len({config_key(c) for c in grid(seed=[0, 1], noise=[0.1, 0.2])}) == 4
    ### END HIDDEN TESTS

test_grid_and_keys()

# %% [markdown]
# ## 2. One run
#
# `train_config` is given: it makes the spirals, builds the model and the optimizer the configuration names,
# and trains with `Trainer.train_step` (module 6) for `epochs` passes over the training set in an order drawn
# from the seed. It records the loss of every step and the validation accuracy after every epoch. A loss that
# is not finite ends the run at once (there is nothing left to learn from it); the accuracy of the broken model
# is recorded, and is what a model that outputs nan gets: about one in three.
#
# Everything random comes from the configuration's seed: the data, the initial weights, the batches. The same
# configuration gives the same numbers in any process, which is what makes a cache and parallel runs possible.

# %% nbgrader={"grade": false, "grade_id": "train-config", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def build_model(config, rng):
    """The configuration's MLP: for each hidden width, Linear (init) [-> BatchNorm1d] -> activation; then a
    Linear to the classes. The weights are drawn from `rng` in order."""
    layers, width = [], 2
    for size in config["hidden"]:
        layers.append(Linear(width, size, init=config["init"], rng=rng))
        if config["batch_norm"]:
            layers.append(BatchNorm1d(size))
        layers.append(ACTIVATIONS[config["activation"]]())
        width = size
    layers.append(Linear(width, config["arms"], init=config["init"], rng=rng))
    return Sequential(*layers)


def make_optimizer(config, parameters):
    """The configuration's optimizer. Momentum and Nesterov apply to SGD (Nesterov only when momentum > 0:
    without momentum it is plain SGD)."""
    name, rate = config["optimizer"], config["learning_rate"]
    if name == "SGD":
        momentum = config["momentum"]
        nesterov = bool(config["nesterov"]) and momentum > 0
        return SGD(parameters, learning_rate=rate, momentum=momentum, nesterov=nesterov)
    if name == "Adam":
        return Adam(parameters, learning_rate=rate)
    if name == "RMSprop":
        return RMSprop(parameters, learning_rate=rate)
    if name == "Nadam":
        return Nadam(parameters, learning_rate=rate)
    raise ValueError(f"unknown optimizer {name!r}: choose one of {OPTIMIZERS}")


def spirals(config):
    """The configuration's data: make_spiral's Splits."""
    return make_spiral(samples_per_arm=config["samples_per_arm"], arms=config["arms"], noise=config["noise"],
                       seed=config["seed"])


def validation_accuracy(model, inputs, targets):
    """The fraction of `inputs` classified right, in eval mode (the mode is put back)."""
    was_training = model.training
    model.eval()
    try:
        with np.errstate(all="ignore"):
            outputs = model(Variable(inputs, requires_grad=False)).data.data
    finally:
        model.train(was_training)
    return float(accuracy(outputs, targets))


def train_config(config):
    """Train one configuration; return {"losses": every step's loss, "val_accuracy": every epoch's validation
    accuracy} (Python floats). A loss that is not finite ends the run after measuring the accuracy."""
    config = full_config(config)
    data = spirals(config)
    (inputs, targets), (val_inputs, val_targets) = data.train, data.validation
    rng = np.random.default_rng(config["seed"])
    model = build_model(config, rng)
    trainer = Trainer(model, CrossEntropyLoss(), make_optimizer(config, model.parameters()))
    losses, accuracies = [], []
    with np.errstate(all="ignore"):
        for _ in range(config["epochs"]):
            order = rng.permutation(len(inputs))
            for start in range(0, len(order), config["batch_size"]):
                batch = order[start:start + config["batch_size"]]
                losses.append(float(trainer.train_step(inputs[batch], targets[batch]).loss))
                if not math.isfinite(losses[-1]):
                    break
            accuracies.append(validation_accuracy(model, val_inputs, val_targets))
            if not math.isfinite(losses[-1]):
                break
    return {"losses": losses, "val_accuracy": accuracies}

# %%
started = time.perf_counter()
run = train_config({"optimizer": "Adam", "learning_rate": 0.01, "epochs": 20})
print(f"{len(run['losses'])} steps in {time.perf_counter() - started:.2f} s; validation accuracy by epoch:",
      np.round(run["val_accuracy"], 2))

# %% [markdown]
# ## 3. What a run comes down to
#
# A grid of fifty runs is read as a table, one row per run, so each run is summarised by a few numbers:
#
# - `final_accuracy`: the validation accuracy after the last epoch, and `best_accuracy`, the best of them (a
#   run that peaked and fell apart shows a gap between the two);
# - `final_loss`: the last step's loss;
# - `stability`: the standard deviation of the last `last` step losses (population std, `np.std`). A run that
#   settled has a small one; a rate too high for the valley makes the loss bounce. It is nan when one of those
#   losses is not finite;
# - `diverged`: True when a loss is not finite, or when the mean of the last `last` losses is above the first
#   loss: the run ended worse than it started;
# - `steps`: the number of steps run (a diverged run stops early).
#
# The last `last` losses are all of them when the run has fewer.

# %% nbgrader={"grade": false, "grade_id": "summarize", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
SUMMARY_FIELDS = ("final_accuracy", "best_accuracy", "final_loss", "stability", "diverged", "steps")


def summarize(run, last=20):
    """The summary of a run {"losses": [...], "val_accuracy": [...]} as a dict with the keys of SUMMARY_FIELDS
    (see the list above): floats, except diverged (a bool) and steps (an int).
    """
    if not (isinstance(last, int) and last >= 1):
        raise ValueError(f"invalid last: {last!r} (must be an integer >= 1)")
    ### BEGIN SOLUTION
    losses = np.asarray(run["losses"], dtype=np.float64)
    accuracies = np.asarray(run["val_accuracy"], dtype=np.float64)
    tail = losses[-last:]
    finite = bool(np.all(np.isfinite(losses)))
    return {
        "final_accuracy": float(accuracies[-1]),
        "best_accuracy": float(np.max(accuracies)),
        "final_loss": float(losses[-1]),
        "stability": float(np.std(tail)) if np.all(np.isfinite(tail)) else math.nan,
        "diverged": (not finite) or bool(np.mean(tail) > losses[0]),
        "steps": int(len(losses)),
    }
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-summarize", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
def test_summarize():
    """summarize reads the accuracies, the loss, the stability of the tail and divergence from a run."""
    run = {"losses": [2.0, 1.5, 1.0, 0.8, 0.9, 0.7], "val_accuracy": [0.4, 0.7, 0.6]}
    got = summarize(run, last=3)
    assert set(got) == set(SUMMARY_FIELDS), f"summarize: keys {sorted(SUMMARY_FIELDS)}, got {sorted(got)}"
    assert got["final_accuracy"] == 0.6 and got["best_accuracy"] == 0.7, \
        f"summarize: final accuracy 0.6 and best 0.7, got {got['final_accuracy']} and {got['best_accuracy']}"
    assert got["final_loss"] == 0.7, f"summarize: final_loss is the last loss, 0.7, got {got['final_loss']}"
    assert np.isclose(got["stability"], np.std([0.8, 0.9, 0.7])), \
        f"summarize: stability is the std of the last 3 losses, {np.std([0.8, 0.9, 0.7]):.4f}, got {got['stability']}"
    assert got["diverged"] is False and got["steps"] == 6, f"summarize: a run that learned, 6 steps: got {got}"
    assert isinstance(got["final_loss"], float) and isinstance(got["steps"], int), "summarize: plain Python numbers"

    blown = summarize({"losses": [1.1, 3.0, math.nan], "val_accuracy": [0.33]}, last=2)
    assert blown["diverged"] is True, "summarize: a loss that is not finite means the run diverged"
    assert math.isnan(blown["stability"]), "summarize: no stability for a tail holding nan"
    worse = summarize({"losses": [1.1, 1.0, 2.0, 3.0], "val_accuracy": [0.3]}, last=2)
    assert worse["diverged"] is True, "summarize: a run that ends above its first loss diverged"
    ### BEGIN HIDDEN TESTS
    short = summarize({"losses": [1.0, 0.5], "val_accuracy": [0.5]}, last=10)
    assert np.isclose(short["stability"], 0.25)
    with pytest.raises(ValueError):
        summarize(run, last=0)
    ### END HIDDEN TESTS

test_summarize()

# %% [markdown]
# ## 4. A cache on disk, and resuming
#
# `ResultCache` (given) keeps each run's record, `{"config": ..., "losses": ..., "val_accuracy": ...}`, in a JSON
# file named by the configuration's key. A file is written under a temporary name and then renamed
# (`os.replace`), so a run killed while writing leaves no half file behind; a file that cannot be read, or
# that holds another configuration, counts as missing.
#
# Resuming is then one question per configuration: is its record in the cache? Write `split_cached`: it returns
# the records already there, by position in the grid, and the positions still to run. An interrupted grid,
# started again, finds the runs that finished and runs only the others. The records hold the curves, not the
# summaries, so a new `last` needs no new run.

# %% nbgrader={"grade": false, "grade_id": "result-cache", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def write_record(path, record):
    """Write `record` as JSON to `path` under a temporary name, then rename it: never a half-written file."""
    path = Path(path)
    temporary = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record))
    os.replace(temporary, path)


class ResultCache:
    """Run records on disk, one JSON file per configuration, named by config_key."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, config):
        return self.directory / f"{config_key(config)}.json"

    def load(self, config):
        """The record stored for `config`, or None (missing, unreadable, or another configuration's)."""
        try:
            record = json.loads(self.path(config).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("config") != full_config(config):
            return None
        return record

    def save(self, config, run):
        """Store `run` ({"losses", "val_accuracy"}) for `config`, atomically."""
        record = {"config": full_config(config), "losses": run["losses"], "val_accuracy": run["val_accuracy"]}
        write_record(self.path(config), record)
        return record

    def __len__(self):
        return len(list(self.directory.glob("*.json")))

# %% nbgrader={"grade": false, "grade_id": "split-cached", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def split_cached(configs, cache):
    """Split a grid into what the cache holds and what is left to run.

    Returns (done, pending): done is a dict {position in configs: the record cache.load(config) returned} for
    every configuration the cache holds; pending is the list of the other positions, in increasing order.
    """
    ### BEGIN SOLUTION
    done, pending = {}, []
    for position, config in enumerate(configs):
        record = cache.load(config)
        if record is None:
            pending.append(position)
        else:
            done[position] = record
    return done, pending
    ### END SOLUTION

# %% [markdown]
# ## 5. The runner
#
# `run_grid` is given. It splits the grid with your `split_cached`, runs what is pending, and builds the table:
# each configuration as it was written, followed by your `summarize` of its record.
#
# - `jobs` processes run the pending configurations (default: the number of cores). Each worker calls
#   `run_and_store`, a function at the top level of `tinytorch.experiments`, so that a fresh Python process can
#   import it: the pool starts its workers with `spawn`, which works the same from Jupyter and from a script
#   (in a script, call `run_grid` under `if __name__ == "__main__":`, as always with process pools).
#   Each worker saves its record as soon as its run ends, so an interrupted grid loses only the runs in flight.
#   `jobs=1` runs everything in this process.
# - `executor`: any `concurrent.futures` executor instead of the pool, for example a Dask cluster's
#   (`distributed.Client(...).get_executor()`), whose workers can be other machines sharing the cache folder.
# - a progress bar (rich) counts the runs, cached ones included.
#
# The table is a pandas DataFrame when pandas is installed, and a list of dicts otherwise. `pivot` turns one
# column of it into a 2-D array for a heatmap; write it.

# %% nbgrader={"grade": false, "grade_id": "run-grid", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def run_and_store(config, path):
    """Train `config` and write its record to `path` (the cache's file for it); return the record. (A worker's
    job: the process that owns the cache names the file, with its config_key.)"""
    run = train_config(config)
    record = {"config": full_config(config), "losses": run["losses"], "val_accuracy": run["val_accuracy"]}
    write_record(path, record)
    return record


def _importable_worker():
    """run_and_store as a fresh (spawned) process can import it, or None. In a notebook the cells' copy lives in
    __main__, which such a process cannot see, so the package's copy (the same given code) is used; before the
    module is exported there is none."""
    if run_and_store.__module__ != "__main__":
        return run_and_store
    try:
        from tinytorch.experiments import run_and_store as packaged
    except ImportError:
        return None
    return packaged


class _Counter:
    """A rich progress bar over the runs of a grid (or nothing, when show is False or rich is missing)."""

    def __init__(self, show, total, done):
        self.bar = None
        if show:
            try:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            except ImportError:
                return
            self.bar = Progress(TextColumn("runs"), BarColumn(bar_width=30), MofNCompleteColumn(),
                                TimeElapsedColumn())
            self.task = self.bar.add_task("runs", total=total, completed=done)
            self.bar.start()

    def advance(self):
        if self.bar is not None:
            self.bar.update(self.task, advance=1)

    def close(self):
        if self.bar is not None:
            self.bar.refresh()
            self.bar.stop()


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _start_workers(jobs):
    """A spawn pool of `jobs` workers whose numpy uses one thread each (a worker per core, not a worker per core
    times BLAS's threads per worker). The variables are read by numpy as a worker starts, so they are set around
    the pool's creation and its first submissions, and put back by _restore_threads."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")), saved


def _restore_threads(saved):
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def as_table(rows):
    """A pandas DataFrame of `rows` when pandas is installed, else the list of dicts itself."""
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


def run_grid(configs, jobs=None, cache_dir="experiment-cache", last=20, progress=True, executor=None):
    """Run every configuration not yet in the cache, and return the table of all of them (see above)."""
    configs = [dict(config) for config in configs]
    for config in configs:
        full_config(config)  # refuse unknown keys before any run starts
    if jobs is None:  # the cores this process may use
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"invalid jobs: {jobs!r} (must be an integer >= 1)")
    cache = ResultCache(cache_dir)
    records, pending = split_cached(configs, cache)
    counter = _Counter(progress, len(configs), len(records))
    try:
        parallel = bool(pending) and (executor is not None or (jobs > 1 and len(pending) > 1))
        worker = _importable_worker() if parallel else None
        if parallel and worker is None:
            warnings.warn("tinytorch.experiments is not exported yet (tito export optimizer_studies), so worker "
                          "processes cannot import run_and_store: running the grid in this process")
        if worker is not None:
            pool, saved = (executor, {}) if executor is not None else _start_workers(min(jobs, len(pending)))
            try:
                futures = {pool.submit(worker, configs[i], str(cache.path(configs[i]))): i for i in pending}
                _restore_threads(saved)
                for future in as_completed(futures):
                    records[futures[future]] = future.result()
                    counter.advance()
            finally:
                _restore_threads(saved)
                if executor is None:
                    pool.shutdown(cancel_futures=True)
        else:
            for i in pending:
                records[i] = run_and_store(configs[i], cache.path(configs[i]))
                counter.advance()
    finally:
        counter.close()
    return as_table([{**config, **summarize(records[i], last)} for i, config in enumerate(configs)])

# %% nbgrader={"grade": false, "grade_id": "pivot", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def pivot(table, index, columns, value):
    """A 2-D view of one column of a results table, for a heatmap.

    table: a list of dicts (or a DataFrame: its records are read). index, columns, value: names of columns.
    Returns (rows, cols, values): rows, the distinct values of `index` sorted ascending; cols, likewise for
    `columns`; values, a float64 array of shape (len(rows), len(cols)) whose [i, j] is the `value` of the row
    with index rows[i] and columns cols[j] (a bool counts as 0 or 1), nan where no row has that pair. Two rows
    with the same pair raise a ValueError (select the rows you want first).
    """
    if hasattr(table, "to_dict"):
        table = table.to_dict("records")
    ### BEGIN SOLUTION
    rows = sorted({row[index] for row in table})
    cols = sorted({row[columns] for row in table})
    values = np.full((len(rows), len(cols)), np.nan)
    seen = set()
    for row in table:
        i, j = rows.index(row[index]), cols.index(row[columns])
        if (i, j) in seen:
            raise ValueError(f"two rows with {index}={row[index]!r} and {columns}={row[columns]!r}")
        seen.add((i, j))
        values[i, j] = float(row[value])
    return rows, cols, values
    ### END SOLUTION


def select(table, **equals):
    """The rows of `table` (as a list of dicts) whose columns equal the given values."""
    if hasattr(table, "to_dict"):
        table = table.to_dict("records")
    return [row for row in table if all(row.get(name) == wanted for name, wanted in equals.items())]


def plot_heatmap(ax, table, index, columns, value, title=None, fmt="{:.2f}", cmap="viridis", vmin=None, vmax=None):
    """Draw pivot(table, index, columns, value) on matplotlib axes `ax`, each cell annotated; return the image."""
    rows, cols, values = pivot(table, index, columns, value)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", origin="lower")
    ax.set_xticks(range(len(cols)), [f"{c:g}" if isinstance(c, float) else str(c) for c in cols])
    ax.set_yticks(range(len(rows)), [f"{r:g}" if isinstance(r, float) else str(r) for r in rows])
    ax.set_xlabel(columns)
    ax.set_ylabel(index)
    middle = np.nanmean(values) if np.isfinite(values).any() else 0.0
    for i in range(len(rows)):
        for j in range(len(cols)):
            text = "nan" if not np.isfinite(values[i, j]) else fmt.format(values[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="black" if np.isfinite(values[i, j]) and values[i, j] > middle else "white")
    if title:
        ax.set_title(title, fontsize=9)
    return image

# %% nbgrader={"grade": true, "grade_id": "test-cache-and-resume", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
def test_cache_and_resume(tmp_path=None):
    """split_cached finds the stored runs; run_grid resumes an interrupted grid and reruns nothing."""
    import tempfile
    directory = Path(tmp_path or tempfile.mkdtemp()) / "cache"
    cache = ResultCache(directory)
    configs = grid({"epochs": 2, "samples_per_arm": 20}, learning_rate=[0.01, 0.1, 0.3])
    done, pending = split_cached(configs, cache)
    assert done == {} and pending == [0, 1, 2], f"split_cached on an empty cache: got {done}, {pending}"
    stored = cache.save(configs[1], {"losses": [1.0, 0.5], "val_accuracy": [0.5]})
    done, pending = split_cached(configs, cache)
    assert pending == [0, 2], f"split_cached: positions 0 and 2 are left to run, got {pending}"
    assert list(done) == [1] and done[1] == stored, f"split_cached: the record of position 1, got {done}"

    table = run_grid(configs, jobs=1, cache_dir=directory, progress=False)
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    assert rows[1]["steps"] == 2 and rows[1]["final_loss"] == 0.5, "run_grid: position 1 came from the cache"
    assert rows[0]["steps"] == 2 * math.ceil(0.6 * 60 / 32), f"run_grid: position 0 ran, got {rows[0]}"
    assert len(cache) == 3, f"run_grid: three records in the cache, got {len(cache)}"
    before = {path.name: path.stat().st_mtime_ns for path in directory.glob("*.json")}
    again = run_grid(configs, jobs=1, cache_dir=directory, progress=False)
    assert {path.name: path.stat().st_mtime_ns for path in directory.glob("*.json")} == before, \
        "run_grid: a second run of the same grid writes nothing"
    assert (again.to_dict("records") if hasattr(again, "to_dict") else again) == rows, "run_grid: same table"
    ### BEGIN HIDDEN TESTS
    assert split_cached([], cache) == ({}, [])
    ### END HIDDEN TESTS

test_cache_and_resume()

# %% nbgrader={"grade": true, "grade_id": "test-pivot", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_pivot():
    """pivot lays a column out by two others, sorted, with nan for missing pairs."""
    table = [{"lr": 0.1, "m": 0.9, "acc": 0.5}, {"lr": 0.01, "m": 0.9, "acc": 0.7},
             {"lr": 0.1, "m": 0.0, "acc": 0.2}, {"lr": 0.01, "m": 0.5, "acc": True}]
    rows, cols, values = pivot(table, "m", "lr", "acc")
    assert list(rows) == [0.0, 0.5, 0.9] and list(cols) == [0.01, 0.1], f"pivot: sorted labels, got {rows}, {cols}"
    expected = np.array([[np.nan, 0.2], [1.0, np.nan], [0.7, 0.5]])
    assert values.shape == (3, 2) and np.allclose(values, expected, equal_nan=True), \
        f"pivot: expected\n{expected}\ngot\n{values}"
    with pytest.raises(ValueError):
        pivot(table + [{"lr": 0.1, "m": 0.9, "acc": 0.1}], "m", "lr", "acc")
    ### BEGIN HIDDEN TESTS
    rows, cols, values = pivot(table, "lr", "m", "acc")
    assert values.shape == (2, 3) and values.dtype == np.float64
    ### END HIDDEN TESTS

test_pivot()

# %% nbgrader={"grade": true, "grade_id": "test-grid-flags-divergence", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_grid_flags_divergence():
    """A grid with a sane and an absurd learning rate: one row learns, the other is flagged as diverged."""
    import tempfile
    directory = Path(tempfile.mkdtemp()) / "cache"
    configs = grid({"optimizer": "SGD", "epochs": 3, "samples_per_arm": 30}, learning_rate=[0.05, 1000.0])
    table = run_grid(configs, jobs=1, cache_dir=directory, progress=False)
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    assert [row["learning_rate"] for row in rows] == [0.05, 1000.0], "run_grid: one row per configuration, in order"
    sane, absurd = rows
    assert sane["diverged"] is False and math.isfinite(sane["final_loss"]), f"SGD at 0.05 learns: got {sane}"
    assert absurd["diverged"] is True, f"SGD at a learning rate of 1000 diverges: got {absurd}"
    assert 0 <= sane["final_accuracy"] <= sane["best_accuracy"] <= 1, f"accuracies: got {sane}"
    ### BEGIN HIDDEN TESTS
    assert sane["steps"] == 3 * 2
    ### END HIDDEN TESTS

test_grid_flags_divergence()

# %% [markdown]
# ### Parallel, cached, and the same numbers
#
# A grid of twelve short runs, on every core, then the same grid again. The second call finds every record in
# the cache and only summarises: it takes milliseconds. The processes share nothing but the cache folder, and
# each run depends on its configuration alone, so the table is the same for any number of processes (a test
# in `tests/09_optimizer_studies` runs a grid with one and with two and compares them).

# %%
demo = grid({"epochs": 4}, optimizer=["SGD", "Adam", "RMSprop"], learning_rate=[0.003, 0.01, 0.03, 0.1],
            momentum=[0.9])
for attempt in ("first", "cached"):
    started = time.perf_counter()
    table = run_grid(demo, cache_dir=CACHE, progress=attempt == "first")
    print(f"{attempt} run of {len(demo)} configurations: {time.perf_counter() - started:.2f} s")
for row in select(table, optimizer="Adam"):
    print({name: row[name] for name in ("learning_rate", "final_accuracy", "final_loss", "stability")})

# %% [markdown]
# ## 6. Study 1: which optimizer forgives a wrong learning rate?
#
# SGD with momentum 0.9, Adam and RMSprop, each at five learning rates spaced by factors of four, on spirals
# whose points carry three levels of noise (0.02, 0.05 and 0.1 of the spiral's radius). The heatmaps show the
# final validation accuracy. With noise 0.1 the arms touch near the centre, and no classifier gets near 100%: the
# best accuracy of a row says how hard the data is, the spread along the row says how much the learning rate
# matters.

# %%
NOISES = [0.02, 0.05, 0.1]
STUDY_RATES = [0.001, 0.004, 0.016, 0.064, 0.256]
study1_base = {"samples_per_arm": 200 if FULL_RUNS else 100, "epochs": 100 if FULL_RUNS else 15, "momentum": 0.9,
               "hidden": [64, 64] if FULL_RUNS else [32, 32]}
study1 = grid(study1_base, optimizer=["SGD", "Adam", "RMSprop"], noise=NOISES, learning_rate=STUDY_RATES)
started = time.perf_counter()
results1 = run_grid(study1, cache_dir=CACHE)
print(f"{len(study1)} runs in {time.perf_counter() - started:.1f} s")

fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), constrained_layout=True)
for ax, name in zip(axes, ["SGD", "Adam", "RMSprop"]):
    image = plot_heatmap(ax, select(results1, optimizer=name), "noise", "learning_rate", "final_accuracy",
                         title=f"{name}{' (momentum 0.9)' if name == 'SGD' else ''}: final accuracy",
                         vmin=0.3, vmax=1.0)
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()

# %% [markdown]
# In the full grids, when this lesson was written: at noise 0.02, Adam and RMSprop reach 96-100% at every rate
# from 0.001 to 0.064 (a factor of 64), and SGD with momentum reaches 92-100% from 0.004 to 0.064 but only 48%
# at 0.001, where it is still learning when the budget ends. At 0.256 the picture turns over: Adam and RMSprop
# fall to chance (35-41%), SGD keeps 58-66%. More noise lowers every optimizer's ceiling (about 80% at noise 0.1,
# where the arms touch) without moving the band of good rates much. The short runs of the default budget show
# the same pattern, with lower numbers at the low rates.

# %% [markdown]
# ### Question 1: which optimizer is most robust, and why?
#
# From the three heatmaps (run the full grids if you can), which optimizer keeps a good accuracy over the widest
# range of learning rates? Give the range you read for each optimizer at the lowest noise level, say what happens
# at the highest rate, and explain the difference from how each optimizer turns a gradient into a step. Does the
# noise in the data move the band of good rates, or only the accuracy reached inside it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-robust-optimizer", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Adam (and RMSprop, nearly as well) is the most robust inside the range that matters: its accuracy stays near
# its best over a factor of 64 in the rate (0.001 to 0.064) at every noise level, where SGD with momentum has
# a factor of 16 and fails at the low end. The reason is the normalisation: Adam and RMSprop divide each step
# by a running root-mean-square of the gradient, so a step is about the learning rate in size whatever the
# gradient's scale, and a rate that suits the start still suits the end, when the gradients are small. SGD's
# step is the rate times the gradient (times about 1 / (1 - 0.9) = 10 with momentum): with small gradients and
# a small rate it crawls. The same normalisation is why the adaptive methods fail harder at 0.256: every weight
# moves by about the rate at every step, even where the gradient is tiny, so a rate too large throws all the
# weights at once (they end at chance), where SGD's steps stay small in flat directions and it keeps part of
# what it learned. Noise in the data lowers every optimizer's ceiling but barely moves the band of good rates:
# the rate is about the loss surface, the noise about how much can be learned.

# %% [markdown]
# ## 7. Study 2: momentum and the effective learning rate
#
# With momentum β, SGD's velocity is a sum of past gradients, $v_t = g_t + \beta g_{t-1} + \beta^2 g_{t-2} +
# \dots$. Where the gradient changes slowly, this is the gradient times $1 + \beta + \beta^2 + \dots =
# 1/(1-β)$, and a step moves the weights by about $\eta / (1 - β)$ times the gradient: the **effective
# learning rate**. Momentum 0.9 multiplies the rate by 10, momentum 0.99 by 100. Write it, then see whether the
# map of accuracy over momentum and rate is explained by it.

# %% nbgrader={"grade": false, "grade_id": "effective-learning-rate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def effective_learning_rate(learning_rate, momentum):
    """learning_rate / (1 - momentum): the step per unit of a gradient that stays constant, once the velocity
    has built up. momentum must be in [0, 1) (else a ValueError)."""
    if not 0 <= momentum < 1:
        raise ValueError(f"invalid momentum: {momentum!r} (must be in [0, 1))")
    ### BEGIN SOLUTION
    return learning_rate / (1.0 - momentum)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-effective-learning-rate", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_effective_learning_rate():
    """With a constant gradient, SGD's step tends to learning_rate / (1 - momentum) times the gradient."""
    assert np.isclose(effective_learning_rate(0.01, 0.9), 0.1), "effective_learning_rate(0.01, 0.9) is 0.1"
    assert np.isclose(effective_learning_rate(0.5, 0.0), 0.5), "without momentum the rate is unchanged"
    param = Variable(np.zeros(1))
    optimizer = SGD([param], learning_rate=0.002, momentum=0.95)
    for _ in range(400):
        before = param.data.data.copy()
        param.grad = Variable(np.ones(1), requires_grad=False)
        optimizer.step()
    step = float(before[0] - param.data.data[0])
    assert np.isclose(effective_learning_rate(0.002, 0.95), step, rtol=1e-6), \
        f"effective_learning_rate(0.002, 0.95) should be SGD's last step, {step:.6f}"
    ### BEGIN HIDDEN TESTS
    with pytest.raises(ValueError):
        effective_learning_rate(0.1, 1.0)
    ### END HIDDEN TESTS

test_effective_learning_rate()

# %%
MOMENTA = [0.0, 0.5, 0.9, 0.99]
MOMENTUM_RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
study2_base = {"optimizer": "SGD", "noise": 0.1, "samples_per_arm": 200 if FULL_RUNS else 100,
               "epochs": 80 if FULL_RUNS else 10}
study2 = grid(study2_base, nesterov=[False, True], momentum=MOMENTA, learning_rate=MOMENTUM_RATES)
started = time.perf_counter()
results2 = run_grid(study2, cache_dir=CACHE)
print(f"{len(study2)} runs in {time.perf_counter() - started:.1f} s")

fig, axes = plt.subplots(2, 2, figsize=(12, 7))
for column, nesterov in enumerate([False, True]):
    rows = [dict(row) for row in select(results2, nesterov=nesterov)]
    label = "Nesterov" if nesterov else "heavy ball"
    plot_heatmap(axes[0, column], rows, "momentum", "learning_rate", "final_accuracy",
                 title=f"{label}: final accuracy", vmin=0.3, vmax=1.0)
    for row in rows:  # log10 of the std of the last losses: lower is steadier
        row["log_stability"] = math.log10(row["stability"]) if row["stability"] > 0 else math.nan
    plot_heatmap(axes[1, column], rows, "momentum", "learning_rate", "log_stability",
                 title=f"{label}: log10 std of the last 20 losses", cmap="magma_r")
fig.tight_layout()
plt.show()

# %% [markdown]
# Now the check. If the effective rate is what matters, runs with the same $\eta / (1 - β)$ should end alike,
# whatever the split between η and β. Plotted against the effective rate, the rows of the heatmap should fall
# on one curve; in the heatmap itself, equal effective rates lie on a diagonal (one row up in momentum, from
# 0.5 to 0.9, is a factor of 5; from 0.9 to 0.99 a factor of 10).

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
for momentum in MOMENTA:
    rows = select(results2, nesterov=False, momentum=momentum)
    ax.plot([effective_learning_rate(row["learning_rate"], momentum) for row in rows],
            [row["final_accuracy"] for row in rows], "o-", label=f"momentum {momentum}")
ax.set_xscale("log")
ax.set_xlabel("effective learning rate  lr / (1 - momentum)")
ax.set_ylabel("final accuracy")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# In the full grid, when this lesson was written: drawn against the effective rate, the four momenta fall on
# one curve: chance (about 35%) below an effective rate of 0.01, a rise through 0.03, and 70-78% from about 0.1
# to 1. In the heatmap the good cells run along a diagonal: momentum 0.99 is at its best at the smallest rates
# (75% at 0.001, an effective 0.1), and momentum 0 only at the largest (0.1 and 0.3). Beyond an effective rate of
# about 1 the curves fall: momentum 0.9 at lr 0.3 (effective 3) ends at 44%, momentum 0.99 at lr 0.1 and 0.3
# (effective 10 and 30) at chance. Nesterov changes little in the accuracy map; at the largest rates it keeps a
# little more (58% instead of 44% at momentum 0.9 and lr 0.3).

# %% [markdown]
# ### Question 2: the effective learning rate
#
# Derive lr / (1 - β) from the momentum update with a constant gradient. Then check it against the heatmap: name
# three cells on the diagonal of equal effective rate and their accuracies, and say whether the curves against the
# effective rate overlap. Where does the formula explain the map least well, and why? What does Nesterov change in
# the accuracy map and in the stability map?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-effective-rate", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# With a gradient g that stays constant, the velocity obeys v_t = β v_(t-1) + g, whose fixed point is
# v = g / (1 - β); the step η v is then η / (1 - β) times the gradient: the effective rate. Along the heatmap's
# diagonal of equal η / (1 - β) (lr 0.1 at momentum 0, 0.01 at 0.9, 0.001 at 0.99: an effective 0.1) the
# accuracies are close (0.77, 0.78 and 0.75), and the curves against the effective rate overlap: the effective
# rate, not η or β alone, explains the map. The argument assumes the gradient stays about the same for the
# ~1 / (1 - β) steps the velocity remembers, which holds best for small β; at 0.99 that memory is 100 steps,
# the velocity builds up slowly and carries the weights past the valley where the surface curves, which is why
# the top row of the stability map (0.99) has the largest std of the last losses at the small rates. Nesterov
# evaluates the gradient after the momentum step, which brakes this overshoot: it changes little where the run
# is fine, and keeps more accuracy at the largest effective rates.

# %% [markdown]
# ## 8. Fifty layers deep
#
# A deep network trains only if the gradient reaches its first layers. Backpropagation multiplies, layer by
# layer, by the weights and by the activation's derivative. The sigmoid's derivative is at most 1/4, so with
# weights of the usual scale the gradient shrinks by a factor of about 4 per layer: after 50 layers by
# 4^50, about 1e30. ReLU's derivative is 1 where the unit is on, and He's initialisation (std sqrt(2 / fan_in))
# makes up for the half that is off. SELU, with LeCun's initialisation (std sqrt(1 / fan_in)), is built so that
# activations keep mean 0 and variance 1 from layer to layer (Klambauer et al., 2017), and so do the gradients.
#
# Write `layer_gradient_norms`: the 2-norm of the weight gradient of every `Linear` layer, from the input to the
# output. `gradient_profile` (given) measures it on the first batch at initialisation and after some steps of
# training.

# %% nbgrader={"grade": false, "grade_id": "layer-gradient-norms", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def layer_gradient_norms(model):
    """The 2-norm (sqrt of the sum of squares) of layer.weight.grad.data.data (the gradient's array) for each Linear
    layer of `model`, in the order model.named_modules() lists them: a list of Python floats. A weight without a
    gradient (grad None) counts 0.0.
    """
    ### BEGIN SOLUTION
    norms = []
    for _, module in model.named_modules():
        if isinstance(module, Linear):
            grad = module.weight.grad
            values = None if grad is None else np.asarray(grad.data.data, dtype=np.float64)
            norms.append(0.0 if values is None else float(np.sqrt(np.sum(values**2))))
    return norms
    ### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "gradient-profile", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def gradient_profile(config, steps=50):
    """Per-layer gradient norms of `config`'s model on its first training batch: {"init": at initialisation,
    "trained": after `steps` steps of training on batches drawn from the seed, "losses": those steps' losses}."""
    config = full_config(config)
    data = spirals(config)
    inputs, targets = data.train
    rng = np.random.default_rng(config["seed"])
    model = build_model(config, rng)
    trainer = Trainer(model, CrossEntropyLoss(), make_optimizer(config, model.parameters()))
    first = rng.permutation(len(inputs))[:config["batch_size"]]
    with np.errstate(all="ignore"):
        model.zero_grad()
        CrossEntropyLoss()(model(Variable(inputs[first], requires_grad=False)), targets[first]).backward()
        at_init = layer_gradient_norms(model)
        losses = []
        for _ in range(steps):
            batch = rng.choice(len(inputs), size=config["batch_size"], replace=False)
            losses.append(float(trainer.train_step(inputs[batch], targets[batch]).loss))
        model.zero_grad()
        CrossEntropyLoss()(model(Variable(inputs[first], requires_grad=False)), targets[first]).backward()
        trained = layer_gradient_norms(model)
    return {"init": at_init, "trained": trained, "losses": losses}

# %% nbgrader={"grade": true, "grade_id": "test-layer-gradient-norms", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_layer_gradient_norms():
    """layer_gradient_norms lists each Linear weight's gradient norm, input to output."""
    model = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1), Sigmoid(), Linear(2, 1, rng=2))
    grads = [np.arange(12.0).reshape(4, 3), np.full((2, 4), 0.5), None]
    for layer, grad in zip([model[0], model[2], model[4]], grads):
        layer.weight.grad = None if grad is None else Variable(grad, requires_grad=False)
    model[0].bias.grad = Variable(np.full(4, 100.0), requires_grad=False)
    got = layer_gradient_norms(model)
    expected = [float(np.linalg.norm(np.arange(12.0))), float(np.sqrt(8 * 0.25)), 0.0]
    assert len(got) == 3, f"layer_gradient_norms: one norm per Linear layer (3), got {len(got)}"
    assert np.allclose(got, expected), f"layer_gradient_norms: weights only, input to output: expected " \
                                       f"{np.round(expected, 4)}, got {np.round(got, 4)}"
    assert all(type(value) is float for value in got), "layer_gradient_norms: Python floats"
    ### BEGIN HIDDEN TESTS
    nested = Sequential(Sequential(Linear(2, 2, rng=0)), Linear(2, 2, rng=1))
    nested[0][0].weight.grad = Variable(np.ones((2, 2)), requires_grad=False)
    nested[1].weight.grad = Variable(np.zeros((2, 2)), requires_grad=False)
    assert np.allclose(layer_gradient_norms(nested), [2.0, 0.0])
    ### END HIDDEN TESTS

test_layer_gradient_norms()

# %% nbgrader={"grade": true, "grade_id": "test-vanishing-gradients", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_vanishing_gradients():
    """Through 30 layers, a sigmoid network's gradient vanishes towards the input; a ReLU network's with He does not."""
    base = {"hidden": [16] * 30, "samples_per_arm": 30, "batch_size": 32}
    sigmoid = gradient_profile({**base, "activation": "sigmoid", "init": "xavier"}, steps=0)["init"]
    relu = gradient_profile({**base, "activation": "relu", "init": "he"}, steps=0)["init"]
    assert len(sigmoid) == 31 and len(relu) == 31, f"31 Linear layers, got {len(sigmoid)} and {len(relu)} norms"
    assert sigmoid[0] < 1e-8 * sigmoid[-1], \
        f"sigmoid: the first layer's gradient is tiny next to the last's, got {sigmoid[0]:.3g} and {sigmoid[-1]:.3g}"
    assert relu[0] > 1e-2 * relu[-1], \
        f"ReLU + He: the gradient reaches the first layer, got {relu[0]:.3g} and {relu[-1]:.3g}"
    ### BEGIN HIDDEN TESTS
    assert all(value > 0 for value in relu)
    ### END HIDDEN TESTS

test_vanishing_gradients()

# %%
DEPTH = 50
DEEP_STEPS = 300 if FULL_RUNS else 60
deep = {"hidden": [32] * DEPTH, "optimizer": "Adam", "learning_rate": 0.001, "batch_size": 64, "noise": 0.1}
deep_cases = {
    "sigmoid + Xavier": {**deep, "activation": "sigmoid", "init": "xavier"},
    "SELU + LeCun": {**deep, "activation": "selu", "init": "lecun"},
    "ReLU + He": {**deep, "activation": "relu", "init": "he"},
    "sigmoid + Xavier + BatchNorm": {**deep, "activation": "sigmoid", "init": "xavier", "batch_norm": True},
}
started = time.perf_counter()
profiles = {name: gradient_profile(config, steps=DEEP_STEPS) for name, config in deep_cases.items()}
print(f"{len(profiles)} profiles of {DEPTH + 1} layers in {time.perf_counter() - started:.1f} s")

fig, (init_ax, trained_ax, loss_ax) = plt.subplots(1, 3, figsize=(14, 3.8))
for name, profile in profiles.items():
    layers = np.arange(1, len(profile["init"]) + 1)
    init_ax.semilogy(layers, np.maximum(profile["init"], 1e-300), label=name)
    trained_ax.semilogy(layers, np.maximum(profile["trained"], 1e-300), label=name)
    loss_ax.plot(profile["losses"], label=name)
init_ax.set_title("at initialisation", fontsize=9)
trained_ax.set_title(f"after {DEEP_STEPS} steps of Adam", fontsize=9)
for ax in (init_ax, trained_ax):
    ax.set_xlabel("layer (1 = input)")
    ax.set_ylabel("norm of the weight gradient")
loss_ax.set_xlabel("step")
loss_ax.set_ylabel("training loss")
loss_ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# The left panel is the whole story of vanishing gradients. The sigmoid network's gradient falls by a roughly
# constant factor per layer, a straight line on the log scale, down to about 1e-32 at the first layer (in the
# full run, 300 steps): those layers receive nothing, and the loss stays at ln 3 ≈ 1.10, chance for three
# classes. SELU with LeCun and ReLU with He keep the gradient within a factor of ten or so across all fifty
# layers. ReLU's loss falls to about 0.3; SELU's, at this rate, still jumps around 1.1 after 300 steps: a
# gradient that arrives is necessary, not sufficient. With BatchNorm after each Linear layer, the same sigmoid
# network gets its gradient back and its loss falls to about 0.5: each layer's input is re-centred and
# rescaled, so the sigmoids work in their steep middle instead of their flat tails.

# %% [markdown]
# ## 9. Nadam with early stopping on digits
#
# A last experiment with the tools of modules 6 and 7, on real data: scikit-learn's 8x8 digits, a two-layer MLP,
# Nadam (Adam with Nesterov's look-ahead) and `EarlyStopping`, which stops when the validation loss has not
# improved for five epochs and puts back the weights of the best epoch. The test set is measured once, at the end.

# %%
from tinytorch.core.data import DataLoader, TensorDataset, load_digits
from tinytorch.core.training import EarlyStopping

digits = load_digits(seed=0)
rng = np.random.default_rng(0)
digits_model = Sequential(Linear(64, 128, rng=rng), ReLU(), Linear(128, 64, rng=rng), ReLU(), Linear(64, 10, rng=rng))
digits_trainer = Trainer(digits_model, CrossEntropyLoss(), Nadam(digits_model.parameters(), learning_rate=0.002))
stopper = EarlyStopping(monitor="val_loss", patience=5, restore_best=True)
digits_trainer.fit(DataLoader(TensorDataset(*digits.train), batch_size=32, shuffle=True, seed=0),
                   epochs=60 if FULL_RUNS else 25, val_loader=DataLoader(TensorDataset(*digits.validation),
                                                                         batch_size=256),
                   callbacks=[stopper], verbose=0)
test_accuracy = digits_trainer.evaluate(DataLoader(TensorDataset(*digits.test), batch_size=256))["accuracy"]
print(f"stopped at epoch {stopper.stopped_epoch}, best epoch {stopper.best_epoch}; test accuracy {test_accuracy:.3f}")

# %% [markdown]
# The run reaches about 97% on the test set (96.9% when this lesson was written): the validation loss is lowest
# at epoch 13, training stops at epoch 18, after five epochs without improvement, and the weights of epoch 13
# are put back.

# %% [markdown]
# ### Question 3: fifty layers
#
# Describe the sigmoid network's gradient profile at initialisation and after training (read the values at the
# first and last layers), and explain its shape from the chain rule. How do SELU + LeCun and ReLU + He compare, in
# the gradient and in the loss? Give two ways to make the sigmoid network train without changing its activation,
# and say which one the lesson showed working.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-deep-networks", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# At initialisation the sigmoid network's gradient norm falls by about the same factor at every layer (a straight
# line on the log scale) from the output to the input, to about 1e-32 at the first layer: each layer multiplies
# the gradient by the sigmoid's derivative, at most 1/4, and by weights whose Xavier scale does not make up for
# it. After training the picture is the same, and the loss has not left ln 3: the first layers cannot learn, and
# the ones near the output learn only from features that carry no information. SELU + LeCun and ReLU + He keep
# the norm within about an order of magnitude across the depth, at initialisation and after training; ReLU's loss
# falls, SELU's needs another rate or more steps. To fix the sigmoid network without changing its activation:
# BatchNorm after each Linear layer (shown above: the gradient reaches the first layers again), or residual
# connections that give the gradient a path around each layer; a better initialisation alone cannot make the
# derivative larger than 1/4. Changing the activation (ReLU with He, SELU with LeCun, or tanh with Xavier, whose
# derivative is 1 at 0) is the simpler fix.

# %% [markdown]
# ## 10. Training emergencies
#
# Module 6's `LRRescue` cuts the rate when a batch's loss spikes and goes back to the epoch's start when the loss
# is not finite. It has three more options, for runs where a single batch should not decide (module 6 explains
# them; their defaults keep the old behaviour):
#
# - `grad_spike`: a gradient norm above `grad_spike` times its smoothed value is a *gradient explosion*, treated
#   like a spike. The gradient often blows up a step before the loss does;
# - `patience`: the rate is cut only after that many bad batches in a row (a nan is acted on at once);
# - `restore="last_good"`: a nan goes back to the weights after the last normal batch, not to the epoch's start;
# - and `min_lr`, a floor for the rate.
#
# Each intervention is written into the trainer's `History.events`, and `plot_history` draws a dotted line on the
# loss panel at each one. Below, Adam at a rate of 0.3 on the spirals, far too high: without a rescue, with the
# default rescue, and with a watchful one.

# %%
from tinytorch.core.training import LRRescue, plot_history


def emergency_run(callbacks):
    data = make_spiral(samples_per_arm=200, noise=0.1, seed=0)
    model = Sequential(Linear(2, 64, rng=0), ReLU(), Linear(64, 64, rng=1), ReLU(), Linear(64, 3, rng=2))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.3))
    return trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=32, shuffle=True, seed=0), epochs=30,
                       val_loader=DataLoader(TensorDataset(*data.validation), batch_size=500), callbacks=callbacks,
                       verbose=0)


emergencies = {"no rescue": [], "LRRescue()": [LRRescue()],
               "watchful": [LRRescue(grad_spike=3.0, patience=2, restore="last_good", min_lr=1e-3)]}
histories = {name: emergency_run(callbacks) for name, callbacks in emergencies.items()}
for name, history in histories.items():
    print(f"{name:10} final validation accuracy {history.epochs['val_accuracy'][-1]:.3f}; interventions:",
          [(event["step"], event["reason"], round(event["learning_rate"], 4)) for event in history.events])
plot_history(histories["LRRescue()"], title="Adam at 0.3 with LRRescue(): each dotted line is a cut")
plt.show()

# %% [markdown]
# Without a rescue the run never recovers from its first steps and ends at chance (30%). The default rescue cuts
# the rate at five spikes in a row, steps 2 to 6, from 0.3 to about 0.01, and ends at 77%. The watchful one
# forgives the first bad batch, cuts once at step 3 (to 0.15), and ends at the same accuracy: one cut of the rate
# was enough, and the four others only made the rest of the run slower. Patience is a trade: it forgives noise,
# and it reacts a batch or two later to a real emergency.

# %% [markdown]
# ## What you built
#
# `tinytorch.experiments`: grids of configurations written as data, a content key for each, a cache on disk
# that makes reruns free and interrupted grids resumable, runs in parallel processes (or on any executor,
# Dask's included) that give the same numbers as one process, and a summary per run that a heatmap can show.
# With it, two studies: Adam forgives a wrong learning rate more than SGD with momentum, and momentum is mostly
# a larger learning rate, lr / (1 - β), until β is so large that the velocity outlives the run. And a picture of
# vanishing gradients, layer by layer, with three ways around them; and a rescue that watches the gradient too.
