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
    chain = [n.name for n in topological_order(node)]
    assert chain == list(range(5000)), "a 5000-node chain should come out in order, oldest first"

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
# Every operation follows one recipe:
#
# 1. compute the output array with numpy;
# 2. define `backward(grad)`, which receives the gradient of the output (an ndarray of the output's shape)
#    and calls `parent._accumulate(local_gradient)` for each parent;
# 3. return `Variable._from_op(output, parents, backward)`, which records the parents and closure only if
#    some parent requires gradients.
#
# `_accumulate` does the bookkeeping once for all operations: it ignores parents that do not require
# gradients, undoes broadcasting, and adds to what other children already sent. For example, multiplication:
#
# ```python
# def __mul__(self, other):
#     other = _lift(other, self)
#     a, b = self.data.data, other.data.data
#     def backward(grad):
#         self._accumulate(grad * b)      # d(a*b)/da = b
#         other._accumulate(grad * a)     # d(a*b)/db = a
#     return Variable._from_op(a * b, (self, other), backward)
# ```
#
# `_lift` turns the other operand into a constant `Variable` when it is a number or an ndarray. A number takes
# the dtype of the Variable it meets, so a float32 Variable times `0.5` stays float32, as in numpy.
#
# Operations that can be written with others are one line: `a - b` is `a + (-b)`, `a / b` is `a * b ** -1`,
# and `mean` is `sum` divided by a count. Their gradients come for free.
#
# `backward()` seeds the output's gradient (ones, for a single-element loss), walks the topological order
# backwards calling each node's closure, and adds what arrives at a leaf into its `.grad`. Gradients of
# intermediate nodes are dropped as soon as they have been passed on, as in PyTorch, so memory holds only the
# leaves' gradients. Leaves *accumulate*: a second `backward()` adds to `.grad` until `zero_grad()` resets it.
#
# The local derivatives, with `grad` the gradient arriving at the output `out`:
#
# | operation | sends to its inputs |
# | --- | --- |
# | `a + b` | `grad` to both |
# | `a * b` | `grad * b` to `a`, `grad * a` to `b` |
# | `a ** p` | `grad * p * a ** (p - 1)` to `a`; `grad * out * log(a)` to `p` |
# | `A @ B` | `grad @ B.T` to `A`, `A.T @ grad` to `B` |
# | `a.sum(axis)` | `grad`, broadcast back over the summed axes |
# | `a.max(axis)` | `grad` to the elements equal to the maximum (split evenly between ties) |
# | `a.exp()`, `a.log()` | `grad * out`, `grad / a` |
# | `a.relu()` | `grad * (a > 0)` |
# | `a.sigmoid()`, `a.tanh()` | `grad * out * (1 - out)`, `grad * (1 - out ** 2)` |
# | `a.reshape(...)`, `a.transpose(axes)` | `grad` reshaped back, or transposed by the inverse permutation |
# | `a[index]` | zeros of `a`'s shape with `grad` added at `index` |
#
# The matrix product is easiest to remember by shapes: with `A` of shape `(n, k)`, `B` of `(k, m)` and `grad`
# of `(n, m)`, the only product of `grad` and `B` with `A`'s shape `(n, k)` is `grad @ B.T`.
#
# Write the methods marked `YOUR CODE HERE`; the tests after the class check them group by group.

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


