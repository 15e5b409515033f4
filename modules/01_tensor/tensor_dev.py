# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 1: Tensors
#
# Every number a neural network touches—inputs, weights, gradients, losses—lives in a tensor: an
# n-dimensional array with a shape and a number type (its dtype). In this module you write `Tensor`, the
# container the rest of the course builds on.
#
# numpy already has a fast n-dimensional array, so `Tensor` does not reimplement one. It wraps an
# `np.ndarray` and decides three things on top of it:
#
# 1. **What a tensor holds.** `t.data` is the ndarray itself, not a copy. Later, an optimizer updates a
#    weight in place with `w.data.data -= lr * g`; that only works if nothing copies on the way.
# 2. **Which dtype results have.** Whatever numpy gives. Python numbers do not change the dtype of an
#    array (`float32 * 0.5` is still `float32`), so a float32 model stays float32 from start to finish.
# 3. **Which operations exist.** Arithmetic with broadcasting, matrix multiplication, reductions and
#    reshaping: the operations the next module will teach to differentiate.
#
# By the end you can write `Tensor([[1.0, 2.0]]) @ Tensor([[3.0], [4.0]])` and get `Tensor([[11.]])`.

# %% nbgrader={"grade": false, "grade_id": "tensor-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.tensor
#| export
import numpy as np

# %% [markdown]
# ## Shape, dtype and broadcasting
#
# A tensor's **shape** lists its length along each axis: a batch of 32 images of 28×28 pixels has shape
# `(32, 28, 28)`. Its **dtype** says how each number is stored: `float64` (numpy's default for Python floats),
# `float32` (half the memory, what most networks train in), `int64`, `bool`.
#
# Element-wise operations between tensors of different shapes follow numpy's **broadcasting** rule. Line the
# shapes up from the right; two sizes are compatible when they are equal or one of them is 1, and a missing
# axis counts as 1. The size-1 axes are stretched (without copying) to match:
#
# ```
# (3, 1) + (1, 4)  -> (3, 4)      each row of the first meets each column of the second
# (5, 4) * (4,)    -> (5, 4)      the vector is applied to every row
# ()     - (2, 3)  -> (2, 3)      a scalar meets every element
# ```
#
# Broadcasting is free in the forward pass. In the next module it has a price: the gradient of a stretched
# operand has to be summed back to its original shape.
#
# ## Python numbers and ndarrays on the left
#
# `2 * t` first asks `int.__mul__`, which does not know tensors, so Python calls `t.__rmul__(2)`. The same goes
# for an ndarray on the left, provided numpy is told to stay out of the way: a class attribute
# `__array_ufunc__ = None` makes numpy return `NotImplemented` instead of treating the tensor as an unknown
# object. The reflected methods (`__radd__`, `__rsub__`, ...) compute `other OP self`; for the
# non-commutative ones the order matters.
#
# The helper below unwraps an operand: a `Tensor` gives its array, anything else (a Python number, a list, an
# ndarray) is handed to numpy unchanged. Passing Python numbers through unchanged is what keeps `float32`
# results `float32`: numpy treats a bare Python float as "weak" and keeps the array's dtype.

# %% nbgrader={"grade": false, "grade_id": "tensor-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _as_array(value):
    """The ndarray inside a Tensor, or the value itself (number, list, ndarray) for numpy to interpret."""
    return value.data if isinstance(value, Tensor) else value


# %% [markdown]
# ## Step 1: the Tensor class
#
# The class below is given except for `__init__`, which you write. `__init__` stores
# `np.asarray(data, dtype=dtype)`: an ndarray passed in is kept as is (no copy), and a `Tensor` passed in shares
# its array. Everything else in the class reads straight from that array: the properties, comparisons (which
# give Tensors of bools, as numpy does), conversion and display.
#
# The operations come after the class, one per cell. Each cell defines a function and then attaches it to the
# class, as in `Tensor.__add__ = _add`; from then on `a + b` calls it. Written this way, each operation sits
# next to its test, and the package file `tinytorch/core/tensor.py` reads the same way: the class, then each
# operation.

