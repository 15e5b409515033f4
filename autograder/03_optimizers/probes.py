"""Probes for the optimizers module's hidden suite. They run inside the sandbox, next to the submission.

Every probe builds its inputs from a seed, drives the package through its public API and returns plain data:
parameter values as ndarrays (in their own dtype), learning rates as floats, and values returned by the
submission as they are (so that the grader sees a Python float, a numpy scalar or a 0-d array for what it is).
Results are keyed by what they are ("after step 3", "parameter 1, shape (5,)") so that a failed comparison in
the grader names the step and the parameter.

A probe returns observations, never verdicts: nothing here decides "in place?", "float32?" or "a float?".
Code running next to the probe can change any such decision, so each property is observed through numbers
the grader compares with the reference's (values read through the array a parameter held before the step,
the state arrays in their own dtype, the returned value itself), and only computing the right numbers gives
the right observation.

Several probes run the submission twice in one call (float32 and float64, resumed and uninterrupted, with its
weight decay and with the decay done by hand, train_simple_model and the loop of its docstring), so that the
grader can compare the submission with itself; the grader first checks that the run is a plausible one
(optimizers_suite_checks.py).
"""

import math

import numpy as np

from tinytorch.core import optimizers
from tinytorch.core.autograd import Variable

OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop")
SCHEDULERS = ("StepLR", "ExponentialLR", "CosineAnnealingLR")
DESCENT = "gradient_descent_step"


# -- helpers (names starting with _ cannot be called as probes) ----------------------------------------------

def _shape_key(index, shape):
    return f"parameter {index}, shape {tuple(shape)}"


def _number(value):
    """A float for anything numeric with one element; otherwise the name of its type, so the grader shows it."""
    if isinstance(value, (bool, np.bool_)):
        return f"a {type(value).__name__}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return f"a {type(value).__name__}"


