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
# # Module 5: Loss functions
#
# Training needs one number that says how wrong the model is, so that `backward()` has something to
# differentiate. That number is the **loss**. Which loss you choose decides what "wrong" means: how much a
# large error counts against a small one, and how hard the gradient pushes a prediction that is confidently
# wrong. In this module you write the four losses that cover almost every supervised problem:
#
# | loss | model output | target | used for |
# | --- | --- | --- | --- |
# | `MSELoss` | any real numbers | numbers of the same shape | regression |
# | `CrossEntropyLoss` | scores (*logits*) `(N, C)` | class indices `(N,)` | one of `C` classes |
# | `BCELoss` | probabilities in [0, 1] | 0 or 1 (or anything between) | yes/no questions, after a sigmoid |
# | `BCEWithLogitsLoss` | logits, any real numbers | 0 or 1 | the same, without the sigmoid |
#
# Each takes `reduction="mean"` (average over all elements, the default), `"sum"`, or `"none"` (one loss per
# element or example, for weighting or inspection), and returns a `Variable`.
#
# Two numerical problems run through the module. Exponentials overflow: `e^{1000}` is `inf` in float64, and
# logits of that size do happen when a network is confidently wrong. Logarithms of zero are `-inf`. A loss
# that returns `inf` or `nan` once poisons every weight at the next update. The cure, the **log-sum-exp
# trick**, is short, and it is the reason PyTorch's classification losses take logits rather than
# probabilities. Every loss here gives the same values and gradients as `torch.nn`, including at logits of
# ±1000.

# %% nbgrader={"grade": false, "grade_id": "losses-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.losses
#| export
import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.tensor import Tensor

# %%
import matplotlib.pyplot as plt
import pytest

# %% [markdown]
# ## 1. What every loss shares
#
# The given `Loss` base class checks `reduction` in its constructor, makes a loss callable
# (`loss_fn(prediction, target)` calls `forward`), and applies the reduction with `reduce`. The helpers turn
# targets into constants of the prediction's dtype (a float32 model keeps a float32 loss), and refuse
# targets whose shape differs from the prediction's: broadcasting a `(N, 1)` prediction against an `(N,)`
# target would silently compare every prediction with every target, a classic bug.

# %% nbgrader={"grade": false, "grade_id": "loss-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
REDUCTIONS = ("mean", "sum", "none")


def _as_variable(value):
    """`value` as a Variable: a Variable passes through; an ndarray, list, number or Tensor becomes a constant."""
    return value if isinstance(value, Variable) else Variable(value, requires_grad=False)


def _array(value):
    """The ndarray inside a Variable or Tensor, or np.asarray(value)."""
    if isinstance(value, Variable):
        return value.data.data
    if isinstance(value, Tensor):
        return value.data
    return np.asarray(value)


def _as_target(target, prediction):
    """`target` as a Variable of the prediction's shape; a non-Variable target becomes a constant of its dtype."""
    if not isinstance(target, Variable):
        target = Variable(np.asarray(_array(target), dtype=prediction.dtype), requires_grad=False)
    if target.shape != prediction.shape:
        raise ValueError(f"the target has shape {target.shape} but the prediction has shape {prediction.shape}")
    return target