# %% nbgrader={"grade": false, "grade_id": "tensor-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Tensor:
    """An n-dimensional array of numbers: a thin layer over a numpy ndarray.

    `t.data` is the ndarray itself. Operations return new Tensors whose dtype is the one numpy gives.
    The arithmetic operators, reductions and reshaping are attached after the class, one per cell.
    """

    # numpy defers to our reflected operators, so `ndarray + Tensor` calls Tensor.__radd__.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None):
        """Wrap `data` (a number, nested list, ndarray or Tensor) as `self.data = np.asarray(...)`.

        An ndarray of the right dtype is stored without copying, and a Tensor shares its array.
        `dtype` (e.g. np.float32) converts the data; None keeps numpy's choice (Python floats -> float64).
        """
        ### BEGIN SOLUTION
        self.data = np.asarray(_as_array(data), dtype=dtype)
        ### END SOLUTION

    # Properties: read straight from the array.

    @property
    def shape(self):
        """The length along each axis, as a tuple: `()` for a scalar."""
        return self.data.shape

    @property
    def dtype(self):
        """The numpy dtype of the elements."""
        return self.data.dtype

    @property
    def size(self):
        """The number of elements."""
        return self.data.size

    @property
    def ndim(self):
        """The number of axes."""
        return self.data.ndim

    # Comparisons give Tensors of bools, as numpy does. (A class that defines __eq__ this way is unhashable,
    # like an ndarray.)

    def __eq__(self, other):
        return Tensor(self.data == _as_array(other))

    def __ne__(self, other):
        return Tensor(self.data != _as_array(other))

    def __lt__(self, other):
        return Tensor(self.data < _as_array(other))

    def __le__(self, other):
        return Tensor(self.data <= _as_array(other))

    def __gt__(self, other):
        return Tensor(self.data > _as_array(other))

    def __ge__(self, other):
        return Tensor(self.data >= _as_array(other))

    def min(self, axis=None, keepdims=False):
        """Smallest element over `axis`, like `sum`."""
        return Tensor(self.data.min(axis=axis, keepdims=keepdims))

    @property
    def T(self):
        """The transpose (all axes reversed)."""
        return self.transpose()

    # Conversion and display.

    def astype(self, dtype):
        """A copy with elements converted to `dtype`."""
        return Tensor(self.data.astype(dtype))

    def item(self):
        """The single element of a one-element tensor, as a Python number."""
        return self.data.item()

    def numpy(self):
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def __getitem__(self, index):
        """Indexing and slicing follow numpy; the result is a Tensor."""
        return Tensor(self.data[_as_array(index)])

    def __len__(self):
        return len(self.data)

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        return f"Tensor({body}, dtype={self.dtype})"


# %% nbgrader={"grade": true, "grade_id": "test-tensor-creation", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_tensor_creation():
    """A Tensor holds an ndarray of numpy's dtype (or the one asked for), and does not copy ndarrays it is given."""
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert isinstance(t.data, np.ndarray), f"t.data should be an np.ndarray, got {type(t.data).__name__}"
    assert t.shape == (2, 3), f"shape: expected (2, 3), got {t.shape}"
    assert t.size == 6, f"size: expected 6, got {t.size}"
    assert t.dtype == np.float64, f"a list of Python floats should give float64, got {t.dtype}"
    assert Tensor(5).shape == (), f"a number should give shape (), got {Tensor(5).shape}"
    assert Tensor(5).dtype.kind == "i", f"Tensor(5) should hold an integer, got {Tensor(5).dtype}"

    array = np.arange(4, dtype=np.float32)
    wrapped = Tensor(array)
    assert wrapped.data is array, "sharing, not copying: Tensor(ndarray) should keep the very same array"
    assert wrapped.dtype == np.float32, f"float32 data should stay float32, got {wrapped.dtype}"
    assert Tensor(wrapped).data is array, "Tensor(Tensor) should share the array of the Tensor it is given"
    converted = Tensor([1, 2], dtype=np.float32)
    assert converted.dtype == np.float32, f"dtype=np.float32 should convert, got {converted.dtype}"

    ### BEGIN HIDDEN TESTS
    assert Tensor(np.float32(2.5)).dtype == np.float32, "a numpy float32 scalar should stay float32"
    assert Tensor([True, False]).dtype == np.bool_, "a list of bools should give a bool tensor"
    ### END HIDDEN TESTS

