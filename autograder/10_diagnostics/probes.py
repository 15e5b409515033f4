"""Probes for the diagnostics module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds curves, models or check-up reports from its arguments (small JSON data and seeds), drives the
submission's diagnostics, and returns plain data: evidence and instrument readings as Python floats, verdicts,
first fixes and problem names as strings. A verdict or a problem name is a constant that forged reports could
echo, so every probe that returns one also returns numbers only a working submission computes (the evidence
behind a verdict; each problem and where it was found as a number; a check-up's measurements), and the tests
compare those numbers first.
"""

import math

import numpy as np

from tinytorch.core import diagnostics
from tinytorch.core.autograd import Variable
from tinytorch.core.data import DataLoader, TensorDataset, make_spiral
from tinytorch.core.layers import Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.training import Trainer

PROBLEM_ORDER = ("lr_too_high", "lr_too_low", "frozen_layer", "dead_relus", "saturated", "initial_loss_high",
                 "cannot_overfit")


# -- helpers (names starting with _ cannot be called as probes) ----------------------------------------------

def _number(value):
    """A float for a number (nan and inf kept); otherwise a sentence naming its type, so the grader shows it."""
    if isinstance(value, (bool, np.bool_)):
        return f"a {type(value).__name__}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return f"a {type(value).__name__}"


def _floats(values):
    return [float(value) for value in values]  # "nan" and "inf" arrive as strings (JSON has neither)


def _numbers(mapping):
    return {str(name): _number(value) for name, value in mapping.items()}


# -- diagnose ------------------------------------------------------------------------------------------------

def diagnosis(loss, val_loss=None, classes=None):
    """diagnose on the curves {"loss": loss, "val_loss": val_loss}: the verdict, the evidence (names and numbers)
    and the first fix."""
    curves = {"loss": _floats(loss)}
    if val_loss is not None:
        curves["val_loss"] = _floats(val_loss)
    found = diagnostics.diagnose(curves, classes=classes)
    return {"verdict": str(found.verdict), "evidence": _numbers(found.evidence),
            "names": sorted(str(name) for name in found.evidence), "first_fix": str(found.first_fix)}


# -- instruments ---------------------------------------------------------------------------------------------

def _mlp(seed, widths, activation="ReLU"):
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Linear(fan_in, fan_out, rng=seed + index))
        if index < len(widths) - 2:
            layers.append({"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh}[activation]())
    return Sequential(*layers)


def _batch(seed, samples, features, classes):
    rng = np.random.default_rng(seed + 100)
    return rng.normal(size=(samples, features)), rng.integers(0, classes, size=samples)


def gradient_norms(seed, widths, samples=12, backward=True):
    """gradient_norms of an MLP after one backward pass of cross-entropy on a seeded batch (or before any)."""
    model = _mlp(seed, widths)
    x, y = _batch(seed, samples, widths[0], widths[-1])
    if backward:
        CrossEntropyLoss()(model(Variable(x, requires_grad=False)), y).backward()
    got = diagnostics.gradient_norms(model)
    return {"names": [str(name) for name in got], "norms": _numbers(got)}


def update_ratios(seed, widths, learning_rate, steps=1):
    """update_ratios across `steps` SGD steps of an MLP (biases start at 0: nan), then across a step that moves
    nothing (learning rate 0)."""
    model = _mlp(seed, widths)
    x, y = _batch(seed, 16, widths[0], widths[-1])
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=learning_rate))
    before = diagnostics.parameter_values(model)
    for _ in range(steps):
        trainer.train_step(x, y)
    moved = diagnostics.update_ratios(before, model)
    trainer.optimizer.learning_rate = 0.0
    before = diagnostics.parameter_values(model)
    trainer.train_step(x, y)
    still = diagnostics.update_ratios(before, model)
    return {"names": [str(name) for name in moved], "moved": _numbers(moved), "still": _numbers(still)}


def activations(seed, widths, activation, scale, samples=40):
    """activation_statistics of an MLP whose weights are multiplied by `scale`, on a seeded batch."""
    model = _mlp(seed, widths, activation)
    for layer in model:
        if isinstance(layer, Linear):
            layer.weight.data.data[...] *= scale
    x, _ = _batch(seed, samples, widths[0], widths[-1])
    got = diagnostics.activation_statistics(model, x)
    return {"names": [str(name) for name in got],
            "layers": {str(name): str(stats["layer"]) for name, stats in got.items()},
            "mean": {str(name): _number(stats["mean"]) for name, stats in got.items()},
            "std": {str(name): _number(stats["std"]) for name, stats in got.items()},
            "saturated": {str(name): _number(stats["saturated"]) for name, stats in got.items()}}


