"""Probes for the autograd module's hidden suite. They run inside the sandbox, next to the submission.

Each probe builds Variables from a seed, runs an expression forward and backward with the submission's code
(the Tensor underneath is the reference one) and returns plain data: values and gradients as ndarrays in their
own dtype, None for "no gradient" (what .grad holds), and names of exceptions. A value or gradient that is not
what the module asks for (a Variable holding a Tensor holding an ndarray) comes back as a sentence saying what it
is, which the grader shows as is.

A probe returns observations, never verdicts: "requires a gradient?" is seen through the gradient a backward pass
gives, "shares the array?" through the values read after a change made through the other name, "left the
gradient unchanged?" through the gradient itself. The grader compares them with the reference's.
"""

import traceback

import numpy as np

from tinytorch.core.autograd import Variable, topological_order, unbroadcast
from tinytorch.core.tensor import Tensor

# Every expression a test may ask for, by the text it is shown as; its inputs come in the order of its arguments.
EXPRESSIONS = {
    # arithmetic
    "a + b": lambda a, b: a + b,
    "a * b": lambda a, b: a * b,
    "a ** b": lambda a, b: a ** b,
    "a ** 0": lambda a: a ** 0,
    "a ** 1": lambda a: a ** 1,
    "a ** 2": lambda a: a ** 2,
    "a ** 3": lambda a: a ** 3,
    "a ** 0.5": lambda a: a ** 0.5,
    "a ** -1.5": lambda a: a ** -1.5,
    "a @ b": lambda a, b: a @ b,
    # numbers on either side (the reflected operators are given, on top of the student's)
    "a + 2": lambda a: a + 2,
    "2 + a": lambda a: 2 + a,
    "a * 0.5": lambda a: a * 0.5,
    "0.5 - a": lambda a: 0.5 - a,
    "a / 4": lambda a: a / 4,
    "2 ** a": lambda a: 2 ** a,
    # a node reached along several paths
    "a * b + a": lambda a, b: a * b + a,
    "a * a": lambda a: a * a,
    "a * a * a + a": lambda a: a * a * a + a,
    "(a + b) * (a + b * -1)": lambda a, b: (a + b) * (a + b * -1),
    "h = a * b; h * h + h.exp()": lambda a, b: _square_plus_exp(a * b),
    "(a @ a.T).sum(axis=1) + a.sum(axis=1)": lambda a: (a @ a.T).sum(axis=1) + a.sum(axis=1),
    # element-wise functions
    "a.exp()": lambda a: a.exp(),
    "a.log()": lambda a: a.log(),
    "a.relu()": lambda a: a.relu(),
    "a.sigmoid()": lambda a: a.sigmoid(),
    "a.tanh()": lambda a: a.tanh(),
    # reductions
    "a.sum()": lambda a: a.sum(),
    "a.sum(axis=0)": lambda a: a.sum(axis=0),
    "a.sum(axis=1, keepdims=True)": lambda a: a.sum(axis=1, keepdims=True),
    "a.sum(axis=-1)": lambda a: a.sum(axis=-1),
    "a.sum(axis=(0, 2))": lambda a: a.sum(axis=(0, 2)),
    "a.sum(axis=(0, 2), keepdims=True)": lambda a: a.sum(axis=(0, 2), keepdims=True),
    "a.max()": lambda a: a.max(),
    "a.max(axis=0)": lambda a: a.max(axis=0),
    "a.max(axis=1)": lambda a: a.max(axis=1),
    "a.max(axis=1, keepdims=True)": lambda a: a.max(axis=1, keepdims=True),
    "a.max(axis=-1)": lambda a: a.max(axis=-1),
    "a.max(axis=(0, 2))": lambda a: a.max(axis=(0, 2)),
    # shape
    "a.reshape(6, 4)": lambda a: a.reshape(6, 4),
    "a.reshape((4, -1))": lambda a: a.reshape((4, -1)),
    "a.reshape([24])": lambda a: a.reshape([24]),
    "a.reshape(2, 1, 12)": lambda a: a.reshape(2, 1, 12),
    "a.transpose()": lambda a: a.transpose(),
    "a.transpose(1, 0, 2)": lambda a: a.transpose(1, 0, 2),
    "a.transpose((2, 0, 1))": lambda a: a.transpose((2, 0, 1)),
    "a.transpose([1, 2, 0])": lambda a: a.transpose([1, 2, 0]),
    "a.T": lambda a: a.T,
    # indexing
    "a[1]": lambda a: a[1],
    "a[-1]": lambda a: a[-1],
    "a[:, 1]": lambda a: a[:, 1],
    "a[1:3, ::2]": lambda a: a[1:3, ::2],
    "a[np.array([0, 0, 2, 3, 0])]": lambda a: a[np.array([0, 0, 2, 3, 0])],
    "a[np.array([0, 0, 1, 3]), np.array([2, 2, 0, 4])]": lambda a: a[np.array([0, 0, 1, 3]), np.array([2, 2, 0, 4])],
    "a[a.data.data > 0]": lambda a: a[a.data.data > 0],
    "a[Tensor(np.array([3, 1, 3]))]": lambda a: a[Tensor(np.array([3, 1, 3]))],
    "a[np.arange(4), np.array([1, 0, 4, 4])]": lambda a: a[np.arange(4), np.array([1, 0, 4, 4])],
    # compositions, each node used once
    "((x @ w).tanh() @ v).sigmoid().log().mean()": lambda x, w, v: ((x @ w).tanh() @ v).sigmoid().log().mean(),
    "((a * b).relu() + (c / d).sigmoid() ** 2).sum(axis=0) / 3": (
        lambda a, b, c, d: ((a * b).relu() + (c / d).sigmoid() ** 2).sum(axis=0) / 3
    ),
}


