"""Comparisons for hidden tests, with failure messages a student can act on.

Each check raises AssertionError whose message says what was checked, what was expected and what came back;
the grader shows that message, never the test's source.
"""

from __future__ import annotations

import reprlib

import numpy as np

# A value the submission returned, shown in a message: its start, never the whole of a long string or list
# (built piece by piece, so a 5 MB string is never copied whole into a message).
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 200
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 20
_SHORT.maxlevel = 4


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=8, edgeitems=2)
        return f"array(shape={value.shape}, dtype={value.dtype}) {text}"
    return _SHORT.repr(value)


def assert_close(got, expected, what: str, rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """`got` equals `expected` elementwise within tolerance, with the same shape (and dtype for arrays)."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, list) or len(got) != len(expected):
            raise AssertionError(f"{what}: expected a list of {len(expected)} items, got {_describe(got)}")
        for index, (got_item, expected_item) in enumerate(zip(got, expected)):
            assert_close(got_item, expected_item, f"{what} [item {index}]", rtol, atol)
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise AssertionError(f"{what}: expected keys {sorted(expected)}, got {_describe(got)}")
        for key in expected:
            assert_close(got[key], expected[key], f"{what} [{key}]", rtol, atol)
        return
    expected_array = np.asarray(expected)
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise AssertionError(f"{what}: expected an array, got {_describe(got)}")
        if got.shape != expected.shape:
            raise AssertionError(f"{what}: expected shape {expected.shape}, got shape {got.shape}")
        if got.dtype != expected.dtype:
            raise AssertionError(f"{what}: expected dtype {expected.dtype}, got dtype {got.dtype}")
    elif type(got) not in (int, float, bool) and not isinstance(got, np.generic):
        raise AssertionError(f"{what}: expected a number like {expected!r}, got {_describe(got)}")
    got_array = np.asarray(got, dtype=np.float64)
    expected_array = expected_array.astype(np.float64)
    same_nan = np.isnan(got_array) & np.isnan(expected_array)
    close = np.isclose(got_array, expected_array, rtol=rtol, atol=atol) | same_nan
    if not bool(np.all(close)):
        index = tuple(int(i) for i in np.argwhere(~close)[0]) if got_array.ndim else ()
        at = f" at index {index}" if index else ""
        raise AssertionError(
            f"{what}: expected {expected_array[index] if index else expected_array.item():.10g}{at}, "
            f"got {got_array[index] if index else got_array.item():.10g}"
        )


def assert_equal(got, expected, what: str) -> None:
    """`got == expected` for plain values (strings, ints, bools, None, lists of them), with exact types."""
    if type(got) is not type(expected) or got != expected:
        raise AssertionError(f"{what}: expected {_describe(expected)}, got {_describe(got)}")


def assert_true(condition: bool, message: str) -> None:
    """A plain assertion with the message students see."""
    if condition is not True:
        raise AssertionError(message)
