"""Probes for the learning-rate schedules module's hidden suite. They run inside the sandbox, next to the submission.

Each probe makes an optimizer from the reference package (a prerequisite), drives the submission's scheduler or
finder, and returns plain data: the rate after each step as Python floats, the momentum a schedule wrote, a
plateau scheduler's counters, a sweep's records, weights and optimizer state as float64 arrays. The data of the
finder's probes is generated with numpy (the sandbox has no scikit-learn or mnist1d).

A probe returns observations, never verdicts: "restored?" is seen through the weights, optimizer state and rate
after the sweep (compared with the reference's), and the sweep's own losses, which only a finder that ran can
report, gate that comparison in the grader. Only the names of the exceptions raised for a step past the end of
a one-cycle run and for an invalid sweep are constants; the tests that check them are worth 1 point each.
"""

import math

import numpy as np

from tinytorch.core import schedulers
from tinytorch.core.autograd import Variable
from tinytorch.core.data import DataLoader, TensorDataset
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.training import Trainer

OPTIMIZERS = {"SGD": SGD, "Adam": Adam}


# -- helpers (names starting with _ cannot be called as probes) ----------------------------------------------

def _number(value):
    """A float for a number; otherwise a sentence naming its type, so the grader shows it."""
    if isinstance(value, (bool, np.bool_)):
        return f"a {type(value).__name__}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return f"a {type(value).__name__}"


def _optimizer(name, learning_rate, settings=None):
    return OPTIMIZERS[name]([Variable(np.zeros(2))], learning_rate=learning_rate, **(settings or {}))


def _scheduler(name, optimizer, settings):
    return getattr(schedulers, name)(optimizer, **settings)


def _momentum(optimizer):
    return _number(optimizer.beta1 if isinstance(optimizer, Adam) else optimizer.momentum)


# -- schedules -----------------------------------------------------------------------------------------------

def schedule(scheduler, settings, learning_rate, steps, optimizer="SGD", optimizer_settings=None):
    """The rate after construction and after each of `steps` step() calls, what get_last_lr() returned, and the
    optimizer's momentum (or beta1) at each of those points."""
    made = _optimizer(optimizer, learning_rate, optimizer_settings)
    running = _scheduler(scheduler, made, settings)
    rates, last, momenta = [_number(made.learning_rate)], [_number(running.get_last_lr())], [_momentum(made)]
    for _ in range(steps):
        running.step()
        rates.append(_number(made.learning_rate))
        last.append(_number(running.get_last_lr()))
        momenta.append(_momentum(made))
    return {"rates": rates, "get_last_lr": last, "momentum": momenta}


def warm_restart_counters(settings, learning_rate, steps):
    """CosineAnnealingWarmRestarts: (T_cur, T_i) after each step(), as numbers."""
    made = _optimizer("SGD", learning_rate)
    running = schedulers.CosineAnnealingWarmRestarts(made, **settings)
    counters = []
    for _ in range(steps):
        running.step()
        counters.append([_number(running.T_cur), _number(running.T_i)])
    return counters


def one_cycle_past_the_end(settings, learning_rate, extra):
    """OneCycleLR stepped total_steps times, then `extra` more times: the rates, and the exception (if any)
    with the step at which it came."""
    made = _optimizer("SGD", learning_rate, {"momentum": 0.9})
    running = schedulers.OneCycleLR(made, **settings)
    rates = [_number(made.learning_rate)]
    for step in range(1, settings["total_steps"] + extra + 1):
        try:
            running.step()
        except ValueError as error:
            return {"rates": rates, "raised": type(error).__name__, "message": str(error),
                    "steps before": len(rates) - 1}
        rates.append(_number(made.learning_rate))
    return {"rates": rates, "raised": None, "message": "", "steps before": len(rates) - 1}


def plateau(settings, metrics, learning_rate=1.0):
    """ReduceLROnPlateau fed `metrics`: after each step(metric), the rate, get_last_lr(), best, num_bad_epochs
    and cooldown_counter."""
    made = _optimizer("SGD", learning_rate)
    running = schedulers.ReduceLROnPlateau(made, **settings)
    seen = {"rates": [], "get_last_lr": [], "best": [], "num_bad_epochs": [], "cooldown_counter": []}
    for metric in metrics:
        running.step(metric)
        seen["rates"].append(_number(made.learning_rate))
        seen["get_last_lr"].append(_number(running.get_last_lr()))
        seen["best"].append(_number(running.best))
        seen["num_bad_epochs"].append(_number(running.num_bad_epochs))
        seen["cooldown_counter"].append(_number(running.cooldown_counter))
    return seen


# -- the learning-rate finder --------------------------------------------------------------------------------

