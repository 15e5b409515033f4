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
# # Module 7: Optimizer paths
#
# Module 3 built the optimizers as classes that change parameters in place, and showed in one picture that
# momentum and Adam cross a narrow valley faster than gradient descent. This module looks closer at *how* they
# move. It starts with the tool every one of them is made of, the exponentially weighted moving average, then
# writes momentum, Nesterov, RMSprop, Adam and Nadam once more, as pure functions of a 2-D point, and draws
# where each one goes on three surfaces. It ends on a real problem, MNIST-1D, with seven optimizers side by
# side.
#
# A pure update function takes the current point, the gradient there and the optimizer's state, and returns the
# new point and the new state without changing its arguments. That makes a path easy to record, to replay and
# to compare: each function here is checked against the class you wrote in module 3 (and that PyTorch agrees
# with), step for step, to 1e-12.

# %% nbgrader={"grade": false, "grade_id": "optimizer-paths-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.optimizer_paths
#| export
import math

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam, AdamW, Nadam, RMSprop  # noqa: F401 (the lesson and tests use them)

# %%
import matplotlib.pyplot as plt
import pytest

# %% [markdown]
# ## 1. The exponentially weighted moving average
#
# Given a sequence $x_1, x_2, \dots$, the exponentially weighted moving average (EWMA) with decay
# $\beta \in [0, 1)$ is
#
# $$v_0 = 0, \qquad v_t = \beta\, v_{t-1} + (1 - \beta)\, x_t .$$
#
# Unrolled, $v_t = (1-\beta)\,(x_t + \beta x_{t-1} + \beta^2 x_{t-2} + \dots + \beta^{t-1} x_1)$: a value from
# $k$ steps ago counts with weight $(1-\beta)\beta^k$. Momentum's velocity, RMSprop's average of squares and both
# of Adam's moments are averages of this kind.
#
# The weights of $v_t$ add up to $(1-\beta)(1 + \beta + \dots + \beta^{t-1}) = 1 - \beta^t$, not 1. The missing
# $\beta^t$ sits on the starting value $v_0 = 0$, so early averages are pulled towards zero. Dividing by the
# total weight removes that pull:
#
# $$\hat v_t = \frac{v_t}{1 - \beta^t}.$$
#
# Module 3 drew this correction for Adam. Here you write the average itself, as a function of a whole sequence
# and as an object you feed one value at a time (the learning-rate finder of the next module smooths its loss
# curve with it). Both validate $\beta$ with the helper below.

# %% nbgrader={"grade": false, "grade_id": "check-beta", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def check_beta(beta, name="beta"):
    """Raise a ValueError naming `name` unless 0 <= beta < 1 (NaN fails too)."""
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"invalid {name}: {beta!r} (must be in [0, 1))")

# %% nbgrader={"grade": false, "grade_id": "moving-average", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def moving_average(values, beta, bias_correction=True):
    """The exponentially weighted moving average of a 1-D sequence, as a float64 array of the same length.

    Start from v = 0; for t = 1, 2, ..., len(values): v = beta * v + (1 - beta) * values[t - 1]. Entry t - 1
    of the result is v, or v / (1 - beta**t) when bias_correction is True. Call check_beta(beta) first; a
    `values` that is not one-dimensional raises a ValueError naming values.

    Example: moving_average([1.0, 1.0], 0.5) -> [1.0, 1.0]; without the correction -> [0.5, 0.75].
    """
    ### BEGIN SOLUTION
    check_beta(beta)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"invalid values: expected a 1-D sequence, got shape {values.shape}")
    averages = np.empty(len(values))
    average = 0.0
    for t, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        averages[t - 1] = average / (1 - beta**t) if bias_correction else average
    return averages
    ### END SOLUTION


# %% [markdown]
# The same average, kept as state: `update(value)` folds in one more value and returns the current average.
# Write it with the same arithmetic as `moving_average`, so that feeding a sequence one value at a time gives
# exactly the numbers `moving_average` gives for the whole sequence.

# %% nbgrader={"grade": false, "grade_id": "moving-average-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MovingAverage:
    """An exponentially weighted moving average fed one value at a time.

    Attributes: `beta`, `bias_correction`, `steps` (the number of values seen, an int), `biased` (the running
    average v before correction, a float, 0.0 at first) and `value` (the current average, corrected or not as
    asked: a float, None before the first update).
    """

    def __init__(self, beta, bias_correction=True):
        """Store the settings (check_beta(beta) first), with steps = 0, biased = 0.0 and value = None."""
        ### BEGIN SOLUTION
        check_beta(beta)
        self.beta = beta
        self.bias_correction = bias_correction
        self.steps = 0
        self.biased = 0.0
        self.value = None
        ### END SOLUTION

    def update(self, value):
        """Add one value: steps += 1, biased = beta * biased + (1 - beta) * value, then set and return
        self.value, a Python float: biased / (1 - beta**steps) with bias correction, biased without.
        """
        ### BEGIN SOLUTION
        self.steps += 1
        self.biased = self.beta * self.biased + (1 - self.beta) * float(value)
        if self.bias_correction:
            self.value = self.biased / (1 - self.beta**self.steps)
        else:
            self.value = self.biased
        return self.value
        ### END SOLUTION

    def __repr__(self):
        return f"MovingAverage(beta={self.beta!r}, steps={self.steps}, value={self.value!r})"


# %% nbgrader={"grade": true, "grade_id": "test-moving-average", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_moving_average():
    """The EWMA from v = 0, with and without dividing by 1 - beta**t, as a float64 array."""
    got = moving_average([2.0, 4.0, 4.0], 0.5, bias_correction=False)
    expected = np.array([1.0, 2.5, 3.25])  # 0.5 * 2, then 0.5 * 1 + 0.5 * 4, then 0.5 * 2.5 + 0.5 * 4
    assert isinstance(got, np.ndarray) and got.dtype == np.float64, \
        f"the average: return a float64 ndarray, got {type(got).__name__} {getattr(got, 'dtype', '')}"
    assert np.allclose(got, expected, rtol=1e-12), f"the average without correction: expected {expected}, got {got}"

    got = moving_average([2.0, 4.0, 4.0], 0.5)
    expected = np.array([1.0 / 0.5, 2.5 / 0.75, 3.25 / 0.875])
    assert np.allclose(got, expected, rtol=1e-12), \
        f"bias correction: divide the t-th average by 1 - beta**t: expected {expected}, got {got}"

    constant = moving_average(np.full(5, 3.0), 0.9)
    assert np.allclose(constant, 3.0, rtol=1e-12), \
        f"bias correction: the corrected average of a constant sequence is that constant, got {constant}"
    assert np.allclose(moving_average([1.0, -2.0, 5.0], 0.0), [1.0, -2.0, 5.0]), "beta = 0 keeps each value"
    assert len(moving_average([], 0.5)) == 0, "an empty sequence has an empty average"
    for bad in (1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="beta"):
            moving_average([1.0], bad)
    with pytest.raises(ValueError, match="values"):
        moving_average(np.ones((2, 2)), 0.5)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(4)
    series = rng.standard_normal(50)
    for beta in (0.3, 0.9, 0.99):
        v, raw, corrected = 0.0, [], []
        for t, x in enumerate(series, start=1):
            v = beta * v + (1 - beta) * x
            raw.append(v)
            corrected.append(v / (1 - beta**t))
        assert np.allclose(moving_average(series, beta, bias_correction=False), raw, rtol=1e-12), f"beta {beta}"
        assert np.allclose(moving_average(series, beta), corrected, rtol=1e-12), f"beta {beta}, corrected"
    ### END HIDDEN TESTS

test_moving_average()

