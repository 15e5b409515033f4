"""Every scheduler of tinytorch.core.schedulers against torch.optim.lr_scheduler, at every step, over several periods.

After construction and after each step(), the optimizer's rate and get_last_lr() must be torch's (and, for
OneCycleLR, the momentum or beta1 it writes). A state_dict() saved mid-run (with the optimizer's), loaded into a
fresh optimizer and scheduler, must continue exactly like the uninterrupted run. ReduceLROnPlateau is fed the
same metric sequence as torch's.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from tinytorch.core import optimizers, schedulers
from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.schedulers import (
    ChainedScheduler,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    WarmupCosineRestarts,
)

RTOL = 1e-10
T = torch.optim.lr_scheduler


def optimizer_pair(learning_rate, kind="SGD", momentum=0.0):
    """(ours, torch's), with one parameter each."""
    if kind == "SGD":
        return (SGD([Variable(np.zeros(1))], learning_rate=learning_rate, momentum=momentum),
                torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=learning_rate, momentum=momentum))
    return (Adam([Variable(np.zeros(1))], learning_rate=learning_rate),
            torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=learning_rate))


def momentum_of(optimizer):
    if isinstance(optimizer, torch.optim.Optimizer):
        group = optimizer.param_groups[0]
        return group["betas"][0] if "betas" in group else group["momentum"]
    return optimizer.beta1 if isinstance(optimizer, Adam) else optimizer.momentum


def close(got, expected, what):
    assert abs(got - expected) <= RTOL * abs(expected) + 1e-300, f"{what}: expected {expected!r}, got {got!r}"


def run(make_ours, make_theirs, learning_rate, steps, kind="SGD", momentum=0.0, save_at=None, metrics=None,
        check_momentum=False):
    """Step ours and torch's side by side and compare after construction and every step; with save_at, also
    resume ours from a checkpoint taken after that many steps and compare the rest with the uninterrupted run."""
    ours_optimizer, torch_optimizer = optimizer_pair(learning_rate, kind, momentum)
    ours, theirs = make_ours(ours_optimizer), make_theirs(torch_optimizer)
    close(ours_optimizer.learning_rate, torch_optimizer.param_groups[0]["lr"], "after construction")
    rates = [ours_optimizer.learning_rate]
    resumed = None
    for k in range(1, steps + 1):
        torch_optimizer.step()  # no gradients: nothing moves, but torch wants optimizer.step() first
        if metrics is None:
            ours.step()
            theirs.step()
        else:
            ours.step(metrics[k - 1])
            theirs.step(metrics[k - 1])
        expected = theirs.get_last_lr()[0]
        close(ours_optimizer.learning_rate, expected, f"the rate after {k} steps")
        close(ours.get_last_lr(), expected, f"get_last_lr() after {k} steps")
        if check_momentum:
            close(momentum_of(ours_optimizer), momentum_of(torch_optimizer), f"the momentum after {k} steps")
        rates.append(ours_optimizer.learning_rate)
        if k == save_at:
            scheduler_state, optimizer_state = ours.state_dict(), ours_optimizer.state_dict()
            fresh_optimizer = optimizer_pair(123.0, kind, momentum)[0]
            resumed = (make_ours(fresh_optimizer), fresh_optimizer)
            resumed[1].load_state_dict(optimizer_state)
            resumed[0].load_state_dict(scheduler_state)
            assert resumed[1].learning_rate == ours_optimizer.learning_rate, f"the rate restored after {k} steps"
        elif resumed is not None:
            if metrics is None:
                resumed[0].step()
            else:
                resumed[0].step(metrics[k - 1])
            assert resumed[1].learning_rate == ours_optimizer.learning_rate, \
                f"resumed after {save_at} steps: the rate after {k} steps differs from the uninterrupted run"
            if check_momentum:
                assert momentum_of(resumed[1]) == momentum_of(ours_optimizer), f"resumed: momentum after {k} steps"
    return rates


def test_one_home_for_every_scheduler():
    """Are module 3's schedulers the same classes in tinytorch.core.schedulers, and every scheduler an LRScheduler?"""
    for name in ("LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"):
        assert getattr(schedulers, name) is getattr(optimizers, name)
    for scheduler in (MultiStepLR, LinearLR, LambdaLR, CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau,
                      SequentialLR, ChainedScheduler, WarmupCosineRestarts):
        assert issubclass(scheduler, optimizers.LRScheduler), scheduler