test_tensor_creation()

# %% [markdown]
# ## Step 2: arithmetic
#
# Each operator returns a new `Tensor` and never changes its operands; `other` may be a Tensor, a Python
# number, a list or an ndarray, and `_as_array` turns it into something numpy understands.
#
# Start with addition. Write `_add`; the cell makes it both `__add__` and `__radd__`, because addition commutes:
# `2 + t` may compute `t + 2`.

# %% nbgrader={"grade": false, "grade_id": "tensor-add", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _add(self, other):
    """`Tensor.__add__`: self + other, element-wise with broadcasting, as a new Tensor."""
    ### BEGIN SOLUTION
    return Tensor(self.data + _as_array(other))
    ### END SOLUTION


Tensor.__add__ = Tensor.__radd__ = _add  # addition commutes, so `other + self` is `self + other`

# %% nbgrader={"grade": true, "grade_id": "test-tensor-add", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_add():
    """+ matches numpy, broadcasts, accepts numbers and ndarrays on either side, keeps float32."""
    rng = np.random.default_rng(0)
    a_np, b_np = rng.normal(size=(3, 1)), rng.normal(size=(1, 4))
    a, b = Tensor(a_np), Tensor(b_np)
    cases = [
        ("a + b", a + b, a_np + b_np),
        ("2 + a", 2 + a, 2 + a_np),
        ("ndarray + a", b_np + a, b_np + a_np),
    ]
    for name, got, expected in cases:
        assert isinstance(got, Tensor), f"{name} should return a Tensor, got {type(got).__name__}"
        assert got.shape == expected.shape, f"{name}: expected shape {expected.shape}, got {got.shape}"
        assert np.allclose(got.data, expected), f"{name}: expected\n{expected}\ngot\n{got.data}"
    assert (Tensor(np.ones(3, dtype=np.float32)) + 0.5).dtype == np.float32, "float32 + 0.5 should stay float32"
    assert np.array_equal(a.data, a_np), "an operation must not change its operands"
    ### BEGIN HIDDEN TESTS
    assert np.allclose((a + [1.0, 2.0, 3.0, 4.0]).data, a_np + np.array([1.0, 2.0, 3.0, 4.0]))
    ### END HIDDEN TESTS

test_tensor_add()

# %% [markdown]
# Subtraction does not commute, so the reflected operator needs its own function: `1 - t` calls
# `t.__rsub__(1)`, which must compute `1 - t.data`, in that order. Write `_sub` and `_rsub`.

# %% nbgrader={"grade": false, "grade_id": "tensor-sub", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _sub(self, other):
    """`Tensor.__sub__`: self - other, element-wise with broadcasting."""
    ### BEGIN SOLUTION
    return Tensor(self.data - _as_array(other))
    ### END SOLUTION


def _rsub(self, other):
    """`Tensor.__rsub__`: other - self, for a number or ndarray on the left (note the order)."""
    ### BEGIN SOLUTION
    return Tensor(_as_array(other) - self.data)
    ### END SOLUTION


Tensor.__sub__ = _sub
Tensor.__rsub__ = _rsub

