"""Hidden tests of the tensor module: the submission's Tensor against the reference's, through probes.py only.

One property per test, checked so that it does not depend on the others: the value tests use float64 Tensors
of equal shapes; broadcasting, numbers on either side, the order of the reflected operators, operands left as
they were, float32 and integers, keepdims each have a test of their own. The failure message names the property
first. The tests that look at a second property of a result (its dtype, the operands afterwards) judge only the
cases whose float64 value is right, so a wrong value fails its value test alone, and a submission that does not
compute (or forges its reports) has no right values to show.
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close
from tito.grading.probes import ask, ask_each

OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
EXACT = {"rtol": 0.0, "atol": 0.0}


def tolerance(expected):
    """Exact for ints and bools, 1e-10 relative for float64, float32's own precision for float32."""
    if not isinstance(expected, np.ndarray) or expected.dtype.kind in "biu":
        return EXACT
    if expected.dtype == np.float32:
        return {"rtol": 1e-6, "atol": 1e-7}
    return {"rtol": 1e-10, "atol": 1e-12}


def mismatch(got, expected):
    """Why `got` is not the reference's value `expected` (shape, dtype, values), or None when it is."""
    try:
        assert_close(got, expected, "the value", **tolerance(expected))
    except AssertionError as error:
        return str(error)
    return None


def tensor(shape):
    return {"kind": "tensor", "shape": list(shape)}


def number(value):
    return {"kind": "number", "value": value}


def other(kind, shape):
    return {"kind": kind, "shape": list(shape)}


def show(spec, dtype):
    if spec["kind"] == "number":
        return repr(spec["value"])
    kind = {"tensor": "Tensor", "ndarray": "ndarray", "list": "list"}[spec["kind"]]
    return f"{kind} of shape {tuple(spec['shape'])}" + ("" if spec["kind"] == "list" else f" ({dtype})")


def operation(op, left, right_, dtype="float64", seed=0):
    """(what, arguments) of one `operate` case."""
    return f"{show(left, dtype)} {op} {show(right_, dtype)}", dict(op=op, left=left, right=right_, dtype=dtype,
                                                                   seed=seed)


def named(concept, cases):
    """The cases with the concept first in each name, so that a case in which the submission raised says it too."""
    return [(f"{concept}: {what}", arguments) for what, arguments in cases]


def check_values(student, reference, concept, cases, probe="operate"):
    for what, got, expected in ask_each(student, reference, probe, named(concept, cases)):
        assert_close(got["value"], expected["value"], what, **tolerance(expected["value"]))


def judged(results, concept):
    """The cases whose value is right (evidence that the code computed them); fails when fewer than half are,
    since nothing else can then be judged."""
    kept, wrong = [], []
    for what, got, expected in results:
        problem = mismatch(got["value"], expected["value"])
        (wrong.append(f"{what}: {problem}") if problem else kept.append((what, got, expected)))
    if 2 * len(kept) < len(results):
        raise AssertionError(f"{concept}: only {len(kept)} of {len(results)} operations gave the right float64 value, "
                             "too few to judge this (fix the values first; the tests of each operation say which), "
                             f"e.g. {wrong[0]}")
    return kept


# -- values, one operator at a time: 15 points ----------------------------------------------------------------

SAME_SHAPES = [(), (4,), (3, 4), (2, 3, 4)]


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(OPERATORS))
def test_tensor_op_tensor_values(student, reference, name):
    """Tensor OP Tensor of equal shapes (no broadcasting), float64."""
    op = OPERATORS[name]
    cases = [operation(op, tensor(shape), tensor(shape), seed=seed) for seed, shape in enumerate(SAME_SHAPES)]
    check_values(student, reference, f"Tensor {op} Tensor", cases)


@pytest.mark.points(1)
def test_negation_values(student, reference):
    cases = [(f"-Tensor of shape {shape} (float64)", dict(shape=list(shape), dtype="float64", seed=20))
             for shape in SAME_SHAPES]
    check_values(student, reference, "negation", cases, probe="negate")


MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((1, 3), (3, 1)),
                 ((5, 2, 3), (5, 3, 4)), ((2, 4, 2, 3), (2, 4, 3, 1))]


@pytest.mark.points(4)
def test_matmul_values(student, reference):
    """Matrices, vectors and stacks of matrices of the same batch shape (no broadcasting of batches)."""
    cases = [operation("@", tensor(left), tensor(right_), seed=50 + seed)
             for seed, (left, right_) in enumerate(MATMUL_SHAPES)]
    check_values(student, reference, "matmul", cases)


# -- broadcasting, numbers and arrays, the reflected operators: 12 points -------------------------------------

# (left shape, right shape): both sides stretched, a missing leading axis, scalars, three axes
BROADCAST_PAIRS = [((3, 1), (1, 4)), ((5, 4), (4,)), ((4,), (5, 4)), ((), (2, 3)), ((2, 3), ()),
                   ((2, 1, 3), (4, 1)), ((1,), (3, 1, 2))]
