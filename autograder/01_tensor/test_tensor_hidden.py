"""Hidden tests of the tensor module: the submission's Tensor against the reference's, through probes.py only.

Arithmetic with broadcasting, numbers and ndarrays on either side, the matrix product, comparisons, the dtype
rule (numpy's, so float32 stays float32 next to Python numbers), construction without copies, properties,
reductions with axis and keepdims, reshape and transpose.
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal
from tito.grading.probes import ask, ask_each

OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
DTYPES = ("float64", "float32")


def tolerance(expected):
    """Exact for ints and bools, 1e-10 relative for float64, float32's own precision for float32."""
    if not isinstance(expected, np.ndarray) or expected.dtype.kind in "biu":
        return {"rtol": 0.0, "atol": 0.0}
    if expected.dtype == np.float32:
        return {"rtol": 1e-6, "atol": 1e-7}
    return {"rtol": 1e-10, "atol": 1e-12}


def tensor(shape):
    return {"kind": "tensor", "shape": list(shape)}


def number(value):
    return {"kind": "number", "value": value}


def show(spec, dtype):
    if spec["kind"] == "number":
        return repr(spec["value"])
    kind = {"tensor": "Tensor", "ndarray": "ndarray", "list": "list"}[spec["kind"]]
    return f"{kind} of shape {tuple(spec['shape'])}" + ("" if spec["kind"] == "list" else f" ({dtype})")


def operation(op, left, right, dtype, seed, note=""):
    """(what, arguments) of one `operate` case."""
    what = f"{show(left, dtype)} {op} {show(right, dtype)}{note}"
    return what, dict(op=op, left=left, right=right, dtype=dtype, seed=seed)


def check_operations(student, reference, cases, probe="operate"):
    for what, got, expected in ask_each(student, reference, probe, cases):
        assert_close(got["value"], expected["value"], what, **tolerance(expected["value"]))
        assert_close(got["operands afterwards"], expected["operands afterwards"],
                     f"{what}: the operands afterwards, once zeros were written into the result (operators must "
                     "leave their operands as they were and return a new Tensor with its own array)",
                     rtol=0.0, atol=0.0)


# -- arithmetic: 36 points -------------------------------------------------------------------------------------

# (left shape, right shape): equal shapes, both sides stretched, a missing leading axis, scalars, three axes
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((5, 4), (4,)), ((4,), (5, 4)), ((), (2, 3)), ((2, 3), ()),
                   ((2, 1, 3), (4, 1)), ((1,), (3, 1, 2))]


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(OPERATORS))
def test_tensor_op_tensor_broadcasts(student, reference, name):
    op = OPERATORS[name]
    cases = [operation(op, tensor(left), tensor(right), dtype, seed)
             for dtype in DTYPES for seed, (left, right) in enumerate(BROADCAST_PAIRS)]
    check_operations(student, reference, cases)


def either_side(op):
    """Python numbers, ndarrays and lists, on the right and on the left of a Tensor."""
    numbers = [2, 0.5, 3.0] if op == "**" else [2, 0.5, -3.0]  # a negative base with a float exponent is nan
    pairs = []
    for value in numbers:
        pairs += [(tensor((3, 2)), number(value)), (number(value), tensor((3, 2)))]
    for kind in ("ndarray", "list"):
        pairs += [(tensor((3, 1)), {"kind": kind, "shape": [4]}),
                  ({"kind": kind, "shape": [3, 4]}, tensor((3, 4))),
                  ({"kind": kind, "shape": [2, 1]}, tensor((3,)))]
    return pairs


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(OPERATORS))
def test_numbers_and_arrays_on_either_side(student, reference, name):
    op = OPERATORS[name]
    cases = []
    for dtype in DTYPES:
        for seed, (left, right) in enumerate(either_side(op)):
            note = f" (the reflected operator: other {op} self)" if left["kind"] != "tensor" else ""
            cases.append(operation(op, left, right, dtype, 10 + seed, note))
    check_operations(student, reference, cases)