class Loss:
    """Base class: `loss_fn(prediction, target)` calls `forward`, which returns `self.reduce(per-element losses)`."""

    def __init__(self, reduction="mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"invalid reduction {reduction!r}: choose one of {REDUCTIONS}")
        self.reduction = reduction

    def __call__(self, prediction, target):
        return self.forward(prediction, target)

    def forward(self, prediction, target):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def reduce(self, losses):
        """The mean or the sum of the Variable `losses`, or `losses` itself for reduction="none"."""
        if self.reduction == "mean":
            return losses.mean()
        if self.reduction == "sum":
            return losses.sum()
        return losses

    def __repr__(self):
        return f"{type(self).__name__}(reduction={self.reduction!r})"


# %% [markdown]
# ## 2. Mean squared error
#
# For regression the natural loss is the squared error, averaged over all elements:
#
# $$L = \frac{1}{n} \sum_k (\hat y_k - y_k)^2, \qquad \frac{\partial L}{\partial \hat y_k} = \frac{2}{n}(\hat y_k - y_k).$$
#
# Squaring makes the loss smooth and its gradient proportional to the error: big mistakes are pushed hard,
# small ones gently. Minimising it is maximum likelihood under Gaussian noise, and the best constant
# prediction is the mean of the targets. The same squaring makes it sensitive to outliers: one error of 10
# counts as much as a hundred errors of 1.
#
# Write `MSELoss.forward` with `Variable` operations: convert the prediction with `_as_variable` and the
# target with `_as_target`, and reduce the element-wise squared differences.

# %% nbgrader={"grade": false, "grade_id": "mse-loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MSELoss(Loss):
    """The squared difference between prediction and target, element-wise, then reduced."""

    def forward(self, prediction, target):
        """prediction and target have the same shape; returns a Variable (a scalar unless reduction="none")."""
        ### BEGIN SOLUTION
        prediction = _as_variable(prediction)
        difference = prediction - _as_target(target, prediction)
        return self.reduce(difference * difference)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-mse", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_mse():
    """MSELoss: values for each reduction and the gradient 2 (prediction - target) / n."""
    prediction = Variable(np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]]))
    target = np.array([[1.5, 2.0], [1.0, 4.0], [0.0, 1.0]])
    squared = (prediction.data.data - target) ** 2
    for reduction, expected in (("mean", squared.mean()), ("sum", squared.sum()), ("none", squared)):
        got = MSELoss(reduction=reduction)(prediction, target)
        assert isinstance(got, Variable), f"MSELoss should return a Variable, got {type(got).__name__}"
        assert np.allclose(got.data.data, expected) and got.shape == np.shape(expected), f"reduction={reduction!r}: expected {expected}, got {got.data.data}"

    loss = MSELoss()(prediction, target)
    loss.backward()
    expected = 2 * (prediction.data.data - target) / 6
    assert np.allclose(prediction.grad.data.data, expected), f"gradient: expected 2 (p - y) / n =\n{expected}\ngot\n{prediction.grad.data.data}"

    with pytest.raises(ValueError):
        MSELoss()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError):
        MSELoss(reduction="average")
    small = MSELoss()(np.ones(3, dtype=np.float32), np.zeros(3))
    assert small.dtype == np.float32, f"a float32 prediction gives a float32 loss, got {small.dtype}"

test_mse()

# %% [markdown]
# ## 3. Log-softmax and the log-sum-exp trick
#
# A classifier outputs one score per class, the **logits** `z_1 ... z_C`. Softmax turns them into
# probabilities `p_i = e^{z_i} / Σ_j e^{z_j}`, and the loss for an example of class `t` is the negative
# log-probability the model gave to it: `-log p_t`. Taking the log of the softmax gives
#
# $$\log p_i = z_i - \log \sum_j e^{z_j}.$$
#
# The second term, **log-sum-exp**, is where the trouble is. With logits `[1000, 0]`, `e^{1000}` is `inf` and
# the result is `nan`; with logits `[-1000, -1000]` every `e^{z_j}` is 0 and the log is `-inf`. Both are fixed by
# one identity: for any constant `m`,
#
# $$\log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}.$$
#
# Choose `m = max_j z_j`. Then every exponent is at most 0, so nothing overflows, and the largest term is
# `e^0 = 1`, so the sum is at least 1 and its log is finite. The log-probabilities become
# `(z_i - m) - log Σ_j e^{z_j - m}`, each exactly representable even when `p_i` itself underflows to 0.
# (Computing softmax first and then its log would lose that: `log(0) = -inf`.)
#
# As in `Softmax` of the last module, `m` is a constant: take it from the ndarray, so no gradient flows
# through it. The gradient of the result is the same for every `m`, so this costs nothing.
#
# Write `log_softmax`.

