"""Every Tensor operation against numpy, and the dtype rule: a Tensor keeps the dtype numpy gives it."""

import operator

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tinytorch.core.tensor import Tensor

DTYPES = [np.float32, np.float64]
SHAPE_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((5, 4), (4,)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((2, 1, 3), (4, 1)),
]
BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _array(shape, dtype, seed, positive=False):
    array = np.random.default_rng(seed).normal(size=shape)
    if positive:
        array = np.abs(array) + 0.5
    return np.asarray(array, dtype=dtype)


def assert_same(got, expected):
    assert isinstance(got, Tensor), f"expected a Tensor, got {type(got).__name__}"
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"shape {got.shape} != numpy {expected.shape}"
    assert got.dtype == expected.dtype, f"dtype {got.dtype} != numpy {expected.dtype}"
    np.testing.assert_array_equal(got.data, expected)


# Construction and properties.


@pytest.mark.parametrize(
    "value, dtype, shape",
    [
        (5, np.int64, ()),
        (2.5, np.float64, ()),
        ([1.0, 2.0], np.float64, (2,)),
        ([[1, 2, 3]], np.int64, (1, 3)),
        ([True, False], np.bool_, (2,)),
        (np.float32(1.5), np.float32, ()),
        (np.zeros((2, 0), dtype=np.float32), np.float32, (2, 0)),
    ],
    ids=["int", "float", "float-list", "int-list", "bools", "float32-scalar", "empty-float32"],
)
def test_construction_keeps_numpy_dtype(value, dtype, shape):
    """Does Tensor(value) take numpy's dtype and shape for numbers, lists and arrays?"""
    t = Tensor(value)
    assert isinstance(t.data, np.ndarray)
    assert t.dtype == dtype and t.shape == shape and t.size == int(np.prod(shape)) and t.ndim == len(shape)


def test_construction_with_dtype():
    """Does the dtype argument convert the data?"""
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2), dtype=np.float32).dtype == np.float32


def test_no_copies():
    """Are an ndarray passed in, a Tensor passed in, .data and .numpy() all the same array?"""
    array = np.arange(3.0)
    t = Tensor(array)
    assert t.data is array and t.numpy() is array and Tensor(t).data is array
    t.data[0] = 42.0
    assert array[0] == 42.0


# Arithmetic.


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("symbol", list(BINARY))
def test_binary_operators(symbol, shapes, dtype):
    """Do + - * / ** between Tensors broadcast and give numpy's values and dtype?"""
    op = BINARY[symbol]
    a = _array(shapes[0], dtype, seed=1, positive=(symbol == "**"))
    b = _array(shapes[1], dtype, seed=2)
    assert_same(op(Tensor(a), Tensor(b)), op(a, b))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("number", [2, 0.5, -3.0])
@pytest.mark.parametrize("symbol", list(BINARY))
def test_python_numbers_on_either_side(symbol, number, dtype):
    """With a Python number on the left or right, are values numpy's and the Tensor's dtype kept?"""
    op = BINARY[symbol]
    a = _array((3, 2), dtype, seed=3, positive=True)
    if symbol == "**":
        number = abs(number)  # a negative base with fractional exponents is nan
    right, left = op(Tensor(a), number), op(number, Tensor(a))
    assert_same(right, op(a, number))
    assert_same(left, op(number, a))
    assert right.dtype == dtype and left.dtype == dtype


@pytest.mark.parametrize("symbol", list(BINARY) + ["@"])
def test_ndarrays_and_lists_on_either_side(symbol):
    """Does an ndarray or list on either side give a Tensor (numpy defers to Tensor)?"""
    op = operator.matmul if symbol == "@" else BINARY[symbol]
    a = _array((3, 3), np.float64, seed=4, positive=True)
    b = _array((3, 3), np.float64, seed=5, positive=True)
    assert_same(op(Tensor(a), b), op(a, b))
    assert_same(op(a, Tensor(b)), op(a, b))
    assert_same(op(Tensor(a), b.tolist()), op(a, b))
    assert_same(op(b.tolist(), Tensor(a)), op(b, a))


def test_negation_and_operands_unchanged():
    """Does -t negate, and does no operator modify its operands?"""
    a = _array((2, 3), np.float32, seed=6, positive=True)
    original = a.copy()
    t = Tensor(a)
    assert_same(-t, -a)
    for op in BINARY.values():
        op(t, t)
    np.testing.assert_array_equal(a, original)


def test_float32_with_float64_zero_d_array_follows_numpy():
    """The dtype rule is numpy's: a float64 Tensor operand (unlike a Python float) promotes float32."""
    assert (Tensor(np.ones(2, dtype=np.float32)) * Tensor(2.0)).dtype == np.result_type(np.float32, np.float64)