def _as_sent(value):
    """`value` itself when it crosses to the grader as it is (None, a Python number, a numpy scalar or array of
    numbers), so that the grader sees its type; otherwise a sentence naming its type, shown as is."""
    if value is None or type(value) in (int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "iuf":
        return value
    return f"a {type(value).__name__}"


def _initial_values(rng, shapes, dtype):
    return [rng.standard_normal(tuple(shape)).astype(dtype) for shape in shapes]


def _gradients(rng, shapes, steps, dtype, scales=None, zero_steps=0):
    """steps x parameters gradient arrays; drawn the same way whatever the optimizer does with them."""
    scales = scales or [1.0] * len(shapes)
    schedule = []
    for step in range(1, steps + 1):
        row = [(scale * rng.standard_normal(tuple(shape))).astype(dtype) for shape, scale in zip(shapes, scales)]
        if step <= zero_steps:
            row = [np.zeros_like(gradient) for gradient in row]
        schedule.append(row)
    return schedule


def _has_gradient(index, step, sparse, frozen):
    """Parameters in `frozen` never get a gradient; those in `sparse` get one on even steps only."""
    return index not in frozen and not (index in sparse and step % 2 == 1)


def _stepper(name, parameters, hyper):
    """(an object with step(), the optimizer or None) for an optimizer class or gradient_descent_step."""
    if name == DESCENT:
        learning_rate = hyper["learning_rate"]

        class Descent:
            learning_rate = 0.0

            def step(self):
                for parameter in parameters:
                    optimizers.gradient_descent_step(parameter, self.learning_rate)

        descent = Descent()
        descent.learning_rate = learning_rate
        return descent, None
    optimizer = getattr(optimizers, name)(parameters, **hyper)
    return optimizer, optimizer


def _set_gradients(parameters, row, step, sparse, frozen):
    for index, (parameter, gradient) in enumerate(zip(parameters, row)):
        if _has_gradient(index, step, sparse, frozen):
            parameter.grad = Variable(gradient.copy(), requires_grad=False)
        else:
            parameter.grad = None


def _values(parameters, shapes):
    return {
        _shape_key(index, shape): np.array(parameter.data.data, copy=True)
        for index, (parameter, shape) in enumerate(zip(parameters, shapes))
    }


def _norm_type(norm_type):
    return math.inf if norm_type == "inf" else float(norm_type)


def _gradient_values(parameters, shapes):
    """Each parameter's gradient values, or None where it has none."""
    return {
        _shape_key(index, shape): None if parameter.grad is None else np.array(parameter.grad.data.data, copy=True)
        for index, (parameter, shape) in enumerate(zip(parameters, shapes))
    }


def _through(arrays, shapes):
    """Copies of the values of `arrays` (arrays some parameters held earlier), as they are now."""
    return {_shape_key(index, shape): np.array(array, copy=True)
            for index, (array, shape) in enumerate(zip(arrays, shapes))}


# -- optimizers -------------------------------------------------------------------------------------------

def trajectory(optimizer, hyper, shapes, steps, seed, dtype="float64", scales=None, sparse=(), frozen=(),
               zero_steps=0, rates=None, checkpoints=(1, 2), start=False):
    """Run `optimizer` (a class name or "gradient_descent_step") on seeded parameters and random gradients.

    `rates[k]`, when given and not None, is written to the optimizer's learning_rate before step k + 1 (as a
    scheduler would). Returns the parameter values after each checkpoint step and after the last step (and,
    with `start`, before the first).
    """
    rng = np.random.default_rng(seed)
    parameters = [Variable(value, requires_grad=True) for value in _initial_values(rng, shapes, dtype)]
    gradients = _gradients(rng, shapes, steps, dtype, scales, zero_steps)
    stepper, _ = _stepper(optimizer, parameters, hyper)
    wanted = sorted({k for k in checkpoints if k <= steps} | {steps})
    result = {"start": _values(parameters, shapes)} if start else {}
    for step, row in enumerate(gradients, start=1):
        if rates is not None and rates[step - 1] is not None:
            stepper.learning_rate = rates[step - 1]
        _set_gradients(parameters, row, step, set(sparse), set(frozen))
        stepper.step()
        if step in wanted:
            result[f"after step {step}"] = _values(parameters, shapes)
    return result


def repeated_gradient(optimizer, hyper, shapes, steps, seed):
    """Set each gradient once and call step() `steps` times, as when gradients are not recomputed ("set once");
    next to it, the same run with a fresh copy of the same gradients set before each step ("a fresh copy each
    step"). Returns both runs' values before the first step and after each step."""
    rng = np.random.default_rng(seed)
    start = _initial_values(rng, shapes, "float64")
    row = _gradients(rng, shapes, 1, "float64")[0]
    result = {}
    for name in ("set once", "a fresh copy each step"):
        parameters = [Variable(value.copy(), requires_grad=True) for value in start]
        stepper, _ = _stepper(optimizer, parameters, hyper)
        values = {"start": _values(parameters, shapes)}
        for step in range(1, steps + 1):
            if step == 1 or name != "set once":
                _set_gradients(parameters, row, step, set(), set())
            stepper.step()
            values[f"after step {step}"] = _values(parameters, shapes)
        result[name] = values
    return result


def in_place(optimizer, hyper, shapes, steps, seed):
    """The gradient is set once and step() called `steps` times (as when step() runs again without a new backward
    pass). Returns two observations:

    - "in place": after each step, the values read through the arrays the parameters held before the first step;
      then, after 1 is added to each of those arrays, the parameters' values. An update in place writes into
      those arrays (and the parameter still holds them); one that replaces parameter.data.data leaves them behind.
    - "gradient kept": after each step, the parameters and their gradients. A step that changes the gradient
      changes it for the steps after it too.

    and "start", the values before the first step.
    """
    rng = np.random.default_rng(seed)
    parameters = [Variable(value, requires_grad=True) for value in _initial_values(rng, shapes, "float64")]
    arrays = [parameter.data.data for parameter in parameters]
    start = _values(parameters, shapes)
    for parameter, gradient in zip(parameters, _gradients(rng, shapes, 1, "float64")[0]):
        parameter.grad = Variable(gradient, requires_grad=False)
    stepper, _ = _stepper(optimizer, parameters, hyper)
    through, kept = {}, {}
    for step in range(1, steps + 1):
        stepper.step()
        through[f"after step {step}"] = _through(arrays, shapes)
        kept[f"after step {step}"] = {"parameters": _values(parameters, shapes),
                                      "gradients": _gradient_values(parameters, shapes)}
    for array in arrays:
        array += 1.0
    through["the parameters, after 1 is added to those arrays"] = _values(parameters, shapes)
    return {"start": start, "in place": through, "gradient kept": kept}


def variants(optimizer, runs, shapes, steps, seed, scales=None):
    """Several runs of `optimizer` from the same start on the same seeded gradients, one per entry of `runs`
    ({name: {"hyper": {...}, "factors": [...] or None}}); with "factors", the gradient of step k is multiplied
    by factors[k - 1] before it is handed over. Returns each run's values before the first step and after
    every step, and the gradients drawn ("gradients", after step k: the ones drawn for step k)."""
    rng = np.random.default_rng(seed)
    start = _initial_values(rng, shapes, "float64")
    gradients = _gradients(rng, shapes, steps, "float64", scales)
    result = {"gradients": {f"after step {step}": {_shape_key(index, shape): gradient.copy()
                                                   for index, (gradient, shape) in enumerate(zip(row, shapes))}
                            for step, row in enumerate(gradients, start=1)}}
    for name, run in runs.items():
        parameters = [Variable(value.copy(), requires_grad=True) for value in start]
        stepper, _ = _stepper(optimizer, parameters, run["hyper"])
        factors = run.get("factors")
        values = {"start": _values(parameters, shapes)}
        for step, row in enumerate(gradients, start=1):
            factor = 1.0 if factors is None else factors[step - 1]
            _set_gradients(parameters, [factor * gradient for gradient in row], step, set(), set())
            stepper.step()
            values[f"after step {step}"] = _values(parameters, shapes)
        result[name] = values
    return result


def decay_by_hand(optimizer, hyper, shapes, steps, seed, decoupled=False, rates=None):
    """`optimizer` with its weight_decay, next to the same optimizer with weight_decay=0 whose decay the probe
    does by hand before each step: adding weight_decay * param to the gradient or, `decoupled`, multiplying the
    parameter by 1 - learning_rate * weight_decay. `rates[k]` (when not None) is set as the learning_rate of
    both before step k + 1. Returns both runs' values before the first step and after every step."""
    rng = np.random.default_rng(seed)
    start = _initial_values(rng, shapes, "float64")
    gradients = _gradients(rng, shapes, steps, "float64")
    decay = hyper["weight_decay"]
    result = {}
    for name in ("with weight_decay", "weight_decay=0, the decay done by hand"):
        by_hand = name != "with weight_decay"
        parameters = [Variable(value.copy(), requires_grad=True) for value in start]
        stepper, _ = _stepper(optimizer, parameters, dict(hyper, weight_decay=0.0) if by_hand else hyper)
        values = {"start": _values(parameters, shapes)}
        for step, row in enumerate(gradients, start=1):
            if rates is not None and rates[step - 1] is not None:
                stepper.learning_rate = rates[step - 1]
            if by_hand and decoupled:
                for parameter in parameters:
                    parameter.data.data *= 1 - stepper.learning_rate * decay
            if by_hand and not decoupled:
                row = [gradient + decay * parameter.data.data for gradient, parameter in zip(row, parameters)]
            _set_gradients(parameters, row, step, set(), set())
            stepper.step()
            values[f"after step {step}"] = _values(parameters, shapes)
        result[name] = values
    return result


def skipping(optimizer, hyper, shapes, steps, seed, sparse=(), frozen=()):
    """One optimizer over all the parameters, where those in `sparse` get a gradient on even steps only and
    those in `frozen` never do ("together"), next to one optimizer per parameter, each alone, given the same
    gradients at the same steps ("alone"). Returns the values before the first step and after the last."""
    rng = np.random.default_rng(seed)
    start = _initial_values(rng, shapes, "float64")
    gradients = _gradients(rng, shapes, steps, "float64")
    sparse, frozen = set(sparse), set(frozen)
    together = [Variable(value.copy(), requires_grad=True) for value in start]
    stepper, _ = _stepper(optimizer, together, hyper)
    for step, row in enumerate(gradients, start=1):
        _set_gradients(together, row, step, sparse, frozen)
        stepper.step()
    alone = {}
    for index, (value, shape) in enumerate(zip(start, shapes)):
        parameter = Variable(value.copy(), requires_grad=True)
        single, _ = _stepper(optimizer, [parameter], hyper)
        for step, row in enumerate(gradients, start=1):
            has = _has_gradient(index, step, sparse, frozen)
            parameter.grad = Variable(row[index].copy(), requires_grad=False) if has else None
            single.step()
        alone[_shape_key(index, shape)] = np.array(parameter.data.data, copy=True)
    start = {_shape_key(index, shape): value.copy() for index, (value, shape) in enumerate(zip(start, shapes))}
    return {"start": start, "together": _values(together, shapes), "alone": alone}


def float32_run(optimizer, hyper, shapes, steps, seed, dtype="float32", zero_steps=0):
    """`steps` steps on parameters of `dtype` (float32 unless told), then every floating array (or numpy scalar)
    in the optimizer's state, as it is (in its own dtype). The parameters' own dtype is seen in
    trajectory(dtype="float32")."""
    rng = np.random.default_rng(seed)
    parameters = [Variable(value, requires_grad=True) for value in _initial_values(rng, shapes, dtype)]
    stepper, opt = _stepper(optimizer, parameters, hyper)
    for step, row in enumerate(_gradients(rng, shapes, steps, dtype, zero_steps=zero_steps), start=1):
        _set_gradients(parameters, row, step, set(), set())
        stepper.step()
    state = getattr(opt, "state", None) if opt is not None else {}
    if not isinstance(state, dict):
        return {"state": f"optimizer.state is a {type(state).__name__}"}
    arrays = {}
    for index in sorted(state, key=str):
        buffers = state[index]
        for name in sorted(buffers, key=str) if isinstance(buffers, dict) else ():
            value = buffers[name]
            if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f":
                arrays[f"state[{index!r}][{name!r}]"] = value.copy()
    return {"state": arrays}


def resumed(optimizer, hyper, shapes, before, after, seed, sparse=()):
    """Save with state_dict() after `before` steps, keep going, then load the checkpoint into a fresh optimizer
    on parameters holding the saved values and take the same `after` steps. Returns the values of both runs
    after each of those steps ("uninterrupted" and "resumed"), and the values before the first step."""
    rng = np.random.default_rng(seed)
    start = _initial_values(rng, shapes, "float64")
    gradients = _gradients(rng, shapes, before + after, "float64")
    first = [Variable(value.copy(), requires_grad=True) for value in start]
    before_any = _values(first, shapes)
    original = getattr(optimizers, optimizer)(first, **hyper)
    for step, row in enumerate(gradients[:before], start=1):
        _set_gradients(first, row, step, set(sparse), set())
        original.step()
    checkpoint = original.state_dict()
    saved = [p.data.data.copy() for p in first]
    uninterrupted = {}
    for step, row in enumerate(gradients[before:], start=before + 1):  # the checkpoint must not follow these
        _set_gradients(first, row, step, set(sparse), set())
        original.step()
        uninterrupted[f"after step {step}"] = _values(first, shapes)
    second = [Variable(value, requires_grad=True) for value in saved]
    fresh = getattr(optimizers, optimizer)(second, **hyper)
    fresh.load_state_dict(checkpoint)
    result = {}
    for step, row in enumerate(gradients[before:], start=before + 1):
        _set_gradients(second, row, step, set(sparse), set())
        fresh.step()
        result[f"after step {step}"] = _values(second, shapes)
    return {"start": before_any, "uninterrupted": uninterrupted, "resumed": result}


def construction(kind, settings):
    """Build an optimizer or scheduler, or call a clipping function, with `settings`; report what was raised.

    The exception's classes (its type and the types it derives from) and message, or None: the grader decides.
    """
    if kind not in OPTIMIZERS + SCHEDULERS + ("clip_gradients", "clip_gradients_by_value"):
        raise KeyError(kind)  # a bug in the suite, not the submission's
    parameters = [Variable(np.ones(3), requires_grad=True)]
    parameters[0].grad = Variable(np.full(3, 2.0), requires_grad=False)
    settings = {name: _norm_type(value) if name == "norm_type" else value for name, value in settings.items()}
    try:
        if kind in OPTIMIZERS:
            getattr(optimizers, kind)(parameters, **settings)
        elif kind in SCHEDULERS:
            getattr(optimizers, kind)(optimizers.SGD(parameters, learning_rate=0.1), **settings)
        else:
            getattr(optimizers, kind)(parameters, **settings)
    except Exception as error:  # noqa: BLE001 - whatever the submission raises is the result
        return {"raised": [cls.__name__ for cls in type(error).__mro__], "message": str(error)[:500]}
    return {"raised": None, "message": None}


# -- clipping ---------------------------------------------------------------------------------------------

def _clip_setup(shapes, scales, seed, missing):
    rng = np.random.default_rng(seed)
    parameters = [Variable(value, requires_grad=True) for value in _initial_values(rng, shapes, "float64")]
    for index, (parameter, gradient) in enumerate(zip(parameters, _gradients(rng, shapes, 1, "float64", scales)[0])):
        if index not in missing:
            parameter.grad = Variable(gradient, requires_grad=False)
    arrays = [None if p.grad is None else p.grad.data.data for p in parameters]
    return parameters, arrays


def _clip_report(parameters, arrays, shapes, returned):
    """The value returned (as it is), the gradients afterwards, and the values read through the gradient arrays
    held before the call (clipping in place writes into them; replacing p.grad.data.data leaves them behind)."""
    gradients, through, without = {}, {}, []
    for index, (parameter, array, shape) in enumerate(zip(parameters, arrays, shapes)):
        key = _shape_key(index, shape)
        if parameter.grad is None:
            without.append(key)
        else:
            gradients[key] = np.array(parameter.grad.data.data, copy=True)
        if array is not None:
            through[key] = np.array(array, copy=True)
    return {"returned": _as_sent(returned), "gradients": gradients,
            "read through the gradient arrays held before the call": through, "parameters without gradient": without}


def clip(shapes, scales, max_norm, seed, norm_type=None, missing=()):
    """clip_gradients on seeded gradients; `norm_type` None means the default, "inf" means math.inf."""
    parameters, arrays = _clip_setup(shapes, scales, seed, set(missing))
    if norm_type is None:
        total = optimizers.clip_gradients(parameters, max_norm)
    else:
        total = optimizers.clip_gradients(parameters, max_norm, norm_type=_norm_type(norm_type))
    return _clip_report(parameters, arrays, shapes, total)


def clip_by_value(shapes, scales, clip_value, seed, missing=()):
    parameters, arrays = _clip_setup(shapes, scales, seed, set(missing))
    returned = optimizers.clip_gradients_by_value(parameters, clip_value)
    return _clip_report(parameters, arrays, shapes, returned)


# -- schedulers -------------------------------------------------------------------------------------------

def _scheduler(name, settings, learning_rate):
    optimizer = optimizers.SGD([Variable(np.zeros(2), requires_grad=True)], learning_rate=learning_rate)
    return optimizer, getattr(optimizers, name)(optimizer, **settings)


def _rates(optimizer, scheduler):
    return {
        "optimizer.learning_rate": _number(optimizer.learning_rate),
        "get_lr()": _number(scheduler.get_lr()),
        "get_last_lr()": _number(scheduler.get_last_lr()),
    }


def schedule(scheduler, settings, learning_rate, epochs):
    """The rates after 0, 1, ..., `epochs` calls of step(): the optimizer's and the scheduler's own report."""
    optimizer, made = _scheduler(scheduler, settings, learning_rate)
    seen = {"optimizer.learning_rate": {}, "get_lr()": {}, "get_last_lr()": {}}
    for calls in range(epochs + 1):
        if calls:
            made.step()
        for name, value in _rates(optimizer, made).items():
            seen[name][f"after {calls} call{'' if calls == 1 else 's'} of step()"] = value
    return seen


def schedule_resumed(scheduler, settings, learning_rate, before, after):
    """Save the scheduler's state_dict() after `before` calls, keep going, then load it into a fresh scheduler on a
    fresh optimizer and call step() `after` times. Returns the optimizer's rates in both runs: "uninterrupted"
    from epoch 0 on, "resumed" from the epoch of the checkpoint on."""
    original, made = _scheduler(scheduler, settings, learning_rate)
    uninterrupted = {"epoch 0": _number(original.learning_rate)}
    for calls in range(1, before + 1):
        made.step()
        uninterrupted[f"epoch {calls}"] = _number(original.learning_rate)
    checkpoint = made.state_dict()
    for calls in range(before + 1, before + after + 1):  # the checkpoint must not follow these
        made.step()
        uninterrupted[f"epoch {calls}"] = _number(original.learning_rate)
    fresh_optimizer, fresh = _scheduler(scheduler, settings, learning_rate)
    fresh.load_state_dict(checkpoint)
    rates = {f"epoch {before} (right after load_state_dict)": _number(fresh_optimizer.learning_rate)}
    for calls in range(before + 1, before + after + 1):
        fresh.step()
        rates[f"epoch {calls}"] = _number(fresh_optimizer.learning_rate)
    return {"uninterrupted": uninterrupted, "resumed": rates}


# -- training ---------------------------------------------------------------------------------------------

def _regression(seed):
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((48, 3)) * np.array([0.2, 1.0, 3.0])
    targets = inputs @ rng.standard_normal((3, 1)) + 0.5 + 0.05 * rng.standard_normal((48, 1))
    weights = Variable(np.zeros((3, 1)), requires_grad=True)
    bias = Variable(np.zeros(1), requires_grad=True)

    def loss_function():
        errors = inputs @ weights + bias - targets
        return (errors * errors).mean()

    return weights, bias, loss_function


def _made(optimizer, hyper, parameters, scheduler, scheduler_settings):
    made = getattr(optimizers, optimizer)(parameters, **hyper)
    made_scheduler = None
    if scheduler is not None:
        made_scheduler = getattr(optimizers, scheduler)(made, **(scheduler_settings or {}))
    return made, made_scheduler


def train(optimizer, hyper, epochs, seed, scheduler=None, scheduler_settings=None, max_grad_norm=None):
    """train_simple_model on a seeded linear regression (features scaled 0.2, 1 and 3), next to the loop its
    docstring describes written out here ("by hand"), with a second optimizer (and scheduler) of the same kind.

    Both runs use the submission's optimizer, scheduler and clipping, so they differ only where
    train_simple_model does something else than its docstring says.
    """
    weights, bias, loss_function = _regression(seed)
    made, made_scheduler = _made(optimizer, hyper, [weights, bias], scheduler, scheduler_settings)
    history = optimizers.train_simple_model([weights, bias], made, loss_function, epochs,
                                            scheduler=made_scheduler, max_grad_norm=max_grad_norm)
    result = {"weights": np.array(weights.data.data, copy=True), "bias": np.array(bias.data.data, copy=True),
              "optimizer.learning_rate at the end": _number(made.learning_rate)}
    entries, lengths = {}, {}
    for name in ("losses", "learning_rates", "gradient_norms"):
        values = getattr(history, name, None)
        if not isinstance(values, list):
            result[name] = f"history.{name} is a {type(values).__name__}, not a list"
            entries[name], lengths[name] = [], None
            continue
        result[name] = {f"epoch {epoch}": _number(value) for epoch, value in enumerate(values)}
        entries[name] = [_as_sent(value) for value in values]  # as they are: the grader checks their types
        lengths[name] = len(values)
    result["entries"] = entries
    result["lengths"] = lengths

    weights, bias, loss_function = _regression(seed)
    made, made_scheduler = _made(optimizer, hyper, [weights, bias], scheduler, scheduler_settings)
    by_hand = {"losses": {}, "learning_rates": {}, "gradient_norms": {}}
    for epoch in range(epochs):
        made.zero_grad()
        loss = loss_function()
        loss.backward()
        by_hand["losses"][f"epoch {epoch}"] = _number(loss.data.data)
        if max_grad_norm is not None:
            norm = optimizers.clip_gradients([weights, bias], max_grad_norm)
        else:
            norm = optimizers.gradient_norm([weights, bias])
        by_hand["gradient_norms"][f"epoch {epoch}"] = _number(norm)
        by_hand["learning_rates"][f"epoch {epoch}"] = _number(made.learning_rate)
        made.step()
        if made_scheduler is not None:
            made_scheduler.step()
    by_hand.update({"weights": np.array(weights.data.data, copy=True), "bias": np.array(bias.data.data, copy=True),
                    "optimizer.learning_rate at the end": _number(made.learning_rate)})
    return {"train_simple_model": result, "by hand": by_hand}