# %% nbgrader={"grade": false, "grade_id": "log-softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def log_softmax(logits, axis=-1):
    """log(softmax(logits)) along `axis`, as (z - m) - log(sum(exp(z - m))) with m the (constant) maximum."""
    ### BEGIN SOLUTION
    logits = _as_variable(logits)
    shifted = logits - logits.data.data.max(axis=axis, keepdims=True)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-log-softmax", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_log_softmax():
    """log_softmax: right values along either axis, finite at ±1000, and a softmax-shaped gradient."""
    z = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    expected = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    got = log_softmax(z, axis=1)
    assert isinstance(got, Variable), f"log_softmax should return a Variable, got {type(got).__name__}"
    assert np.allclose(got.data.data, expected), f"log_softmax: expected\n{expected}\ngot\n{got.data.data}"
    assert np.allclose(log_softmax(z.T, axis=0).data.data, expected.T), "log_softmax(axis=0) should work along columns"

    extreme = log_softmax(np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]])).data.data
    expected = np.array([[0.0, -1000.0, -2000.0], [-np.log(3)] * 3])
    assert np.allclose(extreme, expected), f"log_softmax at ±1000: expected\n{expected}\ngot\n{extreme}"

    x = Variable(z.copy())
    log_softmax(x)[:, 0].sum().backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = np.eye(3)[[0, 0]] - p
    assert np.allclose(x.grad.data.data, expected), f"gradient of log_softmax(z)[:, 0]: expected one-hot minus softmax\n{expected}\ngot\n{x.grad.data.data}"

test_log_softmax()

# %% [markdown]
# The same trick gives `softplus(x) = log(1 + e^x)`, which you need for `BCEWithLogitsLoss`: it is the
# log-sum-exp of the two numbers `0` and `x`. With `m = max(x, 0)` (as a constant),
# `softplus(x) = m + log(e^{-m} + e^{x - m})`, where one of the two exponentials is `e^0 = 1`. Write `softplus`.

# %% nbgrader={"grade": false, "grade_id": "softplus", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def softplus(x):
    """log(1 + exp(x)), element-wise, as m + log(exp(-m) + exp(x - m)) with m = max(x, 0) a constant."""
    ### BEGIN SOLUTION
    x = _as_variable(x)
    m = np.maximum(x.data.data, 0)
    return ((x - m).exp() + np.exp(-m)).log() + m
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softplus", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_softplus():
    """softplus: log(1 + e^x) without overflow at ±1000, and the sigmoid as its gradient."""
    points = np.array([-1000.0, -30.0, 0.0, 2.0, 1000.0])
    values = softplus(points).data.data
    expected = np.logaddexp(0, points)
    assert np.allclose(values, expected, rtol=1e-12, atol=1e-12), f"softplus: expected {expected}, got {values}"
    v = Variable(points.copy())
    softplus(v).sum().backward()
    sigmoid = 0.5 * (1 + np.tanh(points / 2))
    assert np.allclose(v.grad.data.data, sigmoid), f"softplus' is the sigmoid: expected {sigmoid}, got {v.grad.data.data}"

test_softplus()

# %% [markdown]
# ## 4. Cross-entropy
#
# `CrossEntropyLoss` takes logits `(N, C)` and integer class indices `(N,)` and returns
# `-log_softmax(logits)[i, t_i]`, reduced over the batch. Pick each row's entry with the integer-array
# indexing of `Variable` (`logp[np.arange(N), targets]`); its backward pass scatters the gradient back into
# the right places.
#
# **Its gradient** is the most used formula in deep learning. For one example with class `t`,
#
# $$\frac{\partial}{\partial z_i}\Big(-z_t + \log \sum_j e^{z_j}\Big) = -[i = t] + \frac{e^{z_i}}{\sum_j e^{z_j}} = p_i - [i = t].$$
#
# The gradient is the predicted distribution minus the one-hot target: the model is pushed to raise the true
# class's score by `1 - p_t` and to lower every other score by its probability. It is bounded (each entry lies
# between -1 and 1) however wrong the model is, and it is largest exactly when the model is confidently wrong.
# Autograd finds it from your operations; the test checks that it does.
#
# Targets may arrive as an int array, a list, a Tensor or a Variable (whose data is float); the given helper
# `_class_indices` turns them into an int64 array and checks them.

