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
# ## What you built
#
# - `moving_average` and `MovingAverage`: the exponentially weighted average of a sequence, with bias correction.