# %% nbgrader={"grade": true, "grade_id": "test-tensor-sub", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_sub():
    """- matches numpy and broadcasts, with the operands in the right order on either side."""
    rng = np.random.default_rng(1)
    a_np, b_np = rng.normal(size=(3, 1)), rng.normal(size=(1, 4))
    a, b = Tensor(a_np), Tensor(b_np)
    cases = [
        ("a - b", a - b, a_np - b_np),
        ("a - 2", a - 2, a_np - 2),
        ("1 - a (the reflected operator: other - self)", 1 - a, 1 - a_np),
    ]
    for name, got, expected in cases:
        assert isinstance(got, Tensor), f"{name} should return a Tensor, got {type(got).__name__}"
        assert got.shape == expected.shape, f"{name}: expected shape {expected.shape}, got {got.shape}"
        assert np.allclose(got.data, expected), f"{name}: expected\n{expected}\ngot\n{got.data}"
    assert (Tensor(np.ones(3, dtype=np.float32)) - 1.5).dtype == np.float32, "float32 - 1.5 should stay float32"

test_tensor_sub()

# %% [markdown]
# Negation, `-t`, takes no other operand. Write `_neg`.

# %% nbgrader={"grade": false, "grade_id": "tensor-neg", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _neg(self):
    """`Tensor.__neg__`: -self, with self's shape and dtype."""
    ### BEGIN SOLUTION
    return Tensor(-self.data)
    ### END SOLUTION


Tensor.__neg__ = _neg

# %% nbgrader={"grade": true, "grade_id": "test-tensor-neg", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_tensor_neg():
    """-t negates every element and keeps the dtype."""
    t = Tensor(np.array([[1.0, -2.0, 0.5]], dtype=np.float32))
    got = -t
    assert isinstance(got, Tensor), f"-t should return a Tensor, got {type(got).__name__}"
    assert np.array_equal(got.data, [[-1.0, 2.0, -0.5]]), f"-[[1, -2, 0.5]]: expected [[-1, 2, -0.5]], got {got.data}"
    assert got.dtype == np.float32, f"-t should keep float32, got {got.dtype}"
    assert np.array_equal(t.data, [[1.0, -2.0, 0.5]]), f"-t must leave t as it was, but t is now {t.data}"

test_tensor_neg()

# %% [markdown]
# Multiplication commutes, like addition. Write `_mul`.

# %% nbgrader={"grade": false, "grade_id": "tensor-mul", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _mul(self, other):
    """`Tensor.__mul__`: self * other, element-wise with broadcasting."""
    ### BEGIN SOLUTION
    return Tensor(self.data * _as_array(other))
    ### END SOLUTION


Tensor.__mul__ = Tensor.__rmul__ = _mul  # multiplication commutes

# %% nbgrader={"grade": true, "grade_id": "test-tensor-mul", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_mul():
    """* matches numpy, broadcasts, accepts numbers on either side, keeps float32."""
    rng = np.random.default_rng(2)
    a_np, b_np = rng.normal(size=(3, 1)), rng.normal(size=(1, 4))
    a, b = Tensor(a_np), Tensor(b_np)
    cases = [
        ("a * b", a * b, a_np * b_np),
        ("3 * a", 3 * a, 3 * a_np),
        ("a * 3", a * 3, a_np * 3),
    ]
    for name, got, expected in cases:
        assert isinstance(got, Tensor), f"{name} should return a Tensor, got {type(got).__name__}"
        assert got.shape == expected.shape, f"{name}: expected shape {expected.shape}, got {got.shape}"
        assert np.allclose(got.data, expected), f"{name}: expected\n{expected}\ngot\n{got.data}"
    assert (Tensor(np.ones(3, dtype=np.float32)) * 0.5).dtype == np.float32, "float32 * 0.5 should stay float32"

test_tensor_mul()

# %% [markdown]
# Division is true division: dividing integers gives floats, as `/` does in Python and numpy. Write `_truediv`
# and `_rtruediv` (for `1 / t`, in that order).

# %% nbgrader={"grade": false, "grade_id": "tensor-truediv", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _truediv(self, other):
    """`Tensor.__truediv__`: self / other, element-wise with broadcasting (true division: ints give floats)."""
    ### BEGIN SOLUTION
    return Tensor(self.data / _as_array(other))
    ### END SOLUTION