# %% nbgrader={"grade": false, "grade_id": "cross-entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _class_indices(targets, logits):
    """`targets` as an int64 array of shape (N,) with values in [0, C), for logits of shape (N, C)."""
    raw = _array(targets)
    indices = raw.astype(np.int64)
    if raw.shape != logits.shape[:1] or not np.array_equal(indices, raw):
        raise ValueError(f"targets must be {logits.shape[:1]} integer class indices, got {raw.dtype} {raw.shape}")
    if indices.size and (indices.min() < 0 or indices.max() >= logits.shape[1]):
        raise ValueError(f"class indices must be in [0, {logits.shape[1]}), got {indices.min()}..{indices.max()}")
    return indices


class CrossEntropyLoss(Loss):
    """-log softmax(logits)[target] for each example, then reduced: softmax and log-likelihood in one stable step."""

    def forward(self, logits, targets):
        """logits (N, C), targets (N,) class indices; reduction "none" gives the (N,) per-example losses."""
        logits = _as_variable(logits)
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got {logits.shape}")
        targets = _class_indices(targets, logits)
        ### BEGIN SOLUTION
        log_probabilities = log_softmax(logits, axis=1)
        picked = log_probabilities[np.arange(len(targets)), targets]
        return self.reduce(-picked)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-cross-entropy", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
def test_cross_entropy():
    """CrossEntropyLoss: values for each reduction, gradient (softmax - one-hot) / N, and no nan at ±1000."""
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.0, 1.0, 1.0], [-1.0, 0.0, 3.0]])
    t = np.array([0, 1, 2, 0])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    per_example = -np.log(p[np.arange(4), t])
    for reduction, expected in (("mean", per_example.mean()), ("sum", per_example.sum()), ("none", per_example)):
        got = CrossEntropyLoss(reduction=reduction)(z, t)
        assert isinstance(got, Variable) and got.shape == np.shape(expected), f"reduction={reduction!r}: expected shape {np.shape(expected)}, got {got!r}"
        assert np.allclose(got.data.data, expected), f"reduction={reduction!r}: expected {expected}, got {got.data.data}"

    logits = Variable(z.copy())
    CrossEntropyLoss()(logits, t).backward()
    expected = (p - np.eye(3)[t]) / 4
    assert np.allclose(logits.grad.data.data, expected), f"gradient: expected (softmax - one_hot) / N =\n{expected}\ngot\n{logits.grad.data.data}"

    wild = Variable(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]))
    loss = CrossEntropyLoss(reduction="none")(wild, [1, 1])
    assert np.allclose(loss.data.data, [2000.0, 0.0]), f"logits ±1000: expected losses [2000, 0], got {loss.data.data}"
    loss.sum().backward()
    assert np.all(np.isfinite(wild.grad.data.data)), f"logits ±1000: the gradient must be finite, got {wild.grad.data.data}"
    assert np.allclose(wild.grad.data.data, [[1.0, -1.0], [0.0, 0.0]]), f"logits ±1000: expected gradient [[1, -1], [0, 0]], got {wild.grad.data.data}"
    with pytest.raises(ValueError):
        CrossEntropyLoss()(z, [0, 1, 3, 0])

test_cross_entropy()

# %% [markdown]
# ## 5. Binary cross-entropy from probabilities
#
# For a yes/no question the model outputs one probability `p` (after a sigmoid), and the loss is the negative
# log-likelihood of the target `y` (0 or 1, or a soft label in between):
#
# $$\ell(p, y) = -\big(y \log p + (1 - y) \log(1 - p)\big), \qquad
# \frac{\partial \ell}{\partial p} = \frac{p - y}{p (1 - p)}.$$
#
# Here the probabilities come in already computed, so the log-sum-exp trick cannot help: a sigmoid that
# saturated to exactly 0 or 1 gives `log 0 = -inf`. PyTorch's `BCELoss` makes the damage finite instead. It
# clamps each logarithm at -100 (so a certain, wrong prediction costs 100, not `inf`), and its backward pass
# divides by `max(p (1 - p), 1e-12)` (so the gradient is at most about `10^12`, not `inf` or `nan`).
#
# Autograd cannot reproduce that last rule from `log` and `maximum`: where the clamp is active its gradient
# is 0, but `log`'s backward computes `0 / 0 = nan` before that. So `binary_cross_entropy` is a new operation
# with its own backward closure, written with the recipe of module 2:
#
# 1. compute the output array with numpy (use `np.log1p(-p)` for `log(1 - p)`: accurate for tiny `p`, and
#    wrap the logs in `np.errstate(divide="ignore")` so `log(0)` does not warn);
# 2. define `backward(grad)` that calls `probabilities._accumulate(grad * (p - y) / np.maximum(p * (1 - p), 1e-12))`;
# 3. return `Variable._from_op(output, (probabilities,), backward)`.
#
# The targets are constants here (no gradient flows to them). Probabilities outside [0, 1] are a bug in the
# model, not a number to clamp: raise a ValueError, as PyTorch does (that check is given). Write
# `binary_cross_entropy`.

