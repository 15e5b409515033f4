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

    corrected = MovingAverage(0.9)
    got = [corrected.update(x) for x in (5.0, 5.0, 5.0)]
    assert np.allclose(got, 5.0, rtol=1e-12), \
        f"bias correction: a constant sequence of 5.0 should average 5.0 from the first update, got {got}"

    series = np.random.default_rng(0).normal(1.0, 0.5, size=40)
    for correct in (True, False):
        streaming = MovingAverage(0.8, bias_correction=correct)
        got = np.array([streaming.update(x) for x in series])
        expected = moving_average(series, 0.8, bias_correction=correct)
        assert np.array_equal(got, expected), \
            f"the same numbers as moving_average (bias_correction={correct}): largest difference " \
            f"{np.max(np.abs(got - expected)):.3g}"
    with pytest.raises(ValueError, match="beta"):
        MovingAverage(1.0)
    ### BEGIN HIDDEN TESTS
    one = MovingAverage(0.0)
    assert one.update(7.0) == 7.0 and one.update(-1.0) == -1.0, "beta = 0 returns the last value"
    ### END HIDDEN TESTS

test_moving_average_class()

# %% [markdown]
# A noisy series whose true level is 1 for 150 steps and then jumps to 3, averaged with $\beta = 0.95$.
# Without the correction (orange) the average starts at zero and needs tens of steps to climb to the level;
# with it (green) the first values are already right, and afterwards the two lines are the same. Both follow
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
