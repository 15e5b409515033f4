"""Probes for the optimizer studies module's hidden suite. They run inside the sandbox, next to the submission.

The sandbox has one CPU and no /dev/shm, so no probe starts a process pool: `run_grid` is called with jobs=1 (its
parallel path is tested in tests/09_optimizer_studies). Caches live in fresh folders under the sandbox's /tmp.

Every probe returns observations as numbers: a key as the four 16-bit numbers its hex digits spell, a bool as 1.0
or 0.0, positions as ints, so a report forged without running the submission never matches. Inputs are drawn
from seeds inside the probes; losses may arrive as the strings "nan" and "inf" (JSON has neither).
"""

import tempfile

import numpy as np

from tinytorch import experiments
from tinytorch.core.autograd import Variable
from tinytorch.core.layers import Linear, ReLU, Sequential, Sigmoid


# -- helpers (names starting with _ cannot be called as probes) ----------------------------------------------

def _number(value):
    """A float for a number, 1.0 / 0.0 for a bool; otherwise a sentence naming its type, so the grader shows it."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, np.bool_):
        return float(value)
    return f"a {type(value).__name__}"


def _key(value):
    """A 16-hex-digit key as four numbers; anything else as a sentence."""
    if not (isinstance(value, str) and len(value) == 16):
        return f"not a 16-character string: {value!r}"[:80]
    try:
        return [int(value[i:i + 4], 16) for i in range(0, 16, 4)]
    except ValueError:
        return f"not hexadecimal: {value!r}"


def _floats(values):
    return [float(value) for value in values]


def _fake_run(seed, steps, epochs):
    rng = np.random.default_rng(seed)
    return {"losses": list(np.round(1.1 * np.exp(-np.linspace(0, 2, steps)) + 0.05 * rng.random(steps), 6)),
            "val_accuracy": list(np.round(rng.uniform(0.3, 1.0, epochs), 6))}


# -- grids and keys ------------------------------------------------------------------------------------------

def grid_of(base, axes):
    """grid(base, **axes) with axes given as [[name, values], ...]: each configuration's values, in the order of
    its keys, after configs[0]["seed"] has been set to 99 (the others must not change)."""
    configs = experiments.grid(base, **{name: values for name, values in axes})
    if configs:
        configs[0]["seed"] = 99
    return [[_number(value) if not isinstance(value, str) else value for value in config.values()]
            for config in configs]


def grid_base_seeds(base_seed, values):
    """grid({"seed": base_seed}, learning_rate=values), then configs[0]["seed"] = 99: every configuration's seed."""
    configs = experiments.grid({"seed": base_seed}, learning_rate=values)
    configs[0]["seed"] = 99
    return [_number(config.get("seed")) for config in configs]


def keys_of(configs):
    """config_key of each configuration, as numbers."""
    return [_key(experiments.config_key(config)) for config in configs]


# -- summaries -------------------------------------------------------------------------------------------------

def summary_of(losses, val_accuracy, last):
    """summarize({"losses", "val_accuracy"}, last) with each field as a number."""
    run = {"losses": [float(value) for value in losses], "val_accuracy": [float(value) for value in val_accuracy]}
    summary = experiments.summarize(run, last=last)
    return {name: _number(summary.get(name)) for name in experiments.SUMMARY_FIELDS}


# -- the cache and resuming ------------------------------------------------------------------------------------

def split_of(count, stored, seed):
    """A grid of `count` configurations (seeds seed, seed + 1, ...), with fake records saved for the positions in
    `stored`: split_cached's done (position -> the record's losses) and pending."""
    cache = experiments.ResultCache(tempfile.mkdtemp(prefix="cache-"))
    configs = [{"seed": seed + i, "epochs": 1} for i in range(count)]
    for position in stored:
        cache.save(configs[position], _fake_run(seed + position, 5, 1))
    done, pending = experiments.split_cached(configs, cache)
    return {"done": {str(position): _floats(record["losses"]) for position, record in sorted(done.items())},
            "pending": [_number(position) for position in pending]}


def resumed_grid(stored, seed):
    """run_grid(jobs=1) on four tiny configurations, fake records already saved for the positions in `stored`:
    each row's final_loss and steps."""
    directory = tempfile.mkdtemp(prefix="grid-")
    cache = experiments.ResultCache(directory)
    configs = experiments.grid({"epochs": 2, "samples_per_arm": 12, "seed": seed}, learning_rate=[0.01, 0.03, 0.1, 0.3])
    for position in stored:
        cache.save(configs[position], _fake_run(seed + position, 3, 2))
    table = experiments.run_grid(configs, jobs=1, cache_dir=directory, progress=False)
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    return [[_number(row["final_loss"]), _number(row["steps"])] for row in rows]


# -- pivot -----------------------------------------------------------------------------------------------------

def pivot_of(rows, cols, drop, seed):
    """pivot of a seeded table over rows x cols values (row labels `rows`, column labels `cols`, shuffled), with
    the pairs listed in `drop` left out."""
    rng = np.random.default_rng(seed)
    table = [{"a": r, "b": c, "v": float(rng.normal())} for r in rows for c in cols if [r, c] not in drop]
    order = rng.permutation(len(table))
    labels_r, labels_c, values = experiments.pivot([table[i] for i in order], "a", "b", "v")
    return {"rows": [_number(v) for v in labels_r], "cols": [_number(v) for v in labels_c],
            "values": np.asarray(values)}


# -- momentum --------------------------------------------------------------------------------------------------

def effective_rates(cases):
    """effective_learning_rate(lr, momentum) for each [lr, momentum]."""
    return [_number(experiments.effective_learning_rate(lr, momentum)) for lr, momentum in cases]


# -- gradient norms --------------------------------------------------------------------------------------------

def norms_of_set_gradients(seed, nested):
    """layer_gradient_norms of a model whose gradients are set from a seed: Linear layers of several sizes (inside
    a nested Sequential when `nested`), biases with gradients too, one weight without a gradient."""
    rng = np.random.default_rng(seed)
    sizes = [3, 5, 4, 2, 3]
    layers = [Linear(sizes[i], sizes[i + 1], rng=seed + i) for i in range(4)]
    inner = [layers[1], Sigmoid(), layers[2]]
    middle = [Sequential(*inner)] if nested else inner
    model = Sequential(layers[0], ReLU(), *middle, ReLU(), layers[3])
    for index, layer in enumerate(layers):
        layer.weight.grad = None if index == 2 else Variable(rng.normal(size=layer.weight.data.shape),
                                                              requires_grad=False)
        layer.bias.grad = Variable(rng.normal(size=layer.bias.data.shape) * 10, requires_grad=False)
    return [_number(value) for value in experiments.layer_gradient_norms(model)]


def deep_profile(activation, init, depth, steps, seed):
    """gradient_profile (given) of a deep network, which measures with the submission's layer_gradient_norms."""
    config = {"hidden": [8] * depth, "activation": activation, "init": init, "samples_per_arm": 12,
              "batch_size": 16, "seed": seed, "learning_rate": 0.001}
    profile = experiments.gradient_profile(config, steps=steps)
    return {"init": [_number(v) for v in profile["init"]], "trained": [_number(v) for v in profile["trained"]]}