def suggestions(learning_rates, smoothed_losses, skip_start=None):
    """suggest_learning_rates as it returns: the two values, their types and how many values came back. Losses
    may be the strings "inf" and "nan" (JSON has neither)."""
    arguments = {} if skip_start is None else {"skip_start": skip_start}
    returned = schedulers.suggest_learning_rates(list(learning_rates), [float(v) for v in smoothed_losses],
                                                 **arguments)
    return {"steepest": _number(returned[0]), "minimum / 10": _number(returned[1]),
            "types": [type(value).__name__ for value in returned], "length": len(returned)}


def _regression(seed, samples=48, features=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features))
    y = x @ rng.normal(size=(features, 1)) + 0.1 * rng.normal(size=(samples, 1))
    return x, y


def _classification(seed, samples=40, features=5, classes=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(samples, features)), rng.integers(0, classes, size=samples)


def _result(result):
    return {"learning_rates": [_number(v) for v in result.learning_rates],
            "losses": [_number(v) for v in result.losses],
            "smoothed_losses": [_number(v) for v in result.smoothed_losses],
            "diverged": _number(int(result.diverged)) if isinstance(result.diverged, bool) else "not a bool"}


def sweep(seed, min_lr, max_lr, steps, smoothing, diverge_factor, batch_size=16, learning_rate=0.05):
    """find_learning_rate on a linear regression with SGD (the batches in order): what it recorded.
    diverge_factor may be the string "inf" (JSON has no infinity)."""
    x, y = _regression(seed)
    model = Linear(x.shape[1], 1, rng=seed)
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=learning_rate))
    result = schedulers.find_learning_rate(trainer, DataLoader(TensorDataset(x, y), batch_size=batch_size),
                                           min_lr=min_lr, max_lr=max_lr, steps=steps, smoothing=smoothing,
                                           diverge_factor=float(diverge_factor))
    return _result(result)


def _weights(model):
    return {name: np.asarray(value, dtype=np.float64) for name, value in model.state_dict().items()}


def _optimizer_state(optimizer):
    state = optimizer.state_dict()["state"]
    return {f"parameter {index}": {key: np.asarray(value, dtype=np.float64) for key, value in buffers.items()}
            for index, buffers in sorted(state.items())}


def restored(seed, min_lr, max_lr, steps):
    """An MLP and Adam after two training steps, then find_learning_rate (diverge_factor infinite): the sweep's
    records, and the weights, the optimizer's state and rate after it, and the loss of one more step. Then a
    sweep over a loader whose second batch breaks the model: the exception's type and the weights after it."""
    x, y = _classification(seed)
    model = Sequential(Linear(5, 8, rng=seed), ReLU(), Linear(8, 3, rng=seed + 1))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.02))
    for _ in range(2):
        trainer.train_step(x[:10], y[:10])
    result = schedulers.find_learning_rate(trainer, DataLoader(TensorDataset(x, y), batch_size=10), min_lr=min_lr,
                                           max_lr=max_lr, steps=steps, diverge_factor=math.inf)
    seen = {"sweep": _result(result), "weights": _weights(model), "optimizer state": _optimizer_state(trainer.optimizer),
            "learning_rate": _number(trainer.optimizer.learning_rate)}
    seen["next loss"] = _number(trainer.train_step(x[10:20], y[10:20]).loss)

    class Breaking:
        """Two batches; the second has the wrong number of features."""

        def __len__(self):
            return 2

        def __iter__(self):
            yield x[:10], y[:10]
            yield x[:10, :2], y[:10]

    try:
        schedulers.find_learning_rate(trainer, Breaking(), min_lr=0.5, max_lr=50.0, steps=5, diverge_factor=math.inf)
        seen["after an error"] = {"raised": None}
    except Exception as error:  # noqa: BLE001 - the model's own error, whatever its type
        seen["after an error"] = {"raised": type(error).__name__}
    seen["after an error"]["weights"] = _weights(model)
    return seen


def invalid_sweep(case):
    """The exception (type name and message) raised for an invalid sweep, or None."""
    try:
        if case == "min_lr above max_lr":
            x, y = _regression(0)
            model = Linear(3, 1, rng=0)
            trainer = Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=0.1))
            schedulers.find_learning_rate(trainer, DataLoader(TensorDataset(x, y), batch_size=16), min_lr=1.0,
                                          max_lr=0.01, steps=5)
        else:  # one finite point left
            schedulers.suggest_learning_rates([1e-3, 1e-2, 1e-1], [1.0, math.nan, math.inf], skip_start=0)
    except ValueError as error:
        return {"raised": type(error).__name__, "message": str(error)}
    return {"raised": None, "message": ""}
