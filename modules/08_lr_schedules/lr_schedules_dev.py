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
# # Module 8: Learning-rate schedules
#
# Module 3 gave you three schedules (`StepLR`, `ExponentialLR`, `CosineAnnealingLR`) and one reason to use
# them: a rate large enough to make progress early is too large to settle at the end. This module is about
# *designing* the rate over a whole run. You will write
#
# 1. the rest of PyTorch's schedulers, with its argument names, defaults and arithmetic: `MultiStepLR`,
#    `LinearLR`, `CosineAnnealingWarmRestarts`, `OneCycleLR` and `ReduceLROnPlateau` (and read `LambdaLR`,
#    `SequentialLR` and `ChainedScheduler`, which are given);
# 2. a warm-up followed by cosine decay with restarts, whose cycles grow and whose peaks shrink;
# 3. a **learning-rate finder**: a short run in which the rate grows exponentially, batch after batch, until
#    the loss blows up. Its curve tells you which rates are worth trying before you spend a full run on one.
#
# Everything lands in one package module, `tinytorch.core.schedulers`. The three schedulers of module 3 stay
# where they are (`tinytorch.core.optimizers`) and are re-exported from here as the very same classes, so
# there is one base class and one place to import any schedule from.
#
# The reference is `torch.optim.lr_scheduler`: given the same settings, your schedulers produce the same rate
# at every step, down to rounding. Our optimizers have one learning rate (`optimizer.learning_rate`) where
# PyTorch has one per parameter group, so `get_last_lr()` returns a number, not a list.

# %% nbgrader={"grade": false, "grade_id": "schedulers-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.schedulers
#| export
import copy
import math
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

import numpy as np

from tinytorch.core.optimizer_paths import MovingAverage
from tinytorch.core.optimizers import (  # noqa: F401 (re-exported: one home for every scheduler)
    CosineAnnealingLR,
    ExponentialLR,
    LRScheduler,
    StepLR,
    _check_at_least,
    _check_positive_integer,
)

# %%
import os

import matplotlib.pyplot as plt
import pytest

from tinytorch.core import optimizers
from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam

# The lesson's training runs are sized to finish in about a minute in all. Set the environment variable
# TINYTORCH_FULL_RUNS=1 before starting Jupyter for longer runs (the numbers quoted below are for the short ones).
FULL_RUNS = os.environ.get("TINYTORCH_FULL_RUNS") == "1"

# %% [markdown]
# ## 1. One base class
#
# Every scheduler in this module is a subclass of module 3's `LRScheduler`. A quick reminder of its rules:
#
# - `last_epoch` counts the `step()` calls (0 after construction). Despite the name it counts whatever you
#   call `step()` for: epochs or batches.
# - `step()` adds one to `last_epoch`, asks `compute_lr()` for the new rate, and writes it into
#   `optimizer.learning_rate`. `get_last_lr()` returns it.
# - `state_dict()` is everything but the optimizer; `load_state_dict()` puts it back and resets the rate.
#
# Two more rules come from PyTorch, and the new schedulers follow them:
#
# - **The initial rate.** The first of this module's schedulers made on an optimizer records the optimizer's
#   rate as `optimizer.initial_lr` (PyTorch's `group["initial_lr"]`), and every later one on that optimizer
#   takes it as its `base_lr`, even if an earlier scheduler has already changed the rate. This matters when you
#   combine schedules: a warm-up that starts at a third of the rate must not make the cosine that follows it
#   believe the base rate is a third. (Module 3's schedulers take the current rate as their `base_lr`;
#   `SequentialLR` and `ChainedScheduler` below hand them the initial rate.)
# - **Construction sets the rate of epoch 0.** A new scheduler computes `compute_lr()` once with
#   `last_epoch = 0` as it is made (a linear warm-up starts below the base rate at once). Module 3's three
#   schedulers leave the rate alone at construction, which is also what their PyTorch versions compute.
#
# The helpers below do both; each new scheduler calls them at the end of its `__init__`. Module 3's classes are
# imported into this module as they are, so both import paths give the same class:

# %%
print("StepLR is the class of module 3:", StepLR is optimizers.StepLR)
print("one base class:", LRScheduler is optimizers.LRScheduler)

# %% nbgrader={"grade": false, "grade_id": "scheduler-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def initial_lr(optimizer):
    """The optimizer's rate before any schedule changed it: `optimizer.initial_lr`, recorded the first time this
    is called (by the first scheduler made on the optimizer)."""
    return vars(optimizer).setdefault("initial_lr", optimizer.learning_rate)


def start_schedule(scheduler):
    """End a new scheduler's construction: base_lr is the optimizer's initial rate, and the rate of epoch 0
    (compute_lr() with last_epoch 0) is set at once."""
    scheduler.base_lr = initial_lr(scheduler.optimizer)
    scheduler.last_epoch = 0
    scheduler.last_lr = scheduler.compute_lr()
    scheduler.optimizer.learning_rate = scheduler.last_lr


def rate_at_epoch_zero(scheduler):
    """The rate `scheduler` gives at epoch 0 when (re)started from its base rate: what SequentialLR uses when a
    scheduler takes over. Module 3's schedulers start at base_lr; the others say so in `first_lr()`."""
    if isinstance(scheduler, (StepLR, ExponentialLR, CosineAnnealingLR)):
        return scheduler.base_lr
    return scheduler.first_lr()

# %% [markdown]
# ## 2. Decays at chosen epochs, and a linear ramp
#
# **MultiStepLR** multiplies the rate by `gamma` at each epoch listed in `milestones`: the classic recipe for
# image classifiers ("divide by 10 at epochs 30 and 60"). A milestone listed twice decays twice. Like module 3's
# schedulers it is written recursively, from the optimizer's current rate:
#
# $$\eta_k = \begin{cases} \eta_{k-1}\,\gamma^{c_k} & \text{if } k \text{ is a milestone listed } c_k
#   \text{ times} \\ \eta_{k-1} & \text{otherwise.}\end{cases}$$
#
# **LinearLR** scales the base rate by a factor that moves in a straight line from `start_factor` to
# `end_factor` over `total_iters` steps, then stays there. With `start_factor=0.1` it is a *warm-up*: the run
# starts at a tenth of the rate and reaches the full rate after `total_iters` steps. The factor at step $k$ is
# $f_k = s + (e - s)\min(k, T)/T$, and PyTorch updates the rate by the ratio of consecutive factors,
# $\eta_k = \eta_{k-1} f_k / f_{k-1}$, which written out is the formula in the docstring.