@pytest.mark.parametrize("milestones, gamma", [([3, 7, 7, 20], 0.5), ([30, 60], 0.1), ([1], 0.9), ([9, 2, 5], 0.3)])
def test_multistep_lr_matches_torch(milestones, gamma):
    run(lambda o: MultiStepLR(o, milestones, gamma), lambda o: T.MultiStepLR(o, milestones, gamma), 0.1, 80,
        save_at=4)


@pytest.mark.parametrize("start_factor, end_factor, total_iters", [
    (1 / 3, 1.0, 5), (0.1, 1.0, 10), (1.0, 0.1, 7), (0.5, 0.0, 3), (0.01, 0.8, 1), (0.25, 0.25, 4)])
def test_linear_lr_matches_torch(start_factor, end_factor, total_iters):
    run(lambda o: LinearLR(o, start_factor, end_factor, total_iters),
        lambda o: T.LinearLR(o, start_factor, end_factor, total_iters), 0.3, 3 * total_iters + 5,
        save_at=max(1, total_iters // 2))


def test_lambda_lr_matches_torch():
    def inverse_sqrt(k):
        return 1 / math.sqrt(1 + k)

    run(lambda o: LambdaLR(o, inverse_sqrt), lambda o: T.LambdaLR(o, inverse_sqrt), 0.5, 60, save_at=20)
    run(lambda o: LambdaLR(o, lambda k: 0.95**k), lambda o: T.LambdaLR(o, lambda k: 0.95**k), 0.2, 40, save_at=7)


@pytest.mark.parametrize("T_0, T_mult, eta_min", [(1, 1, 0.0), (5, 1, 0.01), (2, 2, 0.0), (3, 3, 1e-4), (10, 2, 0.05),
                                                   (7, 1, 0.0)])
def test_cosine_warm_restarts_match_torch(T_0, T_mult, eta_min):
    """Several cycles, growing or not, and a checkpoint taken mid-cycle."""
    run(lambda o: CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min),
        lambda o: T.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min), 0.1, 150, save_at=T_0 + 1)