# %% nbgrader={"grade": false, "grade_id": "binary-cross-entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
LOG_CLAMP = -100.0
BCE_EPSILON = float(np.float32(1e-12))  # torch's constant: the float32 nearest to 1e-12


def binary_cross_entropy(probabilities, targets):
    """Element-wise -(y * log(p) + (1 - y) * log(1 - p)), each log clamped below at LOG_CLAMP (torch's rule).

    `probabilities` (values in [0, 1], else ValueError) and `targets` have the same shape; `targets` is a
    constant. Backward: grad * (p - y) / max(p * (1 - p), BCE_EPSILON).
    """
    probabilities = _as_variable(probabilities)
    y = _as_target(targets, probabilities).data.data
    p = probabilities.data.data
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError("binary_cross_entropy needs probabilities between 0 and 1: apply a sigmoid first")
    ### BEGIN SOLUTION
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), LOG_CLAMP)
        log_not_p = np.maximum(np.log1p(-p), LOG_CLAMP)
    out = -(y * log_p + (1 - y) * log_not_p)

    def backward(grad):
        probabilities._accumulate(grad * (p - y) / np.maximum(p * (1 - p), BCE_EPSILON))

    return Variable._from_op(out, (probabilities,), backward)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-binary-cross-entropy", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_binary_cross_entropy():
    """binary_cross_entropy: element-wise values, gradient (p - y) / (p (1 - p)), torch's clamping at p = 0 and 1."""
    p = np.array([0.9, 0.2, 0.5, 0.7])
    y = np.array([1.0, 0.0, 1.0, 0.25])
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    probabilities = Variable(p.copy())
    got = binary_cross_entropy(probabilities, y)
    assert isinstance(got, Variable) and got.shape == (4,), f"expected a Variable of shape (4,), got {got!r}"
    assert np.allclose(got.data.data, expected), f"expected {expected}, got {got.data.data}"
    got.sum().backward()
    expected = (p - y) / (p * (1 - p))
    assert np.allclose(probabilities.grad.data.data, expected), f"gradient: expected {expected}, got {probabilities.grad.data.data}"

    edge = Variable(np.array([0.0, 1.0, 0.0, 1.0]))
    loss = binary_cross_entropy(edge, np.array([1.0, 0.0, 0.0, 1.0]))
    assert np.allclose(loss.data.data, [100.0, 100.0, 0.0, 0.0]), f"p = 0 or 1: log is clamped at -100, expected [100, 100, 0, 0], got {loss.data.data}"
    loss.sum().backward()
    assert np.allclose(edge.grad.data.data, [-1e12, 1e12, 0.0, 0.0]), f"p = 0 or 1: expected gradient [-1e12, 1e12, 0, 0], got {edge.grad.data.data}"
    ### BEGIN HIDDEN TESTS
    assert binary_cross_entropy(np.float32([0.3]), [1.0]).dtype == np.float32, "float32 probabilities give a float32 loss"
    ### END HIDDEN TESTS

test_binary_cross_entropy()

# %% [markdown]
# `BCELoss` reduces those element-wise losses like every other loss here, with `self.reduce`. Write its
# `forward`.

