"""Probes for the optimizer-paths module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds its inputs from a seed (or small literal lists), drives the submission's code and returns plain
data: float64 arrays, the numbers the submission returned as they are (so that the grader sees a Python float
apart from a numpy scalar), and lists and dicts of these. Only the names of the exceptions raised for invalid
arguments are constants; the test that checks them is worth 1 point.

The update rules are driven by the probe's own loop and the probe's own gradients (not the submission's run_path
or surface gradients), and run_path by rules written here, so that each part is judged apart from the others.
Purity is observed, not judged: the probe calls a rule twice with the same arguments and reports both results
and the arguments' values afterwards; the grader compares them with the reference's.
"""

import numpy as np

import math

from tinytorch.core.optimizer_paths import (
    MovingAverage,
    adam_step,
    best_learning_rate,
    momentum_step,
    moving_average,
    nadam_step,
    quadratic_grad,
    rmsprop_step,
    rosenbrock_grad,
    run_path,
)

RULES = {"momentum": momentum_step, "rmsprop": rmsprop_step, "adam": adam_step, "nadam": nadam_step}


def _series(seed, length):
    """A noisy series around a level that changes once, from a seed."""
    generator = np.random.default_rng(seed)
    level = np.where(np.arange(length) < length // 2, 1.0, -2.0)
    return level + generator.normal(scale=0.7, size=length)


def _as_sent(value):
    """`value` itself when it crosses to the grader as it is (so that the grader sees its type), else a sentence."""
    if value is None or type(value) in (bool, int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
        return value
    return f"a {type(value).__name__}"


def ewma(seed, length, beta, bias_correction):
    """moving_average of a seeded series, as a float64 array (what came back, converted if it is array-like)."""
    result = moving_average(_series(seed, length), beta, bias_correction=bias_correction)
    return np.array(result, dtype=np.float64)


def ewma_returned(seed, length, beta):
    """moving_average's result without correction, as it came back (its type and dtype are observed by the
    grader)."""
    return _as_sent(moving_average(_series(seed, length), beta, bias_correction=False))


def streaming(seed, length, beta, bias_correction):
    """A MovingAverage fed a seeded series: what each update returned (as it is), and the attributes after it."""
    average = MovingAverage(beta, bias_correction=bias_correction)
    returned, values, biased, steps = [], [], [], []
    for value in _series(seed, length):
        returned.append(_as_sent(average.update(value)))
        values.append(_as_sent(getattr(average, "value", None)))
        biased.append(_as_sent(getattr(average, "biased", None)))
        steps.append(_as_sent(getattr(average, "steps", None)))
    return {"returned": returned, "value": values, "biased": biased, "steps": steps}


def _raised(action):
    try:
        action()
    except Exception as error:  # noqa: BLE001 - we report which type the submission raised
        return {"raised": [kind.__name__ for kind in type(error).__mro__], "message": str(error)[:500]}
    return {"raised": None, "message": None}


def invalid_arguments():
    """What moving_average and MovingAverage raise for arguments they should refuse."""
    return {
        "moving_average(beta=1.0)": _raised(lambda: moving_average([1.0, 2.0], 1.0)),
        "moving_average(beta=-0.5)": _raised(lambda: moving_average([1.0, 2.0], -0.5)),
        "moving_average(2-D values)": _raised(lambda: moving_average(np.ones((2, 3)), 0.5)),
        "MovingAverage(beta=1.0)": _raised(lambda: MovingAverage(1.0)),
        "MovingAverage(beta=nan)": _raised(lambda: MovingAverage(float("nan"))),
    }


def _hessian(surface):
    angle = math.radians(45)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    hessian = np.diag([0.02, 0.2])
    return rotation @ hessian @ rotation.T if surface == "rotated quadratic" else hessian


def _gradient_function(surface):
    """The exact gradient of a surface, written here."""
    if surface == "Rosenbrock":
        return lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])
    hessian = _hessian(surface)
    return lambda p: hessian @ p


def _points(seed, count):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=(count, 2))


def surface_gradients(surface, seed, count=5):
    """The submission's gradient of `surface` at seeded points (the quadratics with the probe's own hessians)."""
    results = []
    for point in _points(seed, count):
        if surface == "Rosenbrock":
            value = rosenbrock_grad(point.copy())
        else:
            value = quadratic_grad(point.copy(), _hessian(surface))
        results.append(np.array(value, dtype=np.float64))
    return np.array(results)


def _state(state):
    """A rule's state as plain data: arrays as float64 arrays, numbers as they are."""
    if not isinstance(state, dict):
        return f"a {type(state).__name__}"
    plain = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            plain[str(key)] = np.array(value, dtype=np.float64)
        else:
            plain[str(key)] = _as_sent(value)
    return plain


def rule_path(rule, surface, start, steps, settings):
    """The points a rule visits from `start`, driven by this probe's loop and gradients, and its last state."""
    step_fn, grad_fn = RULES[rule], _gradient_function(surface)
    point, state = np.array(start, dtype=np.float64), {}
    points = [point.copy()]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            point, state = step_fn(point, grad_fn(np.array(point, dtype=np.float64)), state, **settings)
            points.append(np.array(point, dtype=np.float64).reshape(2))
    return {"points": np.array(points), "state": _state(state)}