# %% nbgrader={"grade": false, "grade_id": "multistep-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MultiStepLR(LRScheduler):
    """Multiply the rate by `gamma` at every epoch listed in `milestones` (twice if listed twice)."""

    def __init__(self, optimizer, milestones, gamma=0.1):
        milestones = list(milestones)
        for milestone in milestones:
            _check_positive_integer("milestones", milestone)
        _check_at_least("gamma", gamma)
        self.milestones = Counter(milestones)  # epoch -> how many times it is listed
        self.gamma = gamma
        super().__init__(optimizer)
        start_schedule(self)

    def first_lr(self):
        return self.base_lr

    def compute_lr(self):
        """If last_epoch is a milestone, listed c = self.milestones[last_epoch] times, return the optimizer's
        current learning_rate * gamma ** c; otherwise return the current learning_rate unchanged.
        (`epoch in self.milestones` tells whether an epoch is a milestone.)
        """
        ### BEGIN SOLUTION
        if self.last_epoch not in self.milestones:
            return self.optimizer.learning_rate
        return self.optimizer.learning_rate * self.gamma ** self.milestones[self.last_epoch]
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "linear-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class LinearLR(LRScheduler):
    """Scale the base rate by a factor moving linearly from start_factor to end_factor over total_iters steps."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        if not 0 < start_factor <= 1:
            raise ValueError(f"invalid start_factor: {start_factor!r} (must be in (0, 1])")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"invalid end_factor: {end_factor!r} (must be in [0, 1])")
        _check_positive_integer("total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer)
        start_schedule(self)

    def first_lr(self):
        return self.base_lr * self.start_factor

    def compute_lr(self):
        """PyTorch's recursion, with lr the optimizer's current learning_rate, e = last_epoch, s = start_factor,
        f = end_factor and T = total_iters:

        - e == 0 (construction): return lr * s
        - e > T: return lr (the ramp is over)
        - otherwise: return lr * (1.0 + (f - s) / (T * s + (e - 1) * (f - s)))
        """
        ### BEGIN SOLUTION
        lr, epoch = self.optimizer.learning_rate, self.last_epoch
        if epoch == 0:
            return lr * self.start_factor
        if epoch > self.total_iters:
            return lr
        change = self.end_factor - self.start_factor
        return lr * (1.0 + change / (self.total_iters * self.start_factor + (epoch - 1) * change))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-multistep-lr", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_multistep_lr():
    """MultiStepLR multiplies by gamma at each milestone, by gamma**2 at a milestone listed twice."""
    from tinytorch.core.autograd import Variable
    from tinytorch.core.optimizers import SGD
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
    scheduler = MultiStepLR(optimizer, milestones=[2, 5, 5], gamma=0.5)
    assert optimizer.learning_rate == 1.0, f"MultiStepLR: construction keeps the rate, got {optimizer.learning_rate}"
    rates = []
    for _ in range(7):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    expected = [1.0, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125]
    assert np.allclose(rates, expected, rtol=1e-12), f"MultiStepLR: rates after each step(): expected {expected}, got {rates}"
    assert scheduler.get_last_lr() == rates[-1], f"MultiStepLR: get_last_lr() should be {rates[-1]}"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.3)
    scheduler = MultiStepLR(optimizer, milestones=[3, 1])
    for _ in range(4):
        scheduler.step()
    assert np.isclose(optimizer.learning_rate, 0.003, rtol=1e-12), "MultiStepLR: unsorted milestones, default gamma 0.1"
    with pytest.raises(ValueError, match="milestones"):
        MultiStepLR(optimizer, milestones=[0])
    ### END HIDDEN TESTS

test_multistep_lr()

# %% nbgrader={"grade": true, "grade_id": "test-linear-lr", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_linear_lr():
    """LinearLR starts at base * start_factor, reaches base * end_factor after total_iters steps, then stays."""
    from tinytorch.core.autograd import Variable
    from tinytorch.core.optimizers import SGD
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.5)
    scheduler = LinearLR(optimizer, start_factor=0.2, end_factor=1.0, total_iters=4)
    assert np.isclose(optimizer.learning_rate, 0.1, rtol=1e-12), \
        f"LinearLR: construction sets base * start_factor = 0.1, got {optimizer.learning_rate}"
    rates = []
    for _ in range(6):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    expected = [0.2, 0.3, 0.4, 0.5, 0.5, 0.5]
    assert np.allclose(rates, expected, rtol=1e-12), f"LinearLR: rates after each step(): expected {expected}, got {rates}"

    optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
    scheduler = LinearLR(optimizer)  # defaults: 1/3 -> 1 over 5 steps
    rates = [optimizer.learning_rate]
    for _ in range(6):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    expected = [1 / 3 + (2 / 3) * min(k, 5) / 5 for k in range(7)]
    assert np.allclose(rates, expected, rtol=1e-12), f"LinearLR defaults: expected {expected}, got {rates}"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=2.0)
    scheduler = LinearLR(optimizer, start_factor=1.0, end_factor=0.25, total_iters=3)
    for _ in range(5):
        scheduler.step()
    assert np.isclose(optimizer.learning_rate, 0.5, rtol=1e-12), "LinearLR decaying from 1.0 to 0.25"
    with pytest.raises(ValueError, match="start_factor"):
        LinearLR(optimizer, start_factor=0.0)
    ### END HIDDEN TESTS

test_linear_lr()

# %% [markdown]
# **LambdaLR** is the escape hatch: you give it any function of the step, and the rate is
# `base_lr * lr_lambda(last_epoch)`. It is given, since it is one line. The function is not saved in a
# `state_dict()` (a checkpoint holds data, not code), so a resumed `LambdaLR` uses the function it was made
# with.

# %% nbgrader={"grade": false, "grade_id": "lambda-lr", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class LambdaLR(LRScheduler):
    """The rate is base_lr * lr_lambda(last_epoch), for any function lr_lambda of the step count."""

    def __init__(self, optimizer, lr_lambda):
        if not callable(lr_lambda):
            raise ValueError(f"invalid lr_lambda: {lr_lambda!r} (must be a function of the step count)")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)
        start_schedule(self)

    def first_lr(self):
        return self.base_lr * self.lr_lambda(0)

    def compute_lr(self):
        return self.base_lr * self.lr_lambda(self.last_epoch)

    def state_dict(self):
        """Everything but the optimizer and the function."""
        state = super().state_dict()
        del state["lr_lambda"]
        return state

# %% [markdown]
# ## 3. Cosine annealing with warm restarts (SGDR)
#
# Module 3's cosine runs down once. Loshchilov and Hutter's *SGDR* (2017) restarts it: after $T_0$ steps the
# rate jumps back to the base rate and a new cosine begins, and with `T_mult` > 1 each cycle is `T_mult` times
# longer than the one before. A restart kicks the weights out of the basin they were settling into; the end of
# each cycle, at a low rate, is a good moment to save a snapshot of the model.
#
# The scheduler keeps two counters: `T_cur`, the steps since the last restart, and `T_i`, the length of the
# current cycle. The rate is a closed form in them (no recursion):
#
# $$\eta = \eta_{min} + \tfrac{1}{2}(\eta_{base} - \eta_{min})\left(1 + \cos\frac{\pi\, T_{cur}}{T_i}\right)$$
#
# Each `step()` first moves the counters, then sets the rate. When `T_cur` reaches `T_i`, a cycle ends: `T_cur`
# wraps around (PyTorch writes `T_cur % T_i`) and the next cycle is `T_mult` times longer.

# %% nbgrader={"grade": false, "grade_id": "cosine-warm-restarts", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine from base_lr down to eta_min over T_i steps, then restart; each cycle T_mult times longer."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0):
        _check_positive_integer("T_0", T_0)
        _check_positive_integer("T_mult", T_mult)
        _check_at_least("eta_min", eta_min)
        self.T_0 = T_0
        self.T_i = T_0      # the length of the current cycle
        self.T_cur = 0      # steps since the last restart
        self.T_mult = T_mult
        self.eta_min = eta_min
        super().__init__(optimizer)
        start_schedule(self)

    def first_lr(self):
        return self.compute_lr()

    def step(self):
        """Move the counters, then set the rate like every scheduler (LRScheduler.step(self)):

        T_cur += 1; if T_cur >= T_i: T_cur = T_cur % T_i and T_i = T_i * T_mult. Then LRScheduler.step(self).
        """
        ### BEGIN SOLUTION
        self.T_cur += 1
        if self.T_cur >= self.T_i:
            self.T_cur = self.T_cur % self.T_i
            self.T_i = self.T_i * self.T_mult
        LRScheduler.step(self)
        ### END SOLUTION

    def compute_lr(self):
        """eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, written in this order."""
        ### BEGIN SOLUTION
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-cosine-warm-restarts", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_cosine_warm_restarts():
    """Each cycle runs a cosine from base_lr to eta_min and restarts at base_lr; with T_mult=2 cycles double."""
    from tinytorch.core.autograd import Variable
    from tinytorch.core.optimizers import SGD
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=4, eta_min=0.2)
    assert optimizer.learning_rate == 1.0, f"warm restarts: construction starts at base_lr, got {optimizer.learning_rate}"
    rates = []
    for _ in range(8):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    cycle = [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 0)]
    assert np.allclose(rates, cycle * 2, rtol=1e-12), \
        f"warm restarts with T_0=4: expected {np.round(cycle * 2, 4)}, got {np.round(rates, 4)}"

    optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2)
    positions = []
    for _ in range(14):
        scheduler.step()
        positions.append((scheduler.T_cur, scheduler.T_i))
    expected = [(1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8), (1, 8), (2, 8), (3, 8), (4, 8), (5, 8), (6, 8),
                (7, 8), (0, 16)]
    assert positions == expected, f"cycles that grow (T_mult=2): (T_cur, T_i) after each step: expected " \
                                  f"{expected}, got {positions}"
    assert optimizer.learning_rate == 1.0, f"a restart goes back to base_lr 1.0, got {optimizer.learning_rate}"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.4)
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=3, eta_min=0.01)
    for _ in range(7):
        scheduler.step()
    expected = 0.01 + 0.39 * (1 + math.cos(math.pi * 4 / 9)) / 2
    assert abs(optimizer.learning_rate - expected) < 1e-15, "T_0=3, T_mult=3 after 7 steps"
    with pytest.raises(ValueError, match="T_mult"):
        CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=0)
    ### END HIDDEN TESTS

test_cosine_warm_restarts()

# %% [markdown]
# ## 4. One cycle
#
# Leslie Smith's *one-cycle* policy (2018) runs the whole training as a single cycle: the rate climbs from a
# low value to `max_lr`, then falls far below where it started. Large rates in the middle of the run act as a
# regulariser and let it cover ground fast; the long tail at tiny rates lets it settle. Smith found it trains
# some networks in a fraction of the usual number of steps ("super-convergence").
#
# `OneCycleLR` is given the whole length of the run, `total_steps` (or `epochs` and `steps_per_epoch`), and is
# stepped after every batch. Its rates come from `max_lr`:
#
# - `initial_lr = max_lr / div_factor` (default 25): the start;
# - `min_lr = initial_lr / final_div_factor` (default 10 000): the end.
#
# The run is cut into phases. By default there are two: up from `initial_lr` to `max_lr` over the first
# `pct_start` of the steps, then down to `min_lr`. With `three_phase=True` the second phase comes back down
# to `initial_lr` symmetrically, and a third phase anneals to `min_lr`. Inside a phase the rate moves from the
# phase's start value to its end value along half a cosine (`anneal_strategy="cos"`) or a straight line
# (`"linear"`), as `pct` runs from 0 to 1.
#
# With `cycle_momentum=True` (the default) the momentum moves the opposite way, between `max_momentum` (0.95)
# and `base_momentum` (0.85): low momentum while the rate is high, so the two effects do not add up. The
# scheduler writes `optimizer.momentum` (SGD, RMSprop), or `optimizer.beta1` for Adam-like optimizers, exactly as
# PyTorch writes `momentum` or `betas[0]`. Note that this switches momentum *on* for an SGD made without it.
#
# The constructor, given, builds the phase table in PyTorch's form: each phase has an `end_step` (a float,
# PyTorch's own arithmetic), and the names of the attributes holding its start and end values. You write
# `compute_lr`.

# %% nbgrader={"grade": false, "grade_id": "one-cycle-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class OneCycleLR(LRScheduler):
    """Leslie Smith's one-cycle policy: up to max_lr, then down far below the start (stepped per batch)."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("invalid total_steps: give total_steps, or epochs and steps_per_epoch")
            _check_positive_integer("epochs", epochs)
            _check_positive_integer("steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        _check_positive_integer("total_steps", total_steps)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"invalid pct_start: {pct_start!r} (must be in [0, 1])")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"invalid anneal_strategy: {anneal_strategy!r} (must be 'cos' or 'linear')")
        _check_at_least("max_lr", max_lr)
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.initial_lr = max_lr / div_factor
        self.max_lr = max_lr
        self.min_lr = self.initial_lr / final_div_factor
        optimizer.initial_lr = self.initial_lr  # PyTorch overwrites group["initial_lr"] too
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if hasattr(optimizer, "beta1"):
                self.momentum_name = "beta1"
            elif hasattr(optimizer, "momentum"):
                self.momentum_name = "momentum"
            else:
                raise ValueError("invalid cycle_momentum: the optimizer has no momentum or beta1 to cycle")
            self.base_momentum = base_momentum
            self.max_momentum = max_momentum
            setattr(optimizer, self.momentum_name, max_momentum)
        if three_phase:
            self.phases = [
                {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self.phases = [
                {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        super().__init__(optimizer)
        start_schedule(self)

    def first_lr(self):
        return self.compute_lr()

    def anneal(self, start, end, pct):
        """From `start` (pct = 0) to `end` (pct = 1): half a cosine, or a straight line."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def compute_lr(self):
        """The rate of step `last_epoch` (and, with cycle_momentum, set the optimizer's momentum).

        step = last_epoch; if step > total_steps, raise a ValueError naming total_steps (the run is over).
        Walk through self.phases keeping start_step (0.0 for the first phase, then the previous phase's
        end_step). The step belongs to the first phase with step <= end_step, or to the last phase if none.
        In that phase:
            pct = (step - start_step) / (end_step - start_step)
            rate = self.anneal(start value, end value, pct), where a phase's "start_lr" and "end_lr" are the
                   names of attributes of self (getattr(self, phase["start_lr"]))
            if cycle_momentum: setattr(self.optimizer, self.momentum_name, the momentum annealed the same
                   way between the phase's "start_momentum" and "end_momentum")
        Return the rate.
        """
        ### BEGIN SOLUTION
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"invalid step: {step} steps taken, but total_steps is {self.total_steps}")
        start_step = 0.0
        for index, phase in enumerate(self.phases):
            end_step = phase["end_step"]
            if step <= end_step or index == len(self.phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                rate = self.anneal(getattr(self, phase["start_lr"]), getattr(self, phase["end_lr"]), pct)
                if self.cycle_momentum:
                    momentum = self.anneal(getattr(self, phase["start_momentum"]),
                                           getattr(self, phase["end_momentum"]), pct)
                    setattr(self.optimizer, self.momentum_name, momentum)
                return rate
            start_step = end_step
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-one-cycle-lr", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
def test_one_cycle_lr():
    """OneCycleLR climbs from max_lr / div_factor to max_lr over pct_start of the steps, then anneals to
    initial_lr / final_div_factor; momentum moves the other way."""
    from tinytorch.core.autograd import Variable
    from tinytorch.core.optimizers import SGD, Adam
    def cos_anneal(start, end, pct):
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)

    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.5, momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=1.0, total_steps=10, pct_start=0.3)
    rates, momenta = [optimizer.learning_rate], [optimizer.momentum]
    for _ in range(10):
        scheduler.step()
        rates.append(optimizer.learning_rate)
        momenta.append(optimizer.momentum)
    # the first phase ends at step 0.3 * 10 - 1 = 2, the second at step 9
    expected = [cos_anneal(0.04, 1.0, k / 2) for k in range(3)] + \
               [cos_anneal(1.0, 4e-6, (k - 2) / 7) for k in range(3, 11)]
    assert np.allclose(rates, expected, rtol=1e-12), \
        f"OneCycleLR phases (cos): rates at steps 0..10: expected {np.round(expected, 5)}, got {np.round(rates, 5)}"
    assert np.isclose(rates[2], 1.0) and np.isclose(rates[9], 4e-6), \
        f"OneCycleLR phases: the peak is max_lr at step 2 and the end min_lr at step 9, got {rates[2]}, {rates[9]}"
    expected_momenta = [cos_anneal(0.95, 0.85, k / 2) for k in range(3)] + \
                       [cos_anneal(0.85, 0.95, (k - 2) / 7) for k in range(3, 11)]
    assert np.allclose(momenta, expected_momenta, rtol=1e-12), \
        f"OneCycleLR momentum: expected {np.round(expected_momenta, 4)}, got {np.round(momenta, 4)}"
    with pytest.raises(ValueError, match="total_steps"):
        scheduler.step()

    optimizer = Adam([Variable(np.zeros(1))], learning_rate=0.01)
    scheduler = OneCycleLR(optimizer, max_lr=0.1, epochs=2, steps_per_epoch=5, anneal_strategy="linear",
                           three_phase=True, div_factor=10.0, final_div_factor=100.0)
    rates = [optimizer.learning_rate]
    for _ in range(9):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    # phases end at steps 2, 4 and 9: 0.01 -> 0.1 -> 0.01 -> 0.0001, in straight lines
    expected = [0.01, 0.055, 0.1, 0.055, 0.01, 0.01 - 0.0099 / 5, 0.01 - 2 * 0.0099 / 5, 0.01 - 3 * 0.0099 / 5,
                0.01 - 4 * 0.0099 / 5, 0.0001]
    assert np.allclose(rates, expected, rtol=1e-12), \
        f"OneCycleLR three_phase, linear: expected {np.round(expected, 5)}, got {np.round(rates, 5)}"
    assert np.isclose(optimizer.beta1, 0.95), f"OneCycleLR momentum: Adam's beta1 at the end should be 0.95, got {optimizer.beta1}"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.5)
    scheduler = OneCycleLR(optimizer, max_lr=2.0, total_steps=7, pct_start=0.25, cycle_momentum=False)
    for _ in range(7):
        scheduler.step()
    assert optimizer.momentum == 0.0, "OneCycleLR with cycle_momentum=False leaves momentum alone"
    first_end = 0.25 * 7 - 1
    assert np.isclose(optimizer.learning_rate, cos_anneal(2.0, 2.0 / 25 / 1e4, (7 - first_end) / (6 - first_end)))
    ### END HIDDEN TESTS

test_one_cycle_lr()

# %% [markdown]
# ## 5. Schedules made of schedules
#
# Two given classes combine schedulers that share one optimizer.
#
# - **`SequentialLR(optimizer, schedulers, milestones)`** hands the rate from one scheduler to the next at the
#   given steps: `SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, T_max=95)],
#   milestones=[5])` warms up for 5 steps, then anneals. At construction it puts the rate back to the initial
#   one and starts the first scheduler; at a milestone, the next scheduler starts from epoch 0 with its own
#   base rate (`rate_at_epoch_zero`), and after that only that scheduler is stepped.
# - **`ChainedScheduler(schedulers)`** steps every scheduler at every step, one after the other, so their
#   recursive updates multiply: a `LinearLR` warm-up chained with an `ExponentialLR` decay gives a decay that
#   starts low.
#
# Both save their schedulers' states in their own `state_dict()`, so one checkpoint resumes the combination.

# %% nbgrader={"grade": false, "grade_id": "combined-schedulers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _check_schedulers(optimizer, schedulers):
    if not schedulers:
        raise ValueError("invalid schedulers: give at least one scheduler")
    for index, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"invalid schedulers: ReduceLROnPlateau (at {index}) needs a metric at each step")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"invalid schedulers: scheduler {index} belongs to another optimizer")


class _Combined(LRScheduler):
    """What SequentialLR and ChainedScheduler share: their schedulers' states saved with their own."""

    def state_dict(self):
        state = {name: copy.deepcopy(value) for name, value in vars(self).items()
                 if name not in ("optimizer", "schedulers")}
        state["schedulers"] = [scheduler.state_dict() for scheduler in self.schedulers]
        return state

    def load_state_dict(self, state_dict):
        if set(state_dict) != set(self.state_dict()) or len(state_dict["schedulers"]) != len(self.schedulers):
            raise ValueError(f"invalid state_dict: keys {sorted(state_dict)} do not fit {type(self).__name__}")
        for scheduler, state in zip(self.schedulers, state_dict["schedulers"]):
            scheduler.load_state_dict(state)
        self.__dict__.update({name: copy.deepcopy(value) for name, value in state_dict.items()
                              if name != "schedulers"})
        self.optimizer.learning_rate = self.last_lr


class SequentialLR(_Combined):
    """Run schedulers[0] until milestones[0], then schedulers[1] (started afresh), and so on."""

    def __init__(self, optimizer, schedulers, milestones):
        schedulers, milestones = list(schedulers), list(milestones)
        _check_schedulers(optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"invalid milestones: {len(schedulers)} schedulers need {len(schedulers) - 1} "
                             f"milestones, got {len(milestones)}")
        self.schedulers = schedulers
        self.milestones = milestones
        super().__init__(optimizer)
        self.base_lr = initial_lr(optimizer)
        for scheduler in schedulers:  # as in PyTorch, every scheduler's base rate is the initial rate
            scheduler.base_lr = self.base_lr
            scheduler.last_epoch = -1   # not started yet
        self.last_lr = self._start(schedulers[bisect_right(milestones, 0)])

    def _start(self, scheduler):
        """Start `scheduler` at its epoch 0 and set its rate."""
        scheduler.last_epoch = 0
        scheduler.last_lr = rate_at_epoch_zero(scheduler)
        self.optimizer.learning_rate = scheduler.last_lr
        return scheduler.last_lr

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[index]
        if index > 0 and self.milestones[index - 1] == self.last_epoch:
            self._start(scheduler)
        else:
            scheduler.step()
        self.last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Combined):
    """Step every scheduler, in order, at every step."""

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        _check_schedulers(optimizer, schedulers)
        self.schedulers = schedulers
        super().__init__(optimizer)
        self.base_lr = initial_lr(optimizer)
        for scheduler in schedulers:  # as in PyTorch, every scheduler's base rate is the initial rate
            scheduler.base_lr = self.base_lr

    def step(self):
        self.last_epoch += 1
        for scheduler in self.schedulers:
            scheduler.step()
        self.last_lr = self.optimizer.learning_rate

# %% [markdown]
# ## 6. Reacting to the validation loss
#
# All schedules so far are fixed before the run starts. `ReduceLROnPlateau` watches a number instead (usually
# the validation loss, once per epoch) and cuts the rate when it stops improving. Its rules, PyTorch's:
#
# - `step(metric)` counts one epoch. The metric **improves** on the best value so far if, in `mode="min"`, it is
#   below `best * (1 - threshold)` (`threshold_mode="rel"`) or below `best - threshold` (`"abs"`); in
#   `mode="max"` above `best * (1 + threshold)` or `best + threshold`. The best value starts at $+\infty$
#   (or $-\infty$ for `"max"`), so the first metric always improves. An improvement becomes the new best and
#   resets `num_bad_epochs` to 0; anything else adds one to it.
# - During a **cooldown** (`cooldown_counter > 0`), the counter goes down by one and `num_bad_epochs` is reset to
#   0: after a cut, the new rate gets `cooldown` epochs to act before epochs count as bad again.
# - When `num_bad_epochs` exceeds `patience`, the rate becomes `max(rate * factor, min_lr)`, but only if that
#   lowers it by more than `eps` (so it stops quietly at `min_lr`); then the cooldown starts
#   (`cooldown_counter = cooldown`) and `num_bad_epochs` goes back to 0.
#
# A relative threshold suits a loss whose scale you do not know in advance; an absolute one suits a metric with
# a natural unit, like accuracy.

# %% nbgrader={"grade": false, "grade_id": "reduce-lr-on-plateau", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by `factor` when a metric has not improved for more than `patience` epochs."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        if mode not in ("min", "max"):
            raise ValueError(f"invalid mode: {mode!r} (must be 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"invalid threshold_mode: {threshold_mode!r} (must be 'rel' or 'abs')")
        if not factor < 1.0:
            raise ValueError(f"invalid factor: {factor!r} (must be < 1)")
        _check_at_least("patience", patience)
        _check_at_least("cooldown", cooldown)
        _check_at_least("min_lr", min_lr)
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer)

    def is_better(self, value, best):
        """Whether `value` improves on `best`, by mode and threshold_mode (see above)."""
        ### BEGIN SOLUTION
        if self.mode == "min" and self.threshold_mode == "rel":
            return value < best * (1.0 - self.threshold)
        if self.mode == "min":
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold
        ### END SOLUTION

    def step(self, metric):
        """One epoch with validation metric `metric` (a number):

        1. current = float(metric); last_epoch += 1.
        2. If is_better(current, best): best = current, num_bad_epochs = 0; otherwise num_bad_epochs += 1.
        3. If cooldown_counter > 0: cooldown_counter -= 1 and num_bad_epochs = 0.
        4. If num_bad_epochs > patience: new = max(rate * factor, min_lr), set it only if rate - new > eps;
           then cooldown_counter = cooldown and num_bad_epochs = 0.
        5. last_lr = the optimizer's learning_rate.
        """
        ### BEGIN SOLUTION
        current = float(metric)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old = self.optimizer.learning_rate
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.learning_rate = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self.last_lr = self.optimizer.learning_rate
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-reduce-lr-on-plateau", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
def test_reduce_lr_on_plateau():
    """ReduceLROnPlateau cuts the rate after more than `patience` bad epochs, waits `cooldown` epochs after a
    cut, never goes below min_lr, and judges improvements by mode and threshold."""
    from tinytorch.core.autograd import Variable
    from tinytorch.core.optimizers import SGD
    def run(metrics, **settings):
        optimizer = SGD([Variable(np.zeros(1))], learning_rate=1.0)
        scheduler = ReduceLROnPlateau(optimizer, **settings)
        rates = []
        for metric in metrics:
            scheduler.step(metric)
            rates.append(optimizer.learning_rate)
        return rates, scheduler

    rates, scheduler = run([5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0], factor=0.5, patience=2)
    expected = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert rates == expected, f"patience 2: the third epoch without improvement cuts the rate: expected {expected}, got {rates}"
    assert scheduler.best == 3.0 and scheduler.num_bad_epochs == 2, \
        f"patience: best 3.0 and 2 bad epochs expected, got {scheduler.best} and {scheduler.num_bad_epochs}"
    assert scheduler.get_last_lr() == 0.5, f"get_last_lr() should be 0.5, got {scheduler.get_last_lr()}"

    rates, _ = run([1.0] * 9, factor=0.5, patience=1, cooldown=2)
    expected = [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert rates == expected, f"cooldown 2: two epochs after a cut do not count: expected {expected}, got {rates}"

    rates, _ = run([1.0] * 8, factor=0.1, patience=0, min_lr=0.005)
    expected = [1.0, 0.1, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005]
    assert np.allclose(rates, expected, rtol=1e-12), f"min_lr 0.005: expected {expected}, got {rates}"

    # threshold 0.1, relative: 0.95 is not below 1.0 * 0.9; absolute: 0.85 is below 1.0 - 0.1
    rates, _ = run([1.0, 0.95, 0.92], factor=0.5, patience=1, threshold=0.1)
    assert rates == [1.0, 1.0, 0.5], f"threshold_mode='rel': 0.95 and 0.92 are no improvement on 1.0, got {rates}"
    rates, _ = run([1.0, 0.85, 0.8], factor=0.5, patience=1, threshold=0.1, threshold_mode="abs")
    assert rates == [1.0, 1.0, 1.0], f"threshold_mode='abs': 0.85 improves on 1.0 by more than 0.1, got {rates}"
    rates, _ = run([0.5, 0.6, 0.6, 0.6], mode="max", factor=0.5, patience=1, threshold=0.0)
    assert rates == [1.0, 1.0, 1.0, 0.5], f"mode='max': 0.6 improves on 0.5, then two equal epochs, got {rates}"
    ### BEGIN HIDDEN TESTS
    rates, _ = run([0.5, 0.56, 0.57], mode="max", factor=0.5, patience=0, threshold=0.1)
    assert rates == [1.0, 1.0, 0.5], f"mode='max', rel: 0.56 > 0.55 improves, 0.57 < 0.616 does not, got {rates}"
    rates, _ = run([0.5, 0.55, 0.6], mode="max", factor=0.5, patience=0, threshold=0.1, threshold_mode="abs")
    assert rates == [1.0, 0.5, 0.25], f"mode='max', abs: neither 0.55 nor 0.6 beats 0.5 + 0.1, got {rates}"
    ### END HIDDEN TESTS

test_reduce_lr_on_plateau()

# %% [markdown]
# ## 7. Your own schedule: warm-up, then cosine with restarts
#
# Large models are usually trained with a warm-up followed by a cosine. At the start the weights are random,
# the gradients are large and Adam's second-moment estimates rest on a handful of steps, so a full-size step can
# throw the run somewhere it never recovers from. A few hundred steps of a growing rate avoid that. Then the
# cosine brings the rate down smoothly, and restarts give the run several chances to find a better basin.
#
# `WarmupCosineRestarts(optimizer, warmup_steps, first_cycle_steps, cycle_mult, max_lr, min_lr,
# decay_per_cycle)` gives the rate of step $k$ (`last_epoch`) in closed form:
#
# - **warm-up**, $k <$ `warmup_steps` $= W$: a straight line from `min_lr` up to `max_lr`,
#   $\eta_k = \eta_{min} + (\eta_{max} - \eta_{min})\, k / W$;
# - **cycles**, from step $W$ on: the position $p = k - W$ falls in cycle $c = 0, 1, 2, \dots$; cycle 0 is
#   `first_cycle_steps` long and each next cycle `cycle_mult` times longer than the one before (lengths may stop
#   being whole numbers: a cycle of 7.5 steps ends half-way between two steps, and the next one starts there).
#   With $t$ the steps since the cycle began and $L_c$ its length, the peak of cycle $c$ is
#   $\eta_{max}\,d^{\,c}$ ($d$ = `decay_per_cycle`) and
#
# $$\eta_k = \eta_{min} + \tfrac{1}{2}\,(\eta_{max} d^{\,c} - \eta_{min})\left(1 + \cos\frac{\pi t}{L_c}\right).$$
#
# Find $c$, $t$ and $L_c$ with a loop: start with $t = p$, $L = $ `first_cycle_steps`, $c = 0$, and while
# $t \ge L$, subtract $L$ from $t$, multiply $L$ by `cycle_mult` and add one to $c$.
#
# With `decay_per_cycle=1` and a whole-number `cycle_mult` this is exactly
# `SequentialLR(opt, [LinearLR(opt, min_lr / max_lr, 1.0, W), CosineAnnealingWarmRestarts(opt,
# first_cycle_steps, cycle_mult, min_lr)], milestones=[W])` on an optimizer whose rate is `max_lr`: a test below
# checks that. `max_lr=None` means the optimizer's initial rate.

# %% nbgrader={"grade": false, "grade_id": "warmup-cosine-restarts", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class WarmupCosineRestarts(LRScheduler):
    """A linear warm-up from min_lr to max_lr, then cosine cycles that grow by cycle_mult and whose peaks
    shrink by decay_per_cycle."""

    def __init__(self, optimizer, warmup_steps, first_cycle_steps, cycle_mult=1.0, max_lr=None, min_lr=0.0,
                 decay_per_cycle=1.0):
        if not (warmup_steps >= 0 and int(warmup_steps) == warmup_steps):
            raise ValueError(f"invalid warmup_steps: {warmup_steps!r} (must be a whole number >= 0)")
        _check_positive_integer("first_cycle_steps", first_cycle_steps)
        _check_at_least("cycle_mult", cycle_mult, 1.0)
        _check_at_least("min_lr", min_lr)
        if not 0 < decay_per_cycle <= 1:
            raise ValueError(f"invalid decay_per_cycle: {decay_per_cycle!r} (must be in (0, 1])")
        max_lr = initial_lr(optimizer) if max_lr is None else max_lr
        if not max_lr >= min_lr:
            raise ValueError(f"invalid max_lr: {max_lr!r} (must be >= min_lr {min_lr!r})")
        self.warmup_steps = warmup_steps
        self.first_cycle_steps = first_cycle_steps
        self.cycle_mult = cycle_mult
        self.max_lr = max_lr
        self.min_lr = min_lr
        self.decay_per_cycle = decay_per_cycle
        super().__init__(optimizer)
        start_schedule(self)

    def first_lr(self):
        return self.compute_lr()

    def compute_lr(self):
        """The rate of step k = last_epoch, from the formulas above (no recursion: ignore the current rate)."""
        ### BEGIN SOLUTION
        step = self.last_epoch
        if step < self.warmup_steps:
            return self.min_lr + (self.max_lr - self.min_lr) * step / self.warmup_steps
        position, length, cycle = step - self.warmup_steps, self.first_cycle_steps, 0
        while position >= length:
            position -= length
            length *= self.cycle_mult
            cycle += 1
        peak = self.max_lr * self.decay_per_cycle**cycle
        return self.min_lr + (peak - self.min_lr) * (1 + math.cos(math.pi * position / length)) / 2
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-warmup-cosine-restarts", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
def test_warmup_cosine_restarts():
    """Warm-up ends at max_lr; each cycle is a cosine from its peak to min_lr; cycles grow by cycle_mult and
    peaks shrink by decay_per_cycle; without decay it is LinearLR then CosineAnnealingWarmRestarts."""
    from tinytorch.core.autograd import Variable
    from tinytorch.core.optimizers import SGD
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.5)
    scheduler = WarmupCosineRestarts(optimizer, warmup_steps=4, first_cycle_steps=6, cycle_mult=2, max_lr=1.0,
                                     min_lr=0.1, decay_per_cycle=0.5)
    rates = [optimizer.learning_rate]
    for _ in range(40):
        scheduler.step()
        rates.append(optimizer.learning_rate)

    def cosine(peak, t, length):
        return 0.1 + (peak - 0.1) * (1 + math.cos(math.pi * t / length)) / 2

    assert np.allclose(rates[:5], [0.1, 0.325, 0.55, 0.775, 1.0], rtol=1e-12), \
        f"warm-up: a line from min_lr 0.1 to max_lr 1.0 over 4 steps, got {rates[:5]}"
    assert np.isclose(rates[7], cosine(1.0, 3, 6), rtol=1e-12), \
        f"mid-cycle: half-way through the first cycle (step 7) the rate is {cosine(1.0, 3, 6)}, got {rates[7]}"
    # cycles of 6, 12 and 24 steps start at steps 4, 10 and 22, with peaks 1.0, 0.5 and 0.25
    for restart, previous, length, peak in ((10, (1.0, 6), 12, 0.5), (22, (0.5, 12), 24, 0.25)):
        before = cosine(previous[0], previous[1] - 1, previous[1])
        assert np.isclose(rates[restart - 1], before, rtol=1e-12), \
            f"the step before the restart at step {restart}: expected {before:.6f}, got {rates[restart - 1]:.6f}"
        assert np.isclose(rates[restart], peak, rtol=1e-12), \
            f"the restart at step {restart}: cycles grow by cycle_mult and peaks decay by decay_per_cycle: " \
            f"expected the peak {peak}, got {rates[restart]}"
        assert np.isclose(rates[restart + 1], cosine(peak, 1, length), rtol=1e-12), \
            f"the step after the restart at step {restart}: expected {cosine(peak, 1, length):.6f}, got {rates[restart + 1]:.6f}"

    # without decay, a whole-number cycle_mult: the same as SequentialLR(LinearLR, CosineAnnealingWarmRestarts)
    mine, theirs = SGD([Variable(np.zeros(1))], learning_rate=0.2), SGD([Variable(np.zeros(1))], learning_rate=0.2)
    schedule = WarmupCosineRestarts(mine, warmup_steps=5, first_cycle_steps=3, cycle_mult=2, min_lr=0.01)
    combined = SequentialLR(theirs, [LinearLR(theirs, start_factor=0.05, end_factor=1.0, total_iters=5),
                                     CosineAnnealingWarmRestarts(theirs, T_0=3, T_mult=2, eta_min=0.01)],
                            milestones=[5])
    got, expected = [mine.learning_rate], [theirs.learning_rate]
    for _ in range(30):
        schedule.step()
        combined.step()
        got.append(mine.learning_rate)
        expected.append(theirs.learning_rate)
    assert np.allclose(got, expected, rtol=1e-12), \
        f"agreement with SequentialLR(LinearLR, CosineAnnealingWarmRestarts): expected {np.round(expected, 5)}, " \
        f"got {np.round(got, 5)}"
    ### BEGIN HIDDEN TESTS
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.3)
    scheduler = WarmupCosineRestarts(optimizer, warmup_steps=0, first_cycle_steps=4, cycle_mult=1.5)
    rates = [optimizer.learning_rate]
    for _ in range(12):
        scheduler.step()
        rates.append(optimizer.learning_rate)
    # cycles of 4, 6 and 9 steps: restarts at 4 and 10, max_lr taken from the optimizer, min_lr 0
    assert np.isclose(rates[0], 0.3) and np.isclose(rates[4], 0.3) and np.isclose(rates[10], 0.3), rates
    assert np.isclose(rates[12], 0.15 * (1 + math.cos(math.pi * 2 / 9)), rtol=1e-12), rates
    ### END HIDDEN TESTS

test_warmup_cosine_restarts()

# %% [markdown]
# ## 8. Every schedule on one page
#
# Each panel shows the rate used at each of 120 steps, from the same base rate of 0.1 (`max_lr=0.1` for the
# schedules that take one). `ReduceLROnPlateau` is fed a made-up validation loss that falls, then flattens at
# 0.5 from step 40 (grey); every other schedule ignores the loss.

# %%
STEPS, BASE = 120, 0.1


def rates_of(make_scheduler, steps=STEPS, metrics=None):
    """The rate used at each step under `make_scheduler(optimizer)`, from a base rate of BASE."""
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=BASE, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    rates = []
    for step in range(steps):
        rates.append(optimizer.learning_rate)
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[step])
    return rates


plateau_loss = 0.5 + 0.5 * np.exp(-np.arange(STEPS) / 12) * (np.arange(STEPS) < 40)
schedules = {
    "StepLR(step_size=30, gamma=0.5)": lambda o: StepLR(o, step_size=30, gamma=0.5),
    "MultiStepLR([40, 80])": lambda o: MultiStepLR(o, milestones=[40, 80]),
    "ExponentialLR(gamma=0.97)": lambda o: ExponentialLR(o, gamma=0.97),
    "LinearLR(0.1, total_iters=30)": lambda o: LinearLR(o, start_factor=0.1, total_iters=30),
    "LambdaLR(1 / sqrt(1 + k / 10))": lambda o: LambdaLR(o, lambda k: 1 / math.sqrt(1 + k / 10)),
    "CosineAnnealingLR(T_max=120)": lambda o: CosineAnnealingLR(o, T_max=120, eta_min=0.001),
    "CosineAnnealingWarmRestarts(15, 2)": lambda o: CosineAnnealingWarmRestarts(o, T_0=15, T_mult=2, eta_min=0.001),
    "OneCycleLR(0.1, 120)": lambda o: OneCycleLR(o, max_lr=0.1, total_steps=STEPS),
    "OneCycleLR(three_phase, linear)": lambda o: OneCycleLR(o, max_lr=0.1, total_steps=STEPS, three_phase=True,
                                                           anneal_strategy="linear"),
    "SequentialLR(LinearLR, cosine)": lambda o: SequentialLR(
        o, [LinearLR(o, start_factor=0.05, total_iters=10), CosineAnnealingLR(o, T_max=110, eta_min=0.001)],
        milestones=[10]),
    "ChainedScheduler(LinearLR, ExponentialLR)": lambda o: ChainedScheduler(
        [LinearLR(o, start_factor=0.1, total_iters=20), ExponentialLR(o, gamma=0.98)]),
    "WarmupCosineRestarts(10, 20, 1.5, decay 0.7)": lambda o: WarmupCosineRestarts(
        o, warmup_steps=10, first_cycle_steps=20, cycle_mult=1.5, min_lr=0.001, decay_per_cycle=0.7),
}
fig, axes = plt.subplots(3, 5, figsize=(16, 7.5), sharex=True, sharey=True)
panels = list(schedules.items())
for ax, (name, make) in zip(axes.flat, panels):
    ax.plot(rates_of(make))
    ax.set_title(name, fontsize=8)
plateau = axes.flat[len(panels)]
plateau.plot(rates_of(lambda o: ReduceLROnPlateau(o, factor=0.5, patience=10), metrics=plateau_loss))
plateau.plot(0.1 * plateau_loss, color="0.7", linewidth=0.8)
plateau.set_title("ReduceLROnPlateau(0.5, patience=10)", fontsize=8)
for ax in axes.flat[len(panels) + 1:]:
    ax.axis("off")
for ax in axes[-1]:
    ax.set_xlabel("step")
for ax in axes[:, 0]:
    ax.set_ylabel("learning rate")
fig.suptitle("Learning-rate schedules over 120 steps, base rate 0.1")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 9. Finding a learning rate
#
# Every schedule above needs a number to start from: the base rate, or `max_lr`. Guessing it costs full runs.
# Leslie Smith's *learning-rate range test* (2015; popularised by fastai as the "LR finder") costs a fraction
# of one epoch:
#
# 1. Start at a tiny rate `min_lr` and multiply it by the same factor after every mini-batch, so that it would
#    reach `max_lr` after `steps` batches: $\eta_i = \eta_{min} \cdot r^i$ with $r = (\eta_{max}/\eta_{min})^{1/\text{steps}}$.
#    On a log axis the rates are evenly spaced, so every order of magnitude gets the same number of batches.
# 2. Train one batch at each rate and record the loss. Each batch is a different sample, so the raw losses are
#    noisy; smooth them with module 7's exponential moving average, **with bias correction**: without it the
#    average starts near 0, and the first smoothed losses look like a fall that never happened.
# 3. Stop when the loss diverges: when it is not finite, or the smoothed loss is more than 4 times the lowest
#    smoothed loss seen before. Past that point the numbers say nothing more.
# 4. Put everything back: the sweep trained the model, moved the optimizer's averages and changed its rate.
#    The model's weights, the optimizer's state and its learning rate are restored exactly, so that the run you
#    then start is the one you would have started without the finder.
#
# The curve falls slowly at tiny rates (the steps are too small to matter), falls fast over a range of good
# rates, reaches a minimum, then shoots up. Two rules of thumb turn it into a number, and both are reported:
#
# - **steepest descent**: the rate where the smoothed loss falls fastest per order of magnitude of the rate,
#   the slope $d\,\text{loss} / d\log_{10}\eta$ at its most negative;
# - **minimum / 10**: a tenth of the rate at the lowest smoothed loss. At the minimum itself the rate is already
#   on the edge of instability; a tenth of it is usually safe and still large.
#
# They are starting points, not answers. With a schedule that peaks (one-cycle, warm-up), the peak is usually
# put near the larger of the two.
#
# Both rules ignore the first few points, whose bias-corrected average rests on a handful of batches: one lucky
# batch there looks like a steep fall. The steepest descent is looked for only up to the minimum: after it, a
# loss that falls back from a spike is not a good rate.
#
# First the suggestions, on a recorded curve. Use `np.gradient(losses, np.log10(rates))` for the slopes (it
# handles uneven spacing, and uses one-sided differences at both ends).

# %% nbgrader={"grade": false, "grade_id": "suggest-learning-rates", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def suggest_learning_rates(learning_rates, smoothed_losses, skip_start=5):
    """The two suggestions of a learning-rate sweep: (steepest_lr, min_div_10_lr), both Python floats.

    Leave out the first `skip_start` points (their average rests on a few batches only) and every point whose
    smoothed loss is not finite; at least 2 points must remain, or raise a ValueError. On those points:
    k = the position of the lowest loss; min_div_10_lr = rates[k] / 10;
    slopes = np.gradient(losses, np.log10(rates)); steepest_lr = the rate of the lowest slope among the points
    up to the minimum (positions 0 to k; the first one if several tie).
    """
    ### BEGIN SOLUTION
    rates = np.asarray(learning_rates, dtype=np.float64)[skip_start:]
    losses = np.asarray(smoothed_losses, dtype=np.float64)[skip_start:]
    finite = np.isfinite(losses)
    rates, losses = rates[finite], losses[finite]
    if rates.size < 2:
        raise ValueError(f"invalid sweep: {rates.size} finite losses after the first {skip_start}, "
                         "at least 2 are needed to suggest a rate")
    lowest = int(np.argmin(losses))
    slopes = np.gradient(losses, np.log10(rates))
    return float(rates[np.argmin(slopes[:lowest + 1])]), float(rates[lowest] / 10)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-suggest-learning-rates", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_suggest_learning_rates():
    """On a loss curve with a known shape: the steepest fall is at 10**-2.5, the minimum at 10**-2; the first
    skip_start points, falls after the minimum and non-finite losses are left out."""
    # a Gaussian dip in log10(rate), centred at -2 with width 0.5: steepest at -2.5, lowest at -2
    exponents = np.round(np.arange(-5.0, 0.01, 0.1), 10)
    rates = 10.0**exponents
    losses = 1.0 - np.exp(-((exponents + 2.0) ** 2) / (2 * 0.5**2))
    steepest, tenth = suggest_learning_rates(list(rates), list(losses))
    assert type(steepest) is float and type(tenth) is float, \
        f"suggestions: return two Python floats, got {type(steepest).__name__} and {type(tenth).__name__}"
    assert np.isclose(steepest, 10**-2.5, rtol=1e-9), f"steepest descent: expected {10**-2.5:.6g}, got {steepest:.6g}"
    assert np.isclose(tenth, 10**-3, rtol=1e-9), f"minimum / 10: the minimum is at 0.01, expected 0.001, got {tenth:.6g}"

    # noisy first points (a steep fall there), a spike falling back after the minimum, then inf and nan
    noisy = losses.copy()
    noisy[:5] += [3.0, 2.0, 1.0, 0.5, 0.0]
    rates_out = list(rates) + [2.0, 4.0, 8.0, 16.0]
    losses_out = list(noisy) + [5.0, 1.2, np.inf, np.nan]
    steepest, tenth = suggest_learning_rates(rates_out, losses_out)
    assert np.isclose(steepest, 10**-2.5, rtol=1e-9) and np.isclose(tenth, 10**-3, rtol=1e-9), \
        f"steepest descent: the first 5 points, falls after the minimum and non-finite losses are left out: " \
        f"expected {10**-2.5:.6g} and 0.001, got {steepest:.6g} and {tenth:.6g}"
    steepest, _ = suggest_learning_rates(list(rates[3:]), list(noisy[3:]), skip_start=0)
    assert np.isclose(steepest, rates[3], rtol=1e-9), \
        f"skip_start=0 keeps the first points: the steepest fall is then at {rates[3]:.3g}, got {steepest:.3g}"
    ### BEGIN HIDDEN TESTS
    uneven = np.array([1e-4, 1e-3, 2e-3, 1e-2])
    steepest, tenth = suggest_learning_rates(uneven, [1.0, 0.9, 0.5, 0.45], skip_start=0)
    slopes = np.gradient([1.0, 0.9, 0.5, 0.45], np.log10(uneven))
    assert steepest == uneven[np.argmin(slopes)] and np.isclose(tenth, 1e-3)
    with pytest.raises(ValueError):
        suggest_learning_rates([1e-3, 1e-2], [1.0, np.nan], skip_start=0)
    ### END HIDDEN TESTS

test_suggest_learning_rates()

# %% [markdown]
# The sweep itself works with module 6's `Trainer`: its `train_step(inputs, targets)` does one update on one
# batch and returns the loss, and it reads the rate from `trainer.optimizer.learning_rate` at each step. The
# result comes back as an `LRFinderResult` (given), which can draw itself. If the loader has fewer batches
# than `steps`, the sweep goes through it again (`batches_forever`, given). A shuffled loader's order moves on
# during the sweep; the finder leaves that alone.

# %% nbgrader={"grade": false, "grade_id": "finder-result", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
@dataclass
class LRFinderResult:
    """What a learning-rate sweep recorded, one entry per batch, and the two suggestions."""

    learning_rates: list    # the rate of each batch
    losses: list            # each batch's loss, as train_step returned it
    smoothed_losses: list   # the bias-corrected moving average of the losses
    diverged: bool          # True if the sweep stopped on a loss that diverged
    steepest_lr: float      # the rate of the steepest fall of the smoothed loss
    min_div_10_lr: float    # a tenth of the rate of the lowest smoothed loss

    def plot(self, ax=None, title="Learning-rate finder"):
        """Loss against rate on a log axis, with both suggestions marked; returns the axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.subplots(figsize=(7, 3.5))[1]
        ax.plot(self.learning_rates, self.losses, color="0.75", linewidth=0.8, label="batch loss")
        ax.plot(self.learning_rates, self.smoothed_losses, color="tab:blue", label="smoothed loss")
        ax.axvline(self.steepest_lr, color="tab:green", linestyle="--",
                   label=f"steepest descent {self.steepest_lr:.2g}")
        ax.axvline(self.min_div_10_lr, color="tab:red", linestyle=":",
                   label=f"minimum / 10 {self.min_div_10_lr:.2g}")
        finite = [loss for loss in self.smoothed_losses if math.isfinite(loss)]
        if finite:
            low, start = min(finite), finite[0]
            ax.set_ylim(low - 0.1 * abs(start - low) - 1e-3, start + 0.6 * abs(start - low) + 1e-3)
        ax.set_xscale("log")
        ax.set(xlabel="learning rate", ylabel="loss", title=title)
        ax.legend(fontsize=8)
        return ax


def batches_forever(loader):
    """The loader's batches, epoch after epoch, without end."""
    if len(loader) == 0:
        raise ValueError("invalid loader: it has no batches")
    while True:
        yield from loader

# %% nbgrader={"grade": false, "grade_id": "find-learning-rate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def find_learning_rate(trainer, loader, min_lr=1e-7, max_lr=10.0, steps=100, smoothing=0.95, diverge_factor=4.0):
    """Sweep the rate exponentially from min_lr over at most `steps` batches; return an LRFinderResult.

    1. Check 0 < min_lr < max_lr (ValueError naming min_lr otherwise); factor = (max_lr / min_lr) ** (1 / steps).
    2. Save trainer.model.state_dict() and trainer.optimizer.state_dict() (which holds the rate).
    3. average = MovingAverage(smoothing, bias_correction=True); best = math.inf. For i = 0, 1, ..., steps - 1,
       taking one batch (inputs, targets) from batches_forever(loader) each time:
         rate = min_lr * factor ** i; set trainer.optimizer.learning_rate = rate;
         loss = trainer.train_step(inputs, targets).loss; smoothed = average.update(loss);
         record rate, loss and smoothed;
         if loss is not finite or smoothed > diverge_factor * best: stop (diverged);
         best = min(best, smoothed).
    4. Always, even if a step raised: load both saved states back (use try/finally).
    5. Return LRFinderResult(rates, losses, smoothed losses, diverged, *suggest_learning_rates(rates, smoothed)).
    """
    ### BEGIN SOLUTION
    if not 0 < min_lr < max_lr:
        raise ValueError(f"invalid min_lr: {min_lr!r} (must be > 0 and below max_lr {max_lr!r})")
    _check_positive_integer("steps", steps)
    factor = (max_lr / min_lr) ** (1 / steps)
    model, optimizer = trainer.model, trainer.optimizer
    saved_model, saved_optimizer = model.state_dict(), optimizer.state_dict()
    average = MovingAverage(smoothing, bias_correction=True)
    rates, losses, smoothed_losses = [], [], []
    best, diverged = math.inf, False
    batches = batches_forever(loader)
    try:
        for step in range(steps):
            inputs, targets = next(batches)
            rate = min_lr * factor**step
            optimizer.learning_rate = rate
            loss = trainer.train_step(inputs, targets).loss
            smoothed = average.update(loss)
            rates.append(rate)
            losses.append(loss)
            smoothed_losses.append(smoothed)
            if not math.isfinite(loss) or smoothed > diverge_factor * best:
                diverged = True
                break
            best = min(best, smoothed)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
    return LRFinderResult(rates, losses, smoothed_losses, diverged, *suggest_learning_rates(rates, smoothed_losses))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-find-learning-rate", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_find_learning_rate():
    """The sweep multiplies the rate by (max/min)**(1/steps) per batch, records each batch's loss, and smooths
    the losses with a bias-corrected moving average."""
    from tinytorch.core.optimizers import SGD
    from tinytorch.core.data import DataLoader, TensorDataset
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import MSELoss
    from tinytorch.core.training import Trainer

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(48, 1))
    loader = DataLoader(TensorDataset(x, y), batch_size=16)  # 3 batches, in order
    model = Linear(3, 1, rng=0)
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=0.05))
    result = find_learning_rate(trainer, loader, min_lr=1e-4, max_lr=0.1, steps=10, smoothing=0.9)

    factor = (0.1 / 1e-4) ** (1 / 10)
    expected_rates = [1e-4 * factor**i for i in range(10)]
    assert len(result.learning_rates) == 10 and not result.diverged, \
        f"the sweep: 10 steps without divergence expected, got {len(result.learning_rates)} (diverged {result.diverged})"
    assert np.allclose(result.learning_rates, expected_rates, rtol=1e-12), \
        f"the sweep's rates: min_lr * factor**i with factor (max/min)**(1/steps): expected " \
        f"{np.round(expected_rates, 6)}, got {np.round(result.learning_rates, 6)}"

    twin = Linear(3, 1, rng=0)  # the same steps, by hand
    twin_trainer = Trainer(twin, MSELoss(), SGD(twin.parameters(), learning_rate=0.05))
    batches, expected_losses = list(loader), []
    for i, rate in enumerate(expected_rates):
        twin_trainer.optimizer.learning_rate = rate
        expected_losses.append(twin_trainer.train_step(*batches[i % 3]).loss)
    assert np.allclose(result.losses, expected_losses, rtol=1e-12), \
        f"the sweep's losses: one train_step per batch at each rate, cycling through the loader: expected " \
        f"{np.round(expected_losses, 5)}, got {np.round(result.losses, 5)}"

    average, expected_smoothed = 0.0, []
    for t, loss in enumerate(result.losses, start=1):
        average = 0.9 * average + 0.1 * loss
        expected_smoothed.append(average / (1 - 0.9**t))
    assert np.allclose(result.smoothed_losses, expected_smoothed, rtol=1e-12), \
        f"bias correction: the smoothed losses are the moving average divided by 1 - smoothing**t: expected " \
        f"{np.round(expected_smoothed, 5)}, got {np.round(result.smoothed_losses, 5)}"
    suggestions = suggest_learning_rates(expected_rates, expected_smoothed)
    assert (result.steepest_lr, result.min_div_10_lr) == suggestions, \
        f"the suggestions: expected suggest_learning_rates of the sweep, {suggestions}, got " \
        f"{(result.steepest_lr, result.min_div_10_lr)}"
    ### BEGIN HIDDEN TESTS
    with pytest.raises(ValueError, match="min_lr"):
        find_learning_rate(trainer, loader, min_lr=1.0, max_lr=0.1)
    ### END HIDDEN TESTS

test_find_learning_rate()

# %% nbgrader={"grade": true, "grade_id": "test-find-learning-rate-divergence", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_find_learning_rate_divergence():
    """The sweep stops at the first batch whose loss is not finite or whose smoothed loss exceeds 4 times the
    lowest smoothed loss before it."""
    from tinytorch.core.optimizers import SGD
    from tinytorch.core.data import DataLoader, TensorDataset
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import MSELoss
    from tinytorch.core.training import Trainer

    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4))
    y = x @ rng.normal(size=(4, 1))
    model = Linear(4, 1, rng=1)
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), learning_rate=0.01))
    result = find_learning_rate(trainer, DataLoader(TensorDataset(x, y), batch_size=16), min_lr=1e-3,
                                max_lr=1e3, steps=60, smoothing=0.7)
    smoothed = result.smoothed_losses
    assert result.diverged and len(smoothed) < 60, \
        f"divergence: SGD on a linear model diverges past a rate of about 1: the sweep should stop early, " \
        f"it ran {len(smoothed)} of 60 steps (diverged {result.diverged})"
    last, loss = smoothed[-1], result.losses[-1]
    assert not math.isfinite(loss) or last > 4 * min(smoothed[:-1]), \
        f"divergence: the last step should be the one that diverged: smoothed {last:.4g}, lowest before " \
        f"{min(smoothed[:-1]):.4g}"
    for i in range(1, len(smoothed) - 1):
        assert smoothed[i] <= 4 * min(smoothed[:i]), \
            f"divergence: step {i} (smoothed loss {smoothed[i]:.4g}, more than 4 x {min(smoothed[:i]):.4g}) " \
            "should have stopped the sweep"