# %% nbgrader={"grade": false, "grade_id": "bce-loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class BCELoss(Loss):
    """Binary cross-entropy between probabilities and targets of the same shape, then reduced."""

    def forward(self, probabilities, targets):
        """The reduced binary_cross_entropy of `probabilities` (in [0, 1]) and `targets` (same shape)."""
        ### BEGIN SOLUTION
        return self.reduce(binary_cross_entropy(probabilities, targets))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bce", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_bce():
    """BCELoss: each reduction, the gradient (p - y) / (p (1 - p) N), and probabilities outside [0, 1] refused."""
    p = np.array([0.9, 0.2, 0.5, 0.7])
    y = np.array([1.0, 0.0, 1.0, 0.25])
    per_element = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    for reduction, expected in (("mean", per_element.mean()), ("sum", per_element.sum()), ("none", per_element)):
        got = BCELoss(reduction=reduction)(p, y)
        assert isinstance(got, Variable) and got.shape == np.shape(expected), f"reduction={reduction!r}: expected shape {np.shape(expected)}, got {got!r}"
        assert np.allclose(got.data.data, expected), f"reduction={reduction!r}: expected {expected}, got {got.data.data}"
    probabilities = Variable(p.copy())
    BCELoss()(probabilities, y).backward()
    expected = (p - y) / (p * (1 - p)) / 4
    assert np.allclose(probabilities.grad.data.data, expected), f"gradient: expected {expected}, got {probabilities.grad.data.data}"
    with pytest.raises(ValueError):
        BCELoss()(np.array([0.5, 1.5]), np.array([1.0, 0.0]))

test_bce()

# %% [markdown]
# ## 6. Binary cross-entropy from logits
#
# `BCEWithLogitsLoss` takes the logit `x` and applies the sigmoid itself, which lets the algebra remove every
# dangerous step. With `p = σ(x) = 1 / (1 + e^{-x})`, `log p = -softplus(-x)` and `log(1 - p) = -softplus(x)`,
# and since `softplus(x) - softplus(-x) = x`,
#
# $$\ell(x, y) = y\,\mathrm{softplus}(-x) + (1 - y)\,\mathrm{softplus}(x) = \mathrm{softplus}(x) - y\,x,
# \qquad \frac{\partial \ell}{\partial x} = \sigma(x) - y .$$
#
# Your stable `softplus` makes this exact for every `x`: at `x = 1000` with `y = 0` the loss is 1000, where
# `BCELoss(sigmoid(x))` would be stuck at the clamp (100) with a gradient of 0. Prefer this loss whenever the
# model's last layer would be a sigmoid; the same holds for `CrossEntropyLoss` against softmax followed by a
# log. The gradient, like cross-entropy's, is "prediction minus target".

# %% nbgrader={"grade": false, "grade_id": "bce-with-logits", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy of sigmoid(logits) and targets, computed stably as softplus(x) - y * x, then reduced."""

    def forward(self, logits, targets):
        """The reduced softplus(logits) - targets * logits; `targets` (a constant) has the logits' shape."""
        ### BEGIN SOLUTION
        logits = _as_variable(logits)
        targets = _as_target(targets, logits)
        return self.reduce(softplus(logits) - targets * logits)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bce-with-logits", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
def test_bce_with_logits():
    """BCEWithLogitsLoss: equals BCE of the sigmoid, gradient (sigmoid - y) / N, exact at ±1000."""
    x = np.array([[2.0, -1.0], [0.0, 0.5]])
    y = np.array([[1.0, 0.0], [1.0, 0.3]])
    p = 1 / (1 + np.exp(-x))
    per_element = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    for reduction, expected in (("mean", per_element.mean()), ("sum", per_element.sum()), ("none", per_element)):
        got = BCEWithLogitsLoss(reduction=reduction)(x, y)
        assert isinstance(got, Variable) and got.shape == np.shape(expected), f"reduction={reduction!r}: expected shape {np.shape(expected)}, got {got!r}"
        assert np.allclose(got.data.data, expected), f"reduction={reduction!r}: expected {expected}, got {got.data.data}"
    logits = Variable(x.copy())
    BCEWithLogitsLoss()(logits, y).backward()
    assert np.allclose(logits.grad.data.data, (p - y) / 4), f"gradient: expected (sigmoid(x) - y) / N = {(p - y) / 4}, got {logits.grad.data.data}"

    wild = Variable(np.array([1000.0, 1000.0, -1000.0, -1000.0]))
    loss = BCEWithLogitsLoss(reduction="none")(wild, np.array([1.0, 0.0, 1.0, 0.0]))
    assert np.allclose(loss.data.data, [0.0, 1000.0, 1000.0, 0.0]), f"logits ±1000: expected [0, 1000, 1000, 0], got {loss.data.data}"
    loss.sum().backward()
    assert np.allclose(wild.grad.data.data, [0.0, 1.0, -1.0, 0.0]), f"logits ±1000: expected gradient [0, 1, -1, 0], got {wild.grad.data.data}"
    with pytest.raises(ValueError):
        BCEWithLogitsLoss()(np.zeros((3, 1)), np.zeros(3))