@pytest.mark.parametrize("kind, momentum", [("SGD", 0.9), ("SGD", 0.0), ("Adam", 0.0)])
@pytest.mark.parametrize("settings", [
    {"max_lr": 1.0, "total_steps": 10},
    {"max_lr": 0.1, "total_steps": 100, "pct_start": 0.25},
    {"max_lr": 0.05, "epochs": 4, "steps_per_epoch": 9, "anneal_strategy": "linear"},
    {"max_lr": 0.3, "total_steps": 61, "three_phase": True},
    {"max_lr": 0.3, "total_steps": 40, "three_phase": True, "anneal_strategy": "linear", "pct_start": 0.4,
     "div_factor": 10.0, "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9},
    {"max_lr": 2.0, "total_steps": 13, "cycle_momentum": False},
], ids=["default", "pct_start", "linear-epochs", "three-phase", "three-phase-linear", "no-momentum"])
def test_one_cycle_lr_matches_torch(settings, kind, momentum):
    """The rate and the momentum (or beta1) at every step to the end of the run (last_epoch = total_steps)."""
    total = settings.get("total_steps") or settings["epochs"] * settings["steps_per_epoch"]
    run(lambda o: OneCycleLR(o, **settings), lambda o: T.OneCycleLR(o, **settings), 0.01, total, kind=kind,
        momentum=momentum, save_at=total // 3, check_momentum=settings.get("cycle_momentum", True))


def test_one_cycle_lr_refuses_a_step_past_the_run():
    ours_optimizer, torch_optimizer = optimizer_pair(0.1)
    ours, theirs = OneCycleLR(ours_optimizer, 1.0, total_steps=5), T.OneCycleLR(torch_optimizer, 1.0, total_steps=5)
    for _ in range(5):
        torch_optimizer.step()
        ours.step()
        theirs.step()
    with pytest.raises(ValueError):
        theirs.step()
    with pytest.raises(ValueError, match="total_steps"):
        ours.step()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(total=st.integers(5, 80), pct=st.floats(0.05, 0.95), three_phase=st.booleans(),
       strategy=st.sampled_from(["cos", "linear"]), max_lr=st.floats(1e-4, 5.0))
def test_one_cycle_lr_matches_torch_for_random_settings(total, pct, three_phase, strategy, max_lr):
    if three_phase and 2 * pct * total - 2 >= total - 1:
        return  # torch's third phase would have no room; both divide by zero or extrapolate the same way
    if pct * total - 1 <= 0:
        return  # a first phase that ends before step 0: a division by zero in torch too
    settings = dict(max_lr=max_lr, total_steps=total, pct_start=pct, three_phase=three_phase,
                    anneal_strategy=strategy)
    run(lambda o: OneCycleLR(o, **settings), lambda o: T.OneCycleLR(o, **settings), 0.01, total, momentum=0.9,
        save_at=total // 2, check_momentum=True)


def plateau_metrics(seed, n=80):
    """A validation loss that falls, flattens with noise, and falls again: plenty of plateaus."""
    rng = np.random.default_rng(seed)
    trend = 1.0 / (1.0 + np.arange(n) / 8.0)
    trend[30:] = trend[30]
    trend[55:] -= 0.002 * np.arange(n - 55)
    return list(trend + 0.004 * rng.standard_normal(n))


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode, threshold", [("rel", 1e-4), ("rel", 0.01), ("abs", 0.003), ("abs", 0.0)])
@pytest.mark.parametrize("patience, cooldown, min_lr", [(0, 0, 0.0), (3, 0, 0.0), (2, 4, 0.0), (5, 2, 0.02),
                                                        (1, 1, 0.05)])
def test_reduce_lr_on_plateau_matches_torch(mode, threshold_mode, threshold, patience, cooldown, min_lr):
    """The same metric sequence (negated for mode='max'): the rate after every epoch, and a resumed run."""
    metrics = plateau_metrics(patience + 10 * cooldown)
    if mode == "max":
        metrics = [-value for value in metrics]
    settings = dict(mode=mode, factor=0.5, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
                    cooldown=cooldown, min_lr=min_lr)
    rates = run(lambda o: ReduceLROnPlateau(o, **settings), lambda o: T.ReduceLROnPlateau(o, **settings), 0.1,
                len(metrics), metrics=metrics, save_at=25)
    assert min(rates) < 0.1, "the sequence should make the rate drop at least once"


def test_reduce_lr_on_plateau_eps_matches_torch():
    """A cut smaller than eps is skipped, in torch and here."""
    settings = dict(factor=0.9, patience=0, min_lr=0.0, eps=0.02)
    run(lambda o: ReduceLROnPlateau(o, **settings), lambda o: T.ReduceLROnPlateau(o, **settings), 0.5, 30,
        metrics=[1.0] * 30)


def test_sequential_lr_matches_torch():
    """Warm-up then cosine; warm-up then warm restarts; three schedulers with two milestones."""
    cases = [
        (lambda o: SequentialLR(o, [LinearLR(o, 0.1, total_iters=5), CosineAnnealingLR(o, T_max=40, eta_min=1e-3)],
                                milestones=[5]),
         lambda o: T.SequentialLR(o, [T.LinearLR(o, 0.1, total_iters=5), T.CosineAnnealingLR(o, T_max=40,
                                                                                            eta_min=1e-3)],
                                  milestones=[5])),
        (lambda o: SequentialLR(o, [LinearLR(o, 0.05, total_iters=4),
                                    CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01)], milestones=[4]),
         lambda o: T.SequentialLR(o, [T.LinearLR(o, 0.05, total_iters=4),
                                      T.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01)],
                                  milestones=[4])),
        (lambda o: SequentialLR(o, [LinearLR(o, 0.2, total_iters=3), StepLR(o, step_size=4, gamma=0.5),
                                    ExponentialLR(o, gamma=0.9)], milestones=[3, 15]),
         lambda o: T.SequentialLR(o, [T.LinearLR(o, 0.2, total_iters=3), T.StepLR(o, step_size=4, gamma=0.5),
                                      T.ExponentialLR(o, gamma=0.9)], milestones=[3, 15])),
        (lambda o: SequentialLR(o, [ExponentialLR(o, gamma=0.9), MultiStepLR(o, [2, 6]), LinearLR(o, 0.5)],
                                milestones=[5, 12]),
         lambda o: T.SequentialLR(o, [T.ExponentialLR(o, gamma=0.9), T.MultiStepLR(o, [2, 6]), T.LinearLR(o, 0.5)],
                                  milestones=[5, 12])),
    ]
    for make_ours, make_theirs in cases:
        run(make_ours, make_theirs, 0.2, 60, save_at=7)


def test_chained_scheduler_matches_torch():
    cases = [
        (lambda o: ChainedScheduler([LinearLR(o, 0.1, total_iters=10), ExponentialLR(o, gamma=0.97)]),
         lambda o: T.ChainedScheduler([T.LinearLR(o, 0.1, total_iters=10), T.ExponentialLR(o, gamma=0.97)])),
        (lambda o: ChainedScheduler([CosineAnnealingLR(o, T_max=12, eta_min=0.001), MultiStepLR(o, [5, 20])]),
         lambda o: T.ChainedScheduler([T.CosineAnnealingLR(o, T_max=12, eta_min=0.001), T.MultiStepLR(o, [5, 20])])),
        (lambda o: ChainedScheduler([LinearLR(o, 0.5, total_iters=3), CosineAnnealingWarmRestarts(o, T_0=4)]),
         lambda o: T.ChainedScheduler([T.LinearLR(o, 0.5, total_iters=3), T.CosineAnnealingWarmRestarts(o, T_0=4)])),
    ]
    for make_ours, make_theirs in cases:
        run(make_ours, make_theirs, 0.1, 50, save_at=6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(T_0=st.integers(1, 12), T_mult=st.integers(1, 3), eta_fraction=st.floats(0.0, 0.9),
       warmup=st.integers(1, 15), start_fraction=st.floats(0.01, 1.0))
def test_warmup_then_restarts_matches_torch_for_random_settings(T_0, T_mult, eta_fraction, warmup, start_fraction):
    """SequentialLR(LinearLR, CosineAnnealingWarmRestarts) for random settings, and a resumed run."""
    eta_min = 0.3 * eta_fraction
    run(lambda o: SequentialLR(o, [LinearLR(o, start_fraction, total_iters=warmup),
                                   CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min)], milestones=[warmup]),
        lambda o: T.SequentialLR(o, [T.LinearLR(o, start_fraction, total_iters=warmup),
                                     T.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min)], milestones=[warmup]),
        0.3, 120, save_at=warmup + 2)