class Variable:
    """A value in a computation graph that can send gradients back to the values it was computed from."""

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

    # The backward pass.

    def _accumulate(self, grad):
        """Add `grad` (an ndarray of the operation output's shape) to the gradient collected for this node.

        Does nothing if this Variable does not require gradients. Undoes broadcasting with `unbroadcast`,
        then adds to `self._pending_grad` (out of place: the incoming array may be shared with other nodes).
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

    def backward(self, gradient=None):
        """Compute gradients of this Variable with respect to every leaf that requires them.

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
                raise RuntimeError(
                    f"backward() without a gradient needs a single-element output, got shape {self.shape}"
                )
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

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def detach(self):
        """A new leaf with the same data (shared, not copied) that does not require gradients."""
        return Variable(self.data, requires_grad=False)

    # Arithmetic. `other` may be a Variable, a number, a list, an ndarray or a Tensor.

    def __add__(self, other):
        """self + other, with broadcasting."""
        ### BEGIN SOLUTION
        other = _lift(other, self)

        def backward(grad):
            self._accumulate(grad)
            other._accumulate(grad)

        return Variable._from_op(self.data.data + other.data.data, (self, other), backward)
        ### END SOLUTION

    def __mul__(self, other):
        """self * other, with broadcasting."""
        ### BEGIN SOLUTION
        other = _lift(other, self)
        a, b = self.data.data, other.data.data

        def backward(grad):
            self._accumulate(grad * b)
            other._accumulate(grad * a)

        return Variable._from_op(a * b, (self, other), backward)
        ### END SOLUTION

    def __pow__(self, exponent):
        """self ** exponent, for a number or a Variable exponent.

        d/da a**p = p * a**(p-1); d/dp a**p = a**p * log(a) (only computed if the exponent requires grad).
        """
        ### BEGIN SOLUTION
        exponent = _lift(exponent, self)
        a, p = self.data.data, exponent.data.data
        out = a ** p

        def backward(grad):
            self._accumulate(grad * p * a ** (p - 1))
            if exponent.requires_grad:
                exponent._accumulate(grad * out * np.log(a))

        return Variable._from_op(out, (self, exponent), backward)
        ### END SOLUTION

    def __matmul__(self, other):
        """self @ other, for 2-D matrices, vectors (1-D) and stacks of matrices (batch axes broadcast).

        For 2-D: d/dA (A @ B) sends grad @ B.T to A and A.T @ grad to B. A 1-D operand acts as a
        row (left) or column (right) matrix whose extra axis is dropped afterwards.
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

    # Reductions.

    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (None, an int or a tuple). Backward: every summed element gets the output's gradient."""
        ### BEGIN SOLUTION
        a = self.data.data

        def backward(grad):
            if axis is not None and not keepdims:
                grad = np.expand_dims(grad, axis)
            self._accumulate(np.broadcast_to(grad, a.shape))

        return Variable._from_op(a.sum(axis=axis, keepdims=keepdims), (self,), backward)
        ### END SOLUTION

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`: the sum divided by the number of elements summed."""
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.size / self.size)

    def max(self, axis=None, keepdims=False):
        """Largest element over `axis`. Backward: the gradient goes to the maximal elements, split evenly on ties."""
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

    def min(self, axis=None, keepdims=False):
        """Smallest element over `axis`."""
        return -((-self).max(axis=axis, keepdims=keepdims))

    # Element-wise functions.

    def exp(self):
        """e ** self. Its derivative is itself."""
        ### BEGIN SOLUTION
        out = np.exp(self.data.data)

        def backward(grad):
            self._accumulate(grad * out)

        return Variable._from_op(out, (self,), backward)
        ### END SOLUTION

    def log(self):
        """Natural logarithm. d/da log(a) = 1 / a."""
        ### BEGIN SOLUTION
        a = self.data.data

        def backward(grad):
            self._accumulate(grad / a)

        return Variable._from_op(np.log(a), (self,), backward)
        ### END SOLUTION

    def relu(self):
        """max(self, 0) element-wise. The derivative is 1 where self > 0 and 0 elsewhere (0 at 0, as in torch)."""
        ### BEGIN SOLUTION
        a = self.data.data

        def backward(grad):
            self._accumulate(grad * (a > 0))

        return Variable._from_op(np.maximum(a, 0), (self,), backward)
        ### END SOLUTION

    def sigmoid(self):
        """1 / (1 + e ** -self), computed without overflow. Its derivative is out * (1 - out)."""
        ### BEGIN SOLUTION
        a = self.data.data
        e = np.exp(-np.abs(a))  # never overflows
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))

        def backward(grad):
            self._accumulate(grad * out * (1 - out))

        return Variable._from_op(out, (self,), backward)
        ### END SOLUTION

    def tanh(self):
        """Hyperbolic tangent. Its derivative is 1 - out ** 2."""
        ### BEGIN SOLUTION
        out = np.tanh(self.data.data)

        def backward(grad):
            self._accumulate(grad * (1 - out * out))

        return Variable._from_op(out, (self,), backward)
        ### END SOLUTION

    def sqrt(self):
        return self ** 0.5

    # Shape.

    def reshape(self, *shape):
        """The same elements in a new shape: `v.reshape(2, 3)` or `v.reshape((2, 3))`."""
        ### BEGIN SOLUTION
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self.data.data

        def backward(grad):
            self._accumulate(grad.reshape(a.shape))

        return Variable._from_op(a.reshape(shape), (self,), backward)
        ### END SOLUTION

    def transpose(self, *axes):
        """Permute the axes (no argument reverses them). Backward applies the inverse permutation."""
        ### BEGIN SOLUTION
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or tuple(reversed(range(self.ndim)))

        def backward(grad):
            self._accumulate(np.transpose(grad, np.argsort(axes)))

        return Variable._from_op(np.transpose(self.data.data, axes), (self,), backward)
        ### END SOLUTION

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        """Indexing and slicing as in numpy, including integer arrays (`v[np.arange(n), labels]`).

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


def _index_array(index):
    """An index with any Tensor inside replaced by its ndarray."""
    if isinstance(index, tuple):
        return tuple(_index_array(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    return index


# %% [markdown]
# ## Checking your Variable
#
# The tests below go from the simplest piece to the whole engine. The first ones build tiny graphs whose
# gradients you can work out by hand; the later ones compare with finite differences,
# `(f(x + h) - f(x - h)) / 2h`, which approximates any derivative without knowing its formula.

# %% nbgrader={"grade": true, "grade_id": "test-variable-creation", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_variable_creation():
    """A Variable wraps its value in a Tensor, makes integers float64, keeps float32, and starts without a gradient."""
    v = Variable([[1, 2, 3]])
    assert isinstance(v.data, Tensor), f"v.data should be a Tensor, got {type(v.data).__name__}"
    assert v.dtype == np.float64, f"integer data should become float64, got {v.dtype}"
    assert v.shape == (1, 3), f"shape: expected (1, 3), got {v.shape}"
    assert v.requires_grad is True and v.grad is None, "a new Variable requires grad and has grad None"
    array = np.ones(2, dtype=np.float32)
    w = Variable(array, requires_grad=False)
    assert w.data.data is array, "a float ndarray should be stored without copying"
    assert w.dtype == np.float32 and w.requires_grad is False, "float32 stays float32; requires_grad=False is kept"

test_variable_creation()

# %% nbgrader={"grade": true, "grade_id": "test-add-mul-backward", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_add_mul_backward():
    """e = a * b + a: the chain rule gives de/da = b + 1 (two paths, summed) and de/db = a."""
    a, b = Variable(2.0), Variable(-3.0)
    e = a * b + a
    assert np.isclose(e.item(), -4.0), f"forward: expected 2 * -3 + 2 = -4, got {e.item()}"
    e.backward()
    assert a.grad is not None and b.grad is not None, "backward() should set .grad on both leaves"
    assert isinstance(a.grad, Variable), f"a.grad should be a Variable, got {type(a.grad).__name__}"
    assert np.isclose(a.grad.item(), -2.0), f"de/da = b + 1 = -2, got {a.grad.item()}"
    assert np.isclose(b.grad.item(), 2.0), f"de/db = a = 2, got {b.grad.item()}"

    x = Variable([1.0, 2.0, 3.0])
    y = (x * x + x * 2.0 + 1.0).sum()  # dy/dx = 2x + 2
    y.backward()
    assert np.allclose(x.grad.data.data, [4.0, 6.0, 8.0]), f"d/dx sum(x^2 + 2x + 1): expected [4, 6, 8], got {x.grad.data.data}"
    ### BEGIN HIDDEN TESTS
    c = Variable(5.0, requires_grad=False)
    (a * c).backward()
    assert c.grad is None, "a Variable with requires_grad=False never receives a gradient"
    ### END HIDDEN TESTS

test_add_mul_backward()

# %% nbgrader={"grade": true, "grade_id": "test-broadcast-backward", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_broadcast_backward():
    """Gradients of broadcast operands are summed back to the operands' shapes."""
    a = Variable(np.ones((3, 1)))
    b = Variable(np.arange(4.0).reshape(1, 4))
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1), f"a.grad shape: expected (3, 1), got {a.grad.shape}"
    assert b.grad.shape == (1, 4), f"b.grad shape: expected (1, 4), got {b.grad.shape}"
    assert np.allclose(a.grad.data.data, 6.0), f"each a[i] meets 0 + 1 + 2 + 3: expected 6, got {a.grad.data.data.ravel()}"
    assert np.allclose(b.grad.data.data, 3.0), f"each b[j] meets three ones: expected 3, got {b.grad.data.data.ravel()}"

    bias = Variable(np.zeros(4))
    (Variable(np.ones((5, 4)), requires_grad=False) + bias).sum().backward()
    assert np.allclose(bias.grad.data.data, 5.0), f"a bias added to 5 rows: expected gradient 5, got {bias.grad.data.data}"

test_broadcast_backward()

# %% nbgrader={"grade": true, "grade_id": "test-pow-div-matmul", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_pow_div_matmul():
    """Power, division (built on power) and the matrix product have the right gradients."""
    x = Variable([1.0, 2.0, 4.0])
    (x ** 3).sum().backward()
    assert np.allclose(x.grad.data.data, [3.0, 12.0, 48.0]), f"d x^3 = 3x^2: expected [3, 12, 48], got {x.grad.data.data}"

    x.zero_grad()
    (1.0 / x).sum().backward()
    assert np.allclose(x.grad.data.data, [-1.0, -0.25, -0.0625]), f"d (1/x) = -1/x^2, got {x.grad.data.data}"

    A = Variable(np.arange(6.0).reshape(2, 3))
    B = Variable(np.arange(12.0).reshape(3, 4) / 10)
    G = np.arange(8.0).reshape(2, 4)  # the gradient arriving at A @ B
    (A @ B).backward(G)
    assert A.grad.shape == (2, 3) and B.grad.shape == (3, 4), "gradients must have the operands' shapes"
    assert np.allclose(A.grad.data.data, G @ B.data.data.T), f"dA should be G @ B.T, got\n{A.grad.data.data}"
    assert np.allclose(B.grad.data.data, A.data.data.T @ G), f"dB should be A.T @ G, got\n{B.grad.data.data}"
    ### BEGIN HIDDEN TESTS
    v = Variable([1.0, -1.0, 2.0])
    (A @ v).sum().backward()
    assert np.allclose(v.grad.data.data, A.data.data.sum(axis=0)), "matrix @ vector: dv = A.T @ ones"
    ### END HIDDEN TESTS

test_pow_div_matmul()

# %% nbgrader={"grade": true, "grade_id": "test-reductions-backward", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_reductions_backward():
    """sum spreads the gradient to every summed element, mean divides it, max sends it to the maximum."""
    x = Variable(np.arange(6.0).reshape(2, 3))
    x.sum(axis=0).backward(np.array([1.0, 2.0, 3.0]))
    assert np.allclose(x.grad.data.data, [[1, 2, 3], [1, 2, 3]]), f"sum(axis=0): each column gets its gradient, got\n{x.grad.data.data}"

    x.zero_grad()
    x.mean().backward()
    assert np.allclose(x.grad.data.data, 1 / 6), f"mean of 6 elements: each gets 1/6, got\n{x.grad.data.data}"

    x.zero_grad()
    x.max(axis=1).sum().backward()
    assert np.allclose(x.grad.data.data, [[0, 0, 1], [0, 0, 1]]), f"max(axis=1): only the maxima get gradient, got\n{x.grad.data.data}"
    kept = x.max(axis=1, keepdims=True)
    assert kept.shape == (2, 1), f"max(axis=1, keepdims=True): expected shape (2, 1), got {kept.shape}"

test_reductions_backward()

# %% nbgrader={"grade": true, "grade_id": "test-elementwise-backward", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_elementwise_backward():
    """exp, log, relu, sigmoid and tanh: values and gradients against numpy and finite differences."""
    points = np.array([-2.0, -0.5, 0.3, 1.5])
    expected_values = {
        "exp": np.exp(points),
        "log": np.log(np.abs(points)),
        "relu": np.maximum(points, 0),
        "sigmoid": 1 / (1 + np.exp(-points)),
        "tanh": np.tanh(points),
    }
    h = 1e-6
    for name, expected in expected_values.items():
        data = np.abs(points) if name == "log" else points
        x = Variable(data)
        out = getattr(x, name)()
        assert np.allclose(out.data.data, expected), f"{name}: expected values {expected}, got {out.data.data}"
        out.sum().backward()
        numeric = (getattr(Variable(data + h), name)().data.data - getattr(Variable(data - h), name)().data.data) / (2 * h)
        assert np.allclose(x.grad.data.data, numeric, atol=1e-6), f"{name}: expected gradient {numeric}, got {x.grad.data.data}"
    big = Variable([-1000.0, 1000.0]).sigmoid()
    assert np.allclose(big.data.data, [0.0, 1.0]), f"sigmoid(-1000), sigmoid(1000): expected [0, 1], got {big.data.data}"

test_elementwise_backward()

# %% nbgrader={"grade": true, "grade_id": "test-shape-index-backward", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_shape_index_backward():
    """reshape, transpose and indexing route each gradient entry back to the element it came from."""
    x = Variable(np.arange(6.0))
    x.reshape(2, 3).T.backward(np.arange(6.0).reshape(3, 2))
    assert np.allclose(x.grad.data.data, [0, 2, 4, 1, 3, 5]), f"reshape then .T: expected [0, 2, 4, 1, 3, 5], got {x.grad.data.data}"

    m = Variable(np.zeros((2, 3)))
    m[:, 1].sum().backward()
    assert np.allclose(m.grad.data.data, [[0, 1, 0], [0, 1, 0]]), f"m[:, 1]: only column 1 gets gradient, got\n{m.grad.data.data}"

    m.zero_grad()
    m[np.array([0, 0, 1]), np.array([2, 2, 0])].sum().backward()
    assert np.allclose(m.grad.data.data, [[0, 0, 2], [1, 0, 0]]), f"a repeated index must add up, got\n{m.grad.data.data}"

test_shape_index_backward()

# %% nbgrader={"grade": true, "grade_id": "test-accumulation", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_accumulation():
    """Gradients add up over backward calls until zero_grad; detach cuts the graph; deep graphs work."""
    w = Variable([1.0, 2.0])
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    assert np.allclose(w.grad.data.data, [6.0, 6.0]), f"two backward calls should add up to 6, got {w.grad.data.data}"
    w.zero_grad()
    assert w.grad is None, f"zero_grad should set grad to None, got {w.grad!r}"

    constant = w.detach()
    assert constant.requires_grad is False, "detach() gives a Variable that does not require grad"
    (w * constant).sum().backward()
    assert np.allclose(w.grad.data.data, [1.0, 2.0]), f"d(w * detached w)/dw = w, got {w.grad.data.data}"

    x = Variable(0.0)
    y = x
    for _ in range(3000):
        y = y + 1.0
    y.backward()
    assert np.isclose(x.grad.item(), 1.0), f"a 3000-step chain: expected gradient 1, got {x.grad.item()}"
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