# -- helpers (names starting with _ cannot be called as probes) ----------------------------------------------

def _square_plus_exp(h):
    return h * h + h.exp()


def _describe(error):
    """The exception's type and message, and the submission's own frames (never the probe's)."""
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = frame.filename.replace("\\", "/")
        if "/tinytorch/" in path:
            where = path.rsplit("/tinytorch/", 1)[-1]
            frames.append(f"\n  in {frame.name} ({where}, line {frame.lineno}): {frame.line}")
    return f"{type(error).__name__}: {str(error)[:500]}" + "".join(frames[-3:])


def _values(shape, dtype, seed, positive=False, ties=False):
    """Seeded numbers away from zero (safe to divide by or take the log of when positive); with `ties`,
    small integers so that maxima repeat."""
    generator = np.random.default_rng(seed)
    shape = tuple(shape)
    if ties:
        return generator.integers(0, 3, size=shape).astype(dtype)
    magnitude = generator.uniform(0.3, 2.0, size=shape)
    sign = 1.0 if positive else generator.choice([-1.0, 1.0], size=shape)
    return np.asarray(magnitude * sign, dtype=dtype)


def _array(variable, what="the value"):
    """A copy of the ndarray inside a Variable, or a sentence saying what came back instead."""
    if not isinstance(variable, Variable):
        return f"{what} is a {type(variable).__name__}, not a Variable"
    tensor = variable.data
    if not isinstance(tensor, Tensor):
        return f"{what} is a Variable whose .data is a {type(tensor).__name__}, not a Tensor"
    if not isinstance(tensor.data, np.ndarray) or tensor.data.dtype.kind not in "biuf":
        return f"{what} is a Variable whose .data.data is not a numeric ndarray"
    return np.array(tensor.data, copy=True)


def _grad(variable):
    """The gradient of a leaf as an ndarray, None when it has none, or a sentence saying what it is instead."""
    if variable.grad is None:
        return None
    return _array(variable.grad, "the gradient (.grad)")


