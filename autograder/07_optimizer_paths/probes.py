"""Probes for the optimizer-paths module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds its inputs from a seed (or small literal lists), drives the submission's code and returns plain
data: float64 arrays, the numbers the submission returned as they are (so that the grader sees a Python float
apart from a numpy scalar), and lists and dicts of these. Only the names of the exceptions raised for invalid
arguments are constants; the test that checks them is worth 1 point.
"""

import numpy as np

from tinytorch.core.optimizer_paths import MovingAverage, moving_average


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
    """moving_average's result as it came back (its type and dtype are observed by the grader)."""
    return _as_sent(moving_average(_series(seed, length), beta))


def streaming(seed, length, beta, bias_correction):
    """A MovingAverage fed a seeded series: what each update returned (as it is), and the attributes after it."""
    average = MovingAverage(beta, bias_correction=bias_correction)
    returned, values, biased, steps = [], [], [], []
    for value in _series(seed, length):
        returned.append(_as_sent(average.update(value)))
        values.append(_as_sent(average.value))
        biased.append(_as_sent(average.biased))
        steps.append(_as_sent(average.steps))
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
