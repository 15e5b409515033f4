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
# # Module 3: Optimizers
#
# Autograd tells you, for every parameter, which way the loss goes up. An optimizer decides what to do with
# that: how far to move each parameter, and how much the gradients of earlier steps should count. In this
# module you write the optimizers most networks are trained with (SGD with momentum and Nesterov momentum,
# RMSprop, Adam and AdamW), gradient clipping, and three learning-rate schedules. Along the way you see the
# problem each one solves, and what each one costs in memory.
#
# Everything works on the `Variable`s of the last module. A parameter `p` keeps its value in `p.data.data`
# (an ndarray) and, after `backward()`, its gradient in `p.grad.data.data`. An optimizer changes `p.data.data`
# **in place**, so the model keeps pointing at the same array. A parameter whose `grad` is `None` took no part
# in the loss and is left alone.
#
# The reference for every formula is `torch.optim`: given the same hyperparameters and gradients, your
# optimizers should produce the same numbers as PyTorch's, step after step, down to rounding. Where PyTorch
# has a convention (how momentum is scaled, where epsilon goes), this module follows it and says so.

# %% nbgrader={"grade": false, "grade_id": "optimizers-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.optimizers
#| export
import copy
import math
from dataclasses import dataclass, field

import numpy as np

from tinytorch.core.autograd import Variable  # noqa: F401 (parameters are Variables; the tests use it)

# %%
import matplotlib.pyplot as plt
import pytest

# %% [markdown]
# ## 1. A step downhill
#
# The gradient $g$ of the loss points in the direction in which the loss grows fastest. Gradient descent takes
# a small step the other way:
#
# $$\theta \leftarrow \theta - \eta\, g$$
#
# The learning rate $\eta$ sets the step length, and it is the most important number in this module. Take the
# simplest loss, $f(\theta) = \tfrac{1}{2} a \theta^2$, whose gradient is $a\theta$ ($a$ is the curvature).
# One step gives $\theta \leftarrow (1 - \eta a)\,\theta$, so:
#
# - for $\eta < 1/a$ the parameter slides towards 0 without overshooting;
# - for $1/a < \eta < 2/a$ it overshoots each time but still converges, flipping sign as it goes;
# - for $\eta > 2/a$ every step lands further away than it started: training diverges.
#
# Write the step for one parameter.

# %% nbgrader={"grade": false, "grade_id": "gradient-descent-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def gradient_descent_step(parameter, learning_rate):
    """Move `parameter` (a Variable) one step against its gradient: value -= learning_rate * gradient.

    Change the ndarray `parameter.data.data` in place (with `-=`; do not assign a new array), reading the
    gradient from `parameter.grad.data.data`. If `parameter.grad` is None, do nothing. Return None.

    Example: value 2.0, gradient 0.5, learning_rate 0.1 -> value 1.95.
    """
    ### BEGIN SOLUTION
    if parameter.grad is None:
        return
    parameter.data.data -= learning_rate * parameter.grad.data.data
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gradient-descent-step", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_gradient_descent_step():
    """One step moves each value by -learning_rate * gradient, in place, and skips parameters without one."""
    w = Variable(np.array([2.0, -1.0, 0.5]))
    array = w.data.data
    w.grad = Variable(np.array([0.5, -2.0, 0.0]))
    gradient_descent_step(w, 0.1)
    expected = np.array([1.95, -0.8, 0.5])
    assert np.allclose(w.data.data, expected, rtol=0, atol=1e-12), f"the step: expected {expected}, got {w.data.data}"
    assert w.data.data is array, "in place: update w.data.data in place (with -=) instead of assigning a new array"
    assert np.array_equal(w.grad.data.data, [0.5, -2.0, 0.0]), \
        f"the gradient is left unchanged: it changed to {w.grad.data.data}"

    untouched = Variable(np.array([3.0]))
    gradient_descent_step(untouched, 0.1)
    assert untouched.data.data[0] == 3.0, \
        f"parameters without a gradient: expected 3.0 to stay, got {untouched.data.data[0]}"
    ### BEGIN HIDDEN TESTS
    w32 = Variable(np.array([1.0, 2.0], dtype=np.float32))
    w32.grad = Variable(np.array([1.0, -1.0], dtype=np.float32))
    gradient_descent_step(w32, 0.5)
    assert w32.data.data.dtype == np.float32, f"float32 should stay float32, got {w32.data.data.dtype}"
    assert np.allclose(w32.data.data, [0.5, 2.5]), f"expected [0.5, 2.5], got {w32.data.data}"
    scalar = Variable(np.array(1.0))
    scalar.grad = Variable(np.array(4.0))
    gradient_descent_step(scalar, 0.25)
    assert scalar.data.data == 0.0, f"a scalar parameter: expected 0.0, got {scalar.data.data}"
    ### END HIDDEN TESTS

test_gradient_descent_step()

# %% [markdown]
# Here are the three regimes on $f(\theta) = \theta^2$ (curvature $a = 2$, so the limits are
# $\eta = 0.5$ and $\eta = 1$), starting from $\theta = 1$.

# %%
def descend(learning_rate, steps=20, start=1.0):
    """The values visited by gradient descent on f(theta) = theta**2."""
    theta = Variable(np.array(start))
    values = [start]
    for _ in range(steps):
        theta.grad = Variable(2 * theta.data.data)
        gradient_descent_step(theta, learning_rate)
        values.append(float(theta.data.data))
    return values


fig, ax = plt.subplots(figsize=(7, 3.2))
for rate in (0.1, 0.4, 0.9, 1.03):
    ax.plot(descend(rate), marker="o", markersize=3, label=f"learning rate {rate}")
ax.axhline(0, color="0.6", linewidth=0.8)
ax.set(xlabel="step", ylabel="theta", title="Gradient descent on f(theta) = theta^2", ylim=(-1.6, 1.6))
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# ## 2. The problem of a narrow valley
#
# A real loss has a different curvature in every direction. Take two parameters and
# $f(x, y) = \tfrac{1}{2}(0.02\,x^2 + y^2)$: a long, narrow valley, fifty times steeper across ($y$) than
# along ($x$). One learning rate serves both directions, and the steep one sets the limit: above
# $\eta = 2/1 = 2$ the $y$ coordinate diverges. At $\eta = 1.7$, just below, $y$ bounces from wall to wall
# while $x$ shrinks by a factor $1 - 0.02 \cdot 1.7 = 0.966$ per step: a slow crawl along the valley floor.
#
# The ratio of the largest to the smallest curvature (the *condition number*, 50 here) measures how bad this
# is: the number of steps plain gradient descent needs grows in proportion to it. Networks routinely have
# condition numbers in the thousands. Every optimizer in this module is an answer to this picture.

# %%
VALLEY_CURVATURES = np.array([0.02, 1.0])


def valley_loss(x, y):
    """The narrow valley 0.5 * (0.02 x^2 + y^2)."""
    return 0.5 * (VALLEY_CURVATURES[0] * x**2 + VALLEY_CURVATURES[1] * y**2)


def valley_path(make_step, steps=40, start=(-9.0, 1.5)):
    """The points visited on the valley; `make_step(point)` returns the function that updates `point`."""
    point = Variable(np.array(start))
    step = make_step(point)
    path = [point.data.data.copy()]
    for _ in range(steps):
        point.grad = Variable(VALLEY_CURVATURES * point.data.data)  # the exact gradient of valley_loss
        step()
        path.append(point.data.data.copy())
    return np.array(path)


def draw_valley(ax, paths, title):
    """Contours of the valley with one line per path."""
    xs, ys = np.meshgrid(np.linspace(-10, 2, 240), np.linspace(-2.5, 2.5, 120))
    ax.contour(xs, ys, valley_loss(xs, ys), levels=np.geomspace(0.02, 6, 12), colors="0.8", linewidths=0.8)
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=2.5, linewidth=1, label=label)
    ax.plot(0, 0, marker="*", color="black", markersize=10)
    ax.set(xlabel="x (gentle)", ylabel="y (steep)", title=title, xlim=(-10, 2), ylim=(-2.5, 2.5))
    ax.legend(loc="upper right", fontsize=8)


plain_path = valley_path(lambda point: (lambda: gradient_descent_step(point, 1.7)))
fig, ax = plt.subplots(figsize=(8, 3.4))
draw_valley(ax, {"gradient descent, learning rate 1.7": plain_path}, "40 steps of gradient descent")
plt.show()

# %% [markdown]
# ## 3. The optimizer base class
#
# Every optimizer below has the same outer shape, so it lives in a base class, given to you. `step()` loops
# over the parameters, skips those without a gradient, and calls the optimizer's own rule
#
# ```python
# def update(self, param, grad, state): ...
# ```
#
# with three arguments: `param`, the parameter's ndarray, to change in place; `grad`, its gradient, to read but
# never modify; and `state`, a dict that belongs to this parameter and survives from one step to the next
# (velocities, running averages, a step counter). A parameter holding a single number (a 0-d array) arrives as
# a 1-element view, so that arithmetic on it always gives arrays you can update in place. The state is created by `init_state` the first time the
# parameter has a gradient. Your job in each optimizer is `update` and nothing else.
#
# The rest of the class is bookkeeping you will use: hyperparameters are plain attributes (a schedule changes
# `optimizer.learning_rate` between steps), `zero_grad()` clears the gradients before the next backward pass,
# and `state_dict()` / `load_state_dict()` save and restore everything needed to resume training exactly where
# it stopped. Constructors reject impossible hyperparameters with a `ValueError` that names the argument.

# %% nbgrader={"grade": false, "grade_id": "optimizer-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _check_at_least(name, value, minimum=0.0):
    """Raise a ValueError naming `name` unless value >= minimum (NaN fails too)."""
    if not value >= minimum:
        raise ValueError(f"invalid {name}: {value!r} (must be >= {minimum})")