def rule_state(rule, seed, steps, settings):
    """The state a rule returns after `steps` steps fed seeded gradients (not those of a surface, so that the
    state does not depend on where the rule's steps went)."""
    generator = np.random.default_rng(seed)
    point, state = np.zeros(2), {}
    for _ in range(steps):
        point, state = RULES[rule](point, generator.normal(size=2), state, **settings)
    return _state(state)


def rule_replay(rule, surface, start, warmup, settings):
    """After `warmup` steps, the rule called twice with the same point, gradient and state: both new points, the
    values read afterwards through the point, gradient and state it was given, and the state's values before."""
    step_fn, grad_fn = RULES[rule], _gradient_function(surface)
    point, state = np.array(start, dtype=np.float64), {}
    for _ in range(warmup):
        point, state = step_fn(point, grad_fn(np.array(point, dtype=np.float64)), state, **settings)
    point = np.array(point, dtype=np.float64)
    grad = grad_fn(point.copy())
    before = _state(state)  # copies of the arrays
    first, _ = step_fn(point, grad, state, **settings)
    first = np.array(first, dtype=np.float64)
    second, _ = step_fn(point, grad, state, **settings)
    return {"first": first, "second": np.array(second, dtype=np.float64), "point": point.copy(),
            "grad": grad.copy(), "state before": before, "state": _state(state)}


def _descent(point, grad, state, learning_rate, shrink=1.0):
    """Gradient descent whose step shrinks by `shrink` at each step (its state counts the steps)."""
    count = state.get("count", 0) if isinstance(state, dict) else 0
    return point - learning_rate * shrink**count * grad, {"count": count + 1}


def run_path_descent(seed, steps, learning_rate, shrink):
    """The submission's run_path with a rule written here, on a quadratic of seeded curvatures."""
    generator = np.random.default_rng(seed)
    curvatures = generator.uniform(0.1, 1.0, size=2)
    start = [float(value) for value in generator.uniform(-3.0, 3.0, size=2)]
    path = run_path(_descent, lambda p: curvatures * p, start, steps, learning_rate=learning_rate, shrink=shrink)
    return _as_sent(path)


def run_path_calls(seed, steps):
    """What a rule written here was given at each call of the submission's run_path: the point, the gradient,
    the state and the settings, and the path run_path returned (as a float64 array)."""
    generator = np.random.default_rng(seed)
    offset = generator.uniform(-1.0, 1.0, size=2)
    seen = []

    def recording(point, grad, state, learning_rate, bonus):
        seen.append({"point": np.array(point, dtype=np.float64), "grad": np.array(grad, dtype=np.float64),
                     "state": _state(dict(state)) if isinstance(state, dict) else _as_sent(state),
                     "learning_rate": _as_sent(learning_rate), "bonus": _as_sent(bonus)})
        total = (state.get("total", 0.0) if isinstance(state, dict) else 0.0) + 1.5
        return point + total * offset, {"total": total}

    start = [float(value) for value in generator.uniform(-2.0, 2.0, size=2)]
    path = run_path(recording, lambda p: 2.0 * p + offset, start, steps, learning_rate=0.25, bonus=3)
    return {"path": np.array(path, dtype=np.float64), "calls": seen}


RATES = (1e-3, 3e-3, 0.01, 0.03, 0.1)


def _sweep(seed, length, lucky, diverged):
    """Noisy loss curves of a seeded sweep: a run whose last batch is lucky (a much lower loss), and runs whose
    losses overflow (the first `diverged` rates, in the order they are given), if asked."""
    generator = np.random.default_rng(seed)
    sweep = {}
    for rate in RATES:
        level = generator.uniform(0.5, 2.0)
        noise = generator.normal(scale=0.15, size=length)
        # with diverged runs the curves are smooth, so that only the divergence decides (not the smoothing)
        curve = level * (1 + np.exp(-np.arange(length) / 5.0)) + (0.0 if diverged else noise)
        sweep[rate] = [float(value) for value in curve]
    best = min(RATES, key=lambda rate: sweep[rate][-1])
    if lucky:
        others = [rate for rate in RATES if rate != best]
        sweep[others[int(generator.integers(len(others)))]][-1] = 0.01
    for index, rate in enumerate(RATES[:diverged]):  # the first rate overflows to nan, the next to inf, ...
        sweep[rate][int(generator.integers(length // 2, length - 1))] = np.nan if index % 2 == 0 else np.inf
        sweep[rate][-1] = 0.001
    return sweep


def best_rate(seed, length, lucky, diverged, beta):
    """The rate best_learning_rate picks from a seeded sweep, as it came back."""
    return _as_sent(best_learning_rate(_sweep(seed, length, lucky, diverged), beta=beta))


def best_rate_of(sweep, beta):
    """The rate best_learning_rate picks from a sweep given as [[rate, losses], ...] (losses may hold "inf" and
    "nan", which JSON cannot carry), as it came back."""
    plain = {float(rate): [float(value) for value in losses] for rate, losses in sweep}
    return _as_sent(best_learning_rate(plain, beta=beta))


def all_diverged():
    """What best_learning_rate raises when every run diverged."""
    return _raised(lambda: best_learning_rate({0.1: [1.0, float("inf")], 1.0: [float("nan")]}))