def _as_sent(value):
    """An array's (or number's) values as they are, or a sentence saying what it is."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
        return np.array(value, copy=True)
    if type(value) in (int, float):
        return value
    return f"a {type(value).__name__}"


def _raised(action):
    """The name of the exception `action()` raises, or None."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - we report which type the submission raised
        return type(error).__name__
    return None


class _Node:
    """A bare graph node: topological_order may only rely on `_parents`."""

    def __init__(self, name, parents):
        self.name, self._parents = name, tuple(parents)


# -- the two helpers ----------------------------------------------------------------------------------------

def unbroadcast_cases(cases, seed):
    """unbroadcast(grad, shape) for each [grad shape, shape] in `cases`, on seeded gradients."""
    generator = np.random.default_rng(seed)
    results = []
    for grad_shape, shape in cases:
        grad = generator.normal(size=tuple(grad_shape))
        try:
            out = unbroadcast(grad, tuple(shape))
        except Exception as error:  # noqa: BLE001
            results.append({"value": f"raised {_describe(error)}", "the gradient afterwards": grad})
            continue
        numeric = isinstance(out, (np.ndarray, np.generic)) and out.dtype.kind in "biuf"
        value = np.array(out, copy=True) if numeric else f"a {type(out).__name__}, not an ndarray"
        results.append({"value": value, "the gradient afterwards": np.array(grad, copy=True)})
    return results


def topological(parents, root):
    """The names topological_order(root) lists, for a graph given as {name: [parent names]} in any order (the
    graphs of the tests list some children before their parents, so the order given is no answer)."""
    nodes = {name: _Node(name, ()) for name in parents}
    for name, names in parents.items():
        nodes[name]._parents = tuple(nodes[parent] for parent in names)
    try:
        order = topological_order(nodes[root])
    except RecursionError:
        return "RecursionError"
    return [node.name if isinstance(node, _Node) else repr(node) for node in order]


def chain_order(length):
    """topological_order on a chain of `length` nodes, each the only parent of the next."""
    node = _Node(0, ())
    for index in range(1, length):
        node = _Node(index, (node,))
    try:
        order = topological_order(node)
    except RecursionError:
        return "RecursionError"
    return [item.name if isinstance(item, _Node) else -1 for item in order]


# -- Variables ----------------------------------------------------------------------------------------------

def construction():
    """The value (in its dtype) of Variables built from each kind of value, and the gradient each gets from a
    backward pass of (v.exp() * 3).sum() (next to a helper leaf, so that the pass runs whether or not v requires a
    gradient): 3 * exp(v) for a new Variable that requires gradients, None for one that does not."""
    tensor = Tensor(np.arange(4.0))
    made = {
        "Variable(3)": lambda: Variable(3),
        "Variable(2.5)": lambda: Variable(2.5),
        "Variable([[1, 2, 3]])": lambda: Variable([[1, 2, 3]]),
        "Variable([True, False])": lambda: Variable([True, False]),
        "Variable(np.arange(4))": lambda: Variable(np.arange(4)),
        "Variable(Tensor(np.arange(4.0)))": lambda: Variable(tensor),
        "Variable(Tensor([1, 2]))": lambda: Variable(Tensor([1, 2])),
        "Variable(Variable([1.0, 2.0]))": lambda: Variable(Variable([1.0, 2.0])),
        "Variable([1.0, 2.0], requires_grad=False)": lambda: Variable([1.0, 2.0], requires_grad=False),
    }
    result = {}
    for call, make in made.items():
        try:
            variable = make()
        except Exception as error:  # noqa: BLE001
            result[call] = f"raised {_describe(error)}"
            continue
        value = _array(variable)
        try:
            helper = Variable(np.zeros(variable.shape), requires_grad=True)
            (variable.exp() * 3.0 + helper).sum().backward()
            grad = _grad(variable)
        except Exception as error:  # noqa: BLE001
            grad = f"raised {_describe(error)}"
        result[call] = {"value": value, "grad after (v.exp() * 3).sum().backward()": grad}
    shared, wrapped = np.ones(3), Tensor(np.arange(4.0))
    kept, kept_tensor = Variable(shared), Variable(wrapped)
    shared *= 5.0
    wrapped.data *= 3.0
    result["v = Variable(a) for a float64 a, then a *= 5: v's value"] = _array(kept)
    result["v = Variable(t) for a Tensor t of floats, then t.data *= 3: v's value"] = _array(kept_tensor)
    return result


