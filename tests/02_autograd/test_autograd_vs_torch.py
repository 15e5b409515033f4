"""Every Variable operation against torch.autograd: forward values and gradients, in float64 to 1e-10."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tinytorch.core.autograd import Variable

TOL = dict(rtol=1e-10, atol=1e-10)


def _inputs(shapes, seed, positive=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=shape) for shape in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    return arrays


def check_against_torch(ours_fn, torch_fn, arrays, seed=0):
    """Run both functions on the same float64 inputs; compare outputs and the gradients of a random seed."""
    ours = [Variable(a.copy()) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, expected = ours_fn(*ours), torch_fn(*theirs)
    assert isinstance(out, Variable)
    assert out.shape == tuple(expected.shape), f"shape {out.shape} != torch {tuple(expected.shape)}"
    np.testing.assert_allclose(out.data.data, expected.detach().numpy(), **TOL)

    upstream = np.random.default_rng(seed + 1).normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        assert mine.grad is not None, f"input {index} got no gradient"
        assert isinstance(mine.grad, Variable) and not mine.grad.requires_grad
        assert mine.grad.shape == mine.shape, f"input {index}: grad shape {mine.grad.shape} != {mine.shape}"
        np.testing.assert_allclose(mine.grad.data.data, reference.grad.numpy(), **TOL)


BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((5, 4), (4,)),
    ((4,), (5, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((2, 1, 3), (4, 1)),
    ((1,), (3, 2)),
]
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcasting(name, shapes):
    """Do + - * / give torch's values and gradients, with broadcasting undone on both operands?"""
    fn = BINARY[name]
    check_against_torch(fn, fn, _inputs(shapes, seed=len(name), positive=(name == "div")))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 2))], ids=str)
def test_pow_with_variable_exponent(shapes):
    """Does a ** b send gradients to both the base and the exponent?"""
    fn = lambda a, b: a ** b  # noqa: E731
    check_against_torch(fn, fn, _inputs(shapes, seed=3, positive=True))


def _compare_with_nan(mine, theirs):
    """Equal values, with nan where torch has nan and infinities of the same sign where torch has them."""
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=0, equal_nan=True)


# Bases at 0, next to 0 and negative (where a ** p is defined for every p below: integer exponents).
POWER_BASES = np.array([0.0, 1e-3, -1e-3, 0.5, -0.5, 2.0, -2.0])


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1])
def test_pow_with_a_number_exponent_at_and_near_zero(exponent):
    """Is d(x ** p)/dx torch's at x = 0, near it and on negative bases: 0 for x ** 0 at 0 (not 0 * inf = nan)?"""
    x = Variable(POWER_BASES.copy())
    with np.errstate(divide="ignore", invalid="ignore"):
        (x ** exponent).sum().backward()
    t = torch.tensor(POWER_BASES, requires_grad=True)
    (t ** exponent).sum().backward()
    _compare_with_nan(x.grad.data.data, t.grad.numpy())
    assert not np.isnan(x.grad.data.data).any(), f"x ** {exponent}: nan in {x.grad.data.data}"


@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 2.0, -1.0])
def test_pow_with_a_variable_exponent_at_a_zero_base(exponent):
    """Are both gradients of a ** p torch's when the base is 0 (d/dp is 0 there for p >= 0, not 0 * -inf = nan)
    and for positive bases next to it?"""
    bases = np.array([0.0, 1e-3, 0.5, 2.0])
    a, p = Variable(bases.copy()), Variable(np.full(4, exponent))
    with np.errstate(divide="ignore", invalid="ignore"):
        (a ** p).sum().backward()
    ta = torch.tensor(bases, requires_grad=True)
    tp = torch.full((4,), exponent, dtype=torch.float64, requires_grad=True)
    (ta ** tp).sum().backward()
    _compare_with_nan(a.grad.data.data, ta.grad.numpy())
    _compare_with_nan(p.grad.data.data, tp.grad.numpy())