def dead_units(seed, widths, bias, samples=30):
    """dead_relu_fraction of a ReLU MLP whose hidden biases are all set to `bias`, on a seeded batch."""
    model = _mlp(seed, widths)
    for layer in list(model)[:-1]:
        if isinstance(layer, Linear):
            layer.bias.data.data[...] = bias
    x, _ = _batch(seed, samples, widths[0], widths[-1])
    return _numbers(diagnostics.dead_relu_fraction(model, x))


def monitor(seed, every, epochs, learning_rate=0.1):
    """A LayerMonitor(every) during fit of a small MLP: the steps recorded, the gradient norms and update ratios."""
    model = _mlp(seed, [3, 6, 6, 3])
    x, y = _batch(seed, 20, 3, 3)
    watching = diagnostics.LayerMonitor(every=every)
    Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=learning_rate, momentum=0.9)).fit(
        DataLoader(TensorDataset(x, y), batch_size=5), epochs=epochs, callbacks=[watching], verbose=0)
    return {"steps": [_number(step) for step in watching.steps],
            "grad_norms": {str(name): [_number(v) for v in values] for name, values in watching.grad_norms.items()},
            "update_ratios": {str(name): [_number(v) for v in values]
                              for name, values in watching.update_ratios.items()}}


# -- the check-up --------------------------------------------------------------------------------------------

def _encoded(problems, report):
    """Each problem as a number: 10 * its position in PROBLEM_ORDER + 1 + the position of `where` among "" and the
    report's parameter and layer names (-1 if unknown)."""
    places = ["", *report.update_ratios, *report.activations]
    codes = []
    for found in problems:
        problem, where = found["problem"], found["where"]
        kind = PROBLEM_ORDER.index(problem) if problem in PROBLEM_ORDER else 99
        codes.append(float(100 * kind + 1 + (places.index(where) if where in places else -2)))
    return codes


def _report(case):
    """A CheckupReport made by hand: a healthy one, changed as `case` says."""
    nan = math.nan
    values = dict(learning_rate=0.01, chance_loss=math.log(4), initial_loss=1.5,
                  grad_norms={"0.weight": 0.4, "0.bias": 0.1, "2.weight": 0.2, "2.bias": 0.05, "4.weight": 0.3,
                              "4.bias": 0.1},
                  activations={"0": {"layer": "Linear", "mean": 0.0, "std": 1.0, "saturated": nan},
                               "1": {"layer": "ReLU", "mean": 0.4, "std": 0.6, "saturated": 0.45},
                               "2": {"layer": "Linear", "mean": 0.0, "std": 1.0, "saturated": nan},
                               "3": {"layer": "Sigmoid", "mean": 0.5, "std": 0.2, "saturated": 0.05}},
                  dead_relus={"1": 0.2}, overfit_losses=[1.5, 1.0, 0.4, 0.2],
                  update_ratios={"0.weight": [3e-3, 2e-3, 2e-3], "0.bias": [nan, 0.1, 0.05],
                                 "2.weight": [4e-3, 3e-3, 2e-3], "2.bias": [nan, 0.1, 0.05],
                                 "4.weight": [5e-3, 4e-3, 3e-3], "4.bias": [nan, 0.1, 0.05]},
                  activations_after={}, dead_relus_after={}, sweep=None)
    ratios, norms = dict(values["update_ratios"]), dict(values["grad_norms"])
    if case == "nan overfit":
        values["overfit_losses"] = [1.5, 0.2, 0.1, nan]
    elif case == "rising overfit":
        values["overfit_losses"] = [1.5, 0.2, 0.1, 1.6]
    elif case == "tiny updates":
        values["update_ratios"] = {name: [r * 1e-4 for r in rs] for name, rs in ratios.items()}
    elif case == "tiny updates but one":
        values["update_ratios"] = {name: [r * (1e-4 if name != "2.weight" else 1.0) for r in rs]
                                   for name, rs in ratios.items()}
    elif case == "two frozen":
        ratios.update({"0.weight": [0.0] * 3, "4.weight": [0.0] * 3})
        values["update_ratios"] = ratios
    elif case == "frozen without gradient":
        ratios["2.weight"] = [0.0] * 3
        norms["2.weight"] = 0.0
        values.update(update_ratios=ratios, grad_norms=norms)
    elif case == "frozen once":
        ratios["2.weight"] = [0.0, 1e-3, 0.0]
        values["update_ratios"] = ratios
    elif case == "dead":
        values["dead_relus"] = {"1": 0.6}
    elif case == "half dead":
        values["dead_relus"] = {"1": 0.5}
    elif case == "saturated sigmoid":
        values["activations"] = dict(values["activations"], **{"3": {"layer": "Sigmoid", "mean": 0.5, "std": 0.49,
                                                                     "saturated": 0.7}})
    elif case == "saturated relu":
        values["activations"] = dict(values["activations"], **{"1": {"layer": "ReLU", "mean": 0.1, "std": 0.3,
                                                                     "saturated": 0.9}})
    elif case == "high initial loss":
        values.update(initial_loss=3.0, overfit_losses=[3.0, 1.0, 0.3, 0.1])
    elif case == "high initial loss, no classes":
        values.update(initial_loss=3.0, chance_loss=nan, overfit_losses=[3.0, 1.0, 0.3, 0.1])
    elif case == "stuck":
        values["overfit_losses"] = [1.5, 1.0, 0.5, 0.35]
    elif case == "everything":
        values.update(overfit_losses=[5.0, 4.0, 6.0], initial_loss=5.0, dead_relus={"1": 0.8})
        values["activations"] = dict(values["activations"], **{"3": {"layer": "Sigmoid", "mean": 0.9, "std": 0.1,
                                                                     "saturated": 0.95}})
    return diagnostics.CheckupReport(**values)


