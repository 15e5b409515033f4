"""Probes for the tensor module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds its operands from a seed, applies the submission's Tensor operations and returns plain data:
result values as ndarrays in the dtype the Tensor holds (so the grader compares dtypes too), the operands as they
are afterwards, and values read through one name after a change made through another (to see whether an array is
shared). A result that is not a Tensor holding an ndarray comes back as a sentence saying what it is, which the
grader shows as is.

A probe returns observations, never verdicts ("unchanged?", "the same array?", "a float?"): code running next to
the probe could change any such verdict, while the observations are compared with the reference's in the grader.
"""

import copy
import operator
import traceback

import numpy as np

from tinytorch.core.tensor import Tensor

OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "@": operator.matmul,
}


# -- helpers (names starting with _ cannot be called as probes) ----------------------------------------------

def _describe(error):
    """The exception's type and message, and the submission's own frames (never the probe's)."""
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = frame.filename.replace("\\", "/")
        if "/tinytorch/" in path:
            where = path.rsplit("/tinytorch/", 1)[-1]
            frames.append(f"\n  in {frame.name} ({where}, line {frame.lineno}): {frame.line}")
    return f"{type(error).__name__}: {str(error)[:500]}" + "".join(frames[-3:])


def _values(shape, dtype, seed, positive=False):
    """Seeded numbers away from zero (safe to divide by); positive ones for a base of **; small ints for ints."""
    generator = np.random.default_rng(seed)
    shape = tuple(shape)
    if np.dtype(dtype).kind in "iu":
        return generator.integers(1, 5, size=shape).astype(dtype)
    magnitude = generator.uniform(0.5, 2.0, size=shape)
    sign = 1.0 if positive else generator.choice([-1.0, 1.0], size=shape)
    return np.asarray(magnitude * sign, dtype=dtype)


def _operand(spec, dtype, seed, positive):
    """A Tensor, ndarray, nested list or Python number described by `spec` ({"kind": ..., "shape"/"value": ...})."""
    kind = spec["kind"]
    if kind == "number":
        return spec["value"]
    array = _values(spec["shape"], spec.get("dtype", dtype), seed, positive)
    if kind == "tensor":
        return Tensor(array)
    if kind == "ndarray":
        return array
    if kind == "list":
        return array.tolist()
    raise KeyError(kind)  # a bug in the suite, not the submission's


def _snapshot(value):
    if isinstance(value, Tensor):
        return np.array(value.data, copy=True)
    return copy.deepcopy(value)


def _afterwards(result, operands):
    """The operands as they are after the operation, once zeros have been written into the result's array: an
    operator that changed an operand, or returned an operand (or a Tensor sharing its array), shows here."""
    data = getattr(result, "data", None)
    if isinstance(result, Tensor) and isinstance(data, np.ndarray) and data.flags.writeable:
        data[...] = 0
    return [_snapshot(operand) for operand in operands]


def _plain(result):
    """A copy of the ndarray inside a Tensor result, or a sentence saying what came back instead."""
    if not isinstance(result, Tensor):
        return f"a {type(result).__name__}, not a Tensor"
    data = result.data
    if not isinstance(data, np.ndarray):
        return f"a Tensor whose .data is a {type(data).__name__}, not an ndarray"
    if data.dtype.kind not in "biuf":
        return f"a Tensor of dtype {data.dtype}"
    return np.array(data, copy=True)


def _attempt(action, *arguments):
    """_plain(action(*arguments)), or what it raised, so that one failing call does not hide the others."""
    try:
        return _plain(action(*arguments))
    except Exception as error:  # noqa: BLE001 - whatever the submission raises is the result
        return f"raised {_describe(error)}"