@pytest.mark.parametrize(
    "shapes",
    [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 1))],
    ids=str,
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_matmul(shapes, dtype):
    """Is @ numpy's matmul, including vectors and batches?"""
    a, b = _array(shapes[0], dtype, seed=7), _array(shapes[1], dtype, seed=8)
    assert_same(Tensor(a) @ Tensor(b), a @ b)


@pytest.mark.parametrize("symbol", list(COMPARISONS))
def test_comparisons_give_bool_tensors(symbol):
    """Do comparisons broadcast and return Tensors of bools, also against numbers?"""
    op = COMPARISONS[symbol]
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 3.0])
    assert_same(op(Tensor(a), Tensor(b)), op(a, b))
    assert_same(op(Tensor(a), 2.0), op(a, 2.0))


def test_tensor_is_unhashable_like_an_ndarray():
    """Since == is element-wise, is a Tensor unhashable (as an ndarray is)?"""
    with pytest.raises(TypeError):
        hash(Tensor([1.0]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4), symbol=st.sampled_from(list(BINARY)))
def test_any_broadcast_pair(shapes, symbol):
    """For any broadcastable pair of shapes, does every operator agree with numpy?"""
    a = _array(shapes.input_shapes[0], np.float64, seed=9, positive=True)
    b = _array(shapes.input_shapes[1], np.float64, seed=10)
    assert_same(BINARY[symbol](Tensor(a), Tensor(b)), BINARY[symbol](a, b))


# Reductions.


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("method", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_reductions(method, axis, keepdims, dtype):
    """Do sum, mean, max and min match numpy over every axis choice, keeping the dtype?"""
    a = _array((2, 3, 4), dtype, seed=11)
    got = getattr(Tensor(a), method)(axis=axis, keepdims=keepdims)
    expected = getattr(a, method)(axis=axis, keepdims=keepdims)
    assert_same(got, expected)
    assert got.dtype == dtype


def test_reduction_defaults_and_integer_mean():
    """Do reductions default to all elements, and does the mean of integers follow numpy (float64)?"""
    t = Tensor([[1, 2], [3, 4]])
    assert t.sum().item() == 10 and t.max().item() == 4
    assert_same(t.mean(), np.array([[1, 2], [3, 4]]).mean())


# Shape.


@pytest.mark.parametrize(
    "args, expected_shape",
    [((6, 4), (6, 4)), (((6, 4),), (6, 4)), (((4, -1),), (4, 6)), ((-1,), (24,)), (([2, 12],), (2, 12))],
    ids=str,
)
def test_reshape(args, expected_shape):
    """Does reshape take sizes as arguments or as one tuple/list, with -1 inferred?"""
    a = np.arange(24.0).reshape(2, 3, 4)
    got = Tensor(a).reshape(*args)
    assert_same(got, a.reshape(expected_shape))


@pytest.mark.parametrize("axes", [(), (1, 0, 2), ((2, 0, 1),), ([0, 2, 1],)], ids=str)
def test_transpose(axes):
    """Does transpose reverse the axes by default and accept a permutation as arguments or a sequence?"""
    a = np.arange(24.0).reshape(2, 3, 4)
    permutation = axes[0] if len(axes) == 1 else (axes or None)
    assert_same(Tensor(a).transpose(*axes), a.transpose(permutation))


def test_T():
    """Is .T the reversed-axes transpose, for matrices and vectors?"""
    a = np.arange(6.0).reshape(2, 3)
    assert_same(Tensor(a).T, a.T)
    assert_same(Tensor(np.arange(3.0)).T, np.arange(3.0))


# Conversion, indexing and display.


def test_item_indexing_len_and_astype():
    """Do item, indexing, len and astype behave like numpy's?"""
    a = np.arange(12.0).reshape(3, 4)
    t = Tensor(a)
    assert Tensor([[7.0]]).item() == 7.0 and isinstance(Tensor(3).item(), int)
    with pytest.raises(ValueError):
        t.item()
    assert_same(t[1], a[1])
    assert_same(t[:, 1:3], a[:, 1:3])
    assert_same(t[np.array([0, 2])], a[np.array([0, 2])])
    assert_same(t[Tensor([True, False, True])], a[np.array([True, False, True])])
    assert len(t) == 3
    assert_same(t.astype(np.float32), a.astype(np.float32))


def test_truthiness_follows_numpy():
    """Is a one-element Tensor usable in `if`, and a larger one ambiguous, as in numpy?"""
    assert Tensor(1.0) and not Tensor(0.0)
    with pytest.raises(ValueError):
        bool(Tensor([1.0, 2.0]) > 0)


def test_repr_is_readable():
    """Does repr show the values and the dtype?"""
    text = repr(Tensor(np.array([[1.0, 2.5]], dtype=np.float32)))
    assert text.startswith("Tensor(") and "2.5" in text and "float32" in text
