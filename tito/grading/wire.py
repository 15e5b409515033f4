"""The only data that crosses from a sandboxed submission to the grader: JSON, decoded strictly.

Arrays travel as tagged lists and are rebuilt by the grader as plain float/int/bool ndarrays, so nothing
the student's code made (a subclass, an object with a rigged `__eq__`) ever reaches a comparison.
"""

from __future__ import annotations

import json
import math

import numpy as np

ARRAY, SCALAR, FLOAT = "__ndarray__", "__scalar__", "__float__"
ALLOWED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
MAX_DEPTH = 32


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
        return dtype.type(_number(decode(spec["value"], depth + 1)))
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
    try:
        return json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"not a JSON message: {error}") from None


def _reject_constant(name: str):
    raise WireError(f"bare {name} is not allowed in a message")