def _check_decay(name, value):
    """Raise a ValueError naming `name` unless 0 <= value < 1, the range of a running average's decay."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"invalid {name}: {value!r} (must be in [0, 1))")


class Optimizer:
    """What every optimizer shares: the loop over parameters, per-parameter state, zero_grad and checkpoints.

    A subclass stores its hyperparameters as attributes named in `hyperparameter_names` (validated in its
    `__init__`), creates a parameter's state in `init_state`, and writes its rule in `update`.

    `state` maps a parameter's position in `parameters` to that parameter's dict of buffers (ndarrays of its
    shape) and counters. It is created at the parameter's first update, so a parameter that never gets a
    gradient costs no memory.
    """

    hyperparameter_names = ("learning_rate",)

    def __init__(self, parameters, learning_rate):
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("invalid parameters: the optimizer got an empty parameter list")
        _check_at_least("learning_rate", learning_rate)
        self.learning_rate = learning_rate
        self.state = {}

    def step(self):
        """Update, in place, every parameter that has a gradient."""
        for index, parameter in enumerate(self.parameters):
            if parameter.grad is None:
                continue
            value, grad = parameter.data.data, parameter.grad.data.data
            if value.ndim == 0:  # a 1-element view, so that arithmetic in update() gives arrays, not scalars
                value, grad = value.reshape(1), grad.reshape(1)
            state = self.state.get(index)
            if state is None:
                state = self.state[index] = self.init_state(value)
            self.update(value, grad, state)

    def init_state(self, param):
        """The state of a parameter (ndarray `param`) before its first update: an empty dict by default."""
        return {}

    def update(self, param, grad, state):
        """Change the ndarray `param` in place, given its gradient `grad` and its `state` dict.

        `param` and `grad` have at least one dimension: a 0-d parameter arrives as a 1-element view.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    def zero_grad(self):
        """Forget every parameter's gradient (set it to None), ready for the next backward pass."""
        for parameter in self.parameters:
            parameter.grad = None

    @property
    def state_numbers_per_parameter(self):
        """How many numbers of state this optimizer keeps per number of parameter, with its settings."""
        return 0

    def state_numbers(self):
        """How many numbers the state holds right now: the total size of its arrays."""
        return sum(
            value.size
            for buffers in self.state.values()
            for value in buffers.values()
            if isinstance(value, np.ndarray)
        )

    def state_dict(self):
        """A checkpoint: {"optimizer": class name, "hyperparameters": {name: value}, "state": {index: {...}}}.

        The arrays are copies, so later steps do not change a checkpoint already taken.
        """
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": {name: getattr(self, name) for name in self.hyperparameter_names},
            "state": copy.deepcopy(self.state),
        }

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state from `state_dict()`, so training continues exactly as it would have."""
        saved_by = state_dict.get("optimizer")
        if saved_by != type(self).__name__:
            raise ValueError(f"invalid state_dict: saved by {saved_by}, cannot load into {type(self).__name__}")
        if set(state_dict["hyperparameters"]) != set(self.hyperparameter_names):
            raise ValueError(f"invalid state_dict: hyperparameters {sorted(state_dict['hyperparameters'])}")
        for index, buffers in state_dict["state"].items():
            if not 0 <= index < len(self.parameters):
                raise ValueError(f"invalid state_dict: state for parameter {index}, the optimizer has "
                                 f"{len(self.parameters)}")
            shape = self.parameters[index].data.data.shape or (1,)  # see step(): 0-d is seen as 1 element
            for name, value in buffers.items():
                if isinstance(value, np.ndarray) and value.shape != shape:
                    raise ValueError(f"invalid state_dict: {name} of parameter {index} has shape {value.shape}, "
                                     f"the parameter {shape}")
        for name, value in state_dict["hyperparameters"].items():
            setattr(self, name, value)
        self.state = copy.deepcopy(state_dict["state"])

    def __repr__(self):
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameter_names)
        return f"{type(self).__name__}({settings})"

# %% [markdown]
# ## 4. Momentum: an average of past gradients
#
# In the valley, consecutive gradients across the valley point in opposite directions, while those along it
# keep pointing the same way. Averaging recent gradients cancels the first and keeps the second. Momentum keeps
# a running sum, the *velocity* $v$, and steps along it instead of along the raw gradient:
#
# $$v \leftarrow \mu\, v + g, \qquad \theta \leftarrow \theta - \eta\, v$$
#
# Unrolled, $v_t = g_t + \mu g_{t-1} + \mu^2 g_{t-2} + \dots$: an exponentially weighted sum in which a
# gradient from $k$ steps ago counts with weight $\mu^k$. With $\mu = 0.9$ the last ten or so steps matter.
#
# A worked example with $\mu = 0.9$. If every gradient is 1, the velocity grows towards $1/(1-\mu) = 10$, a
# step ten times longer than plain gradient descent would take. If the gradients alternate between $+1$ and
# $-1$, consecutive terms cancel and the velocity settles at $\pm 1/(1+\mu) \approx \pm 0.53$: the oscillation
# is damped instead of amplified.

# %%
def velocities(gradients, momentum=0.9):
    """The velocity after each gradient, starting from v = 0."""
    velocity, history = 0.0, []
    for gradient in gradients:
        velocity = momentum * velocity + gradient
        history.append(round(velocity, 3))
    return history


{"same sign": velocities([1, 1, 1, 1, 1, 1, 1, 1]), "alternating": velocities([1, -1, 1, -1, 1, -1, 1, -1])}

# %% [markdown]
# This is PyTorch's convention, and yours. Three details:
#
# - The velocity is a *sum*, not an average: along a steady slope the step is $\eta/(1-\mu)$ times the
#   gradient. Switching $\mu$ from 0 to 0.9 therefore calls for a learning rate about ten times smaller.
# - On the first step the velocity is simply the gradient (a copy of it).
# - `dampening` $d$ scales the new gradient on every later step: $v \leftarrow \mu v + (1 - d)\, g$. With
#   $d = \mu$ the velocity becomes a true weighted average (except for that first step).
#
# **Nesterov momentum** adds a look-ahead. The velocity is updated as before, but the step uses
# $g + \mu v$ instead of $v$: the current gradient plus one more velocity step, where plain momentum would
# carry the parameter next. When the velocity is about to overshoot, the gradient term corrects it one step
# earlier, so Nesterov momentum oscillates less. It needs $\mu > 0$ and no dampening.
#
# **Weight decay** $\lambda$ adds $\lambda\,\theta$ to the gradient before anything else: the gradient of the
# L2 penalty $\tfrac{\lambda}{2}\lVert\theta\rVert^2$, which pulls weights towards 0.
#
# Write `SGD.update`. The velocity lives in `state["momentum_buffer"]`; update it in place, so that the only
# memory SGD with momentum needs is one buffer the size of the parameter.

# %% nbgrader={"grade": false, "grade_id": "sgd-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay."""

    hyperparameter_names = ("learning_rate", "momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, parameters, learning_rate=0.01, momentum=0.0, dampening=0.0, nesterov=False,
                 weight_decay=0.0):
        super().__init__(parameters, learning_rate)
        _check_at_least("momentum", momentum)
        if not 0.0 <= dampening <= 1.0:
            raise ValueError(f"invalid dampening: {dampening!r} (must be in [0, 1])")
        _check_at_least("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("invalid nesterov: Nesterov momentum needs momentum > 0 and dampening = 0")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weight_decay = weight_decay

    @property
    def state_numbers_per_parameter(self):
        return 1 if self.momentum != 0 else 0

    def update(self, param, grad, state):
        """One SGD step on the ndarray `param`, in place. Do not modify `grad`.

        1. If weight_decay != 0: g = grad + weight_decay * param (a new array); otherwise g = grad.
        2. If momentum != 0, keep a velocity in state["momentum_buffer"]:
             - on the first step (no buffer yet): store a copy of g;
             - afterwards, in place: velocity = momentum * velocity + (1 - dampening) * g.
           The direction is g + momentum * velocity if nesterov, otherwise the velocity itself.
           If momentum == 0, the direction is g and the state stays empty.
        3. param -= learning_rate * direction.
        """
        ### BEGIN SOLUTION
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        if self.momentum != 0:
            velocity = state.get("momentum_buffer")
            if velocity is None:
                velocity = state["momentum_buffer"] = grad.copy()
            else:
                velocity *= self.momentum
                # with no dampening the factor is 1: skip a multiplication over the whole array
                velocity += grad if self.dampening == 0 else (1 - self.dampening) * grad
            grad = grad + self.momentum * velocity if self.nesterov else velocity
        param -= self.learning_rate * grad
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sgd", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_sgd():
    """Plain SGD steps every parameter with a gradient, follows learning_rate changes, and decays weights."""
    w = Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    b = Variable(np.array([0.5]))
    frozen = Variable(np.array([7.0]))
    optimizer = SGD([w, b, frozen], learning_rate=0.1)
    w.grad = Variable(np.array([[1.0, -1.0], [0.5, 0.0]]))
    b.grad = Variable(np.array([2.0]))
    optimizer.step()
    expected_w = np.array([[0.9, 2.1], [2.95, 4.0]])
    assert np.allclose(w.data.data, expected_w, rtol=0, atol=1e-12), \
        f"the SGD step: expected {expected_w}, got {w.data.data}"
    assert np.allclose(b.data.data, [0.3]), f"the SGD step: expected [0.3], got {b.data.data}"
    assert frozen.data.data[0] == 7.0, f"parameters without a gradient: one moved to {frozen.data.data}"
    assert optimizer.state_numbers() == 0, f"plain SGD keeps no state, got {optimizer.state_numbers()} numbers"

    optimizer.learning_rate = 0.5
    optimizer.step()
    assert np.allclose(b.data.data, [-0.7]), \
        f"learning_rate changes: after setting learning_rate = 0.5 expected [-0.7], got {b.data.data}"

    decayed = Variable(np.array([2.0, -4.0]))
    decayed.grad = Variable(np.array([0.0, 1.0]))
    SGD([decayed], learning_rate=0.1, weight_decay=0.5).step()
    expected = np.array([2.0 - 0.1 * (0.0 + 0.5 * 2.0), -4.0 - 0.1 * (1.0 - 0.5 * 4.0)])
    assert np.allclose(decayed.data.data, expected), f"weight decay: expected {expected}, got {decayed.data.data}"
    assert np.array_equal(decayed.grad.data.data, [0.0, 1.0]), \
        "the gradient is left unchanged: weight decay must not change the stored gradient"
    ### BEGIN HIDDEN TESTS
    with pytest.raises(ValueError, match="learning_rate"):
        SGD([w], learning_rate=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        SGD([w], weight_decay=-1.0)
    w32 = Variable(np.ones(3, dtype=np.float32))
    w32.grad = Variable(np.full(3, 0.5, dtype=np.float32))
    SGD([w32], learning_rate=0.1, weight_decay=0.1).step()
    assert w32.data.data.dtype == np.float32, f"float32 should stay float32, got {w32.data.data.dtype}"
    ### END HIDDEN TESTS

test_sgd()

# %% nbgrader={"grade": true, "grade_id": "test-sgd-momentum-nesterov", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
def test_sgd_momentum_nesterov():
    """Momentum keeps a velocity (the first one is the gradient); Nesterov steps along g + momentum * v."""
    def run(steps, **settings):
        w = Variable(np.array([1.0, -2.0]))
        optimizer = SGD([w], learning_rate=0.1, **settings)
        for _ in range(steps):
            w.grad = Variable(np.array([0.5, -1.0]))
            optimizer.step()
        return w.data.data, optimizer

    g = np.array([0.5, -1.0])
    start = np.array([1.0, -2.0])
    # velocities with a constant gradient and momentum 0.9: g, 1.9 g, 2.71 g
    got, optimizer = run(3, momentum=0.9)
    expected = start - 0.1 * (1.0 + 1.9 + 2.71) * g
    assert np.allclose(got, expected), f"momentum: momentum 0.9, three steps: expected {expected}, got {got}"
    velocity = optimizer.state[0].get("momentum_buffer")
    assert velocity is not None, "the velocity should be kept in state['momentum_buffer']"
    assert np.allclose(velocity, 2.71 * g), f"momentum: velocity after three steps: expected {2.71 * g}, got {velocity}"
    assert optimizer.state_numbers() == 2, f"one velocity per number: expected 2, got {optimizer.state_numbers()}"

    # Nesterov steps along g + 0.9 v: 1.9 g, then 2.71 g
    got, _ = run(2, momentum=0.9, nesterov=True)
    expected = start - 0.1 * (1.9 + 2.71) * g
    assert np.allclose(got, expected), f"Nesterov momentum, two steps: expected {expected}, got {got}"

    # dampening 0.5 leaves the first velocity alone, then v = 0.9 v + 0.5 g: g, 1.4 g
    got, _ = run(2, momentum=0.9, dampening=0.5)
    expected = start - 0.1 * (1.0 + 1.4) * g
    assert np.allclose(got, expected), f"dampening: dampening 0.5, two steps: expected {expected}, got {got}"

    # a 0-d parameter (one number): g1 = 1.1, v1 = 1.1, then g2 = 1 + 0.1 * 0.89, v2 = 0.5 * 1.1 + g2
    scalar = Variable(np.array(1.0))
    optimizer = SGD([scalar], learning_rate=0.1, momentum=0.5, weight_decay=0.1)
    for _ in range(2):
        scalar.grad = Variable(np.array(1.0))
        optimizer.step()
    assert np.isclose(scalar.data.data, 0.7261), f"0-d parameter, two steps: expected 0.7261, got {scalar.data.data}"

    # the gradient set once and step() called twice: the first velocity is a copy, the gradient stays as it was
    w = Variable(np.array([1.0, -2.0]))
    optimizer = SGD([w], learning_rate=0.1, momentum=0.9)
    w.grad = Variable(g.copy())
    optimizer.step()
    optimizer.step()
    assert np.array_equal(w.grad.data.data, g), \
        f"the velocity is a copy: after two steps the gradient should still be {g}, got {w.grad.data.data}"

    for bad in ({"momentum": 0.0, "nesterov": True}, {"momentum": 0.9, "dampening": 0.1, "nesterov": True}):
        with pytest.raises(ValueError, match="nesterov"):
            SGD([Variable(np.zeros(1))], **bad)
    with pytest.raises(ValueError, match="momentum"):
        SGD([Variable(np.zeros(1))], momentum=-0.5)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(3)
    gradients = rng.standard_normal((25, 3))
    for settings in ({"momentum": 0.8, "weight_decay": 0.1}, {"momentum": 0.7, "nesterov": True},
                     {"momentum": 0.6, "dampening": 0.3, "weight_decay": 0.05}):
        w = Variable(np.array([0.5, -1.0, 2.0]))
        optimizer = SGD([w], learning_rate=0.05, **settings)
        expected, velocity = np.array([0.5, -1.0, 2.0]), None
        mu, d, wd = settings["momentum"], settings.get("dampening", 0.0), settings.get("weight_decay", 0.0)
        for gradient in gradients:
            w.grad = Variable(gradient.copy())
            optimizer.step()
            g = gradient + wd * expected
            velocity = g.copy() if velocity is None else mu * velocity + (1 - d) * g
            direction = g + mu * velocity if settings.get("nesterov") else velocity
            expected = expected - 0.05 * direction
        assert np.allclose(w.data.data, expected, rtol=1e-10), f"{settings}: expected {expected}, got {w.data.data}"
    ### END HIDDEN TESTS

test_sgd_momentum_nesterov()

# %% [markdown]
# Back to the valley, with the same learning rate for plain gradient descent and a smaller one for momentum
# (the velocity is a sum, so each step is longer). Momentum runs along the valley floor; its first swings
# across are damped, and Nesterov's look-ahead damps them faster.

# %%
paths = {
    "gradient descent (lr 1.7)": plain_path,
    "momentum 0.7 (lr 1.0)": valley_path(lambda point: SGD([point], learning_rate=1.0, momentum=0.7).step),
    "Nesterov 0.7 (lr 1.0)": valley_path(
        lambda point: SGD([point], learning_rate=1.0, momentum=0.7, nesterov=True).step
    ),
}
fig, ax = plt.subplots(figsize=(8, 3.4))
draw_valley(ax, paths, "40 steps with and without momentum")
plt.show()

# %% [markdown]
# ## 5. RMSprop: one step size per coordinate
#
# Momentum fixes the direction; the step *length* still depends on the size of the gradient, which differs by
# orders of magnitude from one parameter to another. RMSprop divides each coordinate of the gradient by a
# running estimate of its typical size, the root mean square of its recent values:
#
# $$s \leftarrow \alpha\, s + (1 - \alpha)\, g^2, \qquad
#   \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{s} + \epsilon}$$
#
# (squares, roots and division are element by element). Steep coordinates with large gradients get small steps,
# flat ones get large steps, and every coordinate moves by roughly $\eta$ per step. $s$ is again an
# exponentially weighted average, now with weights $(1-\alpha)\alpha^k$ that add up to 1 over a long run;
# $\alpha = 0.99$ averages over about a hundred steps. $\epsilon$ keeps the division finite where $s = 0$.
#
# Two options follow PyTorch:
#
# - `centered=True` also averages the gradient itself, $\bar g \leftarrow \alpha \bar g + (1-\alpha) g$ (state
#   `"grad_avg"`), and divides by $\sqrt{s - \bar g^2} + \epsilon$, an estimate of the standard deviation
#   rather than the root mean square.
# - `momentum` $\mu > 0$ keeps a velocity of the scaled gradients, $b \leftarrow \mu b + g/(\sqrt{s}+\epsilon)$
#   (state `"momentum_buffer"`, starting at zero), and steps $\theta \leftarrow \theta - \eta\, b$.
#
# Note one thing RMSprop does *not* do: $s$ starts at 0, so after the first step $s = (1-\alpha) g^2$, a hundred
# times too small for $\alpha = 0.99$, and the first step is $1/\sqrt{0.01} = 10$ times longer than $\eta$.
# Adam, next, corrects for this.

# %% nbgrader={"grade": false, "grade_id": "rmsprop-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class RMSprop(Optimizer):
    """RMSprop: each coordinate's step is divided by the root mean square of its recent gradients."""

    hyperparameter_names = ("learning_rate", "alpha", "epsilon", "momentum", "centered", "weight_decay")

    def __init__(self, parameters, learning_rate=0.01, alpha=0.99, epsilon=1e-8, momentum=0.0, centered=False,
                 weight_decay=0.0):
        super().__init__(parameters, learning_rate)
        _check_decay("alpha", alpha)
        _check_at_least("epsilon", epsilon)
        _check_at_least("momentum", momentum)
        _check_at_least("weight_decay", weight_decay)
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        self.weight_decay = weight_decay

    @property
    def state_numbers_per_parameter(self):
        return 1 + (self.momentum > 0) + bool(self.centered)

    def init_state(self, param):
        state = {"square_avg": np.zeros_like(param)}
        if self.momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if self.centered:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def update(self, param, grad, state):
        """One RMSprop step on the ndarray `param`, in place. Do not modify `grad`.

        1. If weight_decay != 0: g = grad + weight_decay * param; otherwise g = grad.
        2. In place: square_avg = alpha * square_avg + (1 - alpha) * g * g   (state["square_avg"])
        3. avg = sqrt(square_avg) + epsilon. If centered, first update, in place,
           grad_avg = grad_avg + (1 - alpha) * (g - grad_avg)   (state["grad_avg"])
           and use avg = sqrt(square_avg - grad_avg * grad_avg) + epsilon instead.
        4. If momentum > 0, in place: buffer = momentum * buffer + g / avg   (state["momentum_buffer"]),
           then param -= learning_rate * buffer. Otherwise param -= learning_rate * g / avg.
        """
        ### BEGIN SOLUTION
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - self.alpha) * (grad - grad_avg)
            avg = grad_avg * grad_avg
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        avg += self.epsilon
        update = np.divide(grad, avg, out=avg)  # g / avg, written over avg
        if self.momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= self.momentum
            buffer += update
            np.multiply(buffer, self.learning_rate, out=update)
        else:
            update *= self.learning_rate
        param -= update
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-rmsprop", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_rmsprop():
    """RMSprop divides by the running root mean square; its first step is lr / sqrt(1 - alpha) per coordinate."""
    g = np.array([1e-3, 1.0, -50.0])
    w = Variable(np.zeros(3))
    optimizer = RMSprop([w], learning_rate=0.01, alpha=0.99, epsilon=1e-8)
    w.grad = Variable(g.copy())
    optimizer.step()
    expected = -0.01 * g / (np.sqrt(0.01 * g * g) + 1e-8)
    assert np.allclose(w.data.data, expected, rtol=1e-10), \
        f"the RMSprop step (epsilon after the square root), first step: expected {expected}, got {w.data.data}"
    assert np.allclose(np.abs(w.data.data), 0.1, rtol=1e-4), "each coordinate should move by about 0.1 at first"
    assert np.allclose(optimizer.state[0]["square_avg"], 0.01 * g * g), "state['square_avg'] after one step"

    second = np.array([2e-3, -1.0, -10.0])
    w.grad = Variable(second.copy())
    optimizer.step()
    square_avg = 0.99 * 0.01 * g * g + 0.01 * second * second
    expected = expected - 0.01 * second / (np.sqrt(square_avg) + 1e-8)
    assert np.allclose(w.data.data, expected, rtol=1e-10), \
        f"the RMSprop step, second step: expected {expected}, got {w.data.data}"
    assert optimizer.state_numbers() == 3, f"one average per number: expected 3, got {optimizer.state_numbers()}"

    # momentum: buffer = momentum * buffer + g / avg. Compared with your RMSprop without momentum, whose steps are
    # -learning_rate * g / avg, two steps with momentum 0.5 go 1.5 times its first step plus its second one.
    w, alone = Variable(np.zeros(3)), Variable(np.zeros(3))
    with_momentum, without = RMSprop([w], learning_rate=0.01, momentum=0.5), RMSprop([alone], learning_rate=0.01)
    steps = []
    for gradient in (g, second):
        w.grad, alone.grad = Variable(gradient.copy()), Variable(gradient.copy())
        before = alone.data.data.copy()
        with_momentum.step()
        without.step()
        steps.append(alone.data.data - before)
    expected = 1.5 * steps[0] + steps[1]
    assert np.allclose(w.data.data, expected, rtol=1e-10), f"momentum: expected {expected}, got {w.data.data}"
    with pytest.raises(ValueError, match="alpha"):
        RMSprop([w], alpha=1.5)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(5)
    gradients = rng.standard_normal((20, 4))
    for settings in ({"centered": True}, {"momentum": 0.9}, {"centered": True, "momentum": 0.5, "weight_decay": 0.1}):
        w = Variable(np.linspace(-1.0, 1.0, 4))
        optimizer = RMSprop([w], learning_rate=0.01, alpha=0.9, **settings)
        expected = np.linspace(-1.0, 1.0, 4)
        square_avg, grad_avg, buffer = np.zeros(4), np.zeros(4), np.zeros(4)
        for gradient in gradients:
            w.grad = Variable(gradient.copy())
            optimizer.step()
            gg = gradient + settings.get("weight_decay", 0.0) * expected
            square_avg = 0.9 * square_avg + 0.1 * gg * gg
            if settings.get("centered"):
                grad_avg = grad_avg + 0.1 * (gg - grad_avg)
                avg = np.sqrt(square_avg - grad_avg**2) + 1e-8
            else:
                avg = np.sqrt(square_avg) + 1e-8
            if settings.get("momentum"):
                buffer = settings["momentum"] * buffer + gg / avg
                expected = expected - 0.01 * buffer
            else:
                expected = expected - 0.01 * gg / avg
        assert np.allclose(w.data.data, expected, rtol=1e-9), f"{settings}: expected {expected}, got {w.data.data}"
    ### END HIDDEN TESTS

test_rmsprop()

# %% [markdown]
# ## 6. Adam, and why its first steps need a correction
#
# Adam combines the two ideas: a running average $m$ of the gradients (momentum's direction) and a running
# average $v$ of their squares (RMSprop's scale), both exponentially weighted:
#
# $$m \leftarrow \beta_1 m + (1-\beta_1)\, g, \qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g^2$$
#
# Both start at zero, and that biases them. After $t$ steps the weights of $m$ add up to
# $(1-\beta_1)(1 + \beta_1 + \dots + \beta_1^{t-1}) = 1 - \beta_1^t$, not 1: the missing weight sits on the
# initial zero. After one step with $\beta_1 = 0.9$, $m$ is a tenth of the gradient; with $\beta_2 = 0.999$,
# $v$ is a thousandth of its square. Dividing by the total weight removes the bias:
#
# $$\hat m = \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
#   \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}$$
#
# The correction matters only early on: $\beta^t$ fades to 0. The figure shows running averages of a noisy
# signal whose true mean is 1 (left) and of its square (right), with and without the correction.

# %%
rng = np.random.default_rng(0)
signal = 1.0 + 0.5 * rng.standard_normal(120)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, values, beta, name in ((axes[0], signal, 0.9, "g"), (axes[1], signal**2, 0.99, "g squared")):
    average, raw, corrected = 0.0, [], []
    for t, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        raw.append(average)
        corrected.append(average / (1 - beta**t))
    ax.plot(values, ".", color="0.75", markersize=3, label=name)
    ax.plot(raw, label="running average")
    ax.plot(corrected, label="bias-corrected")
    ax.axhline(values.mean(), color="black", linewidth=0.8, linestyle="--", label="true mean")
    ax.set(xlabel="step", title=f"beta = {beta}")
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Without the correction, Adam's first steps would divide a too-small $m$ by a much-too-small $\sqrt{v}$:
# with the default $\beta_1 = 0.9$, $\beta_2 = 0.999$, the first step would be about $0.1/\sqrt{0.001} \approx 3$
# times longer than $\eta$. With it, the first step is
# $\eta\, g / (|g| + \epsilon)$: almost exactly $\eta$ per coordinate, whatever the size of the gradient.
#
# PyTorch arranges the arithmetic a little differently, and your code must follow it to get the same numbers.
# It keeps $m$ and $v$ uncorrected, folds the first correction into the step size and applies the second to
# the square root *before* adding $\epsilon$:
#
# ```
# step_size = learning_rate / (1 - beta1**t)
# denom     = sqrt(v) / sqrt(1 - beta2**t) + epsilon
# param    -= step_size * m / denom
# ```
#
# and updates $m$ as "move a fraction $1-\beta_1$ of the way to $g$": $m \leftarrow m + (1-\beta_1)(g - m)$,
# the same average written with one multiplication fewer. Each parameter counts its own steps $t$
# (`state["step"]`).
#
# **AMSGrad** (`amsgrad=True`) divides by the largest $v$ seen so far (state `"max_exp_avg_sq"`) instead of
# the current one, so a coordinate's step size can never grow back after a burst of large gradients.
#
# `weight_decay` in Adam is the L2 penalty again: $\lambda\theta$ is added to the gradient before the averages.
# That is what `apply_weight_decay` does; the next section shows why it is not the best idea.

# %% nbgrader={"grade": false, "grade_id": "adam-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Adam(Optimizer):
    """Adam: momentum's average of gradients, divided by RMSprop's root mean square, both bias-corrected."""

    hyperparameter_names = ("learning_rate", "beta1", "beta2", "epsilon", "weight_decay", "amsgrad")

    def __init__(self, parameters, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0,
                 amsgrad=False):
        super().__init__(parameters, learning_rate)
        _check_decay("beta1", beta1)
        _check_decay("beta2", beta2)
        _check_at_least("epsilon", epsilon)
        _check_at_least("weight_decay", weight_decay)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad

    @property
    def state_numbers_per_parameter(self):
        return 3 if self.amsgrad else 2

    def init_state(self, param):
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def apply_weight_decay(self, param, grad):
        """Adam's weight decay is L2 regularisation: return grad + weight_decay * param (a new array).

        Return `grad` itself when weight_decay == 0. Do not modify `param` or `grad`.
        """
        ### BEGIN SOLUTION
        if self.weight_decay != 0:
            return grad + self.weight_decay * param
        return grad
        ### END SOLUTION

    def update(self, param, grad, state):
        """One Adam step on the ndarray `param`, in place. Do not modify `grad`.

        1. g = self.apply_weight_decay(param, grad); state["step"] += 1; t = state["step"].
        2. In place: exp_avg += (1 - beta1) * (g - exp_avg)
                     exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        3. If amsgrad: max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq), in place, and use it below in
           place of exp_avg_sq.
        4. step_size = learning_rate / (1 - beta1**t)
           denom = sqrt(exp_avg_sq) / (1 - beta2**t) ** 0.5 + epsilon
           param -= step_size * exp_avg / denom
        """
        ### BEGIN SOLUTION
        grad = self.apply_weight_decay(param, grad)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - self.beta1) * (grad - exp_avg)
        exp_avg_sq *= self.beta2
        exp_avg_sq += (1 - self.beta2) * grad * grad
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        step_size = self.learning_rate / (1 - self.beta1**step)
        denom = np.sqrt(exp_avg_sq) / (1 - self.beta2**step) ** 0.5 + self.epsilon
        update = np.divide(exp_avg, denom, out=denom)  # exp_avg / denom, written over denom
        update *= step_size
        param -= update
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-adam", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
def test_adam():
    """Adam's first step is about learning_rate per coordinate; later steps follow the bias-corrected averages."""
    g1 = np.array([1e-3, 1.0, -100.0])
    w = Variable(np.zeros(3))
    optimizer = Adam([w], learning_rate=0.01)
    w.grad = Variable(g1.copy())
    optimizer.step()
    expected = -0.01 * g1 / (np.abs(g1) + 1e-8)
    assert np.allclose(w.data.data, expected, rtol=1e-6), \
        f"bias correction: the first step moves each entry by about learning_rate: expected {expected}, " \
        f"got {w.data.data}"
    state = optimizer.state[0]
    assert state["step"] == 1, f"state['step'] after one step: expected 1, got {state['step']}"
    assert np.allclose(state["exp_avg"], 0.1 * g1), f"exp_avg: expected {0.1 * g1}, got {state['exp_avg']}"
    assert np.allclose(state["exp_avg_sq"], 0.001 * g1**2), f"exp_avg_sq: expected {0.001 * g1**2}"

    g2 = np.array([3e-3, -1.0, -50.0])
    w.grad = Variable(g2.copy())
    optimizer.step()
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    expected = expected - (0.01 / (1 - 0.9**2)) * m / (np.sqrt(v) / np.sqrt(1 - 0.999**2) + 1e-8)
    assert np.allclose(w.data.data, expected, rtol=1e-10), \
        f"bias correction, second step: expected {expected}, got {w.data.data}"
    assert optimizer.state_numbers() == 6, f"two averages per number: expected 6, got {optimizer.state_numbers()}"

    # AMSGrad divides by the largest second moment seen: a big gradient, then small ones
    w = Variable(np.zeros(1))
    optimizer = Adam([w], learning_rate=0.1, beta2=0.5, amsgrad=True)
    for gradient in (10.0, 0.1, 0.1):
        w.grad = Variable(np.array([gradient]))
        optimizer.step()
    state = optimizer.state[0]
    got = state["max_exp_avg_sq"]
    assert np.allclose(got, [50.0]), f"AMSGrad: max_exp_avg_sq: expected [50.], got {got}"
    assert np.allclose(state["exp_avg_sq"], [12.5075]), f"exp_avg_sq: expected [12.5075], got {state['exp_avg_sq']}"
    assert optimizer.state_numbers() == 3, f"AMSGrad keeps three numbers per number, got {optimizer.state_numbers()}"

    # weight_decay is L2: the same as your Adam without it, given grad + weight_decay * param as the gradient
    decayed, by_hand = Variable(np.array([2.0, -4.0])), Variable(np.array([2.0, -4.0]))
    with_decay, without = Adam([decayed], learning_rate=0.1, weight_decay=0.5), Adam([by_hand], learning_rate=0.1)
    for gradient in (np.array([0.1, 0.2]), np.array([-0.3, 0.0])):
        decayed.grad = Variable(gradient.copy())
        by_hand.grad = Variable(gradient + 0.5 * by_hand.data.data)
        with_decay.step()
        without.step()
    assert np.allclose(decayed.data.data, by_hand.data.data, rtol=1e-12), \
        f"weight decay: expected {by_hand.data.data} (your Adam given grad + 0.5 * param), got {decayed.data.data}"
    with pytest.raises(ValueError, match="beta2"):
        Adam([w], beta2=1.0)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(11)
    gradients = rng.standard_normal((30, 2, 2))
    for settings in ({"weight_decay": 0.1}, {"amsgrad": True, "weight_decay": 0.01}, {"beta1": 0.5, "beta2": 0.9}):
        w = Variable(np.array([[0.5, -0.5], [1.0, 2.0]]))
        optimizer = Adam([w], learning_rate=0.02, **settings)
        b1, b2 = settings.get("beta1", 0.9), settings.get("beta2", 0.999)
        expected = np.array([[0.5, -0.5], [1.0, 2.0]])
        m, v, v_max = np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))
        for t, gradient in enumerate(gradients, start=1):
            w.grad = Variable(gradient.copy())
            optimizer.step()
            gg = gradient + settings.get("weight_decay", 0.0) * expected
            m = b1 * m + (1 - b1) * gg
            v = b2 * v + (1 - b2) * gg * gg
            v_max = np.maximum(v_max, v)
            second = v_max if settings.get("amsgrad") else v
            expected = expected - 0.02 / (1 - b1**t) * m / (np.sqrt(second) / np.sqrt(1 - b2**t) + 1e-8)
        assert np.allclose(w.data.data, expected, rtol=1e-9), f"{settings}: expected {expected}, got {w.data.data}"
        assert np.allclose(optimizer.state[0]["exp_avg"], m, rtol=1e-9), f"{settings}: exp_avg is off"
    w32 = Variable(np.ones(2, dtype=np.float32))
    w32.grad = Variable(np.array([0.5, -0.5], dtype=np.float32))
    optimizer = Adam([w32])
    optimizer.step()
    assert w32.data.data.dtype == np.float32, f"float32 should stay float32, got {w32.data.data.dtype}"
    assert optimizer.state[0]["exp_avg"].dtype == np.float32, "the state of a float32 parameter should be float32"
    ### END HIDDEN TESTS