def _rtruediv(self, other):
    """`Tensor.__rtruediv__`: other / self (note the order)."""
    ### BEGIN SOLUTION
    return Tensor(_as_array(other) / self.data)
    ### END SOLUTION


Tensor.__truediv__ = _truediv
Tensor.__rtruediv__ = _rtruediv

# %% nbgrader={"grade": true, "grade_id": "test-tensor-truediv", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_truediv():
    """/ matches numpy, broadcasts, divides ints into floats and keeps float32."""
    rng = np.random.default_rng(3)
    a_np, b_np = rng.normal(size=(3, 1)), rng.normal(size=(1, 4))
    a, b = Tensor(a_np), Tensor(b_np)
    cases = [
        ("a / b", a / b, a_np / b_np),
        ("a / 4", a / 4, a_np / 4),
        ("1 / b (the reflected operator: other / self)", 1 / b, 1 / b_np),
    ]
    for name, got, expected in cases:
        assert isinstance(got, Tensor), f"{name} should return a Tensor, got {type(got).__name__}"
        assert got.shape == expected.shape, f"{name}: expected shape {expected.shape}, got {got.shape}"
        assert np.allclose(got.data, expected), f"{name}: expected\n{expected}\ngot\n{got.data}"
    assert (Tensor(np.ones(3, dtype=np.float32)) / 3).dtype == np.float32, "float32 / 3 should stay float32"
    ### BEGIN HIDDEN TESTS
    assert (Tensor([1, 2]) / 2).dtype == np.float64, "true division of ints gives floats"
    ### END HIDDEN TESTS

test_tensor_truediv()

# %% [markdown]
# Powers: `t ** 2` squares every element, and `2 ** t` (`_rpow`) raises 2 to each. Write `_pow` and `_rpow`.

# %% nbgrader={"grade": false, "grade_id": "tensor-pow", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _pow(self, exponent):
    """`Tensor.__pow__`: self ** exponent, element-wise with broadcasting."""
    ### BEGIN SOLUTION
    return Tensor(self.data ** _as_array(exponent))
    ### END SOLUTION


def _rpow(self, base):
    """`Tensor.__rpow__`: base ** self."""
    ### BEGIN SOLUTION
    return Tensor(_as_array(base) ** self.data)
    ### END SOLUTION


Tensor.__pow__ = _pow
Tensor.__rpow__ = _rpow

# %% nbgrader={"grade": true, "grade_id": "test-tensor-pow", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_tensor_pow():
    """** matches numpy for a number exponent and for a Tensor of exponents, and keeps float32."""
    a_np = np.array([[1.0, 2.0, 3.0]])
    a = Tensor(a_np)
    cases = [
        ("a ** 2", a ** 2, a_np ** 2),
        ("a ** a", a ** a, a_np ** a_np),
        ("2 ** a (the reflected operator: base ** self)", 2 ** a, 2 ** a_np),
    ]
    for name, got, expected in cases:
        assert isinstance(got, Tensor), f"{name} should return a Tensor, got {type(got).__name__}"
        assert np.allclose(got.data, expected), f"{name}: expected {expected}, got {got.data}"
    assert (Tensor(np.ones(3, dtype=np.float32)) ** 2).dtype == np.float32, "float32 ** 2 should stay float32"

test_tensor_pow()

# %% [markdown]
# The matrix product `a @ b` follows numpy's rules: two matrices give a matrix, a matrix times a vector gives a
# vector, and extra leading axes are batches. Write `_matmul` and `_rmatmul` (for `ndarray @ t`, in that order).

# %% nbgrader={"grade": false, "grade_id": "tensor-matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _matmul(self, other):
    """`Tensor.__matmul__`: self @ other, the matrix product, with numpy's rules for 1-D and batched operands."""
    ### BEGIN SOLUTION
    return Tensor(self.data @ _as_array(other))
    ### END SOLUTION