@pytest.mark.points(1)
def test_negation_keeps_shape_and_dtype(student, reference):
    cases = [(f"-Tensor of shape {shape} ({dtype})", dict(shape=list(shape), dtype=dtype, seed=20))
             for dtype in DTYPES for shape in ((), (4,), (2, 3))]
    check_operations(student, reference, cases, probe="negate")


@pytest.mark.points(2)
def test_integer_tensors_follow_numpy(student, reference):
    """int64 stays int64 under + - * ** and @; true division and float numbers give float64."""
    pairs = [
        ("+", tensor((2, 3)), tensor((3,))),
        ("-", tensor((2, 3)), number(1)),
        ("*", number(3), tensor((2, 3))),
        ("**", tensor((2, 3)), number(2)),
        ("/", tensor((2, 3)), number(2)),
        ("/", number(1), tensor((2, 3))),
        ("/", tensor((2, 3)), tensor((2, 1))),
        ("*", tensor((2, 3)), number(0.5)),
        ("-", tensor((2, 3)), number(2.5)),
        ("@", tensor((2, 3)), tensor((3, 2))),
    ]
    cases = [operation(op, left, right, "int64", 30 + seed) for seed, (op, left, right) in enumerate(pairs)]
    check_operations(student, reference, cases)


@pytest.mark.points(4)
def test_float32_stays_float32_through_a_chain(student, reference):
    got = ask(student.float32_expression, "a chain of operations on float32 Tensors", seed=40)
    for step, value in reference.float32_expression(seed=40).items():
        what = f"float32 Tensors x (3, 4) and w (4, 2), {step} (float32 next to Python numbers stays float32)"
        assert_close(got[step], value, what, **tolerance(value))


MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((1, 3), (3, 1)),
                 ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 1)), ((2, 3), (4, 3, 2)), ((3, 1, 2, 3), (4, 3, 2))]


@pytest.mark.points(4)
def test_matmul_shapes_and_batches(student, reference):
    cases = [operation("@", tensor(left), tensor(right), dtype, 50 + seed)
             for dtype in DTYPES for seed, (left, right) in enumerate(MATMUL_SHAPES)]
    check_operations(student, reference, cases)


@pytest.mark.points(2)
def test_matmul_with_ndarrays_and_lists_on_either_side(student, reference):
    cases = []
    for dtype in DTYPES:
        for kind in ("ndarray", "list"):
            for seed, (left, right) in enumerate([((2, 3), (3, 4)), ((4, 2), (2,)), ((3,), (3, 2))]):
                cases.append(operation("@", tensor(left), {"kind": kind, "shape": list(right)}, dtype, 60 + seed))
                cases.append(operation("@", {"kind": kind, "shape": list(left)}, tensor(right), dtype, 60 + seed,
                                       " (the reflected operator: other @ self, in that order)"))
    check_operations(student, reference, cases)


@pytest.mark.points(3)
def test_comparisons_broadcast(student, reference):
    pairs = [(tensor((3, 1)), tensor((1, 4))), (tensor((2, 3)), tensor((3,))), (tensor((2, 3)), number(1.0)),
             (number(1), tensor((2, 3))), ({"kind": "ndarray", "shape": [3, 1]}, tensor((4,)))]
    cases = [(f"{show(left, 'float64')} {op} {show(right, 'float64')} (a Tensor of bools)",
              dict(op=op, left=left, right=right, seed=70 + seed))
             for op in ("==", "!=", "<", "<=", ">", ">=") for seed, (left, right) in enumerate(pairs)]
    for what, got, expected in ask_each(student, reference, "compare", cases):
        assert_close(got, expected, what, rtol=0.0, atol=0.0)


# -- what a Tensor holds: 5 points -----------------------------------------------------------------------------

@pytest.mark.points(3)
def test_construction_dtypes_shapes_and_values(student, reference):
    got = ask(student.construction, "building Tensors")
    for call, expected in reference.construction().items():
        assert_close(got[call], expected, f"{call}: the array it holds (its dtype is numpy's choice, or the one "
                                          "asked for)", **tolerance(expected))


