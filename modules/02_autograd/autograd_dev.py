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
# # Module 2: Automatic differentiation
#
# Training a network means nudging every weight in the direction that lowers the loss, so we need the
# derivative of the loss with respect to every weight. Writing those derivatives by hand for each new model is
# slow and error-prone. Automatic differentiation (autograd) computes them from the forward computation itself.
#
# In this module you write `Variable`: a value that remembers which operation produced it and from which
# inputs. When you call `loss.backward()`, the recorded operations run the chain rule backwards and every input
# that asked for it receives its gradient in `.grad`. This is the same design as PyTorch's autograd and as
# Andrej Karpathy's micrograd, for arrays instead of single numbers.
#
# ```python
# w = Variable([[0.5, -1.0]])
# x = Variable([[2.0], [3.0]], requires_grad=False)
# loss = ((w @ x) ** 2).sum()
# loss.backward()
# w.grad        # d loss / d w = 2 * (w @ x) * x.T = [[-8., -12.]]
# ```

# %% nbgrader={"grade": false, "grade_id": "autograd-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.autograd
#| export
import numpy as np

from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Computation graphs and the chain rule
#
# Every expression is a graph. In `e = (a * b) + a` the leaves are `a` and `b`, and each operation is a node
# pointing at its inputs (its *parents*):
#
# ```
#   a ──┬──► d = a * b ──┐
#   b ──┘                ├──► e = d + a
#   a ───────────────────┘
# ```
#
# The chain rule says how a small change flows through the graph. If we already know `∂e/∂d` (how `e` reacts
# to `d`), then `∂e/∂a` *through `d`* is `∂e/∂d · ∂d/∂a = ∂e/∂d · b`. Every operation only needs to know its
# own local derivative; it multiplies the gradient arriving from above by it and passes the result to its
# parents.
#
# Two details decide whether this is correct:
#
# - **Accumulation.** `a` reaches `e` along two paths, so its gradient is the *sum* of the two contributions:
#   `∂e/∂a = b + 1`. A parent must add (`+=`) what each child sends, never overwrite it.
# - **Order.** A node may pass its gradient on only after *all* its children have sent theirs. Sorting the
#   graph topologically (every node after its parents) and walking the list backwards guarantees that.
#
# For arrays, "the gradient of `x`" is an array of the same shape as `x`: entry `[i, j]` is how much the final
# scalar changes per unit change of `x[i, j]`.
#
# ## Broadcasting in reverse
#
# If `x` of shape `(3, 1)` was broadcast to `(3, 4)` in the forward pass, each `x[i, 0]` was used four times,
# so its gradient is the sum of the four gradient entries of its row. In general: sum the incoming gradient
# over the leading axes numpy added, then over every axis where `x` had size 1, keeping that axis.

# %% [markdown]
# ## Step 1: undoing broadcasting
#
# Write `unbroadcast`. The tests after it check it on its own, before anything else exists.