def construction():
    """The arrays (values, in their dtype and shape) of Tensors built from numbers, lists, arrays and Tensors."""
    made = {
        "Tensor(5)": lambda: Tensor(5),
        "Tensor(2.5)": lambda: Tensor(2.5),
        "Tensor([[1, 2, 3], [4, 5, 6]])": lambda: Tensor([[1, 2, 3], [4, 5, 6]]),
        "Tensor([[1.0], [2.5]])": lambda: Tensor([[1.0], [2.5]]),
        "Tensor([True, False, True])": lambda: Tensor([True, False, True]),
        "Tensor(np.float32(1.5))": lambda: Tensor(np.float32(1.5)),
        "Tensor(np.arange(6, dtype=np.int32))": lambda: Tensor(np.arange(6, dtype=np.int32)),
        "Tensor(np.zeros((2, 0), dtype=np.float32))": lambda: Tensor(np.zeros((2, 0), dtype=np.float32)),
        "Tensor([1, 2], dtype=np.float32)": lambda: Tensor([1, 2], dtype=np.float32),
        "Tensor(np.ones(3), dtype=np.float32)": lambda: Tensor(np.ones(3), dtype=np.float32),
        "Tensor(2.75, dtype=np.float32)": lambda: Tensor(2.75, dtype=np.float32),
        "Tensor(Tensor(np.ones(2, dtype=np.float32)))": lambda: Tensor(Tensor(np.ones(2, dtype=np.float32))),
        "Tensor(Tensor([1, 2]), dtype=np.float64)": lambda: Tensor(Tensor([1, 2]), dtype=np.float64),
    }
    return {call: _attempt(make) for call, make in made.items()}


def sharing():
    """Tensors keep the arrays they are given (no copies): what each Tensor holds after the array it was given is
    changed in place, and what a Tensor holds after the array t.numpy() returned is changed."""
    array = np.arange(6.0).reshape(2, 3)
    tensor = Tensor(array)
    float32 = np.ones(4, dtype=np.float32)
    kept = Tensor(float32, dtype=np.float32)
    wrapped = Tensor(tensor)
    array *= 3.0
    float32 += 2.0
    result = {
        "t = Tensor(a), then a *= 3: t": _plain(tensor),
        "t = Tensor(a, dtype=np.float32) for a float32 a, then a += 2: t": _plain(kept),
        "Tensor(t), after t's array was multiplied by 3": _plain(wrapped),
    }
    shown = tensor.numpy()
    if isinstance(shown, np.ndarray):
        shown -= 1.0
    result["t after t.numpy() -= 1"] = _plain(tensor)
    return result


# -- arithmetic ------------------------------------------------------------------------------------------------

def operate(op, left, right, dtype="float64", seed=0):
    """left OP right for operands described by `left` and `right`; the base of ** is positive.

    Returns the result's values (an ndarray in the result's dtype) and the operands as they are afterwards (see
    _afterwards: an operand that changed, or a result that shares an operand's array, shows there).
    """
    a = _operand(left, dtype, seed, positive=(op == "**"))
    b = _operand(right, dtype, seed + 1, positive=False)
    result = OPERATORS[op](a, b)
    value = _plain(result)
    return {"value": value, "operands afterwards": _afterwards(result, [a, b])}


def negate(shape, dtype, seed):
    tensor = Tensor(_values(shape, dtype, seed))
    result = -tensor
    value = _plain(result)
    return {"value": value, "operands afterwards": _afterwards(result, [tensor])}