MATMUL_BATCHES = [((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)), ((3, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4))]


@pytest.mark.points(4)
def test_operators_broadcast(student, reference):
    cases = [operation(op, tensor(left), tensor(right_), seed=seed)
             for op in OPERATORS.values() for seed, (left, right_) in enumerate(BROADCAST_PAIRS)]
    cases += [operation("@", tensor(left), tensor(right_), seed=60 + seed)
              for seed, (left, right_) in enumerate(MATMUL_BATCHES)]
    check_values(student, reference, "broadcasting", cases)


@pytest.mark.points(2)
def test_numbers_and_arrays_on_the_right(student, reference):
    """Tensor OP number, Tensor OP ndarray, Tensor OP list (`_as_array` hands them to numpy)."""
    cases = []
    for seed, op in enumerate([*OPERATORS.values(), "@"]):
        shape = (3, 4) if op != "@" else (4, 2)
        if op != "@":
            cases += [operation(op, tensor((3, 4)), number(value), seed=10 + seed) for value in (2, 0.5, 3.0)]
        cases += [operation(op, tensor((3, 4)), other(kind, shape), seed=10 + seed) for kind in ("ndarray", "list")]
    check_values(student, reference, "numbers and arrays on the right", cases)


REFLECTED = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}


@pytest.mark.points(1)
@pytest.mark.parametrize("name", list(REFLECTED))
def test_reflected_operator_keeps_the_order(student, reference, name):
    """number OP Tensor and ndarray OP Tensor call the Tensor's reflected operator, which computes other OP self."""
    op = REFLECTED[name]
    if op == "@":
        cases = [operation(op, other(kind, (2, 3)), tensor((3, 4)), seed=70) for kind in ("ndarray", "list")]
        cases.append(operation(op, other("ndarray", (3,)), tensor((3, 2)), seed=71))
    else:
        numbers = [2, 0.5, 3.0] if op == "**" else [2, 0.5, -3.0]  # a negative base with a float exponent is nan
        cases = [operation(op, number(value), tensor((3, 2)), seed=72) for value in numbers]
        cases += [operation(op, other(kind, (3, 2)), tensor((3, 2)), seed=73) for kind in ("ndarray", "list")]
    check_values(student, reference, f"the reflected operator (other {op} self, in that order)", cases)


# -- operands, dtypes: 8 points -------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_operators_leave_their_operands_unchanged(student, reference):
    """Each operator returns a new Tensor with its own array: the operands read afterwards (once zeros were
    written into the result's array) are what they were. Judged on the cases whose value is right."""
    cases = [operation(op, tensor((3, 4)), tensor((3, 4)), seed=80) for op in OPERATORS.values()]
    cases += [operation(op, tensor((3, 4)), number(2.0), seed=81) for op in OPERATORS.values()]
    cases += [operation(op, number(2.0), tensor((3, 4)), seed=82) for op in OPERATORS.values()]
    cases.append(operation("@", tensor((3, 4)), tensor((4, 2)), seed=83))
    negations = [(f"-Tensor of shape {shape}", dict(shape=list(shape), dtype="float64", seed=84))
                 for shape in ((4,), (2, 3))]
    concept = "operands left unchanged"
    results = ask_each(student, reference, "operate", named(concept, cases))
    results += ask_each(student, reference, "negate", named(concept, negations))
    for what, got, expected in judged(results, concept):
        assert_close(got["operands afterwards"], expected["operands afterwards"],
                     f"{what}, the operands afterwards, once zeros were written into the result (an "
                     "operator must leave its operands as they were and return a new Tensor with its own array)",
                     **EXACT)


@pytest.mark.points(4)
def test_float32_stays_float32(student, reference):
    """float32 next to Python numbers stays float32 (numpy treats a bare Python number as 'weak'). Each expression
    is judged only where the submission's float64 value is right, so a wrong operation fails its own test."""
    concept = "float32 stays float32"
    got64, expected64 = ask(student.expressions, concept, dtype="float64", seed=40), \
        reference.expressions(dtype="float64", seed=40)
    got32, expected32 = ask(student.expressions, concept, dtype="float32", seed=40), \
        reference.expressions(dtype="float32", seed=40)
    results = [(name, {"value": got64[name]}, {"value": value}) for name, value in expected64.items()]
    for name, _, _ in judged(results, concept):
        what = f"{concept}: {name} with float32 Tensors x (3, 4) and w (4, 2)"
        value, expected = got32[name], expected32[name]
        if isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == expected.shape and \
                np.allclose(value, expected, rtol=1e-5, atol=1e-6):
            raise AssertionError(f"{what}: expected dtype float32, got dtype float64 (the numbers are right: a "
                                 "float64 array met the float32 data, e.g. a Python number wrapped in np.array, "
                                 "which numpy no longer treats as 'weak')")
        assert_close(value, expected, what, **tolerance(expected))