# %% nbgrader={"grade": true, "grade_id": "test-moving-average-class", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_moving_average_class():
    """MovingAverage.update returns the running average as a float and agrees with moving_average."""
    average = MovingAverage(0.5, bias_correction=False)
    assert average.value is None and average.steps == 0, "before any update: value None, steps 0"
    got = [average.update(x) for x in (2.0, 4.0, 4.0)]
    assert np.allclose(got, [1.0, 2.5, 3.25], rtol=1e-12), \
        f"the average without correction: expected [1.0, 2.5, 3.25], got {got}"
    assert all(type(x) is float for x in got), f"update returns Python floats, got {[type(x).__name__ for x in got]}"
    assert average.steps == 3 and average.value == got[-1], \
        f"after three updates: steps 3 and value {got[-1]}, got steps {average.steps}, value {average.value}"

    corrected = MovingAverage(0.5)
    got = [corrected.update(x) for x in (2.0, 4.0, 4.0)]
    expected = [1.0 / 0.5, 2.5 / 0.75, 3.25 / 0.875]
    assert np.allclose(got, expected, rtol=1e-12), \
        f"bias correction: divide the average after t updates by 1 - beta**t: expected {expected}, got {got}"
    assert corrected.biased == 3.25, f"biased: the average before correction, expected 3.25, got {corrected.biased}"
    constant = MovingAverage(0.9)
    got = [constant.update(x) for x in (5.0, 5.0, 5.0)]
    assert np.allclose(got, 5.0, rtol=1e-12), \
        f"bias correction: a constant sequence of 5.0 should average 5.0 from the first update, got {got}"

    series = np.random.default_rng(0).normal(1.0, 0.5, size=40)
    streaming = MovingAverage(0.8, bias_correction=False)
    got = np.array([streaming.update(x) for x in series])
    expected = moving_average(series, 0.8, bias_correction=False)
    assert np.array_equal(got, expected), \
        f"the same numbers as moving_average(bias_correction=False): largest difference " \
        f"{np.max(np.abs(got - expected)):.3g}"
    with pytest.raises(ValueError, match="beta"):
        MovingAverage(1.0)
    ### BEGIN HIDDEN TESTS
    streaming = MovingAverage(0.8)
    got = np.array([streaming.update(x) for x in series])
    assert np.array_equal(got, moving_average(series, 0.8)), "the same numbers as moving_average, corrected"
    one = MovingAverage(0.0)
    assert one.update(7.0) == 7.0 and one.update(-1.0) == -1.0, "beta = 0 returns the last value"
    ### END HIDDEN TESTS

test_moving_average_class()

# %% [markdown]
# A noisy series whose true level is 1 for 150 steps and then jumps to 3, averaged with $\beta = 0.95$.
# Without the correction the average starts at zero and needs tens of steps to climb to the level; with it the
# first values are already right, and after a few dozen steps the two lines are the same. Both follow
# the jump with the same delay: correction fixes the start, not the lag.

# %%
rng = np.random.default_rng(7)
level = np.where(np.arange(300) < 150, 1.0, 3.0)
noisy = level + 0.6 * rng.standard_normal(300)

fig, ax = plt.subplots(figsize=(9, 3.4))
ax.plot(noisy, ".", color="0.75", markersize=3, label="noisy values")
ax.plot(moving_average(noisy, 0.95, bias_correction=False), label="EWMA, beta 0.95")
ax.plot(moving_average(noisy, 0.95), label="EWMA, beta 0.95, bias-corrected")
ax.plot(level, color="black", linewidth=0.8, linestyle="--", label="true level")
ax.set(xlabel="step t", ylabel="value", title="A moving average with and without bias correction")
ax.legend(fontsize=8, loc="upper left")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. How far back does an average look?
#
# The weights $(1-\beta)\beta^k$ fall off geometrically. A common summary is the *effective window*
# $1/(1-\beta)$: $\beta = 0.9$ averages over about 10 values, $0.99$ over about 100, $0.999$ (Adam's $\beta_2$)
# over about 1000. Two ways to see where it comes from:
#
# - The mean age of the weights is $\sum_k k(1-\beta)\beta^k = \beta/(1-\beta)$, so on average the EWMA looks
#   back $\beta/(1-\beta)$ steps: a window of $1/(1-\beta)$ values, counting the current one.
# - The most recent $n = 1/(1-\beta)$ values carry weight $1 - \beta^n$. Since $\ln\beta \approx -(1-\beta)$,
#   $\beta^{1/(1-\beta)} \approx e^{-1}$: the last $n$ values hold about $1 - 1/e \approx 63\%$ of the weight.
#
# The check below computes both numbers from the weights themselves.

# %%
for beta in (0.5, 0.9, 0.99, 0.999):
    ages = np.arange(200_000)
    weights = (1 - beta) * beta**ages
    window = 1 / (1 - beta)
    mean_age = float(np.sum(ages * weights))
    inside = float(np.sum(weights[: int(round(window))]))
    print(f"beta {beta:<6} window 1/(1-beta) = {window:7.1f}   mean age {mean_age:8.2f} "
          f"(beta/(1-beta) = {beta / (1 - beta):8.2f})   weight of the last {window:.0f} values {inside:.3f}")
    assert abs(mean_age - beta / (1 - beta)) < 1e-6 * window

# %% [markdown]
# The window also says how fast an average follows a change. Feed a step from 0 to 1 into each average and count
# the steps until it has covered $1 - 1/e$ of the jump: about $1/(1-\beta)$ steps, whatever $\beta$.

# %%
for beta in (0.8, 0.9, 0.95, 0.99):
    response = moving_average(np.ones(5000), beta, bias_correction=False)
    reached = int(np.argmax(response >= 1 - math.exp(-1))) + 1
    print(f"beta {beta:<5} 1/(1-beta) = {1 / (1 - beta):6.1f}   steps to 63% of a jump: {reached}")
    assert abs(reached - 1 / (1 - beta)) <= 1 + 0.02 / (1 - beta)

# %% [markdown]
# ## 3. Three surfaces
#
# The optimizers will walk on three functions of a point $p = (x, y)$:
#
# - **An ill-conditioned quadratic**, $f(x, y) = 0.01\,x^2 + 0.1\,y^2$. Written as $\tfrac12 p^\top H p$, its
#   Hessian is $H = \mathrm{diag}(0.02, 0.2)$: ten times more curved across ($y$) than along ($x$).
# - **The same quadratic rotated by 45 degrees**: $f(p) = \tfrac12 p^\top (R H R^\top) p$ with $R$ the rotation
#   by 45 degrees. The valley now runs along the diagonal; its shape, its minimum and the eigenvalues of its
#   Hessian are those of the first one. Only the coordinates have changed.
# - **Rosenbrock's function**, $f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$: a curved, flat-bottomed valley along
#   the parabola $y = x^2$ with its minimum at $(1, 1)$. Getting into the valley is easy; following its bend
#   to the minimum is not.
#
# The values are given; write the gradients. Each takes a point as an array of shape `(2,)` and returns an
# array of shape `(2,)`. For a quadratic $\tfrac12 p^\top H p$ with symmetric $H$ the gradient is $H p$.

# %% nbgrader={"grade": false, "grade_id": "surfaces", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
ILL_CONDITIONED = np.diag([0.02, 0.2])    # 0.01 x^2 + 0.1 y^2 = 0.5 p @ H @ p


def rotation(degrees):
    """The 2 x 2 matrix that rotates a point by `degrees` counterclockwise."""
    angle = math.radians(degrees)
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


ROTATED = rotation(45) @ ILL_CONDITIONED @ rotation(45).T


def quadratic(points, hessian):
    """0.5 p @ hessian @ p for a point of shape (2,), or for every point of an array of shape (..., 2)."""
    points = np.asarray(points, dtype=np.float64)
    return 0.5 * np.einsum("...i,ij,...j->...", points, hessian, points)


def rosenbrock(points):
    """(1 - x)^2 + 100 (y - x^2)^2 for a point of shape (2,), or for every point of an array of shape (..., 2)."""
    points = np.asarray(points, dtype=np.float64)
    x, y = points[..., 0], points[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2

# %% nbgrader={"grade": false, "grade_id": "surface-gradients", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def quadratic_grad(point, hessian):
    """The gradient of 0.5 p @ hessian @ p at `point` (shape (2,)), for a symmetric `hessian`: hessian @ point,
    as a new float64 array of shape (2,).
    """
    ### BEGIN SOLUTION
    return hessian @ np.asarray(point, dtype=np.float64)
    ### END SOLUTION


def rosenbrock_grad(point):
    """The gradient of (1 - x)^2 + 100 (y - x^2)^2 at `point` = (x, y), as a float64 array of shape (2,)."""
    ### BEGIN SOLUTION
    x, y = float(point[0]), float(point[1])
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-surface-gradients", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_surface_gradients():
    """The gradients of the quadratics and of Rosenbrock's function, checked by central differences."""
    def numerical(f, point, h=1e-6):
        steps = np.eye(2) * h
        return np.array([(f(point + step) - f(point - step)) / (2 * h) for step in steps])

    for point in (np.array([3.0, -2.0]), np.array([-0.5, 0.25])):
        for hessian, name in ((ILL_CONDITIONED, "the quadratic"), (ROTATED, "the rotated quadratic")):
            got = quadratic_grad(point, hessian)
            expected = numerical(lambda p: quadratic(p, hessian), point)
            assert np.shape(got) == (2,), f"quadratic_grad: expected shape (2,), got {np.shape(got)}"
            assert np.allclose(got, expected, rtol=1e-6, atol=1e-9), \
                f"quadratic_grad, {name} at {point}: expected {expected}, got {got}"
        got = rosenbrock_grad(point)
        expected = numerical(rosenbrock, point)
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-6), \
            f"rosenbrock_grad at {point}: expected {expected}, got {got}"
    assert np.allclose(rosenbrock_grad(np.array([1.0, 1.0])), 0.0), "Rosenbrock's gradient vanishes at (1, 1)"
    ### BEGIN HIDDEN TESTS
    assert np.allclose(rosenbrock_grad(np.array([0.0, 0.0])), [-2.0, 0.0]), "rosenbrock_grad at the origin"
    assert np.allclose(quadratic_grad(np.array([1.0, 1.0]), ILL_CONDITIONED), [0.02, 0.2]), "quadratic at (1, 1)"
    ### END HIDDEN TESTS