def _rmatmul(self, other):
    """`Tensor.__rmatmul__`: other @ self (note the order)."""
    ### BEGIN SOLUTION
    return Tensor(_as_array(other) @ self.data)
    ### END SOLUTION


Tensor.__matmul__ = _matmul
Tensor.__rmatmul__ = _rmatmul

# %% nbgrader={"grade": true, "grade_id": "test-tensor-matmul", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_tensor_matmul():
    """@ is numpy's matrix product, for matrices and matrix-vector products."""
    rng = np.random.default_rng(1)
    a_np, b_np, v_np = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=3)
    product = Tensor(a_np) @ Tensor(b_np)
    assert isinstance(product, Tensor), f"@ should return a Tensor, got {type(product).__name__}"
    assert product.shape == (2, 4), f"(2, 3) @ (3, 4): expected shape (2, 4), got {product.shape}"
    assert np.allclose(product.data, a_np @ b_np), f"expected\n{a_np @ b_np}\ngot\n{product.data}"
    vector = Tensor(a_np) @ Tensor(v_np)
    assert vector.shape == (2,), f"(2, 3) @ (3,): expected shape (2,), got {vector.shape}"
    assert np.allclose((a_np @ Tensor(b_np)).data, a_np @ b_np), "the reflected operator: ndarray @ Tensor is other @ self"
    assert np.allclose((Tensor([[1.0, 2.0]]) @ Tensor([[3.0], [4.0]])).data, [[11.0]])

test_tensor_matmul()

# %% [markdown]
# ## Step 3: reductions
#
# A reduction combines elements: over all of them (`axis=None`), along one axis (`axis=1`) or several
# (`axis=(0, 2)`). With `keepdims=True` the reduced axes stay in the shape with length 1, which keeps the result
# broadcastable against the input: `x - x.max(axis=1, keepdims=True)` subtracts each row's maximum. numpy's
# reductions take the same two arguments. Write `_sum`.

# %% nbgrader={"grade": false, "grade_id": "tensor-sum", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _sum(self, axis=None, keepdims=False):
    """`Tensor.sum`: the sum over `axis` (None: all elements; an int or a tuple of ints), as a Tensor.

    With keepdims=True the reduced axes stay in the shape with length 1.
    """
    ### BEGIN SOLUTION
    return Tensor(self.data.sum(axis=axis, keepdims=keepdims))
    ### END SOLUTION


Tensor.sum = _sum

# %% nbgrader={"grade": true, "grade_id": "test-tensor-sum", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_sum():
    """sum reduces over all elements, one axis or several, with or without keepdims."""
    x_np = np.random.default_rng(4).normal(size=(2, 3, 4))
    x = Tensor(x_np)
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            got, expected = x.sum(axis=axis, keepdims=keepdims), x_np.sum(axis=axis, keepdims=keepdims)
            call = f"sum(axis={axis}, keepdims={keepdims})"
            assert isinstance(got, Tensor), f"{call} should return a Tensor, got {type(got).__name__}"
            assert got.shape == np.shape(expected), f"{call}: expected shape {np.shape(expected)}, got {got.shape}"
            assert np.allclose(got.data, expected), f"{call}: expected {expected}, got {got.data}"
    total = Tensor([1.0, 2.0, 3.0]).sum()
    assert total.item() == 6.0, f"sum of [1, 2, 3]: expected 6.0, got {total.item()}"

test_tensor_sum()

# %% [markdown]
# The mean takes the same arguments. Write `_mean`.

# %% nbgrader={"grade": false, "grade_id": "tensor-mean", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _mean(self, axis=None, keepdims=False):
    """`Tensor.mean`: the mean over `axis`, like `sum`."""
    ### BEGIN SOLUTION
    return Tensor(self.data.mean(axis=axis, keepdims=keepdims))
    ### END SOLUTION


Tensor.mean = _mean