SCALAR_CASES = {
    "a + 2.5": lambda a: a + 2.5,
    "2.5 + a": lambda a: 2.5 + a,
    "a - 1.5": lambda a: a - 1.5,
    "1.5 - a": lambda a: 1.5 - a,
    "a * 3": lambda a: a * 3,
    "3 * a": lambda a: 3 * a,
    "a / 4": lambda a: a / 4,
    "4 / a": lambda a: 4 / a,
    "a ** 3": lambda a: a ** 3,
    "a ** 0.5": lambda a: a ** 0.5,
    "a ** -2": lambda a: a ** -2,
    "2 ** a": lambda a: 2 ** a,
    "-a": lambda a: -a,
}


@pytest.mark.parametrize("name", list(SCALAR_CASES))
def test_python_numbers_on_either_side(name):
    """Do Python numbers work on the left and right of every operator?"""
    fn = SCALAR_CASES[name]
    check_against_torch(fn, fn, _inputs([(3, 4)], seed=5, positive=True))


def test_ndarray_operands_are_constants():
    """Does an ndarray on either side act as a constant (no gradient, result still a Variable)?"""
    c = np.random.default_rng(6).normal(size=(3, 4))
    fn_ours = lambda a: c * a + (a - c) / (c ** 2 + 1) + (c @ a.T).sum()  # noqa: E731
    fn_torch = lambda a: torch.tensor(c) * a + (a - torch.tensor(c)) / (torch.tensor(c) ** 2 + 1) + (torch.tensor(c) @ a.T).sum()  # noqa: E731,E501
    check_against_torch(fn_ours, fn_torch, _inputs([(3, 4)], seed=7))


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    """Does @ match torch for matrices, vectors and broadcast batches of matrices?"""
    fn = lambda a, b: a @ b  # noqa: E731
    check_against_torch(fn, fn, _inputs(shapes, seed=8))


REDUCTION_AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", REDUCTION_AXES, ids=str)
@pytest.mark.parametrize("method", ["sum", "mean", "max", "min"])
def test_reductions(method, axis, keepdims):
    """Do sum, mean, max and min match torch over every axis choice, with and without keepdims?"""
    torch_name = {"sum": "sum", "mean": "mean", "max": "amax", "min": "amin"}[method]

    def ours(a):
        return getattr(a, method)(axis=axis, keepdims=keepdims)

    def theirs(a):
        if axis is None and not keepdims and method in ("sum", "mean"):
            return getattr(a, torch_name)()
        dim = tuple(range(a.dim())) if axis is None else axis
        return getattr(a, torch_name)(dim=dim, keepdim=keepdims)

    check_against_torch(ours, theirs, _inputs([(2, 3, 4)], seed=9))


def test_max_splits_gradient_between_ties():
    """Do tied maxima share the gradient evenly, as torch.amax does?"""
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 1.0]])
    check_against_torch(lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [data])
    check_against_torch(lambda a: a.max(), lambda a: a.amax(), [data])


ELEMENTWISE = {
    "exp": (lambda a: a.exp(), torch.exp, False),
    "log": (lambda a: a.log(), torch.log, True),
    "relu": (lambda a: a.relu(), torch.relu, False),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, False),
    "tanh": (lambda a: a.tanh(), torch.tanh, False),
    "sqrt": (lambda a: a.sqrt(), torch.sqrt, True),
}


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=str)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(name, shape):
    """Do exp, log, relu, sigmoid, tanh and sqrt match torch?"""
    ours, theirs, positive = ELEMENTWISE[name]
    check_against_torch(ours, theirs, _inputs([shape], seed=10, positive=positive))