test_find_learning_rate_divergence()

# %% nbgrader={"grade": true, "grade_id": "test-find-learning-rate-restores", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_find_learning_rate_restores():
    """After the sweep, the weights, the optimizer's state and its rate are exactly what they were: training
    continues as if the finder had never run."""
    from tinytorch.core.optimizers import Adam
    from tinytorch.core.data import DataLoader, TensorDataset
    from tinytorch.core.layers import Linear, ReLU, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.training import Trainer

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)

    def make_trainer():
        model = Sequential(Linear(5, 8, rng=3), ReLU(), Linear(8, 3, rng=4))
        return Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.02))

    trainer, twin = make_trainer(), make_trainer()
    for _ in range(2):  # some optimizer state to restore
        trainer.train_step(x[:10], y[:10])
        twin.train_step(x[:10], y[:10])
    find_learning_rate(trainer, DataLoader(TensorDataset(x, y), batch_size=10), min_lr=1e-3, max_lr=1e4, steps=30)
    for name, value in twin.model.state_dict().items():
        assert np.array_equal(trainer.model.state_dict()[name], value), \
            f"restoring the weights: {name} differs from before the sweep"
    assert trainer.optimizer.learning_rate == 0.02, \
        f"restoring the rate: expected 0.02, got {trainer.optimizer.learning_rate}"
    after, before = trainer.optimizer.state_dict()["state"], twin.optimizer.state_dict()["state"]
    assert after.keys() == before.keys() and all(
        np.array_equal(after[index][key], before[index][key]) for index in before for key in before[index]), \
        "restoring the optimizer's state: Adam's averages and step counts differ from before the sweep"
    losses = [trainer.train_step(x[10:20], y[10:20]).loss, twin.train_step(x[10:20], y[10:20]).loss]
    assert losses[0] == losses[1], f"restoring: the next step should give {losses[1]}, got {losses[0]}"
    ### BEGIN HIDDEN TESTS
    class Broken:
        """A loader whose second batch makes the model fail."""

        def __len__(self):
            return 2

        def __iter__(self):
            yield x[:10], y[:10]
            yield x[:10, :2], y[:10]

    with pytest.raises(Exception):
        find_learning_rate(trainer, Broken(), min_lr=1.0, max_lr=10.0, steps=5)
    for name, value in twin.model.state_dict().items():
        assert np.array_equal(trainer.model.state_dict()[name], value), \
            f"restoring the weights after an error: {name} differs"
    ### END HIDDEN TESTS

