"""The only data that crosses from a sandboxed submission to the grader: JSON, decoded strictly.

Arrays travel as tagged lists and are rebuilt by the grader as plain float/int/bool ndarrays, so nothing
the student's code made (a subclass, an object with a rigged `__eq__`) ever reaches a comparison.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from tito.sandbox.lines import MAX_MESSAGE

ARRAY, SCALAR, FLOAT = "__ndarray__", "__scalar__", "__float__"
ALLOWED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
MAX_DEPTH = 32
MAX_MESSAGE_DEPTH = MAX_DEPTH + 8  # a value's own depth, plus the response around it and the tags of arrays
# lists and objects in one message: the reference solutions send at most 472; each costs the grader ~130 bytes
MAX_CONTAINERS = 50_000
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # every int64 and uint64; no probe needs more
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # only such an escape makes a surrogate; pairs are joined
_SURROGATE = re.compile("[\ud800-\udfff]")


class WireError(ValueError):
    """A value that may not cross the boundary, or a message that breaks the protocol."""


def encode(value, depth: int = 0):
    """Turn a probe's result into JSON-ready data (used on the sandbox side and for the reference)."""
    if depth > MAX_DEPTH:
        raise WireError("result nested too deeply")
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {FLOAT: repr(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.name not in ALLOWED_DTYPES:
            raise WireError(f"arrays of dtype {value.dtype} cannot be returned")
        flat = value.ravel().tolist()
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            flat = [encode(item, depth + 1) for item in flat]
        return {ARRAY: {"dtype": value.dtype.name, "shape": list(value.shape), "data": flat}}
    if isinstance(value, np.generic):
        if value.dtype.name not in ALLOWED_DTYPES:
            raise WireError(f"scalars of dtype {value.dtype} cannot be returned")
        return {SCALAR: {"dtype": value.dtype.name, "value": encode(value.item(), depth + 1)}}
    if type(value) in (list, tuple):
        return [encode(item, depth + 1) for item in value]
    if type(value) is dict:
        if not all(type(key) is str for key in value):
            raise WireError("dictionary keys must be strings")
        return {key: encode(item, depth + 1) for key, item in value.items()}
    raise WireError(f"a probe returned a {type(value).__name__}, which cannot cross to the grader")


def decode(data, depth: int = 0):
    """Rebuild a value from JSON data, accepting only exact builtin types and well-formed arrays."""
    if depth > MAX_DEPTH:
        raise WireError("message nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [decode(item, depth + 1) for item in data]
    if kind is not dict:
        raise WireError(f"unexpected {kind.__name__} in message")
    if set(data) == {ARRAY}:
        return _decode_array(data[ARRAY], depth)
    if set(data) == {SCALAR}:
        spec = _fields(data[SCALAR], {"dtype", "value"})
        dtype = _dtype(spec["dtype"])
        try:
            return dtype.type(_number(decode(spec["value"], depth + 1)))
        except (OverflowError, ValueError, TypeError) as error:
            raise WireError(f"scalar does not fit dtype {dtype}: {error}") from None
    if set(data) == {FLOAT}:
        if data[FLOAT] not in ("nan", "inf", "-inf"):
            raise WireError("bad special float")
        return float(data[FLOAT])
    if not all(type(key) is str for key in data):
        raise WireError("dictionary keys must be strings")
    return {key: decode(item, depth + 1) for key, item in data.items()}


def _decode_array(spec, depth: int) -> np.ndarray:
    spec = _fields(spec, {"dtype", "shape", "data"})
    dtype = _dtype(spec["dtype"])
    shape = spec["shape"]
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("bad array shape")
    values = spec["data"]
    if type(values) is not list or len(values) != math.prod(shape):
        raise WireError("array data does not match its shape")
    if not all(type(item) in _NUMBER_TYPES for item in values):  # special floats travel tagged
        values = [_number(decode(item, depth + 1)) for item in values]
    try:
        return np.array(values, dtype=dtype).reshape(shape)
    except (OverflowError, ValueError, TypeError) as error:
        raise WireError(f"array data does not fit dtype {dtype}: {error}") from None


def _fields(spec, names: set[str]) -> dict:
    if type(spec) is not dict or set(spec) != names:
        raise WireError("malformed tagged value")
    return spec


def _dtype(name) -> np.dtype:
    if type(name) is not str or name not in ALLOWED_DTYPES:
        raise WireError(f"dtype {name!r} is not allowed")
    return np.dtype(name)


_NUMBER_TYPES = (bool, int, float)


def _number(value):
    if type(value) not in _NUMBER_TYPES:
        raise WireError("array items must be numbers")
    return value


def dumps(message) -> bytes:
    return json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8") + b"\n"


def loads(line: bytes):
    """One message from the sandbox, checked before anything trusts it: at most MAX_MESSAGE bytes of UTF-8
    JSON (no bare NaN or Infinity), with at most MAX_CONTAINERS lists and objects nested at most MAX_MESSAGE_DEPTH
    deep, and every integer within 64 bits.
    A lone surrogate (written as an escape such as \\ud800) becomes U+FFFD, so every string is valid text.
    Anything else raises WireError."""
    if len(line) > MAX_MESSAGE:
        raise WireError(f"a message over {MAX_MESSAGE} bytes")
    if line.count(b"[") + line.count(b"{") > MAX_CONTAINERS:  # counts brackets in strings too: an upper bound
        raise WireError(f"a message of more than {MAX_CONTAINERS} lists and objects")
    try:
        message = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except WireError:
        raise
    except RecursionError:
        raise WireError("message nested too deeply") from None
    except ValueError as error:  # invalid UTF-8, invalid JSON, an integer of thousands of digits
        raise WireError(f"not a JSON message: {error}") from None
    _check_shape(message)
    return _valid_text(message) if _SURROGATE_ESCAPE.search(line) else message


def _check_shape(message) -> None:
    """Depth and integer range of a parsed message, without recursion (json allows a thousand levels)."""
    if type(message) is int:
        _check_int(message)
    pending = [(message, 0)] if type(message) in (list, dict) else []
    while pending:
        value, depth = pending.pop()
        if depth >= MAX_MESSAGE_DEPTH:
            raise WireError("message nested too deeply")
        for item in value.values() if type(value) is dict else value:
            kind = type(item)
            if kind is int:
                _check_int(item)
            elif kind is list or kind is dict:
                pending.append((item, depth + 1))


def _check_int(value: int) -> None:
    if not INT_MIN <= value <= INT_MAX:
        raise WireError("an integer beyond 64 bits")


def _valid_text(value):
    """`value` with every surrogate in its strings (and keys) replaced by U+FFFD; depth already checked."""
    if type(value) is str:
        return _SURROGATE.sub("\ufffd", value)
    if type(value) is list:
        return [_valid_text(item) for item in value]
    if type(value) is dict:
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    return value


def _reject_constant(name: str):
    raise WireError(f"bare {name} is not allowed in a message")
