"""Hidden tests of the moving averages: moving_average and MovingAverage against the reference, through probes.

Each test checks one property: the plain average, its bias correction, the type of what comes back, the streaming
object's values, its Python floats (judged only once its values are right) and its attributes. Each message names
its concept first; a hint comes only with the evidence for it.
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true
from tito.grading.probes import ask

LENGTH = 60


def _corrected_hint(got, raw, beta):
    """A hint for a bias-corrected average that is wrong, when its numbers show which mistake it is."""
    if not isinstance(got, np.ndarray) or got.shape != raw.shape:
        return ""
    t = np.arange(1, len(raw) + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shifted = raw / (1 - beta ** (t - 1))
    if np.allclose(got, raw, rtol=1e-9):
        return " (you returned the average without the correction: divide the t-th average by 1 - beta**t)"
    if np.allclose(got[1:], shifted[1:], rtol=1e-9) or not np.isfinite(got[0]):
        return " (the t-th average, t counted from 1, is divided by 1 - beta**t, not 1 - beta**(t - 1))"
    return ""


@pytest.mark.points(4)
def test_ewma_without_correction(student, reference):
    for beta in (0.0, 0.5, 0.9, 0.99):
        case = dict(seed=int(100 * beta) + 1, length=LENGTH, beta=beta, bias_correction=False)
        what = f"the moving average: moving_average(series of {LENGTH}, beta={beta}, bias_correction=False)"
        assert_close(ask(student.ewma, what, **case), reference.ewma(**case), what, rtol=1e-10, atol=1e-12)


@pytest.mark.points(5)
def test_ewma_bias_correction(student, reference):
    for beta in (0.5, 0.9, 0.99):
        case = dict(seed=int(100 * beta) + 2, length=LENGTH, beta=beta, bias_correction=True)
        what = f"bias correction: moving_average(series of {LENGTH}, beta={beta})"
        got = ask(student.ewma, what, **case)
        expected = reference.ewma(**case)
        raw = reference.ewma(**{**case, "bias_correction": False})
        assert_close(got, expected, what + _corrected_hint(got, raw, beta), rtol=1e-10, atol=1e-12)


@pytest.mark.points(1)
def test_ewma_returns_a_float64_array(student, reference):
    what = "the result of moving_average: a float64 ndarray (bias_correction=False)"
    got = ask(student.ewma_returned, what, seed=5, length=12, beta=0.7)
    assert_close(got, reference.ewma_returned(seed=5, length=12, beta=0.7), f"{what} (series of 12, beta=0.7)",
                 rtol=1e-10, atol=1e-12)


def _number(value):
    """A returned value as a float64 number, nan when it is not one number."""
    if type(value) in (int, float) or (isinstance(value, (np.generic, np.ndarray)) and np.size(value) == 1):
        return float(np.asarray(value, dtype=np.float64).ravel()[0])
    return np.nan


def _streaming_values(student, reference, case, concept):
    """The numbers a MovingAverage returned, against the reference's, in float64; the two full reports."""
    what = (f"{concept}: MovingAverage(beta={case['beta']}, bias_correction={case['bias_correction']}), "
            f"update() on a series of {case['length']}")
    got = ask(student.streaming, what, **case)
    expected = reference.streaming(**case)
    returned = got.get("returned") if isinstance(got, dict) else None
    assert_true(isinstance(returned, list) and len(returned) == case["length"],
                f"{what}: expected one returned value per update, got {returned!r:.200}")
    numbers = np.array([_number(value) for value in returned], dtype=np.float64)
    assert_close(numbers, np.array(expected["returned"], dtype=np.float64), f"{what}: the values update() returned",
                 rtol=1e-10, atol=1e-12)
    return got, expected


STREAMING = [dict(seed=11, length=40, beta=0.9, bias_correction=True),
             dict(seed=12, length=40, beta=0.8, bias_correction=False)]


@pytest.mark.points(5)
def test_streaming_average(student, reference):
    for case in STREAMING:
        _streaming_values(student, reference, case, "MovingAverage.update")


@pytest.mark.points(2)
def test_streaming_average_returns_floats(student, reference):
    for case in STREAMING:
        got, _ = _streaming_values(student, reference, case, "update() returns a Python float (judged once the "
                                   "values are right)")
        kinds = sorted({type(value).__name__ for value in got["returned"]})
        assert_equal(kinds, ["float"], f"update() returns a Python float: the types update() returned, beta="
                     f"{case['beta']} (use float(...))")


@pytest.mark.points(2)
def test_streaming_average_attributes(student, reference):
    for case in STREAMING:
        got, expected = _streaming_values(student, reference, case, "MovingAverage's attributes (judged once the "
                                          "values are right)")
        what = f"MovingAverage's attributes after each update, beta={case['beta']}"
        for name in ("value", "biased"):
            values = got.get(name)
            assert_true(isinstance(values, list) and all(type(v) in (int, float) for v in values),
                        f"{what}: {name} should be a number after each update, got {values!r:.200}")
            assert_close(np.array(values, dtype=np.float64), np.array(expected[name], dtype=np.float64),
                         f"{what}: {name}", rtol=1e-10, atol=1e-12)
        assert_equal(got.get("steps"), expected["steps"], f"{what}: steps")


@pytest.mark.points(1)
def test_invalid_arguments_raise(student, reference):
    """These checks compare constants (a class name, a word in a message) that code running in the sandbox could
    forge; the test is worth 1 point (see docs/grading-security.md)."""
    got, expected = student.invalid_arguments(), reference.invalid_arguments()
    for call, outcome in expected.items():
        mine = got.get(call) if isinstance(got, dict) else None
        raised = mine.get("raised") if isinstance(mine, dict) else None
        said = "it raised nothing" if not raised else f"it raised {raised[0]}"
        assert_true(isinstance(raised, list) and "ValueError" in raised, f"{call} should raise a ValueError; {said}")
        word = "values" if "values" in call else "beta"
        assert_true(isinstance(mine.get("message"), str) and word in mine["message"],
                    f"{call} raised a ValueError whose message does not name {word!r}")
        assert outcome["raised"] is not None