test_find_learning_rate_restores()

# %% [markdown]
# ## 10. The finder on real data
#
# On scikit-learn's digits (module 6): an MLP with two hidden layers of 128 units and Adam. The sweep goes from
# $10^{-5}$ to 10 over at most 100 batches of 64 (five epochs of this small training set) and takes about a
# second.

# %%
from tinytorch.core.data import DataLoader, TensorDataset, load_digits, load_mnist1d
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.training import Trainer


def mlp(inputs, hidden, classes, seed=0):
    """inputs -> hidden -> hidden -> classes, with ReLU."""
    return Sequential(Linear(inputs, hidden, rng=seed), ReLU(), Linear(hidden, hidden, rng=seed + 1), ReLU(),
                      Linear(hidden, classes, rng=seed + 2))


digits = load_digits()
model = mlp(64, 128, 10)
digits_finder = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=1e-3))
digits_sweep = find_learning_rate(digits_finder,
                                  DataLoader(TensorDataset(*digits.train), batch_size=64, shuffle=True, seed=0),
                                  min_lr=1e-5, max_lr=10.0, steps=100)
print(f"{len(digits_sweep.learning_rates)} batches, diverged: {digits_sweep.diverged}; suggestions: steepest "
      f"{digits_sweep.steepest_lr:.3g}, minimum / 10 {digits_sweep.min_div_10_lr:.3g}")
