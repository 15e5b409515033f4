"""The Variable contract: construction, dtypes, accumulation, zero_grad, detach, deep graphs, errors."""

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable, topological_order, unbroadcast
from tinytorch.core.tensor import Tensor


@pytest.mark.parametrize(
    "value, dtype",
    [
        (3, np.float64),
        (2.5, np.float64),
        ([1, 2, 3], np.float64),
        ([True, False], np.float64),
        (np.arange(4), np.float64),
        (np.ones(3, dtype=np.float32), np.float32),
        (Tensor(np.ones(2, dtype=np.float32)), np.float32),
        (Tensor([1, 2]), np.float64),
    ],
    ids=["int", "float", "int-list", "bools", "int-array", "float32-array", "float32-tensor", "int-tensor"],
)
def test_construction_dtypes(value, dtype):
    """Does a Variable hold a Tensor of floats, turning integer and bool data into float64?"""
    v = Variable(value)
    assert isinstance(v.data, Tensor) and isinstance(v.data.data, np.ndarray)
    assert v.dtype == dtype and v.data.dtype == dtype
    assert v.requires_grad is True and v.grad is None and v.is_leaf


def test_float_data_is_not_copied():
    """Do a float ndarray and a Tensor passed to Variable share memory with it (like torch.from_numpy)?"""
    array = np.zeros(3)
    assert Variable(array).data.data is array
    tensor = Tensor(np.zeros(2, dtype=np.float32))
    assert Variable(tensor).data.data is tensor.data


def test_properties():
    """Do shape, dtype, size, ndim, len, item and numpy describe the value?"""
    v = Variable(np.arange(6.0).reshape(2, 3))
    assert (v.shape, v.dtype, v.size, v.ndim, len(v)) == ((2, 3), np.float64, 6, 2, 2)
    assert v.numpy() is v.data.data
    assert Variable(4.0).item() == 4.0
    assert "requires_grad=True" in repr(v) and "5." in repr(v)


def test_requires_grad_propagates():
    """Is an op's output tracked only when one of its inputs requires gradients?"""
    x = Variable([1.0, 2.0], requires_grad=False)
    w = Variable([3.0, 4.0])
    assert not (x * 2).requires_grad and (x * 2).is_leaf
    assert (x * w).requires_grad and not (x * w).is_leaf
    with pytest.raises(RuntimeError):
        (x * 2).sum().backward()


def test_backward_without_gradient_needs_single_element():
    """Like torch, is backward() without a gradient refused for a non-scalar output?"""
    w = Variable(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="single-element"):
        (w * 2).backward()
    (w * 2).sum().reshape(1, 1).backward()  # one element, any shape
    assert np.array_equal(w.grad.data.data, np.full((2, 2), 2.0))


def test_backward_with_explicit_gradient():
    """Does backward(gradient) accept ndarrays, Tensors and Variables of the output's shape, and reject others?"""
    for seed in (np.array([1.0, -2.0]), Tensor([1.0, -2.0]), Variable([1.0, -2.0], requires_grad=False)):
        w = Variable([3.0, 4.0])
        (w * w).backward(seed)
        assert np.allclose(w.grad.data.data, [6.0, -16.0])
    with pytest.raises(ValueError, match="shape"):
        (Variable([3.0, 4.0]) * 2).backward(np.ones(3))


def test_gradients_accumulate_across_backward_calls():
    """Do two backward calls add their gradients into the leaves, as torch does, until zero_grad?"""
    data = np.random.default_rng(0).normal(size=(3, 2))
    w = Variable(data.copy())
    wt = torch.tensor(data, requires_grad=True)
    for _ in range(2):
        (w.tanh() * w).sum().backward()
        (wt.tanh() * wt).sum().backward()
    np.testing.assert_allclose(w.grad.data.data, wt.grad.numpy(), rtol=1e-12)

    loss = (w ** 2).sum()
    loss.backward()
    loss.backward()  # the same graph twice (torch needs retain_graph=True for this)
    np.testing.assert_allclose(w.grad.data.data, wt.grad.numpy() + 4 * data, rtol=1e-12)

    w.zero_grad()
    assert w.grad is None
    (w * 3).sum().backward()
    assert np.array_equal(w.grad.data.data, np.full((3, 2), 3.0))