# %% nbgrader={"grade": true, "grade_id": "test-tensor-mean", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_tensor_mean():
    """mean reduces like numpy's, with or without keepdims."""
    x_np = np.random.default_rng(5).normal(size=(2, 3, 4))
    x = Tensor(x_np)
    for axis in (None, 1, (0, 2)):
        for keepdims in (False, True):
            got, expected = x.mean(axis=axis, keepdims=keepdims), x_np.mean(axis=axis, keepdims=keepdims)
            call = f"mean(axis={axis}, keepdims={keepdims})"
            assert isinstance(got, Tensor), f"{call} should return a Tensor, got {type(got).__name__}"
            assert got.shape == np.shape(expected), f"{call}: expected shape {np.shape(expected)}, got {got.shape}"
            assert np.allclose(got.data, expected), f"{call}: expected {expected}, got {got.data}"
    ### BEGIN HIDDEN TESTS
    assert Tensor(np.ones(3, dtype=np.float32)).mean().dtype == np.float32, "mean should keep float32"
    ### END HIDDEN TESTS

test_tensor_mean()

# %% [markdown]
# And the largest element. (`min`, in the class, is the same with numpy's `min`.) Write `_max`.

# %% nbgrader={"grade": false, "grade_id": "tensor-max", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _max(self, axis=None, keepdims=False):
    """`Tensor.max`: the largest element over `axis`, like `sum`."""
    ### BEGIN SOLUTION
    return Tensor(self.data.max(axis=axis, keepdims=keepdims))
    ### END SOLUTION


Tensor.max = _max

# %% nbgrader={"grade": true, "grade_id": "test-tensor-max", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_tensor_max():
    """max reduces like numpy's, with or without keepdims."""
    x_np = np.random.default_rng(6).normal(size=(2, 3, 4))
    x = Tensor(x_np)
    for axis in (None, 0, -1, (1, 2)):
        for keepdims in (False, True):
            got, expected = x.max(axis=axis, keepdims=keepdims), x_np.max(axis=axis, keepdims=keepdims)
            call = f"max(axis={axis}, keepdims={keepdims})"
            assert isinstance(got, Tensor), f"{call} should return a Tensor, got {type(got).__name__}"
            assert got.shape == np.shape(expected), f"{call}: expected shape {np.shape(expected)}, got {got.shape}"
            assert np.allclose(got.data, expected), f"{call}: expected {expected}, got {got.data}"

test_tensor_max()

# %% [markdown]
# ## Step 4: shape
#
# `reshape` lays the same elements out in a new shape, in numpy's (row-major) order; one size may be `-1`,
# meaning "whatever is left". Like numpy, accept the shape both as separate numbers, `t.reshape(2, 3)`, and as
# one tuple, `t.reshape((2, 3))`. Write `_reshape`.

# %% nbgrader={"grade": false, "grade_id": "tensor-reshape", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _reshape(self, *shape):
    """`Tensor.reshape`: the same elements in a new shape.

    Takes `t.reshape(2, 3)` or `t.reshape((2, 3))`; one size may be -1.
    """
    ### BEGIN SOLUTION
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(self.data.reshape(shape))
    ### END SOLUTION


Tensor.reshape = _reshape

# %% nbgrader={"grade": true, "grade_id": "test-tensor-reshape", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_reshape():
    """reshape takes separate sizes or a tuple, allows one -1, and keeps numpy's element order."""
    x_np = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(x_np)
    assert isinstance(x.reshape(6, 4), Tensor), f"reshape should return a Tensor, got {type(x.reshape(6, 4)).__name__}"
    assert x.reshape(6, 4).shape == (6, 4), f"reshape(6, 4): expected (6, 4), got {x.reshape(6, 4).shape}"
    assert x.reshape((4, -1)).shape == (4, 6), f"reshape((4, -1)): expected (4, 6), got {x.reshape((4, -1)).shape}"
    assert np.array_equal(x.reshape(-1).data, x_np.reshape(-1)), "reshape(-1) should flatten in numpy's order"

test_tensor_reshape()