digits_sweep.plot(title="Learning-rate finder: MLP on digits, Adam")
plt.show()

# %% [markdown]
# The smoothed loss stays near 2.5 (a little above $\ln 10 \approx 2.3$: the untrained network is worse than a
# uniform guess) up to a rate of a few $10^{-4}$, falls steadily from $10^{-3}$ to about 0.2, then blows up
# within a few batches, which stops the sweep. The steepest fall is near $10^{-2}$, and the two rules agree
# within a factor of two. Now train for real: `OneCycleLR` with `max_lr` at the steepest-descent rate, stepped
# after every batch, for 15 epochs.

# %% nbgrader={"grade": true, "grade_id": "test-finder-and-schedule-on-digits", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
def test_finder_and_schedule_on_digits():
    """A rate from your finder, used as the peak of a one-cycle schedule, trains an MLP to at least 97% test
    accuracy on digits in 15 epochs."""
    from tinytorch.core.data import DataLoader, TensorDataset, load_digits
    from tinytorch.core.layers import Linear, ReLU, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import Adam
    from tinytorch.core.training import Trainer

    data = load_digits()
    model = Sequential(Linear(64, 128, rng=0), ReLU(), Linear(128, 128, rng=1), ReLU(), Linear(128, 10, rng=2))
    finder = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=1e-3))
    sweep = find_learning_rate(finder, DataLoader(TensorDataset(*data.train), batch_size=64, shuffle=True, seed=0),
                               min_lr=1e-5, max_lr=10.0, steps=100)
    assert 1e-3 < sweep.steepest_lr < 0.1, \
        f"the finder on digits: the steepest descent should lie between 1e-3 and 0.1, got {sweep.steepest_lr:.3g}"
    optimizer = Adam(model.parameters(), learning_rate=sweep.steepest_lr)
    loader = DataLoader(TensorDataset(*data.train), batch_size=64, shuffle=True, seed=0)
    schedule = OneCycleLR(optimizer, max_lr=sweep.steepest_lr, epochs=15, steps_per_epoch=len(loader))
    trainer = Trainer(model, CrossEntropyLoss(), optimizer, scheduler=schedule, scheduler_interval="batch")
    trainer.fit(loader, epochs=15, verbose=0)
    accuracy = trainer.evaluate(DataLoader(TensorDataset(*data.test), batch_size=500))["accuracy"]
    assert accuracy >= 0.97, f"digits after the finder and 15 epochs of one-cycle: expected at least 97% test " \
                             f"accuracy, got {accuracy:.1%}"

