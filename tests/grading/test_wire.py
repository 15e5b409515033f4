"""The JSON boundary between a sandboxed submission and the grader."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tito.grading import wire


def round_trip(value):
    return wire.decode(wire.loads(wire.dumps(wire.encode(value))))


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", [1, [2.0, None]], {"a": {"b": [1]}},
    np.arange(6, dtype=np.int32).reshape(2, 3), np.zeros((0, 3)), np.array(2.5, dtype=np.float32),
    np.array([True, False]), np.float64(1.25), np.int64(7),
])
def test_plain_data_survives_the_round_trip_with_its_type(value):
    """Do values, array dtypes and shapes, and numpy scalar types come back exactly?"""
    back = round_trip(value)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    else:
        assert back == value


def test_special_floats_survive():
    """Are nan and infinities carried (JSON has none) in floats and in arrays?"""
    assert math.isnan(round_trip(float("nan"))) and round_trip(float("-inf")) == -math.inf
    back = round_trip(np.array([1.0, np.nan, np.inf], dtype=np.float32))
    assert back.dtype == np.float32 and np.isnan(back[1]) and back[2] == np.inf


def test_subclasses_arrive_as_plain_types():
    """Does an ndarray or float subclass from a submission arrive as the plain base type?"""
    class Rigged(np.ndarray):
        def __eq__(self, other):
            return True

    class RiggedFloat(float):
        def __eq__(self, other):
            return True

    assert type(round_trip(np.arange(3.0).view(Rigged))) is np.ndarray
    with pytest.raises(wire.WireError):
        wire.encode(RiggedFloat(1.0))


@pytest.mark.parametrize("value", [object(), {1: "non-string key"}, np.array(["a"]), {1, 2}, b"bytes", 1j])
def test_anything_else_is_refused_at_the_boundary(value):
    """Is every other object refused with a WireError instead of crossing?"""
    with pytest.raises(wire.WireError):
        wire.encode(value)


@pytest.mark.parametrize("message, problem", [
    ({"__ndarray__": {"dtype": "object", "shape": [1], "data": [1]}}, "not allowed"),
    ({"__ndarray__": {"dtype": "float64", "shape": [3], "data": [1.0, 2.0]}}, "does not match its shape"),
    ({"__ndarray__": {"dtype": "float64", "shape": [1], "data": ["1"]}}, "must be numbers"),
    ({"__ndarray__": {"dtype": "int64", "shape": [1], "data": [10**30]}}, "does not fit"),
    ({"__ndarray__": {"dtype": "float64", "shape": [-1], "data": []}}, "bad array shape"),
    ({"__ndarray__": {"dtype": "float64", "shape": [1], "data": [1.0], "extra": 1}}, "malformed"),
    ({"__float__": "1e999"}, "bad special float"),
])
def test_forged_messages_are_refused(message, problem):
    """Does a hand-made message that breaks the format raise WireError, never build a strange object?"""
    with pytest.raises(wire.WireError, match=problem):
        wire.decode(message)


def test_bare_nan_and_deep_nesting_are_refused():
    """Are JSON's non-standard NaN and absurdly deep nesting rejected?"""
    with pytest.raises(wire.WireError, match="bare NaN"):
        wire.loads(b'{"value": NaN}')
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.decode(deep)