test_adam()

# %% [markdown]
# ## 7. AdamW: weight decay that is not part of the gradient
#
# In SGD, adding $\lambda\theta$ to the gradient and shrinking the weights directly are the same thing. In Adam
# they are not: the added term goes through the averages and is divided by $\sqrt{\hat v}$ like the rest of the
# gradient. Weights with large gradients are then barely decayed, weights with small gradients are decayed
# much more, and a weight with no gradient at all is pushed towards 0 by a full step of length $\eta$ each time.
#
# AdamW (Loshchilov and Hutter, *Decoupled Weight Decay Regularization*) takes the decay out of the gradient.
# Before the Adam step it shrinks every weight by the same factor,
#
# $$\theta \leftarrow \theta\,(1 - \eta\lambda),$$
#
# and the averages only ever see the loss's own gradient. Every weight now decays at the same relative rate,
# whatever its gradient history, and in the authors' experiments good values of $\lambda$ depended much less on
# $\eta$. AdamW is the usual choice for training transformers; its default `weight_decay` is 0.01.
#
# AdamW is Adam with a different `apply_weight_decay`: shrink `param` in place and hand back the gradient
# unchanged.

# %% nbgrader={"grade": false, "grade_id": "adamw-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class AdamW(Adam):
    """Adam with decoupled weight decay: weights shrink by (1 - learning_rate * weight_decay) each step."""

    def __init__(self, parameters, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.01,
                 amsgrad=False):
        super().__init__(parameters, learning_rate, beta1, beta2, epsilon, weight_decay, amsgrad)

    def apply_weight_decay(self, param, grad):
        """Decoupled weight decay: if weight_decay != 0, multiply `param` in place by
        (1 - learning_rate * weight_decay). Return `grad` unchanged (the same array, not a copy).
        """
        ### BEGIN SOLUTION
        if self.weight_decay != 0:
            param *= 1 - self.learning_rate * self.weight_decay
        return grad
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-adamw", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_adamw():
    """AdamW shrinks weights by (1 - lr * weight_decay), then takes Adam's step on the raw gradient."""
    w = Variable(np.array([2.0, -4.0]))
    optimizer = AdamW([w], learning_rate=0.1, weight_decay=0.5)
    w.grad = Variable(np.zeros(2))
    optimizer.step()
    assert np.allclose(w.data.data, [1.9, -3.8], rtol=1e-12), \
        f"decoupled weight decay, zero gradient: expected [1.9, -3.8] (each weight times 1 - 0.1 * 0.5), " \
        f"got {w.data.data}"
    assert np.all(optimizer.state[0]["exp_avg"] == 0), "decoupled weight decay: the decay must not enter exp_avg"

    # with a gradient: your Adam (no decay) stepping from weights shrunk by hand before each step
    g = np.array([0.3, -0.2])
    w, by_hand = Variable(np.array([1.0, 1.0])), Variable(np.array([1.0, 1.0]))
    optimizer, adam = AdamW([w], learning_rate=0.01), Adam([by_hand], learning_rate=0.01)
    assert optimizer.weight_decay == 0.01, f"AdamW's default weight_decay is 0.01, got {optimizer.weight_decay}"
    for _ in range(3):
        w.grad, by_hand.grad = Variable(g.copy()), Variable(g.copy())
        optimizer.step()
        by_hand.data.data *= 1 - 0.01 * 0.01
        adam.step()
    assert np.allclose(w.data.data, by_hand.data.data, rtol=1e-12), \
        f"decoupled weight decay, three steps: expected {by_hand.data.data}, got {w.data.data}"
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(17)
    gradients = rng.standard_normal((30, 3))
    w = Variable(np.array([1.0, -2.0, 3.0]))
    optimizer = AdamW([w], learning_rate=0.05, weight_decay=0.2, amsgrad=True)
    expected, m, v, v_max = np.array([1.0, -2.0, 3.0]), np.zeros(3), np.zeros(3), np.zeros(3)
    for t, gradient in enumerate(gradients, start=1):
        w.grad = Variable(gradient.copy())
        optimizer.step()
        expected = expected * (1 - 0.05 * 0.2)
        m = 0.9 * m + 0.1 * gradient
        v = 0.999 * v + 0.001 * gradient**2
        v_max = np.maximum(v_max, v)
        expected = expected - 0.05 / (1 - 0.9**t) * m / (np.sqrt(v_max) / np.sqrt(1 - 0.999**t) + 1e-8)
    assert np.allclose(w.data.data, expected, rtol=1e-9), f"AdamW + AMSGrad: expected {expected}, got {w.data.data}"
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW([w], weight_decay=-0.01)
    ### END HIDDEN TESTS