# The right answers of the next two tests are values the probe itself chose (the array it wrote, the shape it
# asked for), so code that forges the probe's report could give them without a Tensor: 1 point each (see
# docs/grading-security.md, "Limits").

@pytest.mark.points(1)
def test_tensors_share_the_arrays_they_wrap(student, reference):
    got = ask(student.sharing, "wrapping arrays")
    for case, expected in reference.sharing().items():
        assert_close(got[case], expected, f"{case} (an ndarray of the right dtype is stored without a copy, so a "
                                          "change to it shows in the Tensor)", rtol=0.0, atol=0.0)


@pytest.mark.points(1)
def test_shape_size_item_and_numpy(student, reference):
    got, expected = ask(student.properties, "properties", seed=1), reference.properties(seed=1)
    for key, value in expected.items():
        what = f"a (2, 3, 4) float64 Tensor t: {key}"
        if isinstance(value, np.ndarray):
            assert_close(got[key], value, what, **tolerance(value))
        else:
            assert_equal(got[key], value, what)


# -- reductions and shape: 9 points ----------------------------------------------------------------------------

REDUCTION_CALLS = [None, [None, False], [None, True], [0, False], [1, True], [-1, False], [-1, True],
                   [[0, 2], False], [[0, 2], True], [[-1, 0], False]]


def show_call(method, call):
    if call is None:
        return f"{method}()"
    axis = tuple(call[0]) if isinstance(call[0], list) else call[0]
    return f"{method}(axis={axis}, keepdims={call[1]})"


@pytest.mark.points(2)
@pytest.mark.parametrize("method", ["sum", "mean", "max"])
def test_reduce_over_axes(student, reference, method):
    shapes = [((2, 3, 4), dtype, REDUCTION_CALLS) for dtype in ("float64", "float32", "int64")]
    shapes.append(((5,), "float64", [None, [0, False], [0, True], [-1, True]]))
    cases = [(f"{method} on a {shape} {dtype} Tensor",
              dict(method=method, shape=list(shape), dtype=dtype, seed=seed, calls=calls))
             for seed, (shape, dtype, calls) in enumerate(shapes)]
    for (_, case), (what, got, expected) in zip(cases, ask_each(student, reference, "reduce", cases)):
        tensor_shown = f"a {tuple(case['shape'])} {case['dtype']} Tensor"
        for call, got_value, value in zip(case["calls"], got["results"], expected["results"]):
            assert_close(got_value, value, f"{show_call(method, call)} of {tensor_shown}", **tolerance(value))
        assert_close(got["the tensor afterwards"], expected["the tensor afterwards"],
                     f"{what}: the Tensor afterwards ({method} must leave the Tensor it reduces as it was)",
                     rtol=0.0, atol=0.0)


@pytest.mark.points(2)
def test_reshape_accepts_every_form(student, reference):
    got = ask(student.reshapes, "reshape", seed=2)
    for call, expected in reference.reshapes(seed=2).items():
        if call == "the original afterwards":
            assert_close(got[call], expected, "t of shape (2, 3, 4) after every reshape (reshape must return a new "
                                              "Tensor and leave the original as it was)", rtol=0.0, atol=0.0)
        else:
            assert_close(got[call], expected, f"{call} with t of shape (2, 3, 4), float32", **tolerance(expected))


@pytest.mark.points(1)
def test_transpose_accepts_every_form(student, reference):
    got = ask(student.transposes, "transpose", seed=3)
    for call, expected in reference.transposes(seed=3).items():
        if call == "the original afterwards":
            assert_close(got[call], expected, "t of shape (2, 3, 4) after every transpose (transpose must return a "
                                              "new Tensor and leave the original as it was)", rtol=0.0, atol=0.0)
        else:
            what = f"{call} (t of shape (2, 3, 4), matrix (3, 5), vector (4,))"
            assert_close(got[call], expected, what, **tolerance(expected))