test_surface_gradients()

# %% [markdown]
# ## 4. Optimizers as pure functions
#
# An optimizer class keeps its state inside the object and changes the parameters in place. For drawing paths
# it is handier to write each rule as a *pure function*:
#
# ```python
# new_point, new_state = rule(point, grad, state, learning_rate, **settings)
# ```
#
# `point` and `grad` are arrays of shape `(2,)`; `state` is a dict of the optimizer's buffers, empty (`{}`)
# before the first step. A pure function returns a new point and a new dict and changes none of its arguments,
# not even the arrays inside `state`. Then a path is just a loop, any step can be replayed from a saved state,
# and two rules can be run from the same state side by side. The state dicts use the names of module 3's state
# (`"momentum_buffer"`, `"square_avg"`, `"exp_avg"`, ...), so they can be compared with the classes' state.
#
# Plain gradient descent, as an example (it has no state):

# %% nbgrader={"grade": false, "grade_id": "sgd-step", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def sgd_step(point, grad, state, learning_rate):
    """Gradient descent as a pure function: (point - learning_rate * grad, {})."""
    return point - learning_rate * grad, {}

# %% [markdown]
# A path starts at `start`, takes the gradient at the current point, and lets the rule move it, `steps` times.
# Write `run_path`; it works for any rule with the signature above, and passes the settings on to it.

# %% nbgrader={"grade": false, "grade_id": "run-path", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def run_path(step_fn, grad_fn, start, steps, **settings):
    """The points visited by `step_fn` from `start`: a float64 array of shape (steps + 1, 2), start first.

    Begin with point = start (as a float64 array) and state = {}. Then, `steps` times:
        point, state = step_fn(point, grad_fn(point), state, **settings)
    and record each new point. Nothing stops early: a path that diverges keeps its inf or nan values.
    """
    ### BEGIN SOLUTION
    point = np.array(start, dtype=np.float64)
    state = {}
    path = [point]
    for _ in range(steps):
        point, state = step_fn(point, grad_fn(point), state, **settings)
        path.append(point)
    return np.array(path, dtype=np.float64)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-run-path", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_run_path():
    """run_path starts at `start`, passes the state and the settings on, and records steps + 1 points."""
    curvatures = np.array([0.02, 0.2])
    path = run_path(sgd_step, lambda p: curvatures * p, [4.0, 2.0], 3, learning_rate=5.0)
    expected = [[4.0, 2.0]]
    for _ in range(3):
        x, y = expected[-1]
        expected.append([x - 5.0 * 0.02 * x, y - 5.0 * 0.2 * y])
    assert isinstance(path, np.ndarray) and path.shape == (4, 2), \
        f"the path: expected an array of shape (4, 2), got {getattr(path, 'shape', type(path).__name__)}"
    assert path.dtype == np.float64, f"the path: expected float64, got {path.dtype}"
    assert np.allclose(path, expected, rtol=1e-12), f"the path: expected {expected}, got {path.tolist()}"

    seen = []

    def counting_step(point, grad, state, learning_rate, bonus):
        """A rule that counts its calls in its state and records what it was given."""
        seen.append((point.copy(), grad.copy(), dict(state), learning_rate, bonus))
        count = state.get("count", 0) + 1
        return point + count, {"count": count}

    path = run_path(counting_step, lambda p: -p, (1, 2), 3, learning_rate=0.5, bonus="b")
    assert np.allclose(path, [[1, 2], [2, 3], [4, 5], [7, 8]]), \
        f"the state: pass each step's new state to the next step; expected points [[1, 2], [2, 3], [4, 5], [7, 8]], " \
        f"got {path.tolist()}"
    assert [entry[2] for entry in seen] == [{}, {"count": 1}, {"count": 2}], \
        f"the state: the first step gets {{}}, each later one the state the step before returned; got " \
        f"{[entry[2] for entry in seen]}"
    assert all(np.array_equal(entry[1], -entry[0]) for entry in seen), \
        "the gradient: pass grad_fn(point) at the current point"
    assert all(entry[3:] == (0.5, "b") for entry in seen), "the settings: pass **settings on to step_fn"
    assert run_path(sgd_step, lambda p: p, [1.0, 1.0], 0, learning_rate=0.1).shape == (1, 2), \
        "steps=0 gives the start alone"
    ### BEGIN HIDDEN TESTS
    diverging = run_path(sgd_step, lambda p: curvatures * p, [1.0, 1.0], 40, learning_rate=30.0)
    assert diverging.shape == (41, 2) and abs(diverging[-1, 1]) > 1e10, "a diverging path keeps going"
    ### END HIDDEN TESTS

test_run_path()

# %% [markdown]
# Each rule below is checked against the class you wrote in module 3: the same start, the same settings, each
# side taking the gradient at its own current point, and the two paths must agree to 1e-12 at every step. This
# helper runs a rule and an optimizer object side by side.

# %% nbgrader={"grade": false, "grade_id": "lockstep", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def lockstep(rule, make_optimizer, grad_fn, start, steps, **settings):
    """Run the pure `rule` and an optimizer object side by side from `start` on a 2-D surface.

    `make_optimizer(parameters)` builds the object (one of module 3's classes) for a list of one Variable, whose
    gradient is set to grad_fn(its value) before each of its steps. Returns (rule's points, object's points),
    two arrays of shape (steps + 1, 2), and the index of the first step after which they differ by more than
    1e-12 (None when they never do).
    """
    ours = np.array(start, dtype=np.float64)
    state = {}
    theirs = Variable(np.array(start, dtype=np.float64))
    optimizer = make_optimizer([theirs])
    rule_points, object_points = [ours], [theirs.data.data.copy()]
    for _ in range(steps):
        ours, state = rule(ours, grad_fn(ours), state, **settings)
        theirs.grad = Variable(grad_fn(theirs.data.data.copy()), requires_grad=False)
        optimizer.step()
        rule_points.append(np.asarray(ours, dtype=np.float64))
        object_points.append(theirs.data.data.copy())
    rule_points, object_points = np.array(rule_points), np.array(object_points)
    apart = ~np.all(np.isclose(rule_points, object_points, rtol=1e-12, atol=1e-12), axis=1)
    first = int(np.argmax(apart)) if apart.any() else None
    return rule_points, object_points, first


SURFACE_GRADIENTS = {
    "quadratic": lambda point: quadratic_grad(point, ILL_CONDITIONED),
    "rotated quadratic": lambda point: quadratic_grad(point, ROTATED),
    "Rosenbrock": lambda point: rosenbrock_grad(point),
}

# %% [markdown]
# ### Momentum and Nesterov momentum
#
# Module 3's momentum, as a rule: on the first step the velocity $v$ is a copy of the gradient, afterwards
# $v \leftarrow \mu v + g$; plain momentum steps along $v$, Nesterov momentum along $g + \mu v$.
#
# Where does Nesterov's direction come from? Nesterov's original method takes the gradient at the point momentum
# is about to reach, $\theta - \eta\mu v$, instead of at $\theta$. Writing the method in terms of that look-ahead
# point (and calling it $\theta$ again) turns it into the form above: the only difference from plain momentum is
# that the velocity is applied a second time, as a preview of the next step. On a slope that changes sign, the
# new gradient enters the step at full weight one step earlier, which damps overshooting.

