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


# -- hostile messages: whatever a submission writes to the channel, decoding raises WireError and nothing else


@pytest.mark.parametrize("line, problem", [
    (b"[" * 100_000 + b"]" * 100_000, "more than 50000 lists"),
    (b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),           # json's own RecursionError
    (b"[" * 60 + b"]" * 60, "nested too deeply"),                 # deeper than any value plus its envelope
    (b'{"ok": true, "value": ' + b"1" * 5_000 + b"}", "not a JSON message"),  # int max str digits
    (b'{"ok": true, "value": [' + str(2**64).encode() + b"]}", "beyond 64 bits"),
    (str(-(2**63) - 1).encode(), "beyond 64 bits"),
    (b'{"ok": true, "value": "\xff\xfe"}', "not a JSON message"),  # invalid UTF-8
    (b'{"ok": true, "value": "\xed\xa0\x80"}', "not a JSON message"),  # a surrogate encoded as raw UTF-8
    (b"[" + b"{}," * 60_000 + b"{}]", "more than 50000 lists"),
    (b'{"ok": tru', "not a JSON message"),
])
def test_hostile_lines_raise_wire_errors(line, problem):
    """Does each hostile line (deep, huge integers, bad UTF-8, too many containers, cut off) raise WireError?"""
    with pytest.raises(wire.WireError, match=problem):
        wire.loads(line)


def test_a_line_over_the_cap_is_refused_before_it_is_parsed():
    """Is a line longer than MAX_MESSAGE refused without decoding it?"""
    line = b'"' + b"a" * wire.MAX_MESSAGE + b'"'
    with pytest.raises(wire.WireError, match="over 8388608 bytes"):
        wire.loads(line)


def test_the_largest_ints_of_numpy_still_cross():
    """Do int64's minimum and uint64's maximum cross, as plain ints and inside arrays?"""
    assert wire.loads(str([-(2**63), 2**64 - 1]).encode()) == [-(2**63), 2**64 - 1]
    assert round_trip(np.array([2**64 - 1], dtype=np.uint64))[0] == 2**64 - 1


def test_lone_surrogates_become_replacement_characters():
    """Does a lone surrogate escape, in a value or a key, arrive as U+FFFD, while a valid pair stays one character?"""
    message = wire.loads(b'{"a": "x\\ud800y", "\\udc00": ["\\uDBFF", "\\ud83d\\ude00"]}')
    assert message == {"a": "x\ufffdy", "\ufffd": ["\ufffd", "\U0001F600"]}
    assert all(text.encode("utf-8") for text in ["x\ufffdy", *message["\ufffd"]])


@pytest.mark.parametrize("scalar", [
    {"dtype": "int8", "value": 1000}, {"dtype": "uint8", "value": -1}, {"dtype": "int64", "value": 2**64 - 1},
])
def test_a_scalar_out_of_its_dtypes_range_is_refused(scalar):
    """Is a tagged scalar that overflows its dtype a WireError rather than numpy's OverflowError?"""
    with pytest.raises(wire.WireError, match="does not fit"):
        wire.decode({wire.SCALAR: scalar})


def test_the_reference_sized_message_decodes_quickly():
    """Is a message as large as the largest the reference sends (1.2 MB of floats) decoded in well under a second?"""
    import time

    value = {"ok": True, "value": [{"a": wire.encode(np.linspace(0, 1, 4000).reshape(20, 200))} for _ in range(16)]}
    line = wire.dumps(value)[:-1]
    assert len(line) > 1_000_000
    start = time.perf_counter()
    wire.decode(wire.loads(line)["value"])
    assert time.perf_counter() - start < 10  # milliseconds here; only a quadratic decoder gets near this, at any load


# -- the line reader: a size cap that holds before a line ends


def reader_of(data: bytes, max_bytes: int):
    import os

    from tito.sandbox.lines import LineReader

    read, write = os.pipe()
    os.set_blocking(write, False)
    try:
        os.write(write, data)
    finally:
        os.close(write)
    return LineReader(read, max_bytes)


def test_lines_are_split_and_the_end_of_the_stream_is_none():
    """Are lines returned one at a time without their newline, and None at the end?"""
    reader = reader_of(b"one\ntwo\n\nthree", 100)
    assert [reader.readline(1) for _ in range(4)] == [b"one", b"two", b"", None]


@pytest.mark.parametrize("data", [b"x" * 5000, b"x" * 2000 + b"\nrest"])
def test_a_line_over_the_cap_raises_whether_or_not_it_has_ended(data):
    """Is a line longer than the cap refused both while it is still arriving and when its newline came with it?"""
    from tito.sandbox.lines import MessageTooLarge

    with pytest.raises(MessageTooLarge):
        reader_of(data, 1000).readline(1)