def gradients(expression, shapes, seed, dtype="float64", positive=False, ties=False, kinds=None,
              gradient_dtype=None):
    """Run EXPRESSIONS[expression] on seeded inputs, then backward with a seeded gradient of the output's shape.

    Inputs are drawn in float64 and converted to `dtype`, so a float32 case holds the float64 case's numbers.
    `kinds[i]` says what input i is: "variable" (the default), "constant" (a Variable with requires_grad=False)
    or "ndarray". The gradient given to backward has the output's dtype, or `gradient_dtype`. Returns the
    output's value and each input's gradient (None when it has none).
    """
    kinds = kinds or ["variable"] * len(shapes)
    arrays = [_values(shape, dtype, seed + index, positive, ties) for index, shape in enumerate(shapes)]
    inputs = []
    for array, kind in zip(arrays, kinds):
        if kind == "ndarray":
            inputs.append(array)
        else:
            inputs.append(Variable(array, requires_grad=(kind == "variable")))
    with np.errstate(all="ignore"):
        out = EXPRESSIONS[expression](*inputs)
        value = _array(out, "the result")
        if not isinstance(value, np.ndarray):
            return {"value": value, "grads": [None] * len(inputs)}
        upstream = np.random.default_rng(seed + 100).normal(size=value.shape)
        out.backward(upstream.astype(gradient_dtype or value.dtype))
    return {"value": value, "grads": [_grad(v) if isinstance(v, Variable) else None for v in inputs]}


def accumulation(seed):
    """Gradients of leaves over several backward calls, and leaves that receive the same upstream array."""
    w = Variable(_values((3, 2), "float64", seed))
    result = {}
    (w.tanh() * 2.0).sum().backward()
    result["w.grad after (w.tanh() * 2).sum().backward()"] = _grad(w)
    (w ** 2).sum().backward()
    result["w.grad after also (w ** 2).sum().backward()"] = _grad(w)

    a, b = Variable(_values((2, 3), "float64", seed + 1)), Variable(_values((2, 3), "float64", seed + 2))
    (a + b).sum().backward()
    (a + b).sum().backward()
    (a * 3.0).sum().backward()
    result["a.grad after (a + b).sum().backward() twice, then (a * 3).sum().backward()"] = _grad(a)
    result["b.grad after (a + b).sum().backward() twice, then (a * 3).sum().backward()"] = _grad(b)
    return result


def zero_grad(seed):
    """backward after zero_grad() (given: it sets .grad to None) makes a new gradient, holding only this pass's."""
    w = Variable(_values((2, 3), "float64", seed))
    w.exp().sum().backward()
    w.zero_grad()
    w.tanh().sum().backward()
    return {"w.grad after zero_grad() and w.tanh().sum().backward()": _grad(w)}


def constants(seed):
    """Values that do not require gradients (made with requires_grad=False, or by the given detach()) receive
    none, pass none on, and w still receives its own: seen through the gradients after one backward pass."""
    w = Variable(_values((2, 3), "float64", seed))
    c = Variable(_values((2, 3), "float64", seed + 1), requires_grad=False)
    frozen = w.detach()
    cut = (w * 2.0).exp().detach()
    (w * c * frozen * cut).sum().backward()
    return {
        "c.grad (requires_grad=False)": _grad(c),
        "w.detach().grad": _grad(frozen),
        "(w * 2).exp().detach().grad": _grad(cut),
        "w.grad from (w * c * w.detach() * (w * 2).exp().detach()).sum()": _grad(w),
    }