# %% nbgrader={"grade": false, "grade_id": "momentum-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def momentum_step(point, grad, state, learning_rate, momentum=0.9, nesterov=False):
    """SGD with momentum (module 3's SGD without dampening or weight decay) as a pure function.

    velocity = a copy of grad on the first step (no "momentum_buffer" in state), otherwise
               momentum * state["momentum_buffer"] + grad (a new array; do not change the old one)
    direction = grad + momentum * velocity if nesterov, otherwise velocity
    Return (point - learning_rate * direction, {"momentum_buffer": velocity}).
    """
    ### BEGIN SOLUTION
    if "momentum_buffer" not in state:
        velocity = np.array(grad, dtype=np.float64, copy=True)
    else:
        velocity = momentum * state["momentum_buffer"] + grad
    direction = grad + momentum * velocity if nesterov else velocity
    return point - learning_rate * direction, {"momentum_buffer": velocity}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-momentum-step", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
def test_momentum_step():
    """momentum_step follows SGD(momentum) and SGD(momentum, nesterov=True) to 1e-12, without changing its inputs."""
    point, grad = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    new_point, state = momentum_step(point, grad, {}, learning_rate=0.1, momentum=0.9)
    assert np.allclose(new_point, [0.95, -1.9], rtol=1e-12), \
        f"momentum: the first step moves along the gradient: expected [0.95, -1.9], got {new_point}"
    assert np.allclose(state.get("momentum_buffer"), grad), "momentum: the first velocity is the gradient"
    again, state = momentum_step(new_point, grad, state, learning_rate=0.1, momentum=0.9)
    assert np.allclose(again, new_point - 0.1 * 1.9 * grad, rtol=1e-12), \
        f"momentum: the second velocity is 0.9 * g + g: expected {new_point - 0.19 * grad}, got {again}"

    frozen = (point.copy(), grad.copy(), state["momentum_buffer"].copy())
    for nesterov in (False, True):
        momentum_step(point, grad, state, learning_rate=0.1, momentum=0.9, nesterov=nesterov)
    assert all(np.array_equal(a, b) for a, b in zip((point, grad, state["momentum_buffer"]), frozen)), \
        "a pure function: momentum_step must not change point, grad or the arrays in state"

    for name, grad_fn in SURFACE_GRADIENTS.items():
        start, rate = ((-1.2, 1.0), 1e-3) if name == "Rosenbrock" else ((-8.0, 3.0), 2.0)
        for nesterov in (False, True):
            _, _, first = lockstep(momentum_step, lambda ps: SGD(ps, learning_rate=rate, momentum=0.8,
                                                                  nesterov=nesterov),
                                   grad_fn, start, 60, learning_rate=rate, momentum=0.8, nesterov=nesterov)
            concept = "Nesterov" if nesterov else "momentum"
            assert first is None, f"{concept}: on the {name}, the path leaves SGD's after step {first} of 60"
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(2)
    gradients = rng.standard_normal((30, 2))
    mine, state = np.array([0.3, -0.7]), {}
    for g in gradients:
        mine, state = momentum_step(mine, g, state, learning_rate=0.05, momentum=0.6, nesterov=True)
    w = Variable(np.array([0.3, -0.7]))
    optimizer = SGD([w], learning_rate=0.05, momentum=0.6, nesterov=True)
    for g in gradients:
        w.grad = Variable(g.copy())
        optimizer.step()
    assert np.allclose(mine, w.data.data, rtol=1e-12), "Nesterov on random gradients"
    ### END HIDDEN TESTS

test_momentum_step()

# %% [markdown]
# ### RMSprop
#
# RMSprop keeps a running average $s$ of the squared gradient, per coordinate, and divides by its root:
# $s \leftarrow \alpha s + (1-\alpha) g^2$, $\theta \leftarrow \theta - \eta\, g / (\sqrt s + \epsilon)$. As in
# module 3 the average starts at zero and is not corrected, so the first steps are long.

# %% nbgrader={"grade": false, "grade_id": "rmsprop-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def rmsprop_step(point, grad, state, learning_rate, alpha=0.99, epsilon=1e-8):
    """RMSprop (module 3's RMSprop, not centered, no momentum) as a pure function.

    square_avg = alpha * state["square_avg"] + (1 - alpha) * grad * grad   (state["square_avg"] is zeros at first)
    Return (point - learning_rate * (grad / (sqrt(square_avg) + epsilon)), {"square_avg": square_avg}),
    with the operations in exactly this order (to match the class to the last digit).
    """
    ### BEGIN SOLUTION
    previous = state.get("square_avg", np.zeros_like(point, dtype=np.float64))
    square_avg = alpha * previous + (1 - alpha) * grad * grad
    return point - learning_rate * (grad / (np.sqrt(square_avg) + epsilon)), {"square_avg": square_avg}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-rmsprop-step", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
def test_rmsprop_step():
    """rmsprop_step follows RMSprop to 1e-12 on the three surfaces, without changing its inputs."""
    point, grad = np.array([1.0, -2.0]), np.array([0.5, -4.0])
    new_point, state = rmsprop_step(point, grad, {}, learning_rate=0.01, alpha=0.99)
    expected = point - 0.01 * grad / (np.sqrt(0.01 * grad * grad) + 1e-8)
    assert np.allclose(new_point, expected, rtol=1e-12), \
        f"the RMSprop step: the first step is lr / sqrt(1 - alpha) = 0.1 per coordinate: expected {expected}, " \
        f"got {new_point}"
    assert np.allclose(state.get("square_avg"), 0.01 * grad * grad), "square_avg after one step: 0.01 * g * g"
    frozen = (point.copy(), grad.copy(), state["square_avg"].copy())
    rmsprop_step(point, grad, state, learning_rate=0.01)
    assert all(np.array_equal(a, b) for a, b in zip((point, grad, state["square_avg"]), frozen)), \
        "a pure function: rmsprop_step must not change point, grad or the arrays in state"

    for name, grad_fn in SURFACE_GRADIENTS.items():
        start = (-1.2, 1.0) if name == "Rosenbrock" else (-8.0, 3.0)
        _, _, first = lockstep(rmsprop_step, lambda ps: RMSprop(ps, learning_rate=0.05, alpha=0.9, epsilon=1e-6),
                               grad_fn, start, 80, learning_rate=0.05, alpha=0.9, epsilon=1e-6)
        assert first is None, f"the RMSprop step: on the {name}, the path leaves RMSprop's after step {first} of 80"
    ### BEGIN HIDDEN TESTS
    _, _, first = lockstep(rmsprop_step, lambda ps: RMSprop(ps, learning_rate=0.01), rosenbrock_grad, (0.5, -0.5),
                           50, learning_rate=0.01)
    assert first is None, "RMSprop's defaults on Rosenbrock"
    ### END HIDDEN TESTS

test_rmsprop_step()

# %% [markdown]
# ### Adam
#
# Adam's rule with PyTorch's arithmetic, as in module 3: both moments updated, the first bias correction folded
# into the step size, the second applied to the square root before $\epsilon$ is added. The step counter $t$ is
# part of the state.