def expressions(dtype, seed):
    """Each expression on Tensors x (3, 4) and w (4, 2) of `dtype`, drawn once in float64 and converted, next to
    Python numbers: the values, in the dtype each result holds. Each expression is computed from x and w alone, so
    that a wrong one does not spoil the others."""
    x64, w64 = _values((3, 4), "float64", seed, positive=True), _values((4, 2), "float64", seed + 1)
    x, w = Tensor(x64.astype(dtype)), Tensor(w64.astype(dtype))
    made = {
        "x + 1": lambda: x + 1,
        "2.5 + x": lambda: 2.5 + x,
        "x - 0.25": lambda: x - 0.25,
        "1 - x": lambda: 1 - x,
        "x * 0.5": lambda: x * 0.5,
        "3 * x": lambda: 3 * x,
        "x / 3": lambda: x / 3,
        "2.0 / x": lambda: 2.0 / x,
        "x ** 2": lambda: x ** 2,
        "x ** 0.5": lambda: x ** 0.5,
        "2 ** x": lambda: 2 ** x,
        "-x": lambda: -x,
        "x + x": lambda: x + x,
        "x @ w": lambda: x @ w,
        "x.sum()": lambda: x.sum(),
        "x.mean(axis=0)": lambda: x.mean(axis=0),
        "x.max(axis=1, keepdims=True)": lambda: x.max(axis=1, keepdims=True),
        "x.reshape(2, 6)": lambda: x.reshape(2, 6),
        "x.transpose()": lambda: x.transpose(),
    }
    return {name: _attempt(make) for name, make in made.items()}


# -- reductions and shape ----------------------------------------------------------------------------------

def reduce(method, shape, dtype, seed, calls):
    """`method` on a seeded Tensor for each call in `calls`: [axis, keepdims], or None for no arguments at all."""
    tensor = Tensor(_values(shape, dtype, seed))

    def apply(call):
        if call is None:
            return getattr(tensor, method)()
        axis, keepdims = call
        return getattr(tensor, method)(axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)

    results = [_attempt(apply, call) for call in calls]
    return {"results": results, "the tensor afterwards": _plain(tensor)}


def reshapes(seed):
    """reshape called with sizes as arguments, a tuple, a list, and -1, on a (2, 3, 4) Tensor."""
    tensor = Tensor(_values((2, 3, 4), "float32", seed))
    calls = {
        "t.reshape(6, 4)": lambda: tensor.reshape(6, 4),
        "t.reshape((4, 6))": lambda: tensor.reshape((4, 6)),
        "t.reshape([3, 8])": lambda: tensor.reshape([3, 8]),
        "t.reshape(4, -1)": lambda: tensor.reshape(4, -1),
        "t.reshape((-1,))": lambda: tensor.reshape((-1,)),
        "t.reshape(-1)": lambda: tensor.reshape(-1),
        "t.reshape(2, 1, 12)": lambda: tensor.reshape(2, 1, 12),
        "t.reshape(24).reshape(2, 3, 4)": lambda: tensor.reshape(24).reshape(2, 3, 4),
        "Tensor(5.0).reshape(1, 1)": lambda: Tensor(5.0).reshape(1, 1),
    }
    result = {call: _attempt(action) for call, action in calls.items()}
    result["the original afterwards"] = _plain(tensor)
    return result


def transposes(seed):
    """transpose with no arguments, a permutation as arguments, a tuple and a list; and .T."""
    tensor = Tensor(_values((2, 3, 4), "float64", seed))
    matrix = Tensor(_values((3, 5), "float32", seed + 1))
    vector = Tensor(_values((4,), "float64", seed + 2))
    calls = {
        "t.transpose()": lambda: tensor.transpose(),
        "t.transpose(1, 0, 2)": lambda: tensor.transpose(1, 0, 2),
        "t.transpose((2, 0, 1))": lambda: tensor.transpose((2, 0, 1)),
        "t.transpose([0, 2, 1])": lambda: tensor.transpose([0, 2, 1]),
        "t.transpose(0, 1, 2)": lambda: tensor.transpose(0, 1, 2),
        "t.T": lambda: tensor.T,
        "matrix.transpose()": lambda: matrix.transpose(),
        "matrix.transpose(1, 0)": lambda: matrix.transpose(1, 0),
        "matrix.T.T": lambda: matrix.T.T,
        "vector.T": lambda: vector.T,
    }
    result = {call: _attempt(action) for call, action in calls.items()}
    result["the original afterwards"] = _plain(tensor)
    return result