def test_sigmoid_is_stable_for_large_inputs():
    """Does sigmoid stay finite and exact at +-50 and +-800, where a naive exp would overflow?"""
    data = np.array([-800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check_against_torch(lambda a: a.sigmoid(), torch.sigmoid, [data])


def test_relu_gradient_at_zero_is_zero():
    """Is relu's gradient 0 at exactly 0, as in torch?"""
    check_against_torch(lambda a: a.relu(), torch.relu, [np.array([-1.0, 0.0, 2.0])])


SHAPE_CASES = {
    "reshape(4, 6)": (lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6)),
    "reshape((-1,))": (lambda a: a.reshape((-1,)), lambda a: a.reshape(-1)),
    "transpose()": (lambda a: a.transpose(), lambda a: a.permute(2, 1, 0)),
    "transpose(1, 0, 2)": (lambda a: a.transpose(1, 0, 2), lambda a: a.permute(1, 0, 2)),
    "transpose((2, 0, 1))": (lambda a: a.transpose((2, 0, 1)), lambda a: a.permute(2, 0, 1)),
    "T": (lambda a: a.T, lambda a: a.permute(2, 1, 0)),
    "[1]": (lambda a: a[1], lambda a: a[1]),
    "[:, 1:3]": (lambda a: a[:, 1:3], lambda a: a[:, 1:3]),
    "[:, 0]": (lambda a: a[:, 0], lambda a: a[:, 0]),
    "[..., ::2]": (lambda a: a[..., ::2], lambda a: a[..., ::2]),
    "[None, 0]": (lambda a: a[None, 0], lambda a: a[None, 0]),
    "[-1, :, -1]": (lambda a: a[-1, :, -1], lambda a: a[-1, :, -1]),
    "[[0, 1, 1]]": (lambda a: a[np.array([0, 1, 1])], lambda a: a[torch.tensor([0, 1, 1])]),
    "[arange, labels]": (
        lambda a: a[np.arange(2), np.array([2, 0])],
        lambda a: a[torch.arange(2), torch.tensor([2, 0])],
    ),
    "[mask]": (lambda a: a[np.array([True, False])], lambda a: a[torch.tensor([True, False])]),
}


@pytest.mark.parametrize("name", list(SHAPE_CASES))
def test_shape_and_indexing(name):
    """Do reshape, transpose, .T and indexing (basic, integer-array, repeated, boolean) match torch?"""
    ours, theirs = SHAPE_CASES[name]
    check_against_torch(ours, theirs, _inputs([(2, 3, 4)], seed=11))


def test_matrix_transpose_property():
    """Is .T of a matrix its transpose?"""
    check_against_torch(lambda a: a.T @ a, lambda a: a.T @ a, _inputs([(3, 2)], seed=12))


# Composite expressions that later modules build from these primitives.


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - shifted.exp().sum(axis=1, keepdims=True).log()


def test_cross_entropy_from_primitives():
    """Does a stable log-softmax plus integer indexing give torch's cross-entropy and gradients?"""
    labels = np.array([0, 3, 2, 3, 1])

    def ours(z):
        return -_log_softmax(z)[np.arange(5), labels].mean()

    def theirs(z):
        return torch.nn.functional.cross_entropy(z, torch.tensor(labels))

    check_against_torch(ours, theirs, [np.random.default_rng(13).normal(size=(5, 4)) * 30])


def test_binary_cross_entropy_with_logits_from_primitives():
    """Does max(x, 0) - x*y + log(1 + exp(-|x|)) match torch's BCE-with-logits?"""
    targets = np.random.default_rng(14).integers(0, 2, size=(6, 2)).astype(float)

    def ours(x):
        absolute = x.relu() + (-x).relu()
        return (x.relu() - x * targets + (1 + (-absolute).exp()).log()).mean()

    def theirs(x):
        return torch.nn.functional.binary_cross_entropy_with_logits(x, torch.tensor(targets))

    check_against_torch(ours, theirs, [np.random.default_rng(15).normal(size=(6, 2)) * 20])


def test_mlp_layer_stack():
    """Does a two-layer MLP with bias broadcasting and MSE give torch's gradients for every parameter?"""
    x = np.random.default_rng(16).normal(size=(8, 5))

    def forward(w1, b1, w2, b2, to_const):
        hidden = (to_const(x) @ w1 + b1).relu()
        return (((hidden @ w2 + b2).tanh() - 0.5) ** 2).mean()

    check_against_torch(
        lambda *p: forward(*p, to_const=lambda a: a),
        lambda *p: forward(*p, to_const=torch.tensor),
        _inputs([(5, 7), (7,), (7, 3), (3,)], seed=17),
    )


def test_batch_norm_from_primitives():
    """Does batch normalisation written with mean, ** and sqrt match torch's batch_norm in training mode?"""

    def ours(x, gamma, beta):
        mean = x.mean(axis=0, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=0, keepdims=True)
        return (x - mean) / (var + 1e-5).sqrt() * gamma + beta

    def theirs(x, gamma, beta):
        return torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)

    check_against_torch(ours, theirs, _inputs([(6, 4), (4,), (4,)], seed=18))