test_adamw()

# %% [markdown]
# The difference in one picture: a weight whose gradient is always zero, decayed for 100 steps. AdamW shrinks
# it geometrically, in proportion to its size. Adam with L2 moves it by about $\eta$ per step whatever its
# size, because the decay term is normalised like a gradient.

# %%
def decayed_values(optimizer_class, steps=100):
    """The value of a weight with zero gradient under weight decay 0.5 and learning rate 0.02."""
    weight = Variable(np.array([1.0]))
    optimizer = optimizer_class([weight], learning_rate=0.02, weight_decay=0.5)
    values = [1.0]
    for _ in range(steps):
        weight.grad = Variable(np.zeros(1))
        optimizer.step()
        values.append(float(weight.data.data[0]))
    return values


fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(decayed_values(Adam), label="Adam, weight decay as L2 in the gradient")
ax.plot(decayed_values(AdamW), label="AdamW, decoupled weight decay")
ax.set(xlabel="step", ylabel="weight", title="A weight with zero gradient, weight decay 0.5, learning rate 0.02")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Nadam**, given. Adam's first moment is a momentum; Nadam (Dozat, *Incorporating Nesterov Momentum into Adam*)
# gives it Nesterov's look-ahead, and PyTorch adds a momentum coefficient that warms up over the first few
# hundred steps. You will take it apart in module 7 (Optimizer paths), where you write it as a pure function;
# here it is ready to use, with the same arithmetic as `torch.optim.NAdam`.