# %% nbgrader={"grade": false, "grade_id": "adam-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def adam_step(point, grad, state, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Adam (module 3's Adam, no weight decay, no AMSGrad) as a pure function.

    t = state["step"] + 1 (state["step"] is 0 at first; exp_avg and exp_avg_sq are zeros at first)
    exp_avg    = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    step_size  = learning_rate / (1 - beta1**t)
    denom      = sqrt(exp_avg_sq) / (1 - beta2**t) ** 0.5 + epsilon
    Return (point - step_size * (exp_avg / denom), {"step": t, "exp_avg": ..., "exp_avg_sq": ...}), with the
    operations in exactly this order.
    """
    ### BEGIN SOLUTION
    zeros = np.zeros_like(point, dtype=np.float64)
    t = state.get("step", 0) + 1
    exp_avg = state.get("exp_avg", zeros)
    exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_avg_sq = beta2 * state.get("exp_avg_sq", zeros) + (1 - beta2) * grad * grad
    step_size = learning_rate / (1 - beta1**t)
    denom = np.sqrt(exp_avg_sq) / (1 - beta2**t) ** 0.5 + epsilon
    return point - step_size * (exp_avg / denom), {"step": t, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-adam-step", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
def test_adam_step():
    """adam_step follows Adam to 1e-12 on the three surfaces, counts its steps, and changes none of its inputs."""
    point, grad = np.array([1.0, -2.0]), np.array([1e-3, -40.0])
    new_point, state = adam_step(point, grad, {}, learning_rate=0.1)
    expected = point - 0.1 * grad / (np.abs(grad) + 1e-8)
    assert np.allclose(new_point, expected, rtol=1e-6), \
        f"the Adam step: bias correction makes the first step about learning_rate per coordinate: expected " \
        f"{expected}, got {new_point}"
    assert state.get("step") == 1, f"state['step'] after one step: expected 1, got {state.get('step')}"
    assert np.allclose(state.get("exp_avg"), 0.1 * grad) and np.allclose(state.get("exp_avg_sq"), 0.001 * grad**2), \
        "exp_avg and exp_avg_sq after one step: 0.1 * g and 0.001 * g * g"
    frozen = (point.copy(), grad.copy(), state["exp_avg"].copy(), state["exp_avg_sq"].copy())
    adam_step(point, grad, state, learning_rate=0.1)
    assert state["step"] == 1 and all(np.array_equal(a, b) for a, b in zip(
        (point, grad, state["exp_avg"], state["exp_avg_sq"]), frozen)), \
        "a pure function: adam_step must not change point, grad or the state it was given"

    for name, grad_fn in SURFACE_GRADIENTS.items():
        start = (-1.2, 1.0) if name == "Rosenbrock" else (-8.0, 3.0)
        _, _, first = lockstep(adam_step, lambda ps: Adam(ps, learning_rate=0.1, beta1=0.8, beta2=0.99), grad_fn,
                               start, 100, learning_rate=0.1, beta1=0.8, beta2=0.99)
        assert first is None, f"the Adam step: on the {name}, the path leaves Adam's after step {first} of 100"
    ### BEGIN HIDDEN TESTS
    _, _, first = lockstep(adam_step, lambda ps: Adam(ps, learning_rate=0.01), rosenbrock_grad, (0.5, -0.5), 50,
                           learning_rate=0.01)
    assert first is None, "Adam's defaults on Rosenbrock"
    ### END HIDDEN TESTS

test_adam_step()

# %% [markdown]
# ### Nadam: Adam with Nesterov's look-ahead
#
# Adam's step is $\eta\,\hat m / (\sqrt{\hat v} + \epsilon)$, and $\hat m$ is a momentum: an average of past
# gradients. Nadam (Dozat, 2016) applies Nesterov's idea to it. Write Adam's first moment one step ahead,
# $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, and replace the old part $m_{t-1}$ (what momentum would have done
# anyway) by the newest estimate of it, $m_t$: the step direction becomes
#
# $$\beta_1\, \hat m_t + (1 - \beta_1)\, \hat g_t,$$
#
# a look-ahead average plus the current gradient at its own weight, just as Nesterov's $g + \mu v$ was.
#
# PyTorch's `NAdam` adds a schedule on the momentum coefficient. At step $t$
#
# $$\mu_t = \beta_1 \left(1 - \tfrac12\, 0.96^{\,t\,\psi}\right), \qquad \psi = \texttt{momentum\_decay} = 0.004,$$
#
# which starts near $\beta_1/2$ and climbs slowly to $\beta_1$ (it is at $0.75\,\beta_1$ after about 4000
# steps): early steps rely more on the current gradient. Since the coefficient changes from step to step, the
# bias correction of the first moment is not $1 - \beta_1^t$ but uses the product $\prod_{i \le t} \mu_i$ (kept
# in the state as `"mu_product"`), and the second moment is corrected as in Adam. The step is
#
# $$\theta \leftarrow \theta
#   - \eta\, \frac{1 - \mu_t}{1 - \prod_{i\le t}\mu_i}\, \frac{g_t}{d}
#   - \eta\, \frac{\mu_{t+1}}{1 - \prod_{i\le t+1}\mu_i}\, \frac{m_t}{d},
#   \qquad d = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon .$$
#
# Module 3 gives you this rule as the class `Nadam`. Write it as a pure function, with PyTorch's order of
# operations given in the docstring.

# %% nbgrader={"grade": false, "grade_id": "nadam-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def nadam_step(point, grad, state, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8, momentum_decay=4e-3):
    """Nadam (module 3's Nadam, no weight decay) as a pure function.

    t = state["step"] + 1; at first state["step"] is 0, state["mu_product"] is 1.0, exp_avg and exp_avg_sq zeros.
    mu         = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next    = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product = state["mu_product"] * mu
    exp_avg    = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    denom      = sqrt(exp_avg_sq / (1 - beta2**t)) + epsilon
    point      = point + (-learning_rate * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
    point      = point + ((-learning_rate * mu_next) / (1.0 - mu_product * mu_next)) * exp_avg / denom
    Return (point, {"step": t, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}), with
    the operations in exactly this order.
    """
    ### BEGIN SOLUTION
    zeros = np.zeros_like(point, dtype=np.float64)
    t = state.get("step", 0) + 1
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product = state.get("mu_product", 1.0) * mu
    exp_avg = state.get("exp_avg", zeros)
    exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_avg_sq = beta2 * state.get("exp_avg_sq", zeros) + (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq / (1 - beta2**t)) + epsilon
    point = point + (-learning_rate * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
    point = point + ((-learning_rate * mu_next) / (1.0 - mu_product * mu_next)) * exp_avg / denom
    return point, {"step": t, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-nadam-step", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
def test_nadam_step():
    """nadam_step follows Nadam to 1e-12 on the three surfaces, keeps the mu product, and changes none of its inputs."""
    point, grad = np.array([1.0, -2.0]), np.array([0.5, -40.0])
    new_point, state = nadam_step(point, grad, {}, learning_rate=0.1)
    mu1, mu2 = 0.9 * (1 - 0.5 * 0.96**0.004), 0.9 * (1 - 0.5 * 0.96**0.008)
    unit = grad / (np.abs(grad) + 1e-8)  # g / d on the first step: sqrt(v / (1 - beta2)) = |g|
    expected = point - 0.1 * (1 - mu1) / (1 - mu1) * unit - 0.1 * mu2 / (1 - mu1 * mu2) * 0.1 * unit
    assert np.allclose(new_point, expected, rtol=1e-10), \
        f"the Nadam step: the first step: expected {expected}, got {new_point}"
    assert state.get("step") == 1 and np.isclose(state.get("mu_product", np.nan), mu1, rtol=1e-14), \
        f"the mu product: after one step state['step'] is 1 and state['mu_product'] is mu_1 = {mu1}, got {state}"
    second, state2 = nadam_step(new_point, grad, state, learning_rate=0.1)
    assert np.isclose(state2["mu_product"], mu1 * mu2, rtol=1e-14), \
        f"the mu product: after two steps expected mu_1 * mu_2 = {mu1 * mu2}, got {state2['mu_product']}"
    frozen = (point.copy(), grad.copy(), state["exp_avg"].copy(), state["exp_avg_sq"].copy())
    counters = (state["step"], state["mu_product"])
    nadam_step(point, grad, state, learning_rate=0.1)
    assert (state["step"], state["mu_product"]) == counters and all(
        np.array_equal(a, b) for a, b in zip((point, grad, state["exp_avg"], state["exp_avg_sq"]), frozen)), \
        "a pure function: nadam_step must not change point, grad or the state it was given"

    for name, grad_fn in SURFACE_GRADIENTS.items():
        start = (-1.2, 1.0) if name == "Rosenbrock" else (-8.0, 3.0)
        settings = dict(learning_rate=0.1, beta1=0.8, beta2=0.99, momentum_decay=0.01)
        nadam_settings = dict(settings)
        _, _, first = lockstep(nadam_step, lambda ps: Nadam(ps, **nadam_settings), grad_fn, start, 100, **settings)
        assert first is None, f"the Nadam step: on the {name}, the path leaves Nadam's after step {first} of 100"
    ### BEGIN HIDDEN TESTS
    _, _, first = lockstep(nadam_step, lambda ps: Nadam(ps, learning_rate=0.01), rosenbrock_grad, (0.5, -0.5), 50,
                           learning_rate=0.01)
    assert first is None, "Nadam's defaults on Rosenbrock"
    ### END HIDDEN TESTS

test_nadam_step()

# %% [markdown]
# ## 5. Paths on three surfaces
#
# Module 3 ended with momentum and Adam crossing a narrow valley. Here every rule walks on all three surfaces
# with settings that suit it, the same on both quadratics. The start on the rotated quadratic is the first start
# rotated by 45 degrees, so the two problems are the same problem seen in different coordinates. The lines are
# drawn on contours of the loss; the minimum is the star.

# %%
SURFACES = {
    "quadratic": (lambda p: quadratic(p, ILL_CONDITIONED), SURFACE_GRADIENTS["quadratic"], (-9.0, 3.0), 100),
    "rotated quadratic": (lambda p: quadratic(p, ROTATED), SURFACE_GRADIENTS["rotated quadratic"],
                          tuple(rotation(45) @ np.array([-9.0, 3.0])), 100),
    "Rosenbrock": (rosenbrock, SURFACE_GRADIENTS["Rosenbrock"], (-1.5, 2.0), 1000),
}
MINIMA = {"quadratic": (0.0, 0.0), "rotated quadratic": (0.0, 0.0), "Rosenbrock": (1.0, 1.0)}
LIMITS = {"quadratic": ((-10, 4), (-5, 5)), "rotated quadratic": ((-10, 4), (-7, 3)), "Rosenbrock": ((-2, 2), (-1, 3))}

QUADRATIC_RULES = {
    "gradient descent (lr 9)": (sgd_step, dict(learning_rate=9.0)),
    "momentum 0.5 (lr 6)": (momentum_step, dict(learning_rate=6.0, momentum=0.5)),
    "Nesterov 0.5 (lr 6)": (momentum_step, dict(learning_rate=6.0, momentum=0.5, nesterov=True)),
    "RMSprop (lr 0.3, alpha 0.9)": (rmsprop_step, dict(learning_rate=0.3, alpha=0.9)),
    "Adam (lr 0.5, betas 0.8, 0.99)": (adam_step, dict(learning_rate=0.5, beta1=0.8, beta2=0.99)),
    "Nadam (lr 0.5, betas 0.8, 0.99)": (nadam_step, dict(learning_rate=0.5, beta1=0.8, beta2=0.99)),
}
ROSENBROCK_RULES = {
    "gradient descent (lr 1e-3)": (sgd_step, dict(learning_rate=1e-3)),
    "momentum 0.9 (lr 2e-4)": (momentum_step, dict(learning_rate=2e-4, momentum=0.9)),
    "Nesterov 0.9 (lr 2e-4)": (momentum_step, dict(learning_rate=2e-4, momentum=0.9, nesterov=True)),
    "RMSprop (lr 0.01)": (rmsprop_step, dict(learning_rate=0.01)),
    "Adam (lr 0.05)": (adam_step, dict(learning_rate=0.05)),
    "Nadam (lr 0.05)": (nadam_step, dict(learning_rate=0.05)),
}


def all_paths(surface, rules):
    """{label: path} for every rule on one surface."""
    _, grad_fn, start, steps = SURFACES[surface]
    return {label: run_path(rule, grad_fn, start, steps, **settings) for label, (rule, settings) in rules.items()}


def draw_paths(ax, surface, paths, title=None):
    """Contours of `surface` (log-spaced levels) with one line per path and the minimum as a star."""
    loss, _, _, _ = SURFACES[surface]
    (x0, x1), (y0, y1) = LIMITS[surface]
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 200)), axis=-1)
    values = loss(grid)
    ax.contour(grid[..., 0], grid[..., 1], values, levels=np.geomspace(values.min() + 1e-3, values.max(), 14),
               colors="0.8", linewidths=0.7)
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=1.5, linewidth=0.9, label=label)
    ax.plot(*MINIMA[surface], marker="*", color="black", markersize=10)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", title=title or surface)


PATHS = {surface: all_paths(surface, ROSENBROCK_RULES if surface == "Rosenbrock" else QUADRATIC_RULES)
         for surface in SURFACES}
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
for ax, surface in zip(axes, SURFACES):
    draw_paths(ax, surface, PATHS[surface], f"{surface}, {SURFACES[surface][3]} steps")
axes[0].legend(fontsize=7, loc="lower right")
axes[2].legend(fontsize=7, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# The same runs as loss against step, on a log axis: a straight descending line is linear convergence (the
# error shrinks by a constant factor per step), and its slope is the factor.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 3.8))
for ax, surface in zip(axes, SURFACES):
    loss = SURFACES[surface][0]
    for label, path in PATHS[surface].items():
        ax.plot(np.maximum(loss(path), 1e-16), linewidth=1, label=label)
    ax.set(yscale="log", xlabel="step", ylabel="loss", title=surface, ylim=(1e-16, None))
axes[0].legend(fontsize=7)
axes[2].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %%
final = {surface: {label: float(SURFACES[surface][0](path[-1])) for label, path in paths.items()}
         for surface, paths in PATHS.items()}
for label in QUADRATIC_RULES:
    print(f"{label:<34} final loss: quadratic {final['quadratic'][label]:9.2e}   "
          f"rotated {final['rotated quadratic'][label]:9.2e}")
for label in ROSENBROCK_RULES:
    print(f"{label:<34} final loss on Rosenbrock after 1000 steps: {final['Rosenbrock'][label]:9.2e}")

# %% [markdown]
# Gradient descent, momentum and Nesterov draw exactly the same loss curves on both quadratics (the printed
# final losses agree to every digit); RMSprop, Adam and Nadam do not. On Rosenbrock's function every rule
# reaches the valley floor within a few steps and then crawls along its bend; the adaptive rules crawl faster,
# and RMSprop, without bias correction or momentum, jumps out of the valley from time to time (the spikes) when
# its running average of squared gradients has become small.

# %% [markdown]
# ## Question 1: the zig-zag
#
# On the first quadratic, gradient descent at learning rate 9 zig-zags across the valley while it moves steadily
# along it. Explain the zig-zag from the update of each coordinate. Which learning rates avoid it, and why is
# avoiding it not worth it here? Momentum (0.5, learning rate 6) converges much faster than gradient descent at
# any rate: what does the velocity change? Use the numbers printed above or your own.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-zig-zag", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# The gradient of $0.01x^2 + 0.1y^2$ is $(0.02x, 0.2y)$, so gradient descent updates the coordinates
# independently: $x \leftarrow (1 - 0.02\eta)\,x$ and $y \leftarrow (1 - 0.2\eta)\,y$. At $\eta = 9$ these
# factors are $0.82$ and $-0.8$: $x$ shrinks steadily while $y$ changes sign at every step and shrinks by 0.8
# in size, which is the zig-zag across the steep direction.
#
# No zig-zag needs $1 - 0.2\eta \ge 0$, that is $\eta \le 5$, but then $x$ shrinks by at least $0.9$ per step
# instead of $0.82$. The error shrinks as fast as the slowest coordinate, $\max(|1 - 0.02\eta|, |1 - 0.2\eta|)$,
# and this is smallest at $\eta = 2/(0.02 + 0.2) \approx 9.1$, where both factors are about $0.82 =
# (\kappa - 1)/(\kappa + 1)$ with condition number $\kappa = 10$. The best fixed learning rate oscillates in the
# steep direction: the zig-zag is the price of moving fast in the flat one. (The loss shrinks by
# $0.82^2 \approx 0.67$ per step: $0.82^{200} \approx 5 \cdot 10^{-18}$ after 100 steps, as printed.)
#
# With momentum each coordinate follows a two-step recursion, $\theta_{t+1} = \theta_t - \eta h \theta_t +
# \mu(\theta_t - \theta_{t-1})$, whose characteristic equation $\lambda^2 - (1 + \mu - \eta h)\lambda + \mu = 0$
# has complex roots of size $\sqrt{\mu} \approx 0.71$ for both curvatures $h = 0.02$ and $h = 0.2$ at
# $\eta = 6, \mu = 0.5$. So both coordinates shrink by 0.71 per step (they spiral in rather than zig-zag), the
# loss by 0.5 per step, about $10^{-30}$ after 100 steps. The velocity accumulates the consistent pull along the
# flat direction, giving it a longer effective step, and averages away the alternating pull across the steep
# one; tuned well, the rate depends on $\sqrt{\kappa}$ instead of $\kappa$.

# %% [markdown]
# ## Question 2: turning the valley
#
# The rotated quadratic is the first quadratic in other coordinates, started from the rotated start. Why do
# gradient descent, momentum and Nesterov behave identically on both, while RMSprop, Adam and Nadam do not? On
# which kind of problem do the adaptive methods gain most from their per-coordinate step sizes, and what does
# that suggest about when they help in a neural network?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-rotation", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Gradient descent, momentum and Nesterov build their steps from the gradient with scalar coefficients only.
# If $p' = R p$ with $R$ a rotation, the gradient in the new coordinates is $R$ times the old one, the velocity is
# $R$ times the old velocity, and every iterate is $R$ times the old iterate: the path is the old path rotated
# and the loss at every step is the same number (the printed final losses agree to every digit).
#
# RMSprop, Adam and Nadam divide each coordinate by the root mean square of its own past gradients, a diagonal
# preconditioner tied to the axes, and squaring and taking roots per coordinate does not commute with rotation.
# On the axis-aligned quadratic the axes are the Hessian's eigenvectors: the steep coordinate $y$ has large
# gradients and gets small steps, the flat $x$ gets large ones, so the division roughly undoes the
# ill-conditioning (the paths first move both coordinates at the same speed, then go straight along the
# valley). After the rotation each coordinate mixes the steep and the flat direction, both see gradients of
# similar size, and the per-coordinate scaling can no longer tell steep from flat: the adaptive rules behave more
# like sign-based gradient descent and end higher (Adam $2.5 \cdot 10^{-9}$ instead of $1.6 \cdot 10^{-10}$,
# Nadam $8 \cdot 10^{-12}$ instead of $1.2 \cdot 10^{-13}$, RMSprop ten times higher).
#
# So adaptive methods gain most when the badly scaled directions are aligned with individual parameters: inputs
# or features with very different scales, sparse features whose weights see rare gradients, embeddings, and
# layers or biases whose gradients differ in size by orders of magnitude. Curvature that mixes many parameters
# (correlated inputs, directions spread across a weight matrix) is not fixed by a diagonal scaling; that would
# take a full-matrix preconditioner (Newton-like methods, K-FAC, Shampoo), or a reparametrisation such as
# normalisation layers.

# %% [markdown]
# ### Try it
#
# Where `ipywidgets` is installed, the sliders below redraw one rule's path for the learning rate and the
# $\beta$ you choose (momentum's $\mu$, RMSprop's $\alpha$, Adam's and Nadam's $\beta_1$), next to gradient
# descent at the same learning rate. The figures above stay as they are.

# %%
try:
    import ipywidgets
except ImportError:  # the lesson works without it; only the sliders are missing
    ipywidgets = None

SLIDER_RULES = {
    "momentum": lambda lr, beta: (momentum_step, dict(learning_rate=lr, momentum=beta)),
    "Nesterov": lambda lr, beta: (momentum_step, dict(learning_rate=lr, momentum=max(beta, 1e-3), nesterov=True)),
    "RMSprop": lambda lr, beta: (rmsprop_step, dict(learning_rate=lr, alpha=beta)),
    "Adam": lambda lr, beta: (adam_step, dict(learning_rate=lr, beta1=beta)),
    "Nadam": lambda lr, beta: (nadam_step, dict(learning_rate=lr, beta1=beta)),
}


def redraw(surface="rotated quadratic", rule="momentum", log10_learning_rate=0.0, beta=0.8):
    """One rule's path and gradient descent's, at learning rate 10 ** log10_learning_rate."""
    lr = 10.0**log10_learning_rate
    step_fn, settings = SLIDER_RULES[rule](lr, beta)
    loss, grad_fn, start, steps = SURFACES[surface]
    with np.errstate(all="ignore"):
        paths = {f"{rule} (lr {lr:.3g}, beta {beta:.2f})": run_path(step_fn, grad_fn, start, steps, **settings),
                 f"gradient descent (lr {lr:.3g})": run_path(sgd_step, grad_fn, start, steps, learning_rate=lr)}
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
        draw_paths(left, surface, paths)
        for label, path in paths.items():
            right.plot(np.clip(loss(path), 1e-16, 1e6), label=label)
    right.set(yscale="log", xlabel="step", ylabel="loss", title="loss")
    left.legend(fontsize=8)
    plt.show()


if ipywidgets is not None:
    ipywidgets.interact(
        redraw,
        surface=list(SURFACES),
        rule=list(SLIDER_RULES),
        log10_learning_rate=ipywidgets.FloatSlider(value=0.0, min=-4.0, max=1.5, step=0.1,
                                                   description="log10 lr"),
        beta=ipywidgets.FloatSlider(value=0.8, min=0.0, max=0.99, step=0.01, description="beta"),
    )

# %% [markdown]
# ## 6. A real comparison: seven optimizers on MNIST-1D
#
# Surfaces in two dimensions show the mechanics; a network shows what matters in practice. MNIST-1D (module 6)
# has 40-sample signals of ten digits; a small MLP learns it in seconds with `tinytorch`. Each optimizer gets
# the same network, the same initial weights and the same batches, and its own learning rate, picked by a short
# sweep: a few candidate rates, each trained for a few dozen batches from the same start, and the rate whose run
# ends with the lowest *smoothed* loss wins. Batch losses are noisy, so the last raw loss would pick a rate by
# luck; a bias-corrected moving average of the losses is a steadier summary. A run whose losses overflowed (inf
# or nan) diverged and must never win.
#
# Write the rule that picks the rate.

# %% nbgrader={"grade": false, "grade_id": "best-learning-rate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def best_learning_rate(losses_by_rate, beta=0.9):
    """The learning rate of a sweep whose run ended with the lowest smoothed loss.

    `losses_by_rate` maps each candidate rate to the sequence of batch losses of its run (at least one each).
    Smooth each sequence with moving_average(losses, beta) (bias-corrected) and compare the last smoothed values.
    A run with any loss that is not finite (inf or nan) diverged and is skipped. Return the winning key itself;
    among equal smoothed losses the smaller rate wins. If every run diverged, raise a ValueError that says so.
    """
    ### BEGIN SOLUTION
    best_rate, best_loss = None, math.inf
    for rate in sorted(losses_by_rate):
        losses = np.asarray(losses_by_rate[rate], dtype=np.float64)
        if len(losses) == 0 or not np.all(np.isfinite(losses)):
            continue
        final = moving_average(losses, beta)[-1]
        if best_rate is None or final < best_loss:
            best_rate, best_loss = rate, final
    if best_rate is None:
        raise ValueError("invalid losses_by_rate: every run diverged (no run has only finite losses)")
    return best_rate
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-best-learning-rate", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_best_learning_rate():
    """The lowest last smoothed loss wins, diverged runs never do, and ties go to the smaller rate."""
    sweep = {0.01: [2.0, 1.9, 1.8, 1.7], 0.1: [2.0, 1.2, 0.9, 0.8], 1.0: [2.0, 5.0, float("inf"), float("nan")]}
    assert best_learning_rate(sweep) == 0.1, f"the smoothed losses: expected 0.1, got {best_learning_rate(sweep)}"
    noisy = {0.01: [1.0, 1.0, 1.0, 1.0, 1.0, 0.2], 0.03: [0.6, 0.6, 0.6, 0.6, 0.6, 0.6]}
    got = best_learning_rate(noisy, beta=0.9)
    assert got == 0.03, \
        f"the smoothed losses: 0.01 ends on one lucky batch (0.2) but its smoothed loss is about 0.88, 0.03's is " \
        f"0.6; expected 0.03, got {got}"
    assert best_learning_rate(noisy, beta=0.0) == 0.01, "with beta = 0 the last raw loss decides"
    diverged = {0.5: [1.0, 0.1, float("nan")], 0.05: [1.0, 0.9, 0.8]}
    assert best_learning_rate(diverged) == 0.05, "diverged runs: a run with a nan or inf loss never wins"
    tie = {0.3: [1.0, 0.5], 0.2: [1.0, 0.5]}
    assert best_learning_rate(tie) == 0.2, f"ties: the smaller rate wins, got {best_learning_rate(tie)}"
    with pytest.raises(ValueError, match="diverged"):
        best_learning_rate({0.1: [float("inf")], 1.0: [1.0, float("nan")]})
    ### BEGIN HIDDEN TESTS
    assert best_learning_rate({3e-3: [0.5]}) == 3e-3, "a single run wins"
    ### END HIDDEN TESTS

test_best_learning_rate()

# %% [markdown]
# The budget. The comparison the text below describes trains for 20 epochs after sweeps of 150 batches and
# takes a few minutes; the default is a quick version (4 epochs, sweeps of 30 batches) that runs in seconds and
# shows the same start of each curve. Set `FULL_RUNS = True` (or the environment variable
# `TINYTORCH_FULL_RUNS=1`) for the whole comparison.

# %%
import os
import tempfile
from pathlib import Path

from tinytorch.core.data import DataLoader, TensorDataset, load_mnist1d
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.training import TensorBoardLogger, Trainer

FULL_RUNS = os.environ.get("TINYTORCH_FULL_RUNS") == "1"
SWEEP_BATCHES, EPOCHS = (150, 20) if FULL_RUNS else (30, 4)
HIDDEN, BATCH_SIZE = 128, 64

mnist1d = load_mnist1d()
train_x, train_y = mnist1d.train
validation = DataLoader(TensorDataset(*mnist1d.validation), batch_size=500)


def make_model(seed=0):
    """The MLP every optimizer trains: 40 -> 128 -> 128 -> 10, the same initial weights for a given seed."""
    return Sequential(Linear(40, HIDDEN, rng=seed), ReLU(), Linear(HIDDEN, HIDDEN, rng=seed + 1), ReLU(),
                      Linear(HIDDEN, 10, rng=seed + 2))


def batches():
    """The same shuffled batches for every run."""
    return DataLoader(TensorDataset(train_x, train_y), batch_size=BATCH_SIZE, shuffle=True, seed=0)


CONTENDERS = {
    "SGD": (lambda ps, lr: SGD(ps, learning_rate=lr), [0.03, 0.1, 0.3, 1.0]),
    "momentum": (lambda ps, lr: SGD(ps, learning_rate=lr, momentum=0.9), [0.01, 0.03, 0.1, 0.3]),
    "Nesterov": (lambda ps, lr: SGD(ps, learning_rate=lr, momentum=0.9, nesterov=True), [0.01, 0.03, 0.1, 0.3]),
    "RMSprop": (lambda ps, lr: RMSprop(ps, learning_rate=lr), [3e-4, 1e-3, 3e-3, 1e-2]),
    "Adam": (lambda ps, lr: Adam(ps, learning_rate=lr), [1e-3, 3e-3, 1e-2, 3e-2]),
    "AdamW": (lambda ps, lr: AdamW(ps, learning_rate=lr, weight_decay=0.05), [1e-3, 3e-3, 1e-2, 3e-2]),
    "Nadam": (lambda ps, lr: Nadam(ps, learning_rate=lr), [1e-3, 3e-3, 1e-2, 3e-2]),
}


def sweep_losses(make_optimizer, rate):
    """The batch losses of SWEEP_BATCHES steps at `rate`, from the common start."""
    model = make_model()
    trainer = Trainer(model, CrossEntropyLoss(), make_optimizer(model.parameters(), rate))
    losses = []
    with np.errstate(all="ignore"):
        for inputs, targets in batches():
            if len(losses) == SWEEP_BATCHES:
                break
            losses.append(trainer.train_step(inputs, targets).loss)
    return losses


chosen = {}
for name, (make_optimizer, rates) in CONTENDERS.items():
    sweep = {rate: sweep_losses(make_optimizer, rate) for rate in rates}
    chosen[name] = best_learning_rate(sweep)
    summary = "  ".join(f"{rate:g}: {moving_average(losses, 0.9)[-1]:.3f}" for rate, losses in sweep.items())
    print(f"{name:<9} smoothed loss after {SWEEP_BATCHES} batches  {summary}   -> {chosen[name]:g}")

# %% [markdown]
# Each optimizer now trains at its rate, logging to TensorBoard with module 6's `TensorBoardLogger` (run
# `tensorboard --logdir` on the folder printed below to browse the curves), and its history is kept for the
# figures.

# %%
log_root = Path(tempfile.mkdtemp(prefix="optimizer-paths-"))
histories = {}
for name, (make_optimizer, _) in CONTENDERS.items():
    model = make_model()
    trainer = Trainer(model, CrossEntropyLoss(), make_optimizer(model.parameters(), chosen[name]))
    with np.errstate(all="ignore"):
        histories[name] = trainer.fit(batches(), epochs=EPOCHS, val_loader=validation,
                                      callbacks=[TensorBoardLogger(log_root / name)], verbose=0)
print("TensorBoard logs in", log_root)
for name, history in histories.items():
    accuracies = history.epochs["val_accuracy"]
    print(f"{name:<9} lr {chosen[name]:<7g} final training loss {history.epochs['loss'][-1]:.3f}   "
          f"validation accuracy: best {max(accuracies):.3f} (epoch {int(np.argmax(accuracies)) + 1}), "
          f"last {accuracies[-1]:.3f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
steps_per_epoch = len(batches())
for name, history in histories.items():
    smoothed = moving_average(history.steps["loss"], 0.95)
    left.plot(np.arange(1, len(smoothed) + 1) / steps_per_epoch, smoothed, linewidth=1, label=name)
    right.plot(history.epochs["epoch"], history.epochs["val_accuracy"], marker="o", markersize=3, label=name)
left.set(yscale="log", xlabel="epoch", ylabel="training loss (moving average, beta 0.95)",
         title="Training loss")
right.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
left.legend(fontsize=8)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# What the full run (`FULL_RUNS = True`: sweeps of 150 batches, 20 epochs) showed when this lesson was written:
#
# | optimizer | rate picked | training loss after 20 epochs | best validation accuracy |
# | --- | --- | --- | --- |
# | SGD | 0.3 | 0.14 | 0.645 |
# | momentum 0.9 | 0.1 | 0.43 | 0.665 |
# | Nesterov 0.9 | 0.1 | 0.49 | 0.635 |
# | RMSprop | 0.003 | 0.08 | 0.620 |
# | Adam | 0.01 | 0.23 | 0.642 |
# | AdamW (decay 0.05) | 0.01 | 0.21 | 0.672 |
# | Nadam | 0.01 | 0.23 | 0.635 |
#
# The validation set has 400 signals, so one accuracy measurement has a standard error of about
# $\sqrt{0.65 \cdot 0.35 / 400} \approx 2.4$ points, and the curves move by that much from one epoch to the next.
# Read the figure with that in mind.

# %% [markdown]
# ## Question 3: what differs, and why
#
# Using the figures and the table (run the full comparison if you can), write a short analysis of the seven
# runs. Which differences are real and which are within the noise? Explain at least two of the following with
# what you learned in this module: why the adaptive methods lower the training loss faster in the first epochs;
# why momentum and Nesterov, at the rates the sweep chose, stop improving or get worse late in training; why the
# lowest training loss does not give the best validation accuracy; what the short sweep can and cannot tell you
# about the right learning rate.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-mnist1d-comparison", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Every optimizer, at its own swept rate, ends between about 62% and 67% validation accuracy, and the
# differences between them (5 points at most, often 2 to 3) are close to the noise of a 400-example validation
# set (standard error about 2.4 points, and the curves jump by as much from epoch to epoch). With a tuned rate
# the choice of optimizer matters much less than the rate itself; the table does not show that AdamW
# generalises better, only that it was not worse here. A fair claim would need several seeds and a larger
# validation set.
#
# Real differences show in the training loss. The adaptive methods (RMSprop, Adam, AdamW, Nadam) drop faster in
# the first epochs: the gradients of the first layer's weights, the biases and the last layer differ in size by
# orders of magnitude, and dividing each coordinate by its root mean square gives every parameter a step of
# about the learning rate, like the axis-aligned quadratic of section 5; Nadam's look-ahead gives it the lowest
# curve for most of the run. Momentum and Nesterov at 0.1 with $\mu = 0.9$ take effective steps of
# $0.1/(1-0.9) = 1$: fine early, when the loss is high and the gradients consistent, too large later, when the
# gradients are small and noisy, so their loss stalls and rises in the last epochs (the zig-zag of section 5, in
# many dimensions, driven by noise). A decaying schedule (module 8) would let them settle.
#
# RMSprop reaches the lowest training loss (0.08) but not the best validation accuracy: past about epoch 10 all
# runs are fitting the 3,600 training signals more than the underlying digits (overfitting), so a lower
# training loss buys nothing on new data; AdamW's decoupled weight decay regularises a little, which may be
# why its validation accuracy holds up best. The sweep compared rates after 150 batches (under 3 epochs): it
# measures how fast each rate makes early progress, and short sweeps favour large rates that later prove
# unstable (the momentum runs). It says nothing about the best rate for 20 epochs, and it was run on one seed;
# it is a cheap way to rule out rates that are far too small or that diverge, not to find the optimum.

# %% [markdown]
# ## What you built
#
# - `moving_average` and `MovingAverage`: the exponentially weighted average behind every optimizer in this
#   module, with bias correction, and its effective window of $1/(1-\beta)$ steps.
# - The gradients of an ill-conditioned quadratic, its rotation and Rosenbrock's function, and `run_path`.
# - Momentum, Nesterov, RMSprop, Adam and Nadam as pure update rules that reproduce module 3's classes step for
#   step, and pictures of where they go: the zig-zag of a fixed learning rate, momentum's spiral, and adaptive
#   step sizes that depend on the coordinates.
# - `best_learning_rate`, which picks a rate from a short sweep, and a comparison of seven optimizers on
#   MNIST-1D logged with TensorBoard.
#
# The next module turns to the learning rate itself: schedules, warm-up and restarts, and a learning-rate finder
# built on the moving average you wrote here.