test_bce_with_logits()

# %% [markdown]
# ## 7. How hard each loss pushes
#
# Take a binary example whose true label is 1 and let the logit `x` run from confidently wrong (`x = -8`) to
# confidently right. Below: each loss, and the size of its gradient with respect to the logit, for
# `BCEWithLogitsLoss`, for `BCELoss` applied to `sigmoid(x)` (the same loss, computed in two steps), and for
# `MSELoss` between `sigmoid(x)` and the label (a common beginner's choice for classification).

# %%
x_values = np.linspace(-8, 8, 401)
labels = np.ones_like(x_values)
curves = {}
for name, loss_of_logits in {
    "BCEWithLogitsLoss(x, y)": lambda x: BCEWithLogitsLoss(reduction="none")(x, labels),
    "BCELoss(sigmoid(x), y)": lambda x: BCELoss(reduction="none")(x.sigmoid(), labels),
    "MSELoss(sigmoid(x), y)": lambda x: MSELoss(reduction="none")(x.sigmoid(), labels),
}.items():
    x = Variable(x_values.copy())
    loss = loss_of_logits(x)
    loss.sum().backward()
    curves[name] = (loss.data.data, np.abs(x.grad.data.data))

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 3.6))
for (name, (values, gradient)), style in zip(curves.items(), ("-", "--", "-")):
    ax_loss.plot(x_values, values, style, label=name)
    ax_grad.plot(x_values, gradient, style, label=name)
ax_loss.set(xlabel="logit x (true label 1)", ylabel="loss", title="loss")
ax_grad.set(xlabel="logit x (true label 1)", ylabel="|d loss / d x|", title="gradient size")
ax_loss.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The two cross-entropy curves coincide: with a stable sigmoid they are the same function, and near `x = -8`
# the gradient approaches 1, its largest possible size, exactly where the model is most wrong. The squared
# error of the probability does the opposite. Its gradient is `2 (σ(x) - 1) σ(x) (1 - σ(x))`, and the last
# factor goes to 0 as the sigmoid saturates: the more confidently wrong the model, the *less* it learns.
#
# At larger logits the two cross-entropies part ways numerically, which is why the logits version exists:

# %%
for logit in (-50.0, -200.0, -1000.0):
    x = Variable(np.array([logit]))
    from_logits = BCEWithLogitsLoss()(x, [1.0])
    x_sig = Variable(np.array([logit]))
    from_probabilities = BCELoss()(x_sig.sigmoid(), [1.0])
    from_logits.backward()
    from_probabilities.backward()
    print(f"x = {logit:7.1f}   with logits: loss {from_logits.item():7.1f}, grad {x.grad.item():5.2f}   "
          f"from sigmoid: loss {from_probabilities.item():7.1f}, grad {x_sig.grad.item():5.2f}")