# %% nbgrader={"grade": false, "grade_id": "nadam-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Nadam(Optimizer):
    """Adam with Nesterov momentum, in PyTorch's formulation (torch.optim.NAdam).

    At step t the momentum coefficient is mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)); the product of
    the coefficients so far, state["mu_product"], corrects the first moment's bias, and the step mixes the
    current gradient (weight 1 - mu_t) with the look-ahead average (weight mu_{t+1}). weight_decay is L2 (added
    to the gradient), or decoupled as in AdamW when decoupled_weight_decay is True.
    """

    hyperparameter_names = ("learning_rate", "beta1", "beta2", "epsilon", "weight_decay", "momentum_decay",
                            "decoupled_weight_decay")

    def __init__(self, parameters, learning_rate=0.002, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False):
        super().__init__(parameters, learning_rate)
        _check_decay("beta1", beta1)
        _check_decay("beta2", beta2)
        _check_at_least("epsilon", epsilon)
        _check_at_least("weight_decay", weight_decay)
        _check_at_least("momentum_decay", momentum_decay)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weight_decay = weight_decay
        self.momentum_decay = momentum_decay
        self.decoupled_weight_decay = decoupled_weight_decay

    @property
    def state_numbers_per_parameter(self):
        return 2

    def init_state(self, param):
        return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def update(self, param, grad, state):
        state["step"] += 1
        step = state["step"]
        if self.weight_decay != 0:
            if self.decoupled_weight_decay:
                param *= 1 - self.learning_rate * self.weight_decay
            else:
                grad = grad + self.weight_decay * param
        mu = self.beta1 * (1.0 - 0.5 * 0.96 ** (step * self.momentum_decay))
        mu_next = self.beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * self.momentum_decay))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - self.beta1) * (grad - exp_avg)
        exp_avg_sq *= self.beta2
        exp_avg_sq += (1 - self.beta2) * grad * grad
        denom = exp_avg_sq / (1 - self.beta2**step)
        np.sqrt(denom, out=denom)
        denom += self.epsilon
        # the current gradient's share, then the look-ahead average's: torch's two addcdiv_ calls
        param += (-self.learning_rate * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
        param += ((-self.learning_rate * mu_next) / (1.0 - mu_product * mu_next)) * exp_avg / denom

# %% [markdown]
# ## 8. Gradient clipping
#
# One unlucky batch, or a sharp cliff in the loss surface, can produce a gradient a thousand times larger than
# usual, and one step along it can undo hours of training. Clipping caps the step before it is taken.
#
# **Clipping by norm** treats all gradients of the model as one long vector and computes its norm, the
# *global* norm. If it exceeds `max_norm`, every gradient is multiplied by the same factor
# `max_norm / (norm + 1e-6)`, so the direction is kept and only the length shrinks. (The `1e-6` is PyTorch's
# guard against dividing by zero; it is part of the formula here too.) The function returns the norm *before*
# clipping: it is one of the most useful numbers to log during training.
#
# The norm can be any $p$-norm, $\lVert x\rVert_p = (\sum_i |x_i|^p)^{1/p}$; the global one is the norm of
# the per-parameter norms. The usual choice is $p = 2$; $p = \infty$ means the largest absolute value.
#
# **Clipping by value** clamps every entry into `[-clip_value, clip_value]`. It is simpler but changes the
# direction of the gradient.
#
# Both change the gradients in place (`p.grad.data.data`) and skip parameters without a gradient.

# %% nbgrader={"grade": false, "grade_id": "gradient-clipping", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def gradient_norm(parameters, norm_type=2.0):
    """The global `norm_type`-norm of the gradients of `parameters`, as a Python float.

    Compute each gradient's norm (np.linalg.norm of the flattened array, ord=norm_type), then the same norm
    of the array of those norms. Parameters whose grad is None are skipped; with no gradients at all the
    norm is 0.0. norm_type may be any number > 0 or math.inf; anything else raises a ValueError.
    """
    ### BEGIN SOLUTION
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"invalid norm_type: {norm_type!r} (must be > 0 or math.inf)")
    norms = [
        np.linalg.norm(parameter.grad.data.data.ravel(), ord=norm_type)
        for parameter in parameters
        if parameter.grad is not None
    ]
    if not norms:
        return 0.0
    return float(np.linalg.norm(np.array(norms), ord=norm_type))
    ### END SOLUTION


def clip_gradients(parameters, max_norm, norm_type=2.0):
    """Scale all gradients together, in place, so that their global norm is at most about `max_norm`.

    total = gradient_norm(parameters, norm_type); coefficient = max_norm / (total + 1e-6). If the coefficient
    is below 1, multiply every gradient array by it in place. Return total (the norm before clipping).
    A negative max_norm raises a ValueError naming max_norm.
    """
    ### BEGIN SOLUTION
    _check_at_least("max_norm", max_norm)
    parameters = list(parameters)
    total = gradient_norm(parameters, norm_type)
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for parameter in parameters:
            if parameter.grad is not None:
                parameter.grad.data.data *= coefficient
    return total
    ### END SOLUTION