class _Sweep:
    """Just what the findings read of a sweep."""

    def __init__(self, min_div_10_lr):
        self.min_div_10_lr = min_div_10_lr
        self.steepest_lr = min_div_10_lr


def findings(cases, sweep_minimum=None, learning_rate=None):
    """checkup_findings on hand-made reports (one per case name): the problems as [problem, where] and as numbers."""
    seen = []
    for case in cases:
        report = _report(case)
        if sweep_minimum is not None:
            report.sweep = _Sweep(sweep_minimum)
            report.learning_rate = learning_rate
        problems = diagnostics.checkup_findings(report)
        seen.append({"problems": [[str(found["problem"]), str(found["where"])] for found in problems],
                     "codes": _encoded(problems, report)})
    return seen


def _planted(fault):
    """A model, its loss and optimizer on the 3-armed spiral: healthy, or broken one way."""
    model = _mlp(0, [2, 16, 16, 3], "Tanh" if fault == "saturated tanh" else "ReLU")
    if fault == "softmax before the loss":
        model.append(Softmax())
    if fault == "saturated tanh":
        for layer in (model[0], model[2]):
            layer.weight.data.data[...] *= 8.0
    if fault == "dead relus":
        model[0].bias.data.data[...] = -3.0
    parameters = model.parameters()[2:] if fault == "frozen first layer" else model.parameters()
    optimizer = SGD(parameters, learning_rate=10.0, momentum=0.9) if fault == "rate far too high" else \
        Adam(parameters, learning_rate=0.01)
    return model, CrossEntropyLoss(), optimizer


def checkup_on(fault):
    """checkup (no print, no figure) of a planted fault: the problems it names and the measurements it made."""
    data = make_spiral(samples_per_arm=40, arms=3, noise=0.1, seed=0, validation_fraction=0.0, test_fraction=0.0)
    model, loss_fn, optimizer = _planted(fault)
    report = diagnostics.checkup(model, loss_fn, data.train, optimizer, classes=3, batch_size=32, overfit_steps=40,
                                 sweep_steps=30, verbose=False, plot=False)
    return {"problems": [[str(found["problem"]), str(found["where"])] for found in report.problems],
            "codes": _encoded(report.problems, report),
            "initial_loss": _number(report.initial_loss),
            "overfit_losses": [_number(v) for v in report.overfit_losses],
            "grad_norms": _numbers(report.grad_norms),
            "dead_relus": _numbers(report.dead_relus),
            "saturated": {str(name): _number(stats["saturated"]) for name, stats in report.activations.items()},
            "largest update ratio": {str(name): _number(max(values)) if values else "none"
                                     for name, values in report.update_ratios.items() if name.endswith("weight")}}