# %% [markdown]
# `transpose` permutes the axes: with no argument it reverses them (so a matrix is transposed, and `.T`, in the
# class, calls it that way); otherwise it takes the new order of the axes, as separate numbers or one tuple.
# Write `_transpose`.

# %% nbgrader={"grade": false, "grade_id": "tensor-transpose", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _transpose(self, *axes):
    """`Tensor.transpose`: permute the axes.

    No argument reverses them; otherwise `t.transpose(1, 0, 2)` or `t.transpose((1, 0, 2))`.
    """
    ### BEGIN SOLUTION
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Tensor(self.data.transpose(axes or None))
    ### END SOLUTION


Tensor.transpose = _transpose

# %% nbgrader={"grade": true, "grade_id": "test-tensor-transpose", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_tensor_transpose():
    """transpose with no argument reverses the axes (as .T does); with axes it permutes them like numpy."""
    x_np = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(x_np)
    assert x.transpose().shape == (4, 3, 2), f"transpose(): expected shape (4, 3, 2), got {x.transpose().shape}"
    assert x.T.shape == (4, 3, 2), f".T should reverse the axes: expected (4, 3, 2), got {x.T.shape}"
    assert np.array_equal(x.transpose(1, 0, 2).data, x_np.transpose(1, 0, 2)), "transpose(1, 0, 2) differs from numpy"
    assert np.array_equal(x.transpose((2, 0, 1)).data, x_np.transpose(2, 0, 1)), "transpose((2, 0, 1)) differs from numpy"

test_tensor_transpose()

# %% [markdown]
# ## Broadcasting, seen once
#
# A column of 3 numbers plus a row of 4 numbers makes a 3×4 table: every pairwise sum. Neither operand is
# copied to 3×4 first; numpy reads the size-1 axes with stride 0, so the same number is reused along them.

# %%
import matplotlib.pyplot as plt

column = Tensor([[0.0], [10.0], [20.0]])
row = Tensor([[1.0, 2.0, 3.0, 4.0]])
table = column + row

fig, axes = plt.subplots(1, 3, figsize=(8, 2.6), gridspec_kw={"width_ratios": [1, 4, 4]})
for ax, (title, t) in zip(axes, [("column (3, 1)", column), ("row (1, 4)", row), ("column + row (3, 4)", table)]):
    ax.imshow(t.data, cmap="Blues", vmin=-10, vmax=30)
    for (i, j), value in np.ndenumerate(t.data):
        ax.text(j, i, f"{value:g}", ha="center", va="center")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# ## Question: what broadcasting hides
#
# In `c = a + b` with `a` of shape `(3, 1)` and `b` of shape `(1, 4)`, each element of `a` is used in four
# elements of `c`. Suppose you know, for every element of `c`, how much a loss would change if that element
# changed (an array of shape `(3, 4)`). How do you get the same information for `a`, and what shape must it
# have? Why would simply keeping the `(3, 4)` array be wrong for a weight that an optimizer updates?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-broadcast-gradient", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Each `a[i, 0]` influences the four elements `c[i, 0..3]`, each with slope 1, so by the chain rule its effect
# on the loss is the sum of the four corresponding entries: sum the `(3, 4)` array over axis 1, keeping that
# axis, to get shape `(3, 1)`—the shape of `a`. (For `b` it is the sum over axis 0, giving `(1, 4)`.)
# Keeping the `(3, 4)` array is wrong because a gradient must have the parameter's shape: the update
# `a -= lr * grad` would either fail or silently broadcast `a` into a `(3, 4)` array, turning 3 parameters
# into 12 independent ones, and each would move by only one of its four contributions instead of their total.

# %% [markdown]
# ## What you built
#
# `Tensor` wraps an ndarray without copying it, keeps numpy's dtypes (so float32 stays float32 next to Python
# numbers), and offers broadcasting arithmetic, `@`, reductions and reshaping. It computes values only. In the
# next module, `Variable` wraps a `Tensor` and also records how each value was computed, so that gradients
# can flow back through the same operations.