def test_selu_from_primitives():
    """Does SELU written as scale * (relu(x) + alpha * (exp(-relu(-x)) - 1)) match torch's selu?"""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

    def ours(x):
        return scale * (x.relu() + alpha * ((-(-x).relu()).exp() - 1))

    check_against_torch(ours, torch.nn.functional.selu, _inputs([(4, 5)], seed=19))


def test_shared_subexpressions():
    """Does a node used several times (a diamond-shaped graph) receive the sum of all contributions?"""

    def fn(a, b):
        c = a * b
        d = c + a
        return (d * c - c.exp() * a).sum() + (d / (b * b + 1)).mean()

    check_against_torch(fn, fn, _inputs([(3, 4), (4,)], seed=20))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(sorted(BINARY)),
)
def test_any_broadcast_pair(shapes, op):
    """For any two broadcastable shapes, do the gradients of + - * / match torch?"""
    fn = BINARY[op]
    check_against_torch(fn, fn, _inputs(shapes.input_shapes, seed=21, positive=True))


# Finite differences: the gradients against the definition of a derivative, no torch involved.


def numerical_gradient(fn, arrays, index, eps=1e-6):
    """Central differences of the scalar fn(*Variables) with respect to arrays[index]."""
    base = arrays[index]
    grad = np.zeros_like(base)
    for position in np.ndindex(base.shape):
        values = []
        for step in (eps, -eps):
            shifted = [a.copy() for a in arrays]
            shifted[index][position] += step
            values.append(fn(*[Variable(a, requires_grad=False) for a in shifted]).item())
        grad[position] = (values[0] - values[1]) / (2 * eps)
    return grad


FINITE_DIFFERENCE_CASES = {
    "polynomial": (lambda a, b: ((a * b + a ** 2) / (b * b + 1)).sum(), [(3, 1), (1, 4)]),
    "matmul-tanh": (lambda a, b: (a @ b).tanh().mean(), [(2, 3), (3, 4)]),
    "softmax-max": (lambda a: _log_softmax(a)[np.arange(3), np.array([1, 0, 1])].sum(), [(3, 2)]),
    "sigmoid-log": (lambda a: (a.sigmoid() + 1).log().sum(axis=0).max(), [(4, 3)]),
    "index-reshape": (lambda a: (a[:, 1:].reshape(-1) ** 3).sum() + a.T[0].exp().sum(), [(3, 3)]),
}


@pytest.mark.parametrize("name", list(FINITE_DIFFERENCE_CASES))
def test_finite_differences(name):
    """Do backward's gradients agree with central finite differences?"""
    fn, shapes = FINITE_DIFFERENCE_CASES[name]
    arrays = _inputs(shapes, seed=22)
    variables = [Variable(a.copy()) for a in arrays]
    fn(*variables).backward()
    for index, variable in enumerate(variables):
        expected = numerical_gradient(fn, arrays, index)
        np.testing.assert_allclose(variable.grad.data.data, expected, rtol=1e-6, atol=1e-7)