@pytest.mark.points(2)
def test_integer_tensors_follow_numpy(student, reference):
    """int64 stays int64 under + - * ** and @; true division and float numbers give float64."""
    pairs = [
        ("+", tensor((2, 3)), tensor((2, 3))),
        ("-", tensor((2, 3)), number(1)),
        ("*", tensor((2, 3)), number(3)),
        ("**", tensor((2, 3)), number(2)),
        ("/", tensor((2, 3)), number(2)),
        ("/", tensor((2, 3)), tensor((2, 3))),
        ("*", tensor((2, 3)), number(0.5)),
        ("-", tensor((2, 3)), number(2.5)),
        ("@", tensor((2, 3)), tensor((3, 2))),
    ]
    cases = [operation(op, left, right_, "int64", 30 + seed) for seed, (op, left, right_) in enumerate(pairs)]
    check_values(student, reference, "integer Tensors", cases)


# -- what a Tensor holds: 4 points -----------------------------------------------------------------------------

@pytest.mark.points(3)
def test_construction_dtypes_shapes_and_values(student, reference):
    got = ask(student.construction, "building Tensors")
    for call, expected in reference.construction().items():
        assert_close(got[call], expected, f"construction: {call}, the array it holds (its dtype is numpy's choice, "
                                          "or the one asked for)", **tolerance(expected))


# The right answers of this test are values the probe itself chose (the array it wrote), so code that forges the
# probe's report could give them without a Tensor: 1 point (see docs/grading-security.md, "Limits").

@pytest.mark.points(1)
def test_tensors_share_the_arrays_they_wrap(student, reference):
    got = ask(student.sharing, "wrapping arrays")
    for case, expected in reference.sharing().items():
        assert_close(got[case], expected, f"sharing, not copying: {case} (an ndarray of the right dtype is stored "
                                          "without a copy, so a change to it shows in the Tensor)", **EXACT)


# -- reductions and shape: 11 points ---------------------------------------------------------------------------

REDUCTION_CALLS = [None, [None, False], [0, False], [1, False], [-1, False], [[0, 2], False], [[-1, 0], False]]
KEEPDIMS_CALLS = [[None, True], [1, True], [-1, True], [[0, 2], True]]


def show_call(method, call):
    if call is None:
        return f"{method}()"
    axis = tuple(call[0]) if isinstance(call[0], list) else call[0]
    return f"{method}(axis={axis}, keepdims={call[1]})"


def check_reductions(student, reference, concept, method, calls):
    cases = [(f"{concept}: {method} on a (2, 3, 4) float64 Tensor",
              dict(method=method, shape=[2, 3, 4], dtype="float64", seed=90, calls=calls))]
    for _, got, expected in ask_each(student, reference, "reduce", cases):
        for call, got_value, value in zip(calls, got["results"], expected["results"]):
            assert_close(got_value, value, f"{concept}: {show_call(method, call)} of a (2, 3, 4) float64 Tensor",
                         **tolerance(value))


@pytest.mark.points(2)
@pytest.mark.parametrize("method", ["sum", "mean", "max"])
def test_reduce_over_axes(student, reference, method):
    """All elements, one axis, several axes, negative axes; keepdims=False (keepdims has its own test)."""
    check_reductions(student, reference, method, method, REDUCTION_CALLS)


@pytest.mark.points(2)
def test_keepdims_keeps_the_reduced_axes(student, reference):
    for method in ("sum", "mean", "max"):
        check_reductions(student, reference, "keepdims=True keeps each reduced axis with length 1", method,
                         KEEPDIMS_CALLS)


@pytest.mark.points(2)
def test_reshape_accepts_every_form(student, reference):
    got = ask(student.reshapes, "reshape", seed=2)
    for call, expected in reference.reshapes(seed=2).items():
        if call == "the original afterwards":
            assert_close(got[call], expected, "reshape: t of shape (2, 3, 4) after every reshape (reshape must "
                                              "return a new Tensor and leave the original as it was)", **EXACT)
        else:
            assert_close(got[call], expected, f"reshape: {call} with t of shape (2, 3, 4), float32",
                         **tolerance(expected))


@pytest.mark.points(1)
def test_transpose_accepts_every_form(student, reference):
    got = ask(student.transposes, "transpose", seed=3)
    for call, expected in reference.transposes(seed=3).items():
        if call == "the original afterwards":
            assert_close(got[call], expected, "transpose: t of shape (2, 3, 4) after every transpose (transpose "
                                              "must return a new Tensor and leave the original as it was)", **EXACT)
        else:
            what = f"transpose: {call} (t of shape (2, 3, 4), matrix (3, 5), vector (4,); no argument reverses the axes)"
            assert_close(got[call], expected, what, **tolerance(expected))