# %% nbgrader={"grade": false, "grade_id": "unbroadcast", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def unbroadcast(grad, shape):
    """Sum the ndarray `grad` down to `shape`, undoing numpy broadcasting.

    `grad` has the shape of an operation's output; `shape` is the shape one operand had before numpy broadcast
    it. Sum over the leading axes broadcasting added, then (with keepdims) over every axis where `shape` has
    size 1 but `grad` does not. Return `grad` itself when the shapes already agree.
    Example: a (2, 3, 4) gradient for an operand of shape (3, 1) becomes grad.sum(axis=0).sum(axis=1, keepdims=True).
    """
    ### BEGIN SOLUTION
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if added > 0:
        grad = grad.sum(axis=tuple(range(added)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-unbroadcast", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_unbroadcast():
    """unbroadcast sums over added leading axes and over stretched size-1 axes."""
    grad = np.arange(24.0).reshape(2, 3, 4)
    cases = [
        ((2, 3, 4), grad),
        ((3, 4), grad.sum(axis=0)),
        ((4,), grad.sum(axis=(0, 1))),
        ((3, 1), grad.sum(axis=0).sum(axis=1, keepdims=True)),
        ((1, 3, 1), grad.sum(axis=(0, 2), keepdims=True)),
        ((), grad.sum()),
    ]
    for shape, expected in cases:
        got = unbroadcast(grad, shape)
        assert np.shape(got) == shape, f"unbroadcast to {shape}: expected shape {shape}, got {np.shape(got)}"
        assert np.allclose(got, expected), f"unbroadcast to {shape}: expected\n{expected}\ngot\n{got}"

test_unbroadcast()

# %% [markdown]
# ## Step 2: topological order
#
# `topological_order(root)` lists every node the root depends on, each one after all of its parents, ending
# with the root. A node's parents are in `node._parents` (a tuple). Use an explicit stack, not recursion: a
# recurrent network unrolled over many steps easily makes graphs thousands of nodes deep, deeper than Python's
# recursion limit (about 1000).
#
# The classic iterative depth-first search pushes each node twice: the first time it is popped, push it back
# marked "expanded" and then push its unvisited parents; the second time, all its parents are already listed,
# so append it.

# %% nbgrader={"grade": false, "grade_id": "topological-order", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def topological_order(root):
    """Every node reachable from `root` through `_parents`, each after all its parents, `root` last.

    Each node appears exactly once, even when several paths lead to it. No recursion.
    """
    ### BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents if parent not in visited)
    return order
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-topological-order", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_topological_order():
    """Parents come before children, shared nodes appear once, and deep chains need no recursion."""

    class Node:
        def __init__(self, name, *parents):
            self.name, self._parents = name, parents

    a = Node("a")
    b = Node("b")
    d = Node("d", a, b)
    e = Node("e", d, a)
    order = topological_order(e)
    names = [node.name for node in order]
    assert sorted(names) == ["a", "b", "d", "e"], f"expected each of a, b, d, e once, got {names}"
    assert names[-1] == "e", f"the root should come last, got {names}"
    assert names.index("a") < names.index("d") and names.index("b") < names.index("d"), (
        f"d must come after its parents a and b, got {names}"
    )

    node = Node(0)
    for step in range(1, 5000):
        node = Node(step, node)
    try:
        chain = [n.name for n in topological_order(node)]
    except RecursionError:
        raise AssertionError("a deep graph: a 5000-node chain hit the recursion limit (use a stack)") from None
    assert chain == list(range(5000)), "a deep graph: a 5000-node chain should come out in order, oldest first"

test_topological_order()

# %% [markdown]
# ## Step 3: the Variable
#
# A `Variable` holds:
#
# - `data`: a `Tensor` with the value (so `v.data.data` is the ndarray). Integer or bool input becomes
#   float64, because only floating-point values have gradients; float32 stays float32.
# - `requires_grad`: whether gradients should flow to it. Inputs and targets usually say `False`.
# - `grad`: `None` until `backward()` reaches it, then a `Variable` (with `requires_grad=False`) of the same
#   shape and dtype.
# - `_parents` and `_backward`: for the output of an operation, the inputs that need gradients and a closure
#   that sends gradients to them. A *leaf*, created by you rather than by an operation, has neither.
#
# The class below is given except for `__init__`. It already holds the operations that are one line on top of
# others: `a - b` is `a + (-b)`, `a / b` is `a * b ** -1`, `mean` is `sum` divided by a count, and the reflected
# operators (`2 * v`) turn the number into a constant Variable with `_lift` and use the ordinary ones. Their
# gradients come for free once the primitive operations exist.
#
# The engine and the primitive operations come after the class, one per cell, as in module 01: each cell
# defines a function and attaches it to the class (`Variable.__add__ = _add`), and a test follows it.

# %% nbgrader={"grade": false, "grade_id": "variable-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _lift(value, like):
    """`value` as a Variable: Variables pass through; numbers, lists, ndarrays and Tensors become constants.

    A number (Python or numpy scalar) takes the dtype of `like`, so a float32 Variable times 0.5 stays float32.
    """
    if isinstance(value, Variable):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = np.asarray(value, dtype=like.dtype)
    return Variable(value, requires_grad=False)


def _index_array(index):
    """An index with any Tensor inside replaced by its ndarray."""
    if isinstance(index, tuple):
        return tuple(_index_array(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    return index


class Variable:
    """A value in a computation graph that can send gradients back to the values it was computed from.

    The backward pass and the primitive operations are attached after the class, one per cell.
    """

    # numpy defers to our reflected operators, so `ndarray * Variable` calls Variable.__rmul__.
    __array_ufunc__ = None

    def __init__(self, value, requires_grad=True):
        """A leaf holding `value` (a number, list, ndarray, Tensor or Variable) as `self.data`, a Tensor.

        Integer and bool data become float64; floating data keeps its dtype. An ndarray or Tensor of floats
        is not copied. `grad` starts as None, `_parents` as (), `_backward` as None, and `_pending_grad`
        (the gradient collected for this node during a backward pass) as None.
        """
        ### BEGIN SOLUTION
        if isinstance(value, Variable):
            value = value.data
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
        self.data = Tensor(array)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._parents = ()
        self._backward = None
        self._pending_grad = None
        ### END SOLUTION

    @staticmethod
    def _from_op(array, inputs, backward):
        """The output of an operation: records `backward` and the inputs that require gradients, if any."""
        parents = tuple(v for v in inputs if v.requires_grad)
        out = Variable(array, requires_grad=bool(parents))
        if parents:
            out._parents = parents
            out._backward = backward
        return out

    # Properties.

    @property
    def shape(self):
        return self.data.data.shape

    @property
    def dtype(self):
        return self.data.data.dtype

    @property
    def size(self):
        return self.data.data.size

    @property
    def ndim(self):
        return self.data.data.ndim

    @property
    def is_leaf(self):
        """True for Variables you create; False for outputs of operations that track gradients."""
        return self._backward is None

    def item(self):
        return self.data.data.item()

    def numpy(self):
        """The value as an ndarray (shared, not copied)."""
        return self.data.data

    def __len__(self):
        return len(self.data.data)

    def __repr__(self):
        body = np.array2string(self.data.data, separator=", ", prefix="Variable(")
        return f"Variable({body}, requires_grad={self.requires_grad})"

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def detach(self):
        """A new leaf with the same data (shared, not copied) that does not require gradients."""
        return Variable(self.data, requires_grad=False)

    # Operations written with others. `other` may be a Variable, a number, a list, an ndarray or a Tensor.

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_lift(other, self))

    def __truediv__(self, other):
        return self * _lift(other, self) ** -1.0

    def __radd__(self, other):
        return _lift(other, self) + self

    def __rsub__(self, other):
        return _lift(other, self) - self

    def __rmul__(self, other):
        return _lift(other, self) * self

    def __rtruediv__(self, other):
        return _lift(other, self) / self

    def __rpow__(self, base):
        return _lift(base, self) ** self

    def __rmatmul__(self, other):
        return _lift(other, self) @ self

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`: the sum divided by the number of elements summed."""
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.size / self.size)

    def min(self, axis=None, keepdims=False):
        """Smallest element over `axis`."""
        return -((-self).max(axis=axis, keepdims=keepdims))

    def sqrt(self):
        return self ** 0.5

    @property
    def T(self):
        return self.transpose()


# %% nbgrader={"grade": true, "grade_id": "test-variable-creation", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_variable_creation():
    """A Variable wraps its value in a Tensor, makes integers float64, keeps float32, and starts without a gradient."""
    v = Variable([[1, 2, 3]])
    assert isinstance(v.data, Tensor), f"v.data should be a Tensor, got {type(v.data).__name__}"
    assert v.dtype == np.float64, f"integer data should become float64, got {v.dtype}"
    assert v.shape == (1, 3), f"shape: expected (1, 3), got {v.shape}"
    assert v.requires_grad is True and v.grad is None, "a new Variable requires grad and has grad None"
    assert v._parents == () and v._backward is None, "a new Variable is a leaf: no _parents, no _backward"
    array = np.ones(2, dtype=np.float32)
    w = Variable(array, requires_grad=False)
    assert w.data.data is array, "a float ndarray should be stored without copying"
    assert w.dtype == np.float32 and w.requires_grad is False, "float32 stays float32 (and requires_grad=False is kept)"

test_variable_creation()

# %% [markdown]
# ## Step 4: the backward pass
#
# Every operation follows one recipe:
#
# 1. compute the output array with numpy;
# 2. define `backward(grad)`, which receives the gradient of the output (an ndarray of the output's shape)
#    and calls `parent._accumulate(local_gradient)` for each parent;
# 3. return `Variable._from_op(output, parents, backward)`, which records the parents and closure only if
#    some parent requires gradients.
#
# `_accumulate` does the bookkeeping once for all operations: it ignores parents that do not require
# gradients, undoes broadcasting, and adds to what other children already sent. Write it first.

# %% nbgrader={"grade": false, "grade_id": "variable-accumulate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _accumulate(self, grad):
    """`Variable._accumulate`: add `grad` to the gradient collected for this node during a backward pass.

    `grad` is an ndarray of the operation output's shape. Do nothing if this Variable does not require
    gradients. Undo broadcasting with `unbroadcast`, then add to `self._pending_grad` (out of place: the
    incoming array may be shared with other nodes).
    """
    ### BEGIN SOLUTION
    if not self.requires_grad:
        return
    grad = unbroadcast(grad, self.shape)
    if self._pending_grad is None:
        self._pending_grad = grad
    else:
        self._pending_grad = self._pending_grad + grad
    ### END SOLUTION


Variable._accumulate = _accumulate

# %% nbgrader={"grade": true, "grade_id": "test-accumulate", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_accumulate():
    """_accumulate sums broadcast gradients down to the node's shape, adds what arrives, and skips constants."""
    v = Variable(np.zeros((3, 1)))
    incoming = np.ones((3, 4))
    v._accumulate(incoming)
    assert v._pending_grad is not None, "_accumulate should store the gradient in _pending_grad"
    assert np.shape(v._pending_grad) == (3, 1), f"broadcasting: a (3, 1) node fed a (3, 4) gradient: expected a pending gradient of shape (3, 1), got {np.shape(v._pending_grad)}"
    assert np.allclose(v._pending_grad, 4.0), f"broadcasting: four columns of ones summed: expected 4, got {v._pending_grad.ravel()}"
    v._accumulate(incoming)
    assert np.allclose(v._pending_grad, 8.0), f"several paths: a second contribution adds to the first: expected 8, got {v._pending_grad.ravel()}"
    assert np.all(incoming == 1.0), "_accumulate must not change the array it is given"
    constant = Variable(np.zeros(2), requires_grad=False)
    constant._accumulate(np.ones(2))
    assert constant._pending_grad is None, "a Variable with requires_grad=False collects nothing"

test_accumulate()

# %% [markdown]
# `backward()` seeds the output's gradient (ones, for a single-element loss), walks the topological order
# backwards calling each node's closure, and adds what arrives at a leaf into its `.grad`. Gradients of
# intermediate nodes are dropped as soon as they have been passed on, as in PyTorch, so memory holds only the
# leaves' gradients. Leaves *accumulate*: a second `backward()` adds to `.grad` until `zero_grad()` resets it.
#
# No operation exists yet, so the test builds its graph by hand with `Variable._from_op`: a node that doubles
# its parent sends `2 * grad` back to it.

# %% nbgrader={"grade": false, "grade_id": "variable-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _backward_pass(self, gradient=None):
    """`Variable.backward`: compute gradients of this Variable with respect to every leaf that requires them.

    `gradient` is d(final)/d(self), of self's shape; None means ones and is allowed only when self has
    a single element (a loss). Walk `topological_order(self)` backwards: each node's pending gradient goes
    to its `_backward` closure, or for a leaf is added into `.grad` (a Variable of the leaf's dtype,
    created on the first call with a copy, then accumulated in place). Pending gradients are cleared.
    """
    ### BEGIN SOLUTION
    if not self.requires_grad:
        raise RuntimeError("backward() on a Variable that does not require gradients")
    if gradient is None:
        if self.size != 1:
            raise RuntimeError(f"backward() without a gradient needs a single-element output, got shape {self.shape}")
        gradient = np.ones_like(self.data.data)
    else:
        if isinstance(gradient, Variable):
            gradient = gradient.data
        gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
        if gradient.shape != self.shape:
            raise ValueError(f"gradient has shape {gradient.shape}, expected {self.shape}")
    order = topological_order(self)
    self._pending_grad = gradient
    try:
        for node in reversed(order):
            grad, node._pending_grad = node._pending_grad, None
            if grad is None:
                continue
            if node._backward is not None:
                node._backward(grad)
            elif node.grad is None:
                node.grad = Variable(grad.astype(node.dtype), requires_grad=False)
            else:
                node.grad.data.data += grad
    finally:
        for node in order:
            node._pending_grad = None
    ### END SOLUTION


Variable.backward = _backward_pass

# %% nbgrader={"grade": true, "grade_id": "test-backward", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_backward():
    """backward runs every closure once, sums paths, fills leaves' .grad, accumulates across calls, goes deep."""

    def scaled(parent, factor):
        """A hand-made operation: parent * factor, sending grad * factor back."""
        return Variable._from_op(parent.data.data * factor, (parent,), lambda grad: parent._accumulate(grad * factor))

    x = Variable([1.0, 2.0])
    scaled(x, 3.0).backward(np.array([1.0, 10.0]))
    assert x.grad is not None, "backward() should set .grad on the leaf"
    assert isinstance(x.grad, Variable), f"x.grad should be a Variable, got {type(x.grad).__name__}"
    assert np.allclose(x.grad.data.data, [3.0, 30.0]), f"d(3x) with gradient [1, 10]: expected [3, 30], got {x.grad.data.data}"

    a = Variable(1.5)
    double = scaled(a, 2.0)
    both = Variable._from_op(double.data.data + a.data.data, (double, a),
                             lambda grad: (double._accumulate(grad), a._accumulate(grad)))
    both.backward()
    assert np.isclose(a.grad.item(), 3.0), f"several paths: a reaches 2a + a along two paths: expected 2 + 1 = 3, got {a.grad.item()}"
    both.backward()
    assert np.isclose(a.grad.item(), 6.0), f"accumulation across backward calls: a second backward() adds to .grad: expected 6, got {a.grad.item()}"
    a.zero_grad()

    node = a
    for _ in range(3000):
        node = scaled(node, 1.0)
    try:
        node.backward()
    except RecursionError:
        raise AssertionError("a deep graph: backward() on a 3000-step chain hit the recursion limit") from None
    assert np.isclose(a.grad.item(), 1.0), f"a deep graph: a 3000-step chain: expected gradient 1, got {a.grad.item()}"
    assert node._pending_grad is None, "pending gradients should be cleared after backward()"
    try:
        scaled(x, 2.0).backward()  # two elements and no gradient given
    except RuntimeError:
        pass
    else:
        raise AssertionError("backward() without a gradient on a 2-element output should raise RuntimeError")
    ### BEGIN HIDDEN TESTS
    p = Variable(np.ones(3, dtype=np.float32))
    scaled(p, np.float32(0.5)).backward(np.ones(3, dtype=np.float32))
    assert p.grad.dtype == np.float32, f"a float32 parameter gets a float32 gradient, got {p.grad.dtype}"
    ### END HIDDEN TESTS

test_backward()

# %% [markdown]
# ## Step 5: the operations
#
# Now each operation, with its local derivative. With `grad` the gradient arriving at the output `out`:
#
# | operation | sends to its inputs |
# | --- | --- |
# | `a.sum(axis)` | `grad`, broadcast back over the summed axes |
# | `a + b` | `grad` to both |
# | `a * b` | `grad * b` to `a`, `grad * a` to `b` |
# | `a ** p` | `grad * p * a ** (p - 1)` to `a`; `grad * out * log(a)` to `p` |
# | `A @ B` | `grad @ B.T` to `A`, `A.T @ grad` to `B` |
# | `a.max(axis)` | `grad` to the elements equal to the maximum (split evenly between ties) |
# | `a.exp()`, `a.log()` | `grad * out`, `grad / a` |
# | `a.relu()` | `grad * (a > 0)` |
# | `a.sigmoid()`, `a.tanh()` | `grad * out * (1 - out)`, `grad * (1 - out ** 2)` |
# | `a.reshape(...)`, `a.transpose(axes)` | `grad` reshaped back, or transposed by the inverse permutation |
# | `a[index]` | zeros of `a`'s shape with `grad` added at `index` |

# %% [markdown]
# Multiplication is the worked example of the recipe, given in full (you do not write it). Each operand receives
# the gradient times the *other* operand, and `_accumulate` sums it down to the operand's shape when
# broadcasting stretched one of them. `_lift` turns a number or an ndarray into a constant `Variable`; a number
# takes the dtype of the Variable it meets, so a float32 Variable times `0.5` stays float32, as in numpy. Every
# operation you write below has the same three parts.

# %% nbgrader={"grade": false, "grade_id": "variable-mul", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _mul(self, other):
    """`Variable.__mul__`: self * other, with broadcasting."""
    other = _lift(other, self)
    a, b = self.data.data, other.data.data  # 1. the forward pass, with numpy

    def backward(grad):  # 2. the local derivatives, times the gradient arriving at the output
        self._accumulate(grad * b)   # d(a*b)/da = b
        other._accumulate(grad * a)  # d(a*b)/db = a

    return Variable._from_op(a * b, (self, other), backward)  # 3. the output, recording parents and closure


Variable.__mul__ = _mul

# %% [markdown]
# Now write your own, starting with `sum`, which turns any Variable into a single number you can call
# `backward()` on. The gradient arriving at the sum has the sum's shape; every element that was summed receives
# it. With `keepdims=False` the summed axes are gone from `grad`, so put them back (`np.expand_dims`) before
# broadcasting to `a`'s shape. Write `_sum`.

# %% nbgrader={"grade": false, "grade_id": "variable-sum", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _sum(self, axis=None, keepdims=False):
    """`Variable.sum`: sum over `axis` (None, an int or a tuple). Backward: every summed element gets the output's gradient."""
    ### BEGIN SOLUTION
    a = self.data.data

    def backward(grad):
        if axis is not None and not keepdims:
            grad = np.expand_dims(grad, axis)
        self._accumulate(np.broadcast_to(grad, a.shape))

    return Variable._from_op(a.sum(axis=axis, keepdims=keepdims), (self,), backward)
    ### END SOLUTION


Variable.sum = _sum

# %% nbgrader={"grade": true, "grade_id": "test-sum-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_sum_backward():
    """sum spreads the gradient to every summed element."""
    x = Variable(np.arange(6.0).reshape(2, 3))
    total = x.sum()
    assert np.isclose(total.item(), 15.0), f"sum of 0..5: expected 15, got {total.item()}"
    total.backward()
    assert np.allclose(x.grad.data.data, 1.0), f"d sum / dx: expected all ones, got\n{x.grad.data.data}"

    x.zero_grad()
    x.sum(axis=0).backward(np.array([1.0, 2.0, 3.0]))
    assert np.allclose(x.grad.data.data, [[1, 2, 3], [1, 2, 3]]), f"sum(axis=0): each column gets its gradient, got\n{x.grad.data.data}"

test_sum_backward()

# %% [markdown]
# Addition sends the arriving gradient unchanged to both operands; `_accumulate` sums it down to each operand's
# shape when broadcasting stretched one of them. `_lift` turns the other operand into a constant `Variable` when
# it is a number or an ndarray. Write `_add`.

# %% nbgrader={"grade": false, "grade_id": "variable-add", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _add(self, other):
    """`Variable.__add__`: self + other, with broadcasting."""
    ### BEGIN SOLUTION
    other = _lift(other, self)

    def backward(grad):
        self._accumulate(grad)
        other._accumulate(grad)

    return Variable._from_op(self.data.data + other.data.data, (self, other), backward)
    ### END SOLUTION


Variable.__add__ = _add

# %% nbgrader={"grade": true, "grade_id": "test-add-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_add_backward():
    """a + b sends the gradient to both operands, summed back to their shapes when broadcast."""
    a, b = Variable(2.0), Variable(-3.0)
    e = a + b
    assert np.isclose(e.item(), -1.0), f"forward: expected 2 + -3 = -1, got {e.item()}"
    e.backward()
    assert np.isclose(a.grad.item(), 1.0) and np.isclose(b.grad.item(), 1.0), "d(a + b)/da = d(a + b)/db = 1"

    bias = Variable(np.zeros(4))
    (Variable(np.ones((5, 4)), requires_grad=False) + bias).sum().backward()
    assert bias.grad.shape == (4,), f"broadcasting: bias.grad shape: expected (4,), got {bias.grad.shape}"
    assert np.allclose(bias.grad.data.data, 5.0), f"broadcasting: a bias added to 5 rows: expected gradient 5, got {bias.grad.data.data}"
    ### BEGIN HIDDEN TESTS
    c = Variable(5.0, requires_grad=False)
    (a + c).backward()
    assert c.grad is None, "a Variable with requires_grad=False never receives a gradient"
    ### END HIDDEN TESTS

test_add_backward()

# %% [markdown]
# With `+` and the given `*`, a value can reach the output along several paths. In `e = a * b + a`, `a` sends
# its gradient through the product and through the sum, and `backward` must add the two: `de/da = b + 1`. The
# test below checks your `_accumulate` and `backward` on such graphs.

# %% nbgrader={"grade": true, "grade_id": "test-paths-add-up", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_paths_add_up():
    """e = a * b + a gives de/da = b + 1 (two paths, summed) and de/db = a."""
    a, b = Variable(2.0), Variable(-3.0)
    e = a * b + a
    assert np.isclose(e.item(), -4.0), f"forward: expected 2 * -3 + 2 = -4, got {e.item()}"
    e.backward()
    assert np.isclose(a.grad.item(), -2.0), f"several paths: de/da = b + 1 = -2, got {a.grad.item()}"
    assert np.isclose(b.grad.item(), 2.0), f"de/db = a = 2, got {b.grad.item()}"

    x = Variable([1.0, 2.0, 3.0])
    y = (x * x + x * 2.0 + 1.0).sum()  # dy/dx = 2x + 2
    y.backward()
    assert np.allclose(x.grad.data.data, [4.0, 6.0, 8.0]), f"several paths: d/dx sum(x*x + x*2 + 1): expected [4, 6, 8], got {x.grad.data.data}"

test_paths_add_up()

# %% [markdown]
# A power has two inputs: the base and the exponent. Usually the exponent is a number (a constant), and only
# the base needs its gradient; compute the exponent's (`out * log(a)`) only when it requires one, since `log` of
# a negative base is `nan`. Division is built on `** -1`, so it works as soon as this does.
#
# One corner, where torch is careful: at `a = 0` the formulas multiply `0` by an infinity. `a ** 0` is the
# constant 1, so its derivative is 0 everywhere, but `p * a ** (p - 1)` gives `0 * inf = nan` at `a = 0`; and
# for the exponent, `out * log(a)` gives `0 * -inf = nan` at `a = 0` when `p > 0` (where `a ** p` is flat in
# `p`). Give 0 in both cases (`np.where` picks per element; `np.errstate(divide="ignore", invalid="ignore")`
# silences numpy's warnings about the values you replace). Write `_pow`.

# %% nbgrader={"grade": false, "grade_id": "variable-pow", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _pow(self, exponent):
    """`Variable.__pow__`: self ** exponent, for a number or a Variable exponent.

    d/da a**p = p * a**(p-1), and 0 where p == 0 (also at a == 0, where the formula gives nan);
    d/dp a**p = a**p * log(a), and 0 where a == 0 and p >= 0 (only computed if the exponent requires grad).
    """
    ### BEGIN SOLUTION
    exponent = _lift(exponent, self)
    a, p = self.data.data, exponent.data.data
    out = a ** p

    def backward(grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            self._accumulate(grad * np.where(p == 0, 0, p * a ** (p - 1)))
            if exponent.requires_grad:
                exponent._accumulate(grad * np.where((a == 0) & (p >= 0), 0, out * np.log(a)))

    return Variable._from_op(out, (self, exponent), backward)
    ### END SOLUTION


Variable.__pow__ = _pow

# %% nbgrader={"grade": true, "grade_id": "test-pow-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_pow_backward():
    """Power and division (built on power) have the right gradients."""
    x = Variable([1.0, 2.0, 4.0])
    (x ** 3).sum().backward()
    assert np.allclose(x.grad.data.data, [3.0, 12.0, 48.0]), f"d x^3 = 3x^2: expected [3, 12, 48], got {x.grad.data.data}"

    x.zero_grad()
    (1.0 / x).sum().backward()
    assert np.allclose(x.grad.data.data, [-1.0, -0.25, -0.0625]), f"d (1/x) = -1/x^2, got {x.grad.data.data}"

    p = Variable(2.0)
    (Variable(3.0, requires_grad=False) ** p).backward()
    assert np.isclose(p.grad.item(), 9.0 * np.log(3.0)), f"d 3^p / dp = 3^p log 3 = {9 * np.log(3):.4f}, got {p.grad.item()}"

    zero = Variable([0.0, 2.0])
    (zero ** 0).sum().backward()
    assert np.array_equal(zero.grad.data.data, [0.0, 0.0]), f"d x^0 = 0, also at x = 0 (not nan), got {zero.grad.data.data}"

test_pow_backward()

# %% [markdown]
# The matrix product is easiest to remember by shapes: with `A` of shape `(n, k)`, `B` of `(k, m)` and `grad`
# of `(n, m)`, the only product of `grad` and `B` with `A`'s shape `(n, k)` is `grad @ B.T`. A vector operand
# is a matrix with one row (on the left) or one column (on the right), whose extra axis numpy drops from the
# output; view it as that matrix in the backward pass, and give the gradient back the vector's shape. Stacks of
# matrices broadcast their leading axes, which `unbroadcast` undoes. Write `_matmul`.

# %% nbgrader={"grade": false, "grade_id": "variable-matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _matmul(self, other):
    """`Variable.__matmul__`: self @ other, for 2-D matrices, vectors (1-D) and stacks of matrices.

    For 2-D: d/dA (A @ B) sends grad @ B.T to A and A.T @ grad to B. A 1-D operand acts as a
    row (left) or column (right) matrix whose extra axis is dropped afterwards. Batch axes broadcast.
    """
    ### BEGIN SOLUTION
    other = _lift(other, self)
    a, b = self.data.data, other.data.data

    def backward(grad):
        # View vectors as matrices so one formula covers every case.
        a2 = a if a.ndim > 1 else a[np.newaxis, :]
        b2 = b if b.ndim > 1 else b[:, np.newaxis]
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        if self.requires_grad:  # skip the product when nobody needs it (e.g. the input batch)
            self._accumulate(unbroadcast(grad @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape))
        if other.requires_grad:
            other._accumulate(unbroadcast(np.swapaxes(a2, -1, -2) @ grad, b2.shape).reshape(b.shape))

    return Variable._from_op(a @ b, (self, other), backward)
    ### END SOLUTION


Variable.__matmul__ = _matmul

# %% nbgrader={"grade": true, "grade_id": "test-matmul-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_matmul_backward():
    """The matrix product sends grad @ B.T to A and A.T @ grad to B."""
    A = Variable(np.arange(6.0).reshape(2, 3))
    B = Variable(np.arange(12.0).reshape(3, 4) / 10)
    G = np.arange(8.0).reshape(2, 4)  # the gradient arriving at A @ B
    (A @ B).backward(G)
    assert A.grad.shape == (2, 3) and B.grad.shape == (3, 4), "gradients must have the operands' shapes"
    assert np.allclose(A.grad.data.data, G @ B.data.data.T), f"dA should be G @ B.T, got\n{A.grad.data.data}"
    assert np.allclose(B.grad.data.data, A.data.data.T @ G), f"dB should be A.T @ G, got\n{B.grad.data.data}"
    ### BEGIN HIDDEN TESTS
    A.zero_grad()
    v = Variable([1.0, -1.0, 2.0])
    (A @ v).sum().backward()
    assert np.allclose(v.grad.data.data, A.data.data.sum(axis=0)), "matrix @ vector: dv = A.T @ ones"
    ### END HIDDEN TESTS

test_matmul_backward()

# %% [markdown]
# The maximum passes the gradient only to the elements that were the maximum; when several elements tie, they
# share it evenly (as torch does for `max` over all elements). Compute the maximum with `keepdims=True` so it
# broadcasts against `a`, and compare. Write `_max`.

# %% nbgrader={"grade": false, "grade_id": "variable-max", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _max(self, axis=None, keepdims=False):
    """`Variable.max`: largest element over `axis`. Backward: the gradient goes to the maximal elements, split evenly on ties."""
    ### BEGIN SOLUTION
    a = self.data.data
    peak = a.max(axis=axis, keepdims=True)

    def backward(grad):
        if not keepdims:
            grad = grad.reshape(peak.shape)
        winners = a == peak
        self._accumulate(winners * (grad / winners.sum(axis=axis, keepdims=True)))

    if keepdims:
        out = peak
    else:
        out = peak.reshape(()) if axis is None else np.squeeze(peak, axis=axis)
    return Variable._from_op(out, (self,), backward)
    ### END SOLUTION


Variable.max = _max

# %% nbgrader={"grade": true, "grade_id": "test-max-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_max_backward():
    """max sends the gradient to the maxima, split between ties, and keeps the axis with keepdims."""
    x = Variable(np.arange(6.0).reshape(2, 3))
    x.max(axis=1).sum().backward()
    assert np.allclose(x.grad.data.data, [[0, 0, 1], [0, 0, 1]]), f"max(axis=1): only the maxima get gradient, got\n{x.grad.data.data}"
    kept = x.max(axis=1, keepdims=True)
    assert kept.shape == (2, 1), f"max(axis=1, keepdims=True): expected shape (2, 1), got {kept.shape}"
    tie = Variable([1.0, 3.0, 3.0])
    tie.max().backward()
    assert np.allclose(tie.grad.data.data, [0.0, 0.5, 0.5]), f"max with ties: two tied maxima share the gradient: expected [0, 0.5, 0.5], got {tie.grad.data.data}"

test_max_backward()

# %% [markdown]
# Element-wise functions have one input and a local derivative per element. The exponential is its own
# derivative: keep the output and reuse it in the backward pass. Write `_exp`.

# %% nbgrader={"grade": false, "grade_id": "variable-exp", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _exp(self):
    """`Variable.exp`: e ** self. Its derivative is itself."""
    ### BEGIN SOLUTION
    out = np.exp(self.data.data)

    def backward(grad):
        self._accumulate(grad * out)

    return Variable._from_op(out, (self,), backward)
    ### END SOLUTION


Variable.exp = _exp

# %% nbgrader={"grade": true, "grade_id": "test-exp-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_exp_backward():
    """exp: values and gradient e ** x."""
    x = Variable([-2.0, 0.0, 1.5])
    out = x.exp()
    assert np.allclose(out.data.data, np.exp([-2.0, 0.0, 1.5])), f"exp: expected {np.exp([-2.0, 0.0, 1.5])}, got {out.data.data}"
    out.sum().backward()
    assert np.allclose(x.grad.data.data, np.exp([-2.0, 0.0, 1.5])), f"d exp(x) = exp(x), got {x.grad.data.data}"

test_exp_backward()

# %% [markdown]
# The natural logarithm: `d/da log(a) = 1 / a`. Write `_log`.

# %% nbgrader={"grade": false, "grade_id": "variable-log", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _log(self):
    """`Variable.log`: natural logarithm. d/da log(a) = 1 / a."""
    ### BEGIN SOLUTION
    a = self.data.data

    def backward(grad):
        self._accumulate(grad / a)

    return Variable._from_op(np.log(a), (self,), backward)
    ### END SOLUTION


Variable.log = _log

# %% nbgrader={"grade": true, "grade_id": "test-log-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_log_backward():
    """log: values and gradient 1 / x."""
    x = Variable([0.5, 1.0, 4.0])
    out = x.log()
    assert np.allclose(out.data.data, np.log([0.5, 1.0, 4.0])), f"log: expected {np.log([0.5, 1.0, 4.0])}, got {out.data.data}"
    out.sum().backward()
    assert np.allclose(x.grad.data.data, [2.0, 1.0, 0.25]), f"d log(x) = 1/x: expected [2, 1, 0.25], got {x.grad.data.data}"

test_log_backward()

# %% [markdown]
# ReLU keeps positive values and zeroes the rest; its derivative is 1 where the input was positive and 0
# elsewhere, including at 0 itself (torch's choice). Write `_relu`.

# %% nbgrader={"grade": false, "grade_id": "variable-relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _relu(self):
    """`Variable.relu`: max(self, 0) element-wise. The derivative is 1 where self > 0 and 0 elsewhere (0 at 0, as in torch)."""
    ### BEGIN SOLUTION
    a = self.data.data

    def backward(grad):
        self._accumulate(grad * (a > 0))

    return Variable._from_op(np.maximum(a, 0), (self,), backward)
    ### END SOLUTION


Variable.relu = _relu

# %% nbgrader={"grade": true, "grade_id": "test-relu-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_relu_backward():
    """relu: max(x, 0), gradient 1 for x > 0 and 0 elsewhere (also at 0)."""
    x = Variable([-2.0, 0.0, 0.3, 1.5])
    out = x.relu()
    assert np.allclose(out.data.data, [0.0, 0.0, 0.3, 1.5]), f"relu: expected [0, 0, 0.3, 1.5], got {out.data.data}"
    out.sum().backward()
    assert np.allclose(x.grad.data.data, [0.0, 0.0, 1.0, 1.0]), f"relu gradient (0 at x = 0, as in torch): expected [0, 0, 1, 1], got {x.grad.data.data}"

test_relu_backward()

# %% [markdown]
# The sigmoid `1 / (1 + e ** -a)` overflows for large negative `a` if written as it reads (`e ** 1000` is
# `inf`). Compute `e = exp(-|a|)`, which is at most 1, and use `1 / (1 + e)` where `a >= 0` and `e / (1 + e)`
# elsewhere: the same function, without overflow. Its derivative is `out * (1 - out)`. Write `_sigmoid`.

# %% nbgrader={"grade": false, "grade_id": "variable-sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _sigmoid(self):
    """`Variable.sigmoid`: 1 / (1 + e ** -self), computed without overflow. Its derivative is out * (1 - out)."""
    ### BEGIN SOLUTION
    a = self.data.data
    e = np.exp(-np.abs(a))  # never overflows
    out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(grad):
        self._accumulate(grad * out * (1 - out))

    return Variable._from_op(out, (self,), backward)
    ### END SOLUTION


Variable.sigmoid = _sigmoid

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_sigmoid_backward():
    """sigmoid: values, gradient against finite differences, and no overflow at +-1000."""
    points = np.array([-2.0, -0.5, 0.3, 1.5])
    x = Variable(points)
    out = x.sigmoid()
    assert np.allclose(out.data.data, 1 / (1 + np.exp(-points))), f"sigmoid: expected {1 / (1 + np.exp(-points))}, got {out.data.data}"
    out.sum().backward()
    h = 1e-6
    numeric = (Variable(points + h).sigmoid().data.data - Variable(points - h).sigmoid().data.data) / (2 * h)
    assert np.allclose(x.grad.data.data, numeric, atol=1e-6), f"sigmoid: expected gradient {numeric}, got {x.grad.data.data}"
    with np.errstate(over="raise"):
        big = Variable([-1000.0, 1000.0]).sigmoid()
    assert np.allclose(big.data.data, [0.0, 1.0]), f"sigmoid(-1000), sigmoid(1000): expected [0, 1], got {big.data.data}"

test_sigmoid_backward()

# %% [markdown]
# The hyperbolic tangent: numpy has it, and its derivative is `1 - out ** 2`. Write `_tanh`.

# %% nbgrader={"grade": false, "grade_id": "variable-tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _tanh(self):
    """`Variable.tanh`: hyperbolic tangent. Its derivative is 1 - out ** 2."""
    ### BEGIN SOLUTION
    out = np.tanh(self.data.data)

    def backward(grad):
        self._accumulate(grad * (1 - out * out))

    return Variable._from_op(out, (self,), backward)
    ### END SOLUTION


Variable.tanh = _tanh

# %% nbgrader={"grade": true, "grade_id": "test-tanh-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_tanh_backward():
    """tanh: values and gradient 1 - tanh(x) ** 2."""
    points = np.array([-2.0, 0.0, 0.3, 1.5])
    x = Variable(points)
    out = x.tanh()
    assert np.allclose(out.data.data, np.tanh(points)), f"tanh: expected {np.tanh(points)}, got {out.data.data}"
    out.sum().backward()
    expected = 1 - np.tanh(points) ** 2
    assert np.allclose(x.grad.data.data, expected), f"tanh gradient: expected {expected}, got {x.grad.data.data}"

test_tanh_backward()

# %% [markdown]
# Reshaping moves no numbers, so its backward pass only reshapes the gradient back to the input's shape.
# Accept the shape as separate sizes or one tuple, like `Tensor.reshape`. Write `_reshape`.

# %% nbgrader={"grade": false, "grade_id": "variable-reshape", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _reshape(self, *shape):
    """`Variable.reshape`: the same elements in a new shape: `v.reshape(2, 3)` or `v.reshape((2, 3))`."""
    ### BEGIN SOLUTION
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    a = self.data.data

    def backward(grad):
        self._accumulate(grad.reshape(a.shape))

    return Variable._from_op(a.reshape(shape), (self,), backward)
    ### END SOLUTION


Variable.reshape = _reshape

# %% nbgrader={"grade": true, "grade_id": "test-reshape-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_reshape_backward():
    """reshape takes separate sizes or a tuple, and its gradient comes back in the input's shape."""
    x = Variable(np.arange(6.0))
    y = x.reshape(2, 3)
    assert y.shape == (2, 3) and x.reshape((3, -1)).shape == (3, 2), f"reshape(2, 3): expected (2, 3), got {y.shape}"
    y.backward(np.arange(6.0).reshape(2, 3))
    assert x.grad.shape == (6,), f"x.grad shape: expected (6,), got {x.grad.shape}"
    assert np.allclose(x.grad.data.data, np.arange(6.0)), f"reshape backward: expected [0..5], got {x.grad.data.data}"

test_reshape_backward()

# %% [markdown]
# Transposing permutes the axes; to send the gradient back, permute it by the inverse permutation, which is
# `np.argsort(axes)`. With no argument the axes are reversed (and `.T`, in the class, calls it that way). Write
# `_transpose`.

# %% nbgrader={"grade": false, "grade_id": "variable-transpose", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _transpose(self, *axes):
    """`Variable.transpose`: permute the axes (no argument reverses them). Backward applies the inverse permutation."""
    ### BEGIN SOLUTION
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    axes = axes or tuple(reversed(range(self.ndim)))

    def backward(grad):
        self._accumulate(np.transpose(grad, np.argsort(axes)))

    return Variable._from_op(np.transpose(self.data.data, axes), (self,), backward)
    ### END SOLUTION


Variable.transpose = _transpose

# %% nbgrader={"grade": true, "grade_id": "test-transpose-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_transpose_backward():
    """transpose routes each gradient entry back to the element it came from."""
    x = Variable(np.arange(6.0))
    x.reshape(2, 3).T.backward(np.arange(6.0).reshape(3, 2))
    assert np.allclose(x.grad.data.data, [0, 2, 4, 1, 3, 5]), f"reshape then .T: expected [0, 2, 4, 1, 3, 5], got {x.grad.data.data}"
    cube = Variable(np.zeros((2, 3, 4)))
    moved = cube.transpose(2, 0, 1)
    assert moved.shape == (4, 2, 3), f"transpose(2, 0, 1) of (2, 3, 4): expected (4, 2, 3), got {moved.shape}"
    grad = np.arange(24.0).reshape(4, 2, 3)
    moved.backward(grad)
    assert np.allclose(cube.grad.data.data, grad.transpose(1, 2, 0)), "the gradient should come back through the inverse permutation"

test_transpose_backward()

# %% [markdown]
# Indexing picks elements; the gradient goes back to the picked positions, and to nothing else. When an index
# repeats (`v[[0, 0]]`), the element was used twice and must receive both contributions: `np.add.at` adds at
# repeated indices, where `full[index] += grad` would keep only one. Write `_getitem`.

# %% nbgrader={"grade": false, "grade_id": "variable-getitem", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _getitem(self, index):
    """`Variable.__getitem__`: indexing and slicing as in numpy, including integer arrays (`v[np.arange(n), labels]`).

    Backward: scatter the gradient into zeros of self's shape with np.add.at, which adds (rather than
    overwrites) when an index repeats.
    """
    ### BEGIN SOLUTION
    index = _index_array(index)
    a = self.data.data

    def backward(grad):
        full = np.zeros_like(a)
        np.add.at(full, index, grad)
        self._accumulate(full)

    return Variable._from_op(a[index], (self,), backward)
    ### END SOLUTION


Variable.__getitem__ = _getitem

# %% nbgrader={"grade": true, "grade_id": "test-getitem-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_getitem_backward():
    """Indexing sends the gradient to the picked elements, adding up over repeated indices."""
    m = Variable(np.zeros((2, 3)))
    m[:, 1].sum().backward()
    assert np.allclose(m.grad.data.data, [[0, 1, 0], [0, 1, 0]]), f"m[:, 1]: only column 1 gets gradient, got\n{m.grad.data.data}"

    m.zero_grad()
    m[np.array([0, 0, 1]), np.array([2, 2, 0])].sum().backward()
    assert np.allclose(m.grad.data.data, [[0, 0, 2], [1, 0, 0]]), f"a repeated index must add up, got\n{m.grad.data.data}"

test_getitem_backward()

# %% [markdown]
# ## The whole engine
#
# The last test uses everything together: gradients add up over backward calls until `zero_grad`, `detach`
# cuts the graph, and a deep chain of operations needs no recursion.

# %% nbgrader={"grade": true, "grade_id": "test-accumulation", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_accumulation():
    """Gradients add up over backward calls and start afresh after zero_grad; constants get none; deep graphs work."""
    w = Variable([1.0, 2.0])
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    assert np.allclose(w.grad.data.data, [6.0, 6.0]), f"accumulation across backward calls: two backward calls should add up to 6, got {w.grad.data.data}"
    w.zero_grad()  # given: sets .grad to None

    a, b = Variable([1.0, 2.0]), Variable([3.0, 4.0])
    (a + b).sum().backward()  # a and b receive the very same gradient array
    (a * 2.0).sum().backward()
    assert np.allclose(a.grad.data.data, [3.0, 3.0]) and np.allclose(b.grad.data.data, [1.0, 1.0]), (
        "accumulation across backward calls: each leaf's .grad must be its own array (a copy of the first gradient "
        f"it receives), got a.grad {a.grad.data.data} and b.grad {b.grad.data.data}"
    )

    constant = w.detach()  # given: a leaf that does not require gradients, sharing w's data
    (w * constant).sum().backward()
    assert np.allclose(w.grad.data.data, [1.0, 2.0]), f"constants: d(w * detached w)/dw = w, got {w.grad.data.data}"
    assert constant.grad is None, f"constants: a Variable that does not require gradients gets none, got {constant.grad!r}"

    x = Variable(0.0)
    y = x
    for _ in range(3000):
        y = y + 1.0
    try:
        y.backward()
    except RecursionError:
        raise AssertionError("a deep graph: backward() on a 3000-step chain hit the recursion limit") from None
    assert np.isclose(x.grad.item(), 1.0), f"a deep graph: a 3000-step chain: expected gradient 1, got {x.grad.item()}"
    ### BEGIN HIDDEN TESTS
    p = Variable(np.ones(3, dtype=np.float32))
    (p * 0.5).sum().backward()
    assert p.grad.dtype == np.float32, f"a float32 parameter gets a float32 gradient, got {p.grad.dtype}"
    ### END HIDDEN TESTS

test_accumulation()

# %% [markdown]
# ## Seeing a gradient
#
# `backward()` needs a single number to differentiate, but `x.tanh()` is a vector. Since each `y[i]` depends
# only on `x[i]`, the gradient of `y.sum()` with respect to `x[i]` is exactly `dy[i]/dx[i]`. So one backward
# pass gives the derivative at 200 points at once:

# %%
import matplotlib.pyplot as plt

x = Variable(np.linspace(-4, 4, 200))
y = x.tanh()
y.sum().backward()

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(x.data.data, y.data.data, label="tanh(x)")
ax.plot(x.data.data, x.grad.data.data, label="gradient from backward()")
ax.axhline(0, color="gray", linewidth=0.5)
ax.set_xlabel("x")
ax.legend()
plt.show()

# %% [markdown]
# The gradient peaks at 1 where tanh is steepest and vanishes in the flat tails: a unit driven far into
# saturation barely learns. You will meet this again when choosing activations and initialisations.
#
# ## Gradients drive learning
#
# With gradients, fitting a model is a loop: compute the loss, clear old gradients, call `backward()`, step each
# parameter against its gradient. Here a line `w * x + b` learns the data `y ≈ 3x + 0.5`. The next module turns
# the last two lines of the loop into optimizers.

# %%
rng = np.random.default_rng(0)
inputs = Variable(rng.uniform(-1, 1, size=(100, 1)), requires_grad=False)
targets = 3.0 * inputs.data.data + 0.5 + 0.1 * rng.normal(size=(100, 1))
w, b = Variable(np.zeros((1, 1))), Variable(np.zeros(1))

for step in range(200):
    loss = ((inputs @ w + b - targets) ** 2).mean()
    w.zero_grad()
    b.zero_grad()
    loss.backward()
    w.data.data -= 0.1 * w.grad.data.data
    b.data.data -= 0.1 * b.grad.data.data

print(f"w = {w.item():.3f}, b = {b.item():.3f}, loss = {loss.item():.4f}")

# %% [markdown]
# ## Question 1: why gradients accumulate
#
# `_accumulate` adds what arrives instead of replacing it, and a leaf's `.grad` keeps growing across
# `backward()` calls until `zero_grad()`. Give the reason for each of the two, with an example. What happens
# to a training loop like the one above if you delete the two `zero_grad()` lines?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-accumulation", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Within one backward pass, a value used in several places influences the output along several paths, and the
# multivariable chain rule says its gradient is the *sum* of the contributions of all paths. In
# `e = a * b + a`, `a` receives `b` through the product and `1` through the sum; overwriting would keep only
# one of them. The same happens for a weight shared by every position of a sequence or every row of a batch.
#
# Across backward calls, adding lets one update combine several backward passes: when a batch is too large for
# memory, you run backward on several smaller pieces and the gradients add up to the gradient of the total
# loss before the optimizer steps. The library cannot know when a new step starts, so the user says so with
# `zero_grad()`.
#
# Without `zero_grad()`, step *t* uses the sum of the gradients of all previous steps, not the current one.
# The update keeps pushing in directions where the loss *used to* fall, like momentum with no damping: the
# parameters overshoot and swing back and forth. In the loop above, `w` keeps oscillating between roughly 0.4
# and 6 and the loss jumps between about 0.5 and 3 for all 200 steps, instead of settling at w ≈ 3, b ≈ 0.5.

# %% [markdown]
# ## Question 2: why a topological order
#
# `backward()` calls each node's closure once, walking the topological order from the output to the leaves.
# Why must a node wait until all the nodes that use it have sent their gradients? Describe what goes wrong in
# `e = a * b + a` (or a graph of your choice) if nodes are processed in some other order, for example by
# calling a node's closure as soon as its first gradient arrives.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-topological-order", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# A node's closure multiplies *its total* gradient by the local derivatives and hands the result to its
# parents. The total is only known once every node that uses it (every child) has contributed. The reverse of
# a topological order guarantees this: each node comes after all its children, so when it runs its pending
# gradient is complete, and each closure runs exactly once.
#
# Example: `d = a * b` then `e = d + d * c` (so `d` has two children, the product `d * c` and the sum).
# If `d`'s closure ran as soon as the sum sent it `1`, `a` and `b` would receive `1 · b` and `1 · a`, and the
# contribution `c` arriving later through `d * c` would either be lost (if `d`'s buffer was already cleared)
# or require running `d`'s closure a second time. Running closures once per arriving contribution gives the
# right sum only at the cost of repeating work for every path, which grows exponentially with depth in graphs
# with many shared nodes. The topological order does each node's work once, in time linear in the size of the
# graph.

# %% [markdown]
# ## What you built
#
# - `unbroadcast` and `topological_order`, the two pieces of bookkeeping every autograd engine needs.
# - `Variable`: a value plus the closure that sends gradients to its inputs. Each operation is a forward
#   numpy expression and a local derivative; `backward()` is a sort and one loop.
# - Operations enough for the rest of the course: arithmetic with broadcasting, `@`, `sum`/`mean`/`max`,
#   `exp`/`log`/`relu`/`sigmoid`/`tanh`, reshaping and indexing. A stable log-softmax, for example, is
#   `z - z.max(axis=1, keepdims=True)` followed by `shifted - shifted.exp().sum(axis=1, keepdims=True).log()`.
#
# Parameters are plain leaves: an optimizer reads `p.grad.data.data` and updates `p.data.data` in place, which
# is exactly what the next module does.