def test_leaf_gradients_are_independent_arrays():
    """Do two leaves that receive the same upstream array get separate .grad arrays (safe for in-place updates)?"""
    a, b = Variable([1.0, 2.0]), Variable([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad.data.data is not b.grad.data.data
    a.grad.data.data *= 10
    assert np.array_equal(b.grad.data.data, [1.0, 1.0])


def test_intermediate_gradients_are_not_kept():
    """Like torch, do only leaves keep .grad after backward, with no per-node buffers left behind?"""
    w = Variable([1.0, 2.0])
    hidden = w * 2
    out = hidden.exp().sum()
    out.backward()
    assert hidden.grad is None and out.grad is None
    assert all(node._pending_grad is None for node in topological_order(out))


def test_detach():
    """Does detach share the data, stop gradients, and leave the original tracked?"""
    w = Variable([1.0, 2.0])
    frozen = w.detach()
    assert frozen.data.data is w.data.data and not frozen.requires_grad and frozen.is_leaf
    (w * frozen).sum().backward()
    assert np.array_equal(w.grad.data.data, [1.0, 2.0]), "d(w * c)/dw is c: the detached copy is a constant"


def test_ten_thousand_node_chain():
    """Does backward walk a 10,000-node chain without recursion, and is the graph freed afterwards?"""
    x = Variable(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert np.isclose(x.grad.item(), 1.0001 ** 10_000)
    del y  # deallocating a deep graph must not overflow the C stack either


def test_float32_stays_float32():
    """With float32 parameters, are outputs and gradients float32 even next to Python numbers?"""
    rng = np.random.default_rng(1)
    w = Variable(rng.normal(size=(4, 3)).astype(np.float32))
    b = Variable(np.zeros(3, dtype=np.float32))
    x = Variable(rng.normal(size=(5, 4)).astype(np.float32), requires_grad=False)
    out = ((x @ w + b).sigmoid() * 0.5 - 1.0 / 3.0) ** 2
    loss = out.mean() + 2.0 * w.tanh().sum() / 7 + (1.5 - b.exp()).max()
    assert out.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32

    wt = torch.tensor(w.data.data, requires_grad=True)
    bt = torch.tensor(b.data.data, requires_grad=True)
    xt = torch.tensor(x.data.data)
    outt = ((xt @ wt + bt).sigmoid() * 0.5 - 1.0 / 3.0) ** 2
    (outt.mean() + 2.0 * wt.tanh().sum() / 7 + (1.5 - bt.exp()).amax()).backward()
    np.testing.assert_allclose(w.grad.data.data, wt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.grad.data.data, bt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_numpy_scalars_do_not_promote_float32():
    """Like Python numbers, do numpy scalars (e.g. a count from mask.sum()) leave float32 results float32?"""
    w = Variable(np.ones(3, dtype=np.float32))
    for result in (w / np.int64(3), w * np.float64(0.5), np.float64(2) - w, w ** np.int32(2)):
        assert result.dtype == np.float32


def test_gradient_dtype_follows_parameter():
    """If float64 constants promote a float32 computation, is the leaf's gradient still float32?"""
    w = Variable(np.ones(3, dtype=np.float32))
    (w * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.dtype == np.float32


def test_optimizer_style_in_place_update():
    """Can an optimizer update p.data.data in place and read p.grad.data.data, with the change visible?"""
    p = Variable(np.array([1.0, 2.0]))
    array = p.data.data
    (p ** 2).sum().backward()
    p.data.data[...] -= 0.1 * p.grad.data.data
    p.data.data -= 0.1 * p.grad.data.data
    assert p.data.data is array
    np.testing.assert_allclose(p.data.data, [0.6, 1.2])
    assert np.allclose((p * 1).data.data, [0.6, 1.2]), "later operations see the updated values"


def test_ndarray_on_the_left_gives_a_variable():
    """Does numpy defer to Variable, so ndarray OP Variable is a tracked Variable?"""
    w = Variable([1.0, 2.0])
    for result in (np.ones(2) + w, np.ones(2) * w, np.ones(2) - w, np.ones(2) / w, np.eye(2) @ w, np.float64(2) * w):
        assert isinstance(result, Variable) and result.requires_grad


def test_unbroadcast_returns_same_array_when_shapes_agree():
    """Is unbroadcast free when no broadcasting happened?"""
    grad = np.ones((2, 3))
    assert unbroadcast(grad, (2, 3)) is grad
    assert unbroadcast(grad, (1, 3)).shape == (1, 3)
    assert unbroadcast(grad, (3,)).shape == (3,)


@pytest.mark.parametrize("module", ["tensor", "autograd"])
def test_package_imports_only_numpy(module):
    """Do the exported tensor and autograd files import nothing but numpy and earlier tinytorch modules?"""
    import ast
    import importlib

    path = importlib.import_module(f"tinytorch.core.{module}").__file__
    tree = ast.parse(open(path, encoding="utf-8").read())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert all(name == "numpy" or name.startswith("tinytorch.") for name in imported), imported