test_finder_and_schedule_on_digits()

# %% [markdown]
# ### MNIST-1D
#
# MNIST-1D (module 6) is harder for an MLP, which makes the choice of rate show. Below, the finder's sweep, then
# the same MLP (two hidden layers of 128) trained with Adam four ways for the same number of epochs: at Adam's
# usual default of $10^{-3}$, at each of the two suggested rates held constant, and with one-cycle peaking at
# the minimum / 10 rate. The run is short (15 epochs; set `TINYTORCH_FULL_RUNS=1` for 40).

# %%
MNIST1D_EPOCHS = 40 if FULL_RUNS else 15
mnist1d = load_mnist1d()
model = mlp(40, 128, 10)
mnist1d_sweep = find_learning_rate(Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=1e-3)),
                                   DataLoader(TensorDataset(*mnist1d.train), batch_size=64, shuffle=True, seed=0),
                                   min_lr=1e-5, max_lr=10.0, steps=100)
print(f"suggestions: steepest {mnist1d_sweep.steepest_lr:.3g}, minimum / 10 {mnist1d_sweep.min_div_10_lr:.3g}")


def mnist1d_run(rate, one_cycle=False, epochs=MNIST1D_EPOCHS):
    """Adam at `rate` (constant, or as the peak of one cycle); returns (History, test accuracy)."""
    model = mlp(40, 128, 10)
    optimizer = Adam(model.parameters(), learning_rate=rate)
    loader = DataLoader(TensorDataset(*mnist1d.train), batch_size=64, shuffle=True, seed=0)
    schedule = {}
    if one_cycle:
        schedule = {"scheduler": OneCycleLR(optimizer, max_lr=rate, epochs=epochs, steps_per_epoch=len(loader)),
                    "scheduler_interval": "batch"}
    trainer = Trainer(model, CrossEntropyLoss(), optimizer, **schedule)
    history = trainer.fit(loader, epochs=epochs, verbose=0,
                          val_loader=DataLoader(TensorDataset(*mnist1d.validation), batch_size=500))
    return history, trainer.evaluate(DataLoader(TensorDataset(*mnist1d.test), batch_size=500))["accuracy"]