def test_a_scheduled_training_run_follows_torch():
    """SGD with momentum under OneCycleLR (momentum cycled too) trains exactly like torch's pair for 200 steps."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 4))
    mine, reference = Variable(start.copy()), torch.tensor(start.copy(), requires_grad=True)
    ours_optimizer = SGD([mine], learning_rate=0.01, momentum=0.9)
    torch_optimizer = torch.optim.SGD([reference], lr=0.01, momentum=0.9, foreach=False)
    ours, theirs = OneCycleLR(ours_optimizer, 0.2, total_steps=200), T.OneCycleLR(torch_optimizer, 0.2, total_steps=200)
    for _ in range(200):
        gradient = rng.standard_normal((3, 4))
        mine.grad = Variable(gradient.copy(), requires_grad=False)
        reference.grad = torch.tensor(gradient.copy())
        ours_optimizer.step()
        torch_optimizer.step()
        ours.step()
        theirs.step()
    expected = reference.detach().numpy()
    error = np.max(np.abs(mine.data.data - expected)) / np.max(np.abs(expected))
    assert error <= RTOL, f"relative error {error:.1e}"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), mode=st.sampled_from(["min", "max"]),
       threshold_mode=st.sampled_from(["rel", "abs"]), threshold=st.sampled_from([0.0, 1e-4, 0.01, 0.1]),
       factor=st.floats(0.05, 0.95), patience=st.integers(0, 6), cooldown=st.integers(0, 5),
       min_lr=st.sampled_from([0.0, 1e-3, 0.02]))
def test_reduce_lr_on_plateau_matches_torch_for_random_sequences(seed, mode, threshold_mode, threshold, factor,
                                                                 patience, cooldown, min_lr):
    """Random walks (ties included: values rounded to 2 decimals) and random settings, with a resumed run."""
    rng = np.random.default_rng(seed)
    metrics = list(np.round(1.0 + np.cumsum(rng.normal(0.0, 0.05, size=60)), 2))
    settings = dict(mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
                    cooldown=cooldown, min_lr=min_lr)
    run(lambda o: ReduceLROnPlateau(o, **settings), lambda o: T.ReduceLROnPlateau(o, **settings), 0.1, 60,
        metrics=metrics, save_at=int(rng.integers(1, 59)))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(milestones=st.lists(st.integers(1, 40), min_size=1, max_size=6), gamma=st.floats(0.01, 1.0),
       start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total=st.integers(1, 30))
def test_multistep_and_linear_lr_match_torch_for_random_settings(milestones, gamma, start, end, total):
    run(lambda o: MultiStepLR(o, milestones, gamma), lambda o: T.MultiStepLR(o, milestones, gamma), 0.2, 50,
        save_at=10)
    run(lambda o: LinearLR(o, start, end, total), lambda o: T.LinearLR(o, start, end, total), 0.2, 2 * total + 5,
        save_at=max(1, total // 2))