def clip_gradients_by_value(parameters, clip_value):
    """Clamp every gradient entry into [-clip_value, clip_value], in place. Return None.

    A negative clip_value raises a ValueError naming clip_value.
    """
    ### BEGIN SOLUTION
    _check_at_least("clip_value", clip_value)
    for parameter in parameters:
        if parameter.grad is not None:
            gradient = parameter.grad.data.data
            np.clip(gradient, -clip_value, clip_value, out=gradient)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gradient-clipping", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_gradient_clipping():
    """Clipping by norm scales all gradients by one factor and returns the norm before; by value clamps entries."""
    def parameters_with(*gradients):
        parameters = []
        for gradient in gradients:
            parameter = Variable(np.zeros(np.shape(gradient)))
            parameter.grad = None if gradient is None else Variable(np.array(gradient, dtype=float))
            parameters.append(parameter)
        return parameters

    a, b, c = parameters_with([3.0, 0.0], [[0.0], [4.0]], None)
    assert np.isclose(gradient_norm([a, b, c]), 5.0), f"global 2-norm: expected 5.0, got {gradient_norm([a, b, c])}"
    assert np.isclose(gradient_norm([a, b], 1), 7.0), f"global 1-norm: expected 7.0, got {gradient_norm([a, b], 1)}"
    assert np.isclose(gradient_norm([a, b], math.inf), 4.0), "global inf-norm: expected 4.0"
    assert gradient_norm([c]) == 0.0, "no gradients at all: the norm should be 0.0"

    returned = clip_gradients([a, b, c], max_norm=1.0)
    assert np.isclose(returned, 5.0), f"clip_gradients should return the norm before clipping (5.0), got {returned}"
    factor = 1.0 / (5.0 + 1e-6)
    assert np.allclose(a.grad.data.data, [3.0 * factor, 0.0], rtol=1e-12), f"clipping: got {a.grad.data.data}"
    assert np.allclose(b.grad.data.data, [[0.0], [4.0 * factor]], rtol=1e-12), f"clipping: got {b.grad.data.data}"
    a, b = parameters_with([3.0, 0.0], [[0.0], [4.0]])
    clip_gradients([a, b], max_norm=2.0)
    factor = 2.0 / (5.0 + 1e-6)
    assert np.allclose(a.grad.data.data, [3.0 * factor, 0.0], rtol=1e-12), \
        f"clipping to max_norm=2.0 (multiply by max_norm / (total + 1e-6)): got {a.grad.data.data}"

    small, = parameters_with([0.3, -0.4])
    array = small.grad.data.data
    assert np.isclose(clip_gradients([small], max_norm=1.0), 0.5), "norm 0.5 should be returned"
    assert np.array_equal(small.grad.data.data, [0.3, -0.4]), \
        "under the threshold: a norm below max_norm should leave gradients alone"
    assert small.grad.data.data is array, "in place: clip the gradient arrays in place"

    d, e = parameters_with([0.5, -3.0, 2.0], [[-0.1, 9.0]])
    assert clip_gradients_by_value([d, e], 1.0) is None, "clip_gradients_by_value returns None"
    assert np.array_equal(d.grad.data.data, [0.5, -1.0, 1.0]), f"clipping by value: got {d.grad.data.data}"
    assert np.array_equal(e.grad.data.data, [[-0.1, 1.0]]), f"clipping by value: got {e.grad.data.data}"
    ### BEGIN HIDDEN TESTS
    f, g = parameters_with([1.0, -2.0, 2.0], [[3.0, 0.5]])
    returned = clip_gradients([f, g], max_norm=1.5, norm_type=math.inf)
    assert np.isclose(returned, 3.0), f"inf-norm clipping should return 3.0, got {returned}"
    assert np.allclose(g.grad.data.data, [[3.0 * 1.5 / (3.0 + 1e-6), 0.5 * 1.5 / (3.0 + 1e-6)]])
    h, = parameters_with([1.0, 2.0, 2.0])
    expected = (1 + 2**3 + 2**3) ** (1 / 3)
    assert np.isclose(gradient_norm([h], 3), expected), f"3-norm: expected {expected}, got {gradient_norm([h], 3)}"
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradients([h], max_norm=-1.0)
    with pytest.raises(ValueError, match="clip_value"):
        clip_gradients_by_value([h], clip_value=-1.0)
    ### END HIDDEN TESTS

test_gradient_clipping()

# %% [markdown]
# ## 9. Learning-rate schedules
#
# A large learning rate makes fast progress early, when the parameters are far from any minimum; near the end
# it keeps the parameters bouncing around the minimum instead of settling into it. A schedule lowers the rate
# as training goes on. It is called once per epoch, after the optimizer's step:
#
# ```python
# for epoch in range(num_epochs):
#     ...                  # zero_grad, forward, backward
#     optimizer.step()
#     scheduler.step()     # sets optimizer.learning_rate for the next epoch
# ```
#
# The base class below (given) keeps `last_epoch`, the number of `step()` calls so far (0 after construction),
# and `base_lr`, the optimizer's rate when the scheduler was made. Each `step()` adds one to `last_epoch` and
# sets the optimizer's rate to `compute_lr()`, the method you write. `get_lr()` and `get_last_lr()` both return
# the rate most recently set.
#
# Three schedules, with $\eta_0$ the base rate and $k$ the number of `step()` calls so far:
#
# - **StepLR**: multiply the rate by `gamma` every `step_size` epochs: $\eta_k = \eta_0\,\gamma^{\lfloor k /
#   \text{step\_size}\rfloor}$. With `step_size=30`, calls 1 to 29 keep $\eta_0$ and the 30th call drops it.
# - **ExponentialLR**: multiply by `gamma` every epoch: $\eta_k = \eta_0\,\gamma^k$.
# - **CosineAnnealingLR**: follow half a cosine from $\eta_0$ down to `eta_min` over `T_max` epochs:
#   $\eta_k = \eta_{min} + \tfrac{1}{2}(\eta_0 - \eta_{min})\,(1 + \cos(\pi k / T_{max}))$. Past `T_max` the
#   same formula climbs back up, since the cosine is periodic; PyTorch does the same.
#
# PyTorch computes all three *recursively*, from the optimizer's current rate rather than from $\eta_0$, and
# to match it to the last digit you do the same. The docstrings give the exact recursions.

# %% nbgrader={"grade": false, "grade_id": "scheduler-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _check_positive_integer(name, value):
    """Raise a ValueError naming `name` unless value is a whole number >= 1."""
    if not (value >= 1 and int(value) == value):
        raise ValueError(f"invalid {name}: {value!r} (must be a whole number >= 1)")