mnist1d_runs = {
    "constant 1e-3": mnist1d_run(1e-3),
    f"constant {mnist1d_sweep.steepest_lr:.2g} (steepest)": mnist1d_run(mnist1d_sweep.steepest_lr),
    f"constant {mnist1d_sweep.min_div_10_lr:.2g} (minimum / 10)": mnist1d_run(mnist1d_sweep.min_div_10_lr),
    f"one cycle, peak {mnist1d_sweep.min_div_10_lr:.2g}": mnist1d_run(mnist1d_sweep.min_div_10_lr, one_cycle=True),
}
fig, axes = plt.subplots(1, 3, figsize=(15, 3.5))
mnist1d_sweep.plot(axes[0], title="Learning-rate finder: MLP on MNIST-1D")
for name, (history, test_accuracy) in mnist1d_runs.items():
    axes[1].plot(history.epochs["epoch"], history.epochs["loss"], label=name)
    axes[2].plot(history.epochs["epoch"], history.epochs["val_accuracy"], label=f"{name}: test {test_accuracy:.1%}")
axes[1].set(xlabel="epoch", ylabel="training loss", yscale="log", title="Training loss")
axes[2].set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy")
axes[1].legend(fontsize=7)
axes[2].legend(fontsize=7)
fig.tight_layout()
plt.show()
for name, (history, test_accuracy) in mnist1d_runs.items():
    print(f"{name:<32} test accuracy {test_accuracy:.1%}")