def explicit_gradient(seed):
    """backward(gradient) from a non-scalar output, with seeded gradients given as ndarrays."""
    generator = np.random.default_rng(seed + 100)
    upstream, zeros = generator.normal(size=(2, 3)), np.zeros((2, 3))
    result = {}
    for name, gradient in (("a seeded (2, 3) ndarray", upstream), ("zeros", zeros)):
        w = Variable(_values((2, 3), "float64", seed))
        (w.tanh() * 3.0).backward(gradient.copy())
        result[f"w.grad after (w.tanh() * 3).backward({name})"] = _grad(w)
    w = Variable(_values((2, 3), "float64", seed))
    hidden = (w * 2.0).exp()
    hidden.sum(axis=1).backward(generator.normal(size=2))
    result["w.grad after (w * 2).exp().sum(axis=1).backward(a seeded (2,) ndarray)"] = _grad(w)
    return result


def implicit_gradient(seed):
    """backward() without a gradient: refused for a (2, 3) output; ones for single-element outputs.

    After the refused call, w.grad is read, then a valid backward pass runs without zero_grad(): a gradient the
    refused call left behind adds to it.
    """
    w = Variable(_values((2, 3), "float64", seed))
    result = {"raised": _raised(lambda: (w * 2.0).backward()), "grad after the refused call": _grad(w)}
    w.tanh().sum().reshape(1, 1).backward()
    result["w.grad after the refused call and w.tanh().sum().reshape(1, 1).backward()"] = _grad(w)
    v = Variable(_values((), "float64", seed + 1))
    (v.exp() * 3.0).backward()
    result["v.grad after (v.exp() * 3).backward(), v a 0-d Variable"] = _grad(v)
    return result


def long_chain(kind, steps, seed):
    """Forward and backward through a graph thousands of operations deep.

    "chain": y = y * 1.0001 + 0.001 (two nodes a step); "ladder": y = y.tanh() * 0.5 + y * 0.5 (four nodes a
    step, each y used twice, so a walk that visits every path would never end).
    """
    x = Variable(_values((3,), "float64", seed))
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.001 if kind == "chain" else y.tanh() * 0.5 + y * 0.5
    try:
        y.sum().backward()
    except RecursionError:
        return {"raised": "RecursionError", "value": None, "grad": None}
    return {"raised": None, "value": _array(y), "grad": _grad(x)}


def float32_construction():
    """The value (in its dtype) of Variables built from float32 data, and of one built from a float32 array that
    was changed in place afterwards (float data is not copied)."""
    shared = np.ones(3, dtype=np.float32)
    made = {
        "Variable(np.ones(3, dtype=np.float32))": lambda: Variable(np.ones(3, dtype=np.float32)),
        "Variable(np.float32(1.5))": lambda: Variable(np.float32(1.5)),
        "Variable(Tensor(np.arange(3, dtype=np.float32)))": lambda: Variable(Tensor(np.arange(3, dtype=np.float32))),
        "v = Variable(a) for a float32 a, then a *= 5": lambda: Variable(shared),
    }
    result = {}
    for call, make in made.items():
        result[call] = make()
    shared *= 5.0
    return {call: _array(variable) for call, variable in result.items()}


def leaves_only(seed):
    """After backward, only leaves that require gradients hold one; intermediate buffers are cleared."""
    w = Variable(_values((2, 3), "float64", seed))
    x = Variable(_values((2, 3), "float64", seed + 1), requires_grad=False)
    hidden = w * x
    activated = hidden.exp()
    out = activated.sum()
    out.backward()
    nodes = {"w * x": hidden, "(w * x).exp()": activated, "(w * x).exp().sum()": out}
    result = {f"{name}.grad": _grad(node) for name, node in nodes.items()}
    for name, node in {"w": w, "x": x, **nodes}.items():
        pending = getattr(node, "_pending_grad", None)
        result[f"{name}._pending_grad"] = pending if pending is None else _as_sent(pending)
    result["x.grad (requires_grad=False)"] = _grad(x)
    result["w.grad"] = _grad(w)
    return result
