"""What optimizers keep and allocate: state of exactly 0, P, 2P or 3P numbers, and no per-step copies.

P is the number of parameter numbers. The state is created once, at a parameter's first update; after that a
step may only allocate short-lived temporaries. An update needs one parameter-sized temporary (Adam's and
RMSprop's denominator, turned into the step in place; SGD's scaled step), plus one more only when the gradient
itself has to be copied (L2 weight decay adds weight_decay * param to it; Nesterov's look-ahead direction).
So the peak of memory traced during a later `step()` must stay below twice the largest parameter (plus 64 KiB
for small objects), and nothing may remain allocated after it.
"""

import tracemalloc

import numpy as np
import pytest

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam, AdamW, RMSprop, optimizer_state_bytes

SHAPES = [(300, 400), (400,), (50, 50), ()]
P = sum(int(np.prod(shape)) for shape in SHAPES)
LARGEST_BYTES = 300 * 400 * 8

# name: (make the optimizer, numbers of state per parameter number, parameter-sized temporaries per update)
CASES = {
    "SGD": (lambda ps: SGD(ps, 0.1), 0, 1),
    "SGD-weight-decay": (lambda ps: SGD(ps, 0.1, weight_decay=0.1), 0, 2),
    "SGD-momentum": (lambda ps: SGD(ps, 0.1, momentum=0.9), 1, 1),
    "SGD-dampening": (lambda ps: SGD(ps, 0.1, momentum=0.9, dampening=0.5), 1, 1),
    "SGD-nesterov-weight-decay": (lambda ps: SGD(ps, 0.1, momentum=0.9, nesterov=True, weight_decay=0.1), 1, 2),
    "Adam": (lambda ps: Adam(ps), 2, 1),
    "Adam-weight-decay": (lambda ps: Adam(ps, weight_decay=0.1), 2, 2),
    "AdamW": (lambda ps: AdamW(ps), 2, 1),
    "Adam-amsgrad": (lambda ps: Adam(ps, amsgrad=True), 3, 1),
    "AdamW-amsgrad-weight-decay": (lambda ps: AdamW(ps, amsgrad=True, weight_decay=0.1), 3, 1),
    "RMSprop": (lambda ps: RMSprop(ps), 1, 1),
    "RMSprop-momentum": (lambda ps: RMSprop(ps, momentum=0.9), 2, 1),
    "RMSprop-centered": (lambda ps: RMSprop(ps, centered=True), 2, 1),
    "RMSprop-centered-momentum-weight-decay": (
        lambda ps: RMSprop(ps, momentum=0.9, centered=True, weight_decay=0.1), 3, 2
    ),
}


def stepped_optimizer(make):
    rng = np.random.default_rng(0)
    parameters = [Variable(rng.standard_normal(shape)) for shape in SHAPES]
    for parameter in parameters:
        parameter.grad = Variable(rng.standard_normal(parameter.data.data.shape), requires_grad=False)
    optimizer = make(parameters)
    optimizer.step()
    return optimizer


@pytest.mark.parametrize("name", CASES)
def test_state_holds_exactly_the_numbers_the_rule_needs(name):
    """Is the state exactly 0, P, 2P or 3P numbers, as state_numbers_per_parameter announces?"""
    make, per_parameter, _ = CASES[name]
    optimizer = stepped_optimizer(make)
    assert optimizer.state_numbers_per_parameter == per_parameter
    assert optimizer.state_numbers() == per_parameter * P, f"{name}: {optimizer.state_numbers()} numbers"
    for buffers in optimizer.state.values():
        for value in buffers.values():
            assert isinstance(value, (np.ndarray, int)), f"{name}: state holds a {type(value).__name__}"


@pytest.mark.parametrize("name", CASES)
def test_a_step_allocates_only_short_lived_temporaries(name):
    """After the first step, does a step peak at one temporary (two if it copies the gradient), leaving nothing?"""
    make, _, temporaries = CASES[name]
    optimizer = stepped_optimizer(make)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        optimizer.step()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before <= temporaries * LARGEST_BYTES + 64 * 1024, \
        f"{name}: peak {(peak - before) / LARGEST_BYTES:.2f}x the largest parameter, allowed {temporaries}"
    assert after - before <= 4 * 1024, f"{name}: {after - before} bytes still allocated after the step"


def test_state_bytes_for_a_7b_model_in_float32():
    """Does optimizer_state_bytes give 0 / 28 / 56 / 84 GB for a 7-billion-parameter float32 model?"""
    parameter = [Variable(np.zeros(1))]
    gigabytes = {
        "SGD": (SGD(parameter), 0),
        "momentum": (SGD(parameter, momentum=0.9), 28),
        "RMSprop": (RMSprop(parameter), 28),
        "Adam": (Adam(parameter), 56),
        "AdamW": (AdamW(parameter), 56),
        "AMSGrad": (Adam(parameter, amsgrad=True), 84),
    }
    for name, (optimizer, expected) in gigabytes.items():
        assert optimizer_state_bytes(7_000_000_000, optimizer) == expected * 10**9, name
    assert optimizer_state_bytes(10, Adam(parameter), bytes_per_number=8) == 160