# %% [markdown]
# In the short run the default rate is far too timid: about 55% test accuracy, against 61% to 67% for the
# finder's rates. At a constant rate the training loss stalls (minimum / 10) or jumps about (steepest) in the
# last epochs; the one-cycle run reaches the lowest training loss and the best test accuracy, because its last
# epochs, at tiny rates, let the weights settle. The
# finder does not know about schedules: it measures which rates are stable for a few batches at the start of
# training, which is why the peak of a schedule can sit at or above its suggestions.
#
# ## Question 1: choosing a schedule
#
# For each situation, say which schedule from this module you would use, with which settings (relative to a
# rate found by the finder), and why: (a) fine-tuning a pretrained transformer for 3 epochs with AdamW; (b)
# training a ResNet from scratch for 90 epochs with SGD and momentum, where you know the recipe that worked
# last time; (c) a new model on a new data set, where you cannot tell in advance how many epochs it needs;
# (d) a budget of exactly 2,000 steps, where you want the best model at the end.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-choosing-a-schedule", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# (a) Linear warm-up then decay (`SequentialLR` of `LinearLR` and a cosine or linear decay, or
# `WarmupCosineRestarts` without restarts): a warm-up of a few percent of the steps, because Adam's second-moment
# estimates are unreliable for the first steps and large early updates damage the pretrained weights; a peak
# well below the finder's suggestion (fine-tuning should move the weights little), decaying towards 0 by the end
# of the 3 epochs. Stepped per batch.
#
# (b) `MultiStepLR(milestones=[30, 60], gamma=0.1)` per epoch (or a cosine over 90 epochs), from the rate that
# worked before, possibly with a few epochs of `LinearLR` warm-up if the batch is large. The recipe is known to
# work, so reproducing it is worth more than novelty; the finder only confirms the base rate is still stable.
#
# (c) `ReduceLROnPlateau` on the validation loss (patience of a few epochs, factor 0.1 to 0.5, some cooldown),
# together with early stopping, starting at the minimum / 10 rate. It needs no run length in advance; cosine
# and one-cycle schedules do, and stopping them early leaves the rate high. Warm restarts are an alternative:
# each cycle end is a reasonable model, so the run can stop at any restart.
#
# (d) `OneCycleLR` with `total_steps=2000`, stepped per batch, `max_lr` near the finder's steepest descent or
# somewhat above the minimum / 10 rate: a known budget is what one-cycle needs, its large middle rates explore,
# and its long tail ends at a tiny rate, so the last weights are the best ones. A warm-up plus cosine to 0 over
# the 2,000 steps is a close second.

# %% [markdown]
# ## Question 2: reading a finder's curve
#
# A classmate's finder curve is flat from $10^{-7}$ to $10^{-1}$, dips slightly, and the sweep stops at 0.3 with
# a smoothed loss 4 times the best. Give two reasons the curve could be flat for six decades, and say how you
# would check each. Why would a sweep with `smoothing` close to 1 point at rates that are too high, and why
# does the finder's result depend on the batch size?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-reading-a-finder", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# A flat curve means the updates do not change the loss. Either the steps are too small for the model to notice
# until very high rates (badly scaled inputs, or a loss whose gradient is tiny, e.g. saturated sigmoids or dead
# ReLUs after a bad initialisation), or the gradients do not reach the weights (a bug: the optimizer holds other
# parameters than the model, `zero_grad` after `backward`, a detached computation). Check the gradient norm per
# layer during the sweep (zero or tiny means no signal) and overfit one batch at a fixed rate; check the input
# statistics and the fraction of active units. With a very noisy loss (tiny batches) a real fall can also drown
# in noise.
#
# The moving average lags behind the raw loss by about 1 / (1 - smoothing) batches. With smoothing 0.99 the
# curve shows the loss of about 100 batches earlier, so its minimum and its steepest fall appear at rates
# reached 100 batches later, often several times higher, and the divergence is detected late. Bias correction
# fixes the start of the average, not this lag.
#
# The batch size sets the noise of each gradient and the number of examples per step. Larger batches give less
# noisy gradients, which tolerate larger rates (roughly in proportion to the batch size for SGD, until the
# curvature limits the step), so the curve shifts to the right; smaller batches blow up sooner. The finder's
# answer is for the batch size, model and optimizer it was run with, and must be redone when any of them
# changes.

# %% [markdown]
# ## What you built
#
# `tinytorch.core.schedulers`, the one home of every scheduler: module 3's `StepLR`, `ExponentialLR` and
# `CosineAnnealingLR` (the same classes), and `MultiStepLR`, `LinearLR`, `LambdaLR`,
# `CosineAnnealingWarmRestarts`, `OneCycleLR`, `ReduceLROnPlateau`, `SequentialLR` and `ChainedScheduler`, each
# matching `torch.optim.lr_scheduler` step by step, with checkpoints that resume exactly; `WarmupCosineRestarts`,
# your own schedule; and a learning-rate finder that sweeps, smooths with bias correction, stops on divergence,
# restores the model and optimizer bit for bit, and suggests two rates. The habit to keep: spend a second on a
# sweep before spending an hour on a run, and pick the schedule from what you know about the run's length.
