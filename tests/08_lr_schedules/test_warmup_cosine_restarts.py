"""WarmupCosineRestarts: the warm-up's end, mid-cycle values, the steps before and after each restart, and agreement
with SequentialLR(LinearLR, CosineAnnealingWarmRestarts) (ours and torch's) where the two schedules coincide."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD
from tinytorch.core.schedulers import CosineAnnealingWarmRestarts, LinearLR, SequentialLR, WarmupCosineRestarts

T = torch.optim.lr_scheduler


def rates(learning_rate, steps, **settings):
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=learning_rate)
    scheduler = WarmupCosineRestarts(optimizer, **settings)
    seen = [optimizer.learning_rate]
    for _ in range(steps):
        scheduler.step()
        seen.append(optimizer.learning_rate)
    return seen


def closed_form(step, warmup, first, mult, max_lr, min_lr, decay):
    """The schedule written independently: cycle boundaries from the geometric series."""
    if step < warmup:
        return min_lr + (max_lr - min_lr) * step / warmup
    position, start, length, cycle = step - warmup, 0.0, float(first), 0
    while position >= start + length:
        start, length, cycle = start + length, length * mult, cycle + 1
    peak = max_lr * decay**cycle
    return min_lr + (peak - min_lr) * (1 + math.cos(math.pi * (position - start) / length)) / 2


def test_warmup_end_mid_cycle_and_restarts():
    """Warm-up 10 steps to 1.0; cycles of 8, 16, 32 steps starting at 10, 18, 34, with peaks 1, 0.6, 0.36."""
    got = rates(0.5, 80, warmup_steps=10, first_cycle_steps=8, cycle_mult=2, max_lr=1.0, min_lr=0.05,
                decay_per_cycle=0.6)
    assert got[0] == 0.05, "the warm-up starts at min_lr"
    assert got[9] == pytest.approx(0.05 + 0.95 * 0.9, rel=1e-12), "the last warm-up step"
    assert got[10] == pytest.approx(1.0, rel=1e-12), "the warm-up ends at max_lr"
    assert got[14] == pytest.approx(0.05 + 0.95 * 0.5, rel=1e-12), "half-way through the first cycle"
    for restart, peak, before_peak, length_before, length in ((18, 0.6, 1.0, 8, 16), (34, 0.36, 0.6, 16, 32)):
        before = 0.05 + (before_peak - 0.05) * (1 + math.cos(math.pi * (length_before - 1) / length_before)) / 2
        after = 0.05 + (peak - 0.05) * (1 + math.cos(math.pi / length)) / 2
        assert got[restart - 1] == pytest.approx(before, rel=1e-12), f"the step before the restart at {restart}"
        assert got[restart] == pytest.approx(peak, rel=1e-12), f"the restart at {restart}"
        assert got[restart + 1] == pytest.approx(after, rel=1e-12), f"the step after the restart at {restart}"
    assert got[34 + 16] == pytest.approx(0.05 + 0.31 * 0.5, rel=1e-12), "half-way through the third cycle"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(warmup=st.integers(0, 12), first=st.integers(1, 12), mult=st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0]),
       min_fraction=st.floats(0.0, 0.9), decay=st.floats(0.3, 1.0))
def test_every_step_follows_the_closed_form(warmup, first, mult, min_fraction, decay):
    """For random settings, every step's rate is the closed form's (with fractional cycle lengths too)."""
    max_lr, min_lr = 0.4, 0.4 * min_fraction
    got = rates(max_lr, 150, warmup_steps=warmup, first_cycle_steps=first, cycle_mult=mult, min_lr=min_lr,
                decay_per_cycle=decay)
    expected = [closed_form(k, warmup, first, mult, max_lr, min_lr, decay) for k in range(151)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(warmup=st.integers(1, 12), first=st.integers(1, 10), mult=st.integers(1, 3), min_fraction=st.floats(0.01, 0.9))
def test_without_decay_it_is_linear_lr_then_warm_restarts(warmup, first, mult, min_fraction):
    """With decay_per_cycle=1 and a whole-number cycle_mult, the rates are those of SequentialLR(LinearLR,
    CosineAnnealingWarmRestarts), ours and torch's, at every step."""
    max_lr = 0.2
    min_lr = max_lr * min_fraction
    got = rates(max_lr, 120, warmup_steps=warmup, first_cycle_steps=first, cycle_mult=mult, min_lr=min_lr)
    ours = SGD([Variable(np.zeros(1))], learning_rate=max_lr)
    sequence = SequentialLR(ours, [LinearLR(ours, min_lr / max_lr, 1.0, warmup),
                                   CosineAnnealingWarmRestarts(ours, first, mult, min_lr)], milestones=[warmup])
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_lr)
    torch_sequence = T.SequentialLR(theirs, [T.LinearLR(theirs, min_lr / max_lr, 1.0, warmup),
                                             T.CosineAnnealingWarmRestarts(theirs, first, mult, min_lr)],
                                    milestones=[warmup])
    combined, torch_combined = [ours.learning_rate], [theirs.param_groups[0]["lr"]]
    for _ in range(120):
        sequence.step()
        theirs.step()
        torch_sequence.step()
        combined.append(ours.learning_rate)
        torch_combined.append(torch_sequence.get_last_lr()[0])
    np.testing.assert_allclose(got, combined, rtol=1e-12)
    np.testing.assert_allclose(got, torch_combined, rtol=1e-12)


def test_a_checkpoint_resumes_exactly():
    settings = dict(warmup_steps=5, first_cycle_steps=7, cycle_mult=1.5, min_lr=0.001, decay_per_cycle=0.8)
    optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.1)
    scheduler = WarmupCosineRestarts(optimizer, **settings)
    for _ in range(13):
        scheduler.step()
    saved = scheduler.state_dict()
    fresh_optimizer = SGD([Variable(np.zeros(1))], learning_rate=0.7)
    fresh = WarmupCosineRestarts(fresh_optimizer, **settings)
    fresh.load_state_dict(saved)
    for _ in range(40):
        scheduler.step()
        fresh.step()
        assert fresh_optimizer.learning_rate == optimizer.learning_rate


@pytest.mark.parametrize("bad", [dict(warmup_steps=-1), dict(first_cycle_steps=0), dict(cycle_mult=0.5),
                                 dict(decay_per_cycle=0.0), dict(decay_per_cycle=1.5), dict(max_lr=0.01, min_lr=0.1)])
def test_invalid_settings_are_refused(bad):
    settings = {"warmup_steps": 2, "first_cycle_steps": 5, **bad}
    name = next(iter(bad)) if "min_lr" not in bad else "max_lr"
    with pytest.raises(ValueError, match=name):
        WarmupCosineRestarts(SGD([Variable(np.zeros(1))], learning_rate=0.1), **settings)
