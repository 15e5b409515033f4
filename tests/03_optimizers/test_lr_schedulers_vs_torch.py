"""StepLR, ExponentialLR and CosineAnnealingLR against torch.optim.lr_scheduler after every step() call."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam, CosineAnnealingLR, ExponentialLR, StepLR

RTOL = 1e-10


def paired_optimizers(learning_rate):
    ours = SGD([Variable(np.zeros(1))], learning_rate=learning_rate)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=learning_rate)
    return ours, theirs


def assert_same_rates(make_ours, make_theirs, learning_rate, steps, nudge_at=None):
    """Step both schedulers `steps` times; after construction and every call the rates must agree.

    With `nudge_at`, the optimizers' rates are halved by hand before that call, as a user might do: the
    recursive schedules then continue from the changed rate, in torch and here alike.
    """
    our_optimizer, torch_optimizer = paired_optimizers(learning_rate)
    ours, theirs = make_ours(our_optimizer), make_theirs(torch_optimizer)
    assert our_optimizer.learning_rate == torch_optimizer.param_groups[0]["lr"], "after construction"
    for k in range(1, steps + 1):
        if k == nudge_at:
            our_optimizer.learning_rate /= 2
            torch_optimizer.param_groups[0]["lr"] /= 2
        our_optimizer.step()  # no gradients: nothing moves, but torch wants optimizer.step() first
        torch_optimizer.step()
        ours.step()
        theirs.step()
        expected = theirs.get_last_lr()[0]
        got = our_optimizer.learning_rate
        assert abs(got - expected) <= RTOL * abs(expected), f"after {k} calls: expected {expected!r}, got {got!r}"
        assert ours.get_lr() == got and ours.get_last_lr() == got, f"get_lr()/get_last_lr() after {k} calls"
        assert ours.last_epoch == theirs.last_epoch == k


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9), (30, 0.5), (4, 1.0)])
def test_step_lr_matches_torch(step_size, gamma):
    """Does StepLR give torch's rate after every one of max(100, 3 step_size) calls?"""
    assert_same_rates(lambda o: StepLR(o, step_size, gamma),
                      lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma),
                      learning_rate=0.1, steps=max(100, 3 * step_size))


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99, 1.0, 0.0])
def test_exponential_lr_matches_torch(gamma):
    """Does ExponentialLR give torch's rate after every one of 100 calls?"""
    assert_same_rates(lambda o: ExponentialLR(o, gamma), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma),
                      learning_rate=0.3, steps=100)


@pytest.mark.parametrize(
    "T_max, eta_min, learning_rate",
    [(1, 0.0, 0.1), (2, 0.01, 1.0), (3, 0.0, 0.1), (7, 0.0, 0.1), (10, 0.001, 0.1), (33, 1e-4, 0.5),
     (100, 0.0, 1.0), (50, 0.0999, 0.1), (40, 0.1, 0.1), (64, 1e-6, 3e-4)],
)
def test_cosine_annealing_lr_matches_torch(T_max, eta_min, learning_rate):
    """Does CosineAnnealingLR give torch's rate after every call, up to 3 T_max and beyond, near eta_min too?"""
    assert_same_rates(lambda o: CosineAnnealingLR(o, T_max, eta_min),
                      lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min),
                      learning_rate=learning_rate, steps=max(100, 3 * T_max))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    T_max=st.integers(1, 60),
    eta_fraction=st.floats(0.0, 0.999),
    learning_rate=st.floats(1e-5, 10.0),
    nudge_at=st.one_of(st.none(), st.integers(1, 120)),
)
def test_cosine_annealing_lr_matches_torch_for_random_settings(T_max, eta_fraction, learning_rate, nudge_at):
    """For random T_max, eta_min and base rates, and a rate changed by hand mid-way, is every value torch's?"""
    eta_min = eta_fraction * learning_rate
    assert_same_rates(lambda o: CosineAnnealingLR(o, T_max, eta_min),
                      lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min),
                      learning_rate=learning_rate, steps=max(100, 3 * T_max), nudge_at=nudge_at)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(step_size=st.integers(1, 40), gamma=st.floats(0.01, 1.0), nudge_at=st.one_of(st.none(), st.integers(1, 100)))
def test_step_and_exponential_lr_match_torch_for_random_settings(step_size, gamma, nudge_at):
    """For random settings, and a rate changed by hand mid-way, do StepLR and ExponentialLR follow torch?"""
    assert_same_rates(lambda o: StepLR(o, step_size, gamma),
                      lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma),
                      learning_rate=0.2, steps=max(100, 3 * step_size), nudge_at=nudge_at)
    assert_same_rates(lambda o: ExponentialLR(o, gamma), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma),
                      learning_rate=0.2, steps=100, nudge_at=nudge_at)


def test_a_scheduled_optimizer_follows_torch():
    """Do Adam + CosineAnnealingLR and SGD + StepLR train exactly like torch's pair for 300 steps?"""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 4))
    cases = [
        (lambda ps: Adam(ps, learning_rate=0.01), lambda o: CosineAnnealingLR(o, T_max=100, eta_min=1e-4),
         lambda ps: torch.optim.Adam(ps, lr=0.01, foreach=False),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100, eta_min=1e-4)),
        (lambda ps: SGD(ps, learning_rate=0.05, momentum=0.9), lambda o: StepLR(o, step_size=40, gamma=0.3),
         lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, foreach=False),
         lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=40, gamma=0.3)),
    ]
    for make_ours, schedule_ours, make_theirs, schedule_theirs in cases:
        mine = Variable(start.copy())
        reference = torch.tensor(start.copy(), requires_grad=True)
        our_optimizer, torch_optimizer = make_ours([mine]), make_theirs([reference])
        our_scheduler, torch_scheduler = schedule_ours(our_optimizer), schedule_theirs(torch_optimizer)
        for _ in range(300):
            gradient = rng.standard_normal((3, 4))
            mine.grad = Variable(gradient.copy(), requires_grad=False)
            reference.grad = torch.tensor(gradient.copy())
            our_optimizer.step()
            torch_optimizer.step()
            our_scheduler.step()
            torch_scheduler.step()
        expected = reference.detach().numpy()
        error = np.max(np.abs(mine.data.data - expected)) / np.max(np.abs(expected))
        assert error <= RTOL, f"{our_optimizer!r} with {type(our_scheduler).__name__}: relative error {error:.1e}"