class LRScheduler:
    """Sets an optimizer's learning_rate once per epoch; call step() after each epoch's optimizer.step().

    `last_epoch` counts the step() calls (0 after construction); `base_lr` is the optimizer's rate when the
    scheduler was made. A subclass writes `compute_lr`: the rate for epoch `last_epoch`.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.learning_rate
        self.last_epoch = 0
        self.last_lr = self.base_lr
        optimizer.learning_rate = self.last_lr

    def step(self):
        """Advance one epoch and set the optimizer's learning_rate for it."""
        self.last_epoch += 1
        self.last_lr = self.compute_lr()
        self.optimizer.learning_rate = self.last_lr

    def compute_lr(self):
        """The learning rate for epoch `self.last_epoch` (already advanced)."""
        raise NotImplementedError(f"{type(self).__name__} does not define compute_lr()")

    def get_lr(self):
        """The learning rate this scheduler set most recently."""
        return self.last_lr

    def get_last_lr(self):
        """The learning rate this scheduler set most recently (PyTorch's name for it)."""
        return self.last_lr

    def state_dict(self):
        """Everything but the optimizer: {"base_lr", "last_epoch", "last_lr", and the schedule's settings}."""
        return {name: copy.deepcopy(value) for name, value in vars(self).items() if name != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()` and set the optimizer's learning_rate to the restored rate."""
        if set(state_dict) != set(self.state_dict()):
            raise ValueError(f"invalid state_dict: keys {sorted(state_dict)} do not fit {type(self).__name__}")
        self.__dict__.update(copy.deepcopy(state_dict))
        self.optimizer.learning_rate = self.last_lr

# %% nbgrader={"grade": false, "grade_id": "step-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        _check_positive_integer("step_size", step_size)
        _check_at_least("gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def compute_lr(self):
        """If last_epoch is a multiple of step_size, return the optimizer's current learning_rate * gamma;
        otherwise return the current learning_rate unchanged.
        """
        ### BEGIN SOLUTION
        if self.last_epoch % self.step_size == 0:
            return self.optimizer.learning_rate * self.gamma
        return self.optimizer.learning_rate
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "exponential-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class ExponentialLR(LRScheduler):
    """Multiply the learning rate by `gamma` every epoch."""

    def __init__(self, optimizer, gamma):
        _check_at_least("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer)

    def compute_lr(self):
        """Return the optimizer's current learning_rate * gamma."""
        ### BEGIN SOLUTION
        return self.optimizer.learning_rate * self.gamma
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "cosine-annealing-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to `eta_min` over `T_max` epochs (and back up after)."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        _check_positive_integer("T_max", T_max)
        _check_at_least("eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def compute_lr(self):
        """PyTorch's recursion, with lr the optimizer's current learning_rate and e = last_epoch:

        - if (e - 1 - T_max) is a multiple of 2 * T_max (the step just after a minimum, where the formula
          below would divide by zero), return
              lr + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2
        - otherwise return
              (1 + cos(pi * e / T_max)) / (1 + cos(pi * (e - 1) / T_max)) * (lr - eta_min) + eta_min

        Write the expressions in exactly this order (use math.cos and math.pi) to get PyTorch's numbers.
        """
        ### BEGIN SOLUTION
        lr, epoch = self.optimizer.learning_rate, self.last_epoch
        if (epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        return (
            (1 + math.cos(math.pi * epoch / self.T_max))
            / (1 + math.cos(math.pi * (epoch - 1) / self.T_max))
            * (lr - self.eta_min)
            + self.eta_min
        )
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-step-lr", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_step_lr():
    """StepLR keeps the rate for step_size - 1 calls and multiplies it by gamma on every step_size-th call."""
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
    rates = []
    for _ in range(9):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    expected = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert np.allclose(rates, expected, rtol=1e-12), \
        f"StepLR: rates after each step(): expected {expected}, got {rates}"
    assert scheduler.get_lr() == 0.125 and scheduler.get_last_lr() == 0.125, "get_lr()/get_last_lr() should be 0.125"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.3)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.9)
    for k in range(1, 6):
        scheduler.step()
        assert np.isclose(optimizer.learning_rate, 0.3 * 0.9**k, rtol=1e-12), f"step_size=1 after {k} calls"
    with pytest.raises(ValueError, match="step_size"):
        StepLR(optimizer, step_size=0)
    ### END HIDDEN TESTS

test_step_lr()

# %% nbgrader={"grade": true, "grade_id": "test-exponential-lr", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_exponential_lr():
    """ExponentialLR multiplies the rate by gamma on every call."""
    optimizer = Adam([Variable(np.zeros(1))], learning_rate=0.1)
    scheduler = ExponentialLR(optimizer, gamma=0.5)
    rates = []
    for _ in range(4):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    expected = [0.05, 0.025, 0.0125, 0.00625]
    assert np.allclose(rates, expected, rtol=1e-12), \
        f"ExponentialLR: rates after each step(): expected {expected}, got {rates}"
    assert scheduler.get_last_lr() == rates[-1], f"get_last_lr(): expected {rates[-1]}, got {scheduler.get_last_lr()}"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=2.0)
    scheduler = ExponentialLR(optimizer, gamma=0.97)
    for _ in range(50):
        scheduler.step()
    assert np.isclose(optimizer.learning_rate, 2.0 * 0.97**50, rtol=1e-12), "50 calls of gamma 0.97"
    ### END HIDDEN TESTS

test_exponential_lr()

# %% nbgrader={"grade": true, "grade_id": "test-cosine-annealing-lr", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_cosine_annealing_lr():
    """CosineAnnealingLR follows eta_min + (base - eta_min)(1 + cos(pi k / T_max)) / 2, also past T_max."""
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
    scheduler = CosineAnnealingLR(optimizer, T_max=10, eta_min=0.1)
    rates = []
    for _ in range(30):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    k = np.arange(1, 31)
    expected = 0.1 + 0.9 * (1 + np.cos(np.pi * k / 10)) / 2
    assert np.allclose(rates, expected, rtol=1e-9, atol=0), \
        f"CosineAnnealingLR: expected {np.round(expected, 4)}, got {np.round(rates, 4)}"
    assert np.isclose(rates[9], 0.1), f"after T_max calls the rate should be eta_min 0.1, got {rates[9]}"
    assert np.isclose(rates[19], 1.0), f"after 2 * T_max calls it should be back at 1.0, got {rates[19]}"
    assert scheduler.get_lr() == rates[-1], "get_lr() should return the rate just set"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.5)
    scheduler = CosineAnnealingLR(optimizer, T_max=7)
    for step in range(1, 22):
        scheduler.step()
        closed_form = 0.25 * (1 + math.cos(math.pi * step / 7))
        assert abs(optimizer.learning_rate - closed_form) <= 1e-12, f"T_max=7, eta_min=0, after {step} calls"
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(optimizer, T_max=0)
    ### END HIDDEN TESTS

test_cosine_annealing_lr()

# %% [markdown]
# The three schedules from the same base rate. Cosine annealing is meant to be run for exactly `T_max` epochs;
# past it the rate climbs back (restarting from the top is a different schedule, SGDR).

# %%
def schedule(make_scheduler, epochs=150):
    """The learning rate used in each epoch under a schedule, from a base rate of 0.1."""
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.1)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.learning_rate)
        scheduler.step()
    return rates


fig, ax = plt.subplots(figsize=(8, 3.2))
ax.plot(schedule(lambda opt: StepLR(opt, step_size=30, gamma=0.5)), label="StepLR(step_size=30, gamma=0.5)")
ax.plot(schedule(lambda opt: ExponentialLR(opt, gamma=0.98)), label="ExponentialLR(gamma=0.98)")
ax.plot(schedule(lambda opt: CosineAnnealingLR(opt, T_max=100, eta_min=0.005)),
        label="CosineAnnealingLR(T_max=100, eta_min=0.005)")
ax.axvline(100, color="0.7", linewidth=0.8, linestyle="--")
ax.set(xlabel="epoch", ylabel="learning rate", title="Three learning-rate schedules")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 10. What optimizers cost in memory
#
# During training every parameter needs its value and its gradient, and then whatever the optimizer keeps:
#
# | optimizer | state per parameter |
# | --- | --- |
# | SGD | nothing |
# | SGD with momentum, RMSprop | 1 number (velocity, or average of squares) |
# | Adam, AdamW, Nadam | 2 numbers (both averages) |
# | Adam with AMSGrad | 3 numbers |
#
# RMSprop's `centered` and `momentum` options add one number each. Each optimizer reports what it keeps in
# `state_numbers_per_parameter`, and `state_numbers()` counts what its state actually holds. Below, each
# optimizer takes one step on a small model, we check that the state it built is as large as announced, and
# scale up to a model with 7 billion parameters in float32 (4 bytes a number).

# %% nbgrader={"grade": false, "grade_id": "memory-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def optimizer_state_bytes(num_parameters, optimizer, bytes_per_number=4):
    """Bytes of optimizer state for a model of `num_parameters` numbers (4 bytes each in float32)."""
    return num_parameters * optimizer.state_numbers_per_parameter * bytes_per_number

# %%
def measured_state_per_parameter(make_optimizer):
    """Numbers of state per parameter after one step on a small model."""
    parameters = [Variable(np.zeros((30, 20), dtype=np.float32)), Variable(np.zeros(20, dtype=np.float32))]
    optimizer = make_optimizer(parameters)
    for parameter in parameters:
        parameter.grad = Variable(np.ones_like(parameter.data.data))
    optimizer.step()
    measured = optimizer.state_numbers() / sum(p.data.data.size for p in parameters)
    assert measured == optimizer.state_numbers_per_parameter, (type(optimizer).__name__, measured)
    return optimizer


candidates = {
    "SGD": lambda ps: SGD(ps, learning_rate=0.1),
    "SGD, momentum 0.9": lambda ps: SGD(ps, learning_rate=0.1, momentum=0.9),
    "RMSprop": lambda ps: RMSprop(ps),
    "Adam / AdamW": lambda ps: AdamW(ps),
    "Adam, AMSGrad": lambda ps: Adam(ps, amsgrad=True),
}
num_parameters, gigabyte = 7_000_000_000, 1e9
weights_and_gradients = 2 * num_parameters * 4 / gigabyte
rows = []
for name, make_optimizer in candidates.items():
    state = optimizer_state_bytes(num_parameters, measured_state_per_parameter(make_optimizer)) / gigabyte
    total = state + weights_and_gradients
    rows.append(f"{name:<20} state {state:6.0f} GB   with weights and gradients {total:6.0f} GB")
print("\n".join(rows))

# %% [markdown]
# Weights and gradients alone take 56 GB; Adam's state adds another 56 GB, 112 GB in all, more than most single
# accelerators hold, before counting the activations kept for the backward pass. This is why large models are
# trained with the optimizer state split across many devices, kept in lower precision, or replaced by a
# factored approximation, and why plain SGD with momentum is still used where memory is tight.
#
# ## 11. Training with all the pieces
#
# Now a small training loop that uses everything: autograd for the gradients, an optimizer, optional
# clipping and an optional schedule. Each epoch does, in this order:
#
# 1. `optimizer.zero_grad()`, then `loss = loss_function()` (a Variable holding one number) and
#    `loss.backward()`;
# 2. record the loss (`float(loss.data.data)`) and the global gradient norm (2-norm) *before* clipping;
#    if `max_grad_norm` is given, clip to it (`clip_gradients` returns that same norm);
# 3. record `optimizer.learning_rate`, the rate this epoch's update uses;
# 4. `optimizer.step()`, then `scheduler.step()` if there is a scheduler.
#
# The history comes back as a `TrainingHistory`, three lists with one entry per epoch. The problem is a linear
# regression whose three input features have very different scales (0.2, 1 and 3), which makes the loss
# another narrow valley.

# %% nbgrader={"grade": false, "grade_id": "training-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
@dataclass
class TrainingHistory:
    """What `train_simple_model` records, one entry per epoch."""

    losses: list = field(default_factory=list)  # the loss before the epoch's update
    learning_rates: list = field(default_factory=list)  # the learning rate the epoch's update used
    gradient_norms: list = field(default_factory=list)  # the global 2-norm of the gradients, before clipping


def make_regression_data(num_samples=200, feature_scales=(0.2, 1.0, 3.0), noise=0.05, seed=0):
    """A linear regression problem: (inputs, targets, true_weights).

    inputs has shape (num_samples, len(feature_scales)), column j scaled by feature_scales[j];
    targets = inputs @ true_weights + 0.5 + noise, of shape (num_samples, 1).
    """
    rng = np.random.default_rng(seed)
    scales = np.asarray(feature_scales, dtype=np.float64)
    inputs = rng.standard_normal((num_samples, scales.size)) * scales
    true_weights = rng.standard_normal((scales.size, 1))
    targets = inputs @ true_weights + 0.5 + noise * rng.standard_normal((num_samples, 1))
    return inputs, targets, true_weights


def mse_loss(predictions, targets):
    """The mean squared error between a Variable of predictions and an array of targets, as a Variable."""
    errors = predictions - targets
    return (errors * errors).mean()

# %% nbgrader={"grade": false, "grade_id": "train-simple-model", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def train_simple_model(parameters, optimizer, loss_function, num_epochs, scheduler=None, max_grad_norm=None):
    """Train `parameters` for `num_epochs` full-batch epochs and return a TrainingHistory.

    `loss_function()` computes the loss from the current parameters and returns it as a one-element Variable.
    Each epoch: optimizer.zero_grad(); loss = loss_function(); loss.backward(); append float(loss.data.data)
    to history.losses; norm = clip_gradients(parameters, max_grad_norm) if max_grad_norm is not None, else
    gradient_norm(parameters); append norm to history.gradient_norms; append optimizer.learning_rate to
    history.learning_rates; optimizer.step(); scheduler.step() if scheduler is not None.
    """
    ### BEGIN SOLUTION
    parameters = list(parameters)
    history = TrainingHistory()
    for _ in range(num_epochs):
        optimizer.zero_grad()
        loss = loss_function()
        loss.backward()
        history.losses.append(float(loss.data.data))
        if max_grad_norm is not None:
            norm = clip_gradients(parameters, max_grad_norm)
        else:
            norm = gradient_norm(parameters)
        history.gradient_norms.append(norm)
        history.learning_rates.append(optimizer.learning_rate)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return history
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-train-simple-model", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_train_simple_model():
    """The loop records each epoch's loss, gradient norm and rate, steps the optimizer then the scheduler, clips
    before the step, and trains. A stand-in optimizer and scheduler, written here, keep this test about the loop:
    your SGD, StepLR and clipping have tests of their own."""
    inputs, targets, true_weights = make_regression_data(num_samples=100, feature_scales=(1.0, 1.0), seed=1)
    weights, bias = Variable(np.zeros((2, 1))), Variable(np.zeros(1))

    def loss_function():
        return mse_loss(inputs @ weights + bias, targets)

    class StandInOptimizer:
        """Plain gradient descent that notes, at each step, the rate, the loss and the gradients it sees."""

        def __init__(self, parameters, learning_rate):
            self.parameters, self.learning_rate, self.seen = parameters, learning_rate, []

        def zero_grad(self):
            for parameter in self.parameters:
                parameter.grad = None

        def step(self):
            gradients = [parameter.grad.data.data.copy() for parameter in self.parameters]
            self.seen.append((self.learning_rate, float(loss_function().data.data), gradients))
            for parameter, gradient in zip(self.parameters, gradients):
                parameter.data.data -= self.learning_rate * gradient

    class StandInScheduler:
        """Multiplies the optimizer's rate by 0.9 at each step()."""

        def __init__(self, optimizer):
            self.optimizer = optimizer

        def step(self):
            self.optimizer.learning_rate *= 0.9

    def norm_of(gradients):
        """Your gradient_norm of these gradient arrays."""
        holders = [Variable(np.zeros_like(gradient)) for gradient in gradients]
        for holder, gradient in zip(holders, gradients):
            holder.grad = Variable(gradient.copy())
        return gradient_norm(holders)

    optimizer = StandInOptimizer([weights, bias], learning_rate=0.3)
    history = train_simple_model([weights, bias], optimizer, loss_function, num_epochs=30,
                                 scheduler=StandInScheduler(optimizer))
    for name in ("losses", "learning_rates", "gradient_norms"):
        entries = len(getattr(history, name))
        assert entries == 30, f"the history: history.{name} should have one entry per epoch (30), got {entries}"
    rates, losses, gradients = zip(*optimizer.seen)
    assert np.allclose(rates, [0.3 * 0.9**epoch for epoch in range(30)], rtol=1e-12), \
        f"the scheduler: step it once per epoch, after optimizer.step(); the steps used the rates {rates[:4]}..."
    assert history.learning_rates == list(rates), \
        f"the rates: record the rate the epoch's step uses, {list(rates[:4])}..., got {history.learning_rates[:4]}..."
    assert np.allclose(history.losses, losses, rtol=1e-12), \
        f"the losses: record the loss before the epoch's step, {list(losses[:3])}..., got {history.losses[:3]}..."
    assert all(type(value) is float for value in history.losses), "the losses: append Python floats, float(...)"
    norms = [norm_of(step_gradients) for step_gradients in gradients]
    assert np.allclose(history.gradient_norms, norms, rtol=1e-12), \
        f"the gradient norms: record gradient_norm(parameters), {norms[:3]}..., got {history.gradient_norms[:3]}..."
    assert history.losses[-1] < 0.01 * history.losses[0], \
        f"training: the loss should fall a lot (call zero_grad each epoch), got {history.losses[::10]}"
    got = weights.data.data.ravel()
    assert np.allclose(got, true_weights.ravel(), atol=0.05), \
        f"training: weights expected near {true_weights.ravel()}, got {got}"

    # clipping before the step: the first step sees the gradient at zero, clipped by your clip_gradients
    weights, bias = Variable(np.zeros((2, 1))), Variable(np.zeros(1))
    optimizer = StandInOptimizer([weights, bias], learning_rate=0.1)
    history = train_simple_model([weights, bias], optimizer, loss_function, num_epochs=1, max_grad_norm=0.01)
    at_zero = [Variable(np.zeros((2, 1))), Variable(np.zeros(1))]
    mse_loss(inputs @ at_zero[0] + at_zero[1], targets).backward()
    returned = clip_gradients(at_zero, 0.01)
    assert np.isclose(history.gradient_norms[0], returned, rtol=1e-12), \
        f"clipping: record the norm clip_gradients returns ({returned}), got {history.gradient_norms[0]}"
    for seen, clipped in zip(optimizer.seen[0][2], at_zero):
        assert np.allclose(seen, clipped.grad.data.data, rtol=1e-12), \
            f"clipping: clip before optimizer.step(); the step saw {seen.ravel()}, not {clipped.grad.data.data.ravel()}"
    ### BEGIN HIDDEN TESTS
    weights, bias = Variable(np.zeros((2, 1))), Variable(np.zeros(1))
    optimizer = StandInOptimizer([weights, bias], learning_rate=0.05)
    history = train_simple_model([weights, bias], optimizer, loss_function, num_epochs=5)
    assert history.learning_rates == [0.05] * 5, f"no scheduler: the rate stays 0.05, got {history.learning_rates}"
    assert np.isclose(history.losses[0], float(np.mean(targets**2))), "the first loss is taken before any update"
    ### END HIDDEN TESTS

test_train_simple_model()

# %% [markdown]
# Each optimizer on the same regression problem, each with a learning rate that works for it. Plain SGD is
# limited by the steepest feature and still crawls along the flattest one after 300 epochs. Momentum and the
# adaptive methods reach the noise floor (the error the noise alone causes, $0.05^2 = 0.0025$) within 150
# epochs.
#
# Look at RMSprop around epoch 240. Once its gradients are tiny, so is the average it divides by, and the
# effective learning rate $\eta/\sqrt{s}$ grows until it crosses the stability limit of section 1: the
# parameters start to oscillate, the gradients and the average grow back, and the run settles again. The
# gradient norm (right) shows the trouble forty epochs before the loss does. A decaying learning rate or a
# larger epsilon prevents it.

# %%
inputs, targets, true_weights = make_regression_data()
contenders = {
    "SGD (lr 0.05)": lambda ps: SGD(ps, learning_rate=0.05),
    "SGD, momentum 0.9 (lr 0.02)": lambda ps: SGD(ps, learning_rate=0.02, momentum=0.9),
    "RMSprop (lr 0.02)": lambda ps: RMSprop(ps, learning_rate=0.02),
    "Adam (lr 0.05)": lambda ps: Adam(ps, learning_rate=0.05),
    "Adam (lr 0.1) + cosine": None,
}
histories = {}
for name, make_optimizer in contenders.items():
    weights, bias = Variable(np.zeros((3, 1))), Variable(np.zeros(1))
    parameters = [weights, bias]
    scheduler = None
    if make_optimizer is None:
        optimizer = Adam(parameters, learning_rate=0.1)
        scheduler = CosineAnnealingLR(optimizer, T_max=300, eta_min=0.001)
    else:
        optimizer = make_optimizer(parameters)
    histories[name] = train_simple_model(
        parameters, optimizer, lambda: mse_loss(inputs @ weights + bias, targets), num_epochs=300, scheduler=scheduler
    )

fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
for name, history in histories.items():
    axes[0].plot(history.losses, label=name)
    axes[1].plot(history.gradient_norms, label=name)
axes[0].set(yscale="log", xlabel="epoch", ylabel="mean squared error", title="Loss")
axes[1].set(yscale="log", xlabel="epoch", ylabel="global gradient norm", title="Gradient norm")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# And the same optimizers on the valley of section 2, 40 steps each from the same start. Dividing by the root
# mean square makes both directions move at about the same speed, so RMSprop and Adam travel along the valley
# as fast as across it and reach the minimum. RMSprop's first steps are long and jagged: without bias
# correction it divides by an underestimated average. Adam's momentum smooths its path into a curve.

# %%
paths = {
    "gradient descent (lr 1.7)": plain_path,
    "momentum 0.7 (lr 1.0)": valley_path(lambda point: SGD([point], learning_rate=1.0, momentum=0.7).step),
    "RMSprop (lr 0.3)": valley_path(lambda point: RMSprop([point], learning_rate=0.3).step),
    "Adam (lr 0.3)": valley_path(lambda point: Adam([point], learning_rate=0.3).step),
}
fig, ax = plt.subplots(figsize=(8, 3.4))
draw_valley(ax, paths, "40 steps of each optimizer")
plt.show()

# %% [markdown]
# ## Question 1: memory trade-offs
#
# You are to fine-tune a 7-billion-parameter model in float32 on accelerators with 80 GB of memory each.
# Using the numbers computed in section 10, which of the optimizers in this module fit on one accelerator,
# and which do not? Name two ways to make Adam fit without switching optimizer, and say what each one costs
# (in time, accuracy, or hardware).

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-memory-tradeoffs", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Weights and gradients take 7e9 × 4 B × 2 = 56 GB before any optimizer state. Plain SGD adds nothing (56 GB,
# fits with 24 GB left for activations); SGD with momentum and RMSprop add 28 GB (84 GB, does not fit); Adam
# and AdamW add 56 GB (112 GB) and AMSGrad 84 GB (140 GB), far over. So only plain SGD fits, and only with
# small batches, since activations need room too.
#
# Ways to make Adam fit: (1) shard the optimizer state, gradients and even weights across several accelerators
# (ZeRO / FSDP): each device holds 1/N of them, at the cost of more devices and of communication every step;
# (2) keep weights, gradients and states in 16-bit (bf16) or the states in 8 bits (8-bit Adam): half or a
# quarter of the memory, at the cost of rounding error that needs care (a float32 master copy of the weights,
# block-wise scaling of the states) and a small risk to accuracy; (3) offload the optimizer state to CPU memory
# and run the update there: slower steps limited by the host link; (4) a factored second moment (Adafactor)
# stores row and column averages instead of a full matrix: less memory, slightly different behaviour; or
# (5) parameter-efficient fine-tuning (LoRA), which trains a few million extra weights and keeps Adam state only
# for those, at some cost in what the fine-tuning can express. Gradient accumulation does not help here: it
# saves activation memory, not optimizer state.

# %% [markdown]
# ## Question 2: adaptive scheduling on a plateau
#
# The schedules in this module are fixed in advance. Suppose instead that the validation loss has stopped
# improving for several epochs. Design a rule that lowers the learning rate when this happens: what it
# measures, when it fires, and by how much. What could go wrong with it, and how does lowering the rate
# interact with Adam, whose steps are already scaled per parameter?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-plateau-scheduling", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Measure the validation loss once per epoch and keep the best value seen. An epoch counts as an improvement
# only if it beats the best by a relative threshold (say 0.1%), so noise does not reset the count. When
# `patience` epochs (say 5–10) pass without improvement, multiply the learning rate by a factor (0.1–0.5), reset
# the counter, and wait a `cooldown` of a few epochs before counting again so the new rate has time to act. Stop
# lowering at a `min_lr`; after a few reductions without gain, stop training (early stopping) and keep the best
# checkpoint. This is PyTorch's `ReduceLROnPlateau`.
#
# What can go wrong: a noisy validation loss fires the rule too early (smooth it, e.g. with a running average,
# or raise the threshold); too short a patience cuts the rate during a temporary plateau that a large rate
# would have crossed; reductions are irreversible, so a bad one wastes the rest of the run; and using the
# training loss instead hides overfitting.
#
# With Adam, each step has length of about the learning rate per coordinate whatever the size of the gradient:
# dividing by $\sqrt{\hat v}$ removes the gradient's scale. Near a minimum the gradients are small but noisy, so
# Adam keeps taking steps of about $\eta$ and bounces around at a noise floor set by $\eta$. Lowering $\eta$ is
# then the only way to settle, so plateau reductions are very effective with Adam. Conversely, Adam's adaptive
# scaling does not notice a plateau by itself: its normalised steps stay the same size on a flat region.

# %% [markdown]
# ## Question 3: monitoring an optimizer in production
#
# A model retrains every night on fresh data, unattended. Which numbers would you log from the optimizer and
# the training loop to notice that a run is going wrong (diverging, stalling, or silently learning nothing),
# and what would you do automatically when one of them looks bad?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-optimizer-monitoring", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Per step or per few steps: the training loss; the global gradient norm before clipping (what `clip_gradients`
# returns) and the fraction of steps that were clipped; the learning rate actually used; the ratio of update
# size to weight size per layer (healthy values are around 1e-3: much larger means instability, much smaller
# means the layer is not learning); the weight norms (slow growth without bound suggests too little decay); for
# Adam, statistics of $\sqrt{\hat v}$ (tiny values next to epsilon make steps huge); and counts of NaN or
# infinite values in the loss and the gradients. Per epoch: the validation loss and metric, against the
# previous nights' runs.
#
# Alerts compare each number with its own recent history, e.g. a gradient norm ten times its running median, a
# loss spike, any NaN, an update ratio far outside its usual band, or a validation loss that has not moved.
# Automatic reactions: skip the step whose gradient is non-finite; on a spike or NaN, reload the last good
# checkpoint (the optimizer's `state_dict` too, so the averages are not reset) and continue with a lower
# learning rate or tighter clipping; if the run stalls or diverges again, stop it, keep yesterday's model in
# production, and page a person with the logged curves. A run that finishes but is worse than the deployed model
# on a fixed validation set should never be promoted automatically.

# %% [markdown]
# ## What you built
#
# A base `Optimizer` that loops over parameters and keeps per-parameter state, and on top of it the update
# rules of SGD (with momentum, dampening, Nesterov momentum and weight decay), RMSprop, Adam (with AMSGrad) and
# AdamW, all matching `torch.optim`. You wrote gradient clipping by norm and by value, three learning-rate
# schedules that follow PyTorch's recursions, and a training loop that records what you need to watch. Along the
# way: momentum averages away oscillations, adaptive methods give every parameter its own step size, bias
# correction fixes the first steps of a running average, decoupled weight decay keeps regularisation out of
# the gradient statistics, and each of these costs one more number of memory per parameter.