# %% [markdown]
# ## Question 1: choosing a loss
#
# A colleague trains a 10-class image classifier with a softmax as the last layer of the model and
# `MSELoss` between the softmax output and one-hot targets. Training starts, but examples that the network
# gets confidently wrong barely improve. Explain why, using the gradients of this module, and say what you
# would change (in the model and in the loss) and why your change also helps numerically.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-choosing-a-loss", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# The gradient of the squared error reaches the logits through the softmax's Jacobian,
# `∂p_i/∂z_k = p_i (δ_ik - p_k)`. When the network is confidently wrong, the probability of the true class
# `p_t` is close to 0 and another class has `p_k` close to 1, so every entry of the Jacobian is close to 0
# (`p_t (1 - p_t)` and `p_k (1 - p_k)` are both small). The error `p - onehot` is as large as it can be, but it
# is multiplied by this nearly-zero Jacobian: the worse the mistake, the smaller the update, just as the
# sigmoid-plus-MSE curve of section 7 shows. MSE also treats the probabilities as regression targets and
# caps the cost of a mistake at 2, while the probabilistic cost of being certain and wrong is unbounded.
#
# Remove the softmax from the model so that it outputs logits, and use `CrossEntropyLoss`. Its gradient with
# respect to the logits is `p - onehot`: no vanishing Jacobian factor, so a confidently wrong example receives
# a gradient of size close to 1 on the true and the predicted class. It is the negative log-likelihood, so
# minimising it makes the predicted probabilities calibrated. Numerically, `CrossEntropyLoss` works on logits
# with the log-sum-exp trick: it never computes `e^z` of a large logit or `log` of a probability that
# underflowed to 0, so it stays finite for logits of any size, whereas `log(softmax(z))` computed in two steps
# returns `-inf` and then `nan` gradients once a probability underflows. The softmax is still used, but only
# at prediction time, to report probabilities.

# %% [markdown]
# ## Question 2: the cost of certainty
#
# `BCELoss` clamps `log p` at -100 and divides by at least `1e-12` in its backward pass;
# `BCEWithLogitsLoss` needs neither. (a) Follow `BCELoss(sigmoid(x), 1)` in float64 as the logit `x` of a
# positive example goes from 0 down to -1000. From which logit on is its gradient with respect to `x` no longer
# `σ(x) - 1`, and what does it become? From which logit on is the loss no longer `-log σ(x)`? Compare with
# `BCEWithLogitsLoss`. (b) Why does PyTorch clamp at all, rather than return `inf`?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-clamping", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# (a) By the chain rule the gradient is `(p - 1) / max(p (1 - p), 1e-12) · p (1 - p)` with `p = σ(x)`. While
# `p (1 - p) ≥ 1e-12` the two factors cancel and it is exactly `σ(x) - 1 ≈ -1`, as it should be. Below
# `p ≈ 10^-12`, that is from `x ≈ -27.6` on, the denominator is stuck at `1e-12` while `σ'(x) = p (1 - p)` keeps
# shrinking, so the gradient becomes about `-p / 10^-12 = -e^x · 10^12`: already `-2·10^-10` at `x = -50`, and
# 0 once `p` underflows (`x < -745`). The loss stays exact longer: `-log σ(x) ≈ -x` until it reaches the clamp
# at `x = -100`, and from there on it is stuck at 100. So between -27.6 and -100 the loss still says "very
# wrong" while the gradient has already gone; beyond -100 both are wrong, as the printout above shows (loss 100,
# gradient 0 at `x = -200` and `x = -1000`). `BCEWithLogitsLoss` computes `softplus(x) - x` with the log-sum-exp
# trick: at `x = -1000` the loss is exactly 1000 and the gradient `σ(x) - 1 = -1`, so the most wrong examples
# keep pushing the model at full strength.
#
# (b) One `inf` in a loss makes the mean `inf`, and its backward produces `inf` or `nan` gradients
# (`0 · inf = nan`), which the optimizer writes into the weights; after one such step every later output is
# `nan` and the run is lost. A finite clamp keeps the loss and gradients finite, so one saturated example in
# a batch cannot destroy the model, at the price of a wrong (too small) loss and gradient for that example.
# The backward's `max(p (1 - p), 1e-12)` plays the same role for the division by zero.

# %% [markdown]
# ## What you built
#
# - `MSELoss` for regression, and the `Loss` base class with its three reductions.
# - `log_softmax` and `softplus`, stable for any input thanks to the log-sum-exp trick.
# - `CrossEntropyLoss`, whose gradient is the predicted distribution minus the one-hot target.
# - `binary_cross_entropy`, a new differentiable operation with torch's clamping, `BCELoss` on top of it,
#   and `BCEWithLogitsLoss`, exact at any logit.
#
# With layers and losses, a training step is `loss = loss_fn(model(x), y)`, `model.zero_grad()`,
# `loss.backward()`, and an optimizer's `step()`: the next module puts them together.
