"""Every optimizer, with every option and combination of options, against torch.optim over 1000 steps.

Both sides start from the same float64 values and see the same random gradients; torch runs its
single-tensor implementation (foreach=False), whose order of operations ours follows. After every
`CHECK_EVERY` steps and at the end, each parameter must agree to 1e-10 relative to its own size.
"""

import itertools

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam, AdamW, RMSprop

STEPS = 1000
CHECK_EVERY = 250
RTOL = 1e-10
# A scalar, a vector and a matrix, with gradients of very different sizes; the last parameter gets a gradient
# only on even steps, so lazily created state and per-parameter step counts are exercised too.
SHAPES = [(), (7,), (4, 5), (3,)]
GRADIENT_SCALES = [1.0, 1e-3, 50.0, 1.0]


def assert_close(ours, theirs, context):
    """Agreement to RTOL relative to the parameter's largest entry (entries near zero get the same bound)."""
    expected = theirs.detach().numpy()
    scale = max(np.max(np.abs(expected)), 1e-300)
    error = np.max(np.abs(ours - expected)) / scale
    assert error <= RTOL, f"{context}: relative error {error:.2e} > {RTOL:g}"


def run_against_torch(our_class, our_settings, torch_class, torch_settings, seed, steps=STEPS, dtype=np.float64):
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    ours = [Variable(value.copy()) for value in initial]
    theirs = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    our_optimizer = our_class(ours, **our_settings)
    torch_optimizer = torch_class(theirs, foreach=False, **torch_settings)
    for step in range(1, steps + 1):
        for index, (mine, reference) in enumerate(zip(ours, theirs)):
            if index == len(SHAPES) - 1 and step % 2:
                mine.grad, reference.grad = None, None
                continue
            gradient = (GRADIENT_SCALES[index] * rng.standard_normal(SHAPES[index])).astype(dtype)
            mine.grad = Variable(gradient.copy(), requires_grad=False)
            reference.grad = torch.tensor(gradient.copy())
        our_optimizer.step()
        torch_optimizer.step()
        if step % CHECK_EVERY == 0 or step == steps:
            for index, (mine, reference) in enumerate(zip(ours, theirs)):
                assert_close(mine.data.data, reference, f"{our_class.__name__}({our_settings}) step {step} "
                                                        f"parameter {index} {SHAPES[index]}")
    return ours, our_optimizer, torch_optimizer


def sgd_cases():
    for momentum, dampening, nesterov, weight_decay in itertools.product((0, 1), (0, 1), (False, True), (0, 1)):
        if nesterov and (not momentum or dampening):
            continue
        yield {"momentum": momentum, "dampening": dampening, "nesterov": nesterov, "weight_decay": weight_decay}


def adam_cases():
    for weight_decay, amsgrad in itertools.product((0, 1), (False, True)):
        yield {"weight_decay": weight_decay, "amsgrad": amsgrad}


def rmsprop_cases():
    for momentum, centered, weight_decay in itertools.product((0, 1), (False, True), (0, 1)):
        yield {"momentum": momentum, "centered": centered, "weight_decay": weight_decay}


def case_id(case):
    return "-".join(f"{name}" for name, value in case.items() if value) or "plain"


def draw(rng, low, high, log=False):
    """A random hyperparameter in [low, high], uniform or log-uniform."""
    if log:
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(rng.uniform(low, high))


@pytest.mark.parametrize("case", list(sgd_cases()), ids=case_id)
def test_sgd_matches_torch(case):
    """Does SGD, with this combination of options, follow torch.optim.SGD for 1000 steps?"""
    seed = 100 + list(sgd_cases()).index(case)
    rng = np.random.default_rng(seed)
    settings = {
        "learning_rate": draw(rng, 1e-3, 0.1, log=True),
        "momentum": draw(rng, 0.5, 0.99) if case["momentum"] else 0.0,
        "dampening": draw(rng, 0.1, 0.9) if case["dampening"] else 0.0,
        "nesterov": case["nesterov"],
        "weight_decay": draw(rng, 1e-4, 0.1, log=True) if case["weight_decay"] else 0.0,
    }
    torch_settings = dict(settings)
    torch_settings["lr"] = torch_settings.pop("learning_rate")
    run_against_torch(SGD, settings, torch.optim.SGD, torch_settings, seed)


@pytest.mark.parametrize("decoupled", [False, True], ids=["Adam", "AdamW"])
@pytest.mark.parametrize("case", list(adam_cases()), ids=case_id)
def test_adam_and_adamw_match_torch(case, decoupled):
    """Do Adam and AdamW, with and without weight decay and AMSGrad, follow torch.optim for 1000 steps?"""
    seed = 200 + 10 * decoupled + list(adam_cases()).index(case)
    rng = np.random.default_rng(seed)
    settings = {
        "learning_rate": draw(rng, 1e-4, 0.05, log=True),
        "beta1": draw(rng, 0.0, 0.99),
        "beta2": draw(rng, 0.9, 0.9999),
        "epsilon": draw(rng, 1e-10, 1e-6, log=True),
        "weight_decay": draw(rng, 1e-4, 0.1, log=True) if case["weight_decay"] else 0.0,
        "amsgrad": case["amsgrad"],
    }
    torch_settings = {
        "lr": settings["learning_rate"], "betas": (settings["beta1"], settings["beta2"]),
        "eps": settings["epsilon"], "weight_decay": settings["weight_decay"], "amsgrad": settings["amsgrad"],
    }
    our_class, torch_class = (AdamW, torch.optim.AdamW) if decoupled else (Adam, torch.optim.Adam)
    _, ours, theirs = run_against_torch(our_class, settings, torch_class, torch_settings, seed)
    for index, parameter in enumerate(theirs.param_groups[0]["params"]):
        assert ours.state[index]["step"] == int(theirs.state[parameter]["step"]), "per-parameter step counts"


@pytest.mark.parametrize("case", list(rmsprop_cases()), ids=case_id)
def test_rmsprop_matches_torch(case):
    """Does RMSprop, with this combination of options, follow torch.optim.RMSprop for 1000 steps?"""
    seed = 300 + list(rmsprop_cases()).index(case)
    rng = np.random.default_rng(seed)
    settings = {
        "learning_rate": draw(rng, 1e-4, 1e-2, log=True),
        "alpha": draw(rng, 0.8, 0.999),
        "epsilon": draw(rng, 1e-10, 1e-6, log=True),
        "momentum": draw(rng, 0.5, 0.95) if case["momentum"] else 0.0,
        "centered": case["centered"],
        "weight_decay": draw(rng, 1e-4, 0.1, log=True) if case["weight_decay"] else 0.0,
    }
    torch_settings = dict(settings)
    torch_settings["lr"] = torch_settings.pop("learning_rate")
    torch_settings["eps"] = torch_settings.pop("epsilon")
    run_against_torch(RMSprop, settings, torch.optim.RMSprop, torch_settings, seed)


@pytest.mark.parametrize(
    "our_class, settings, torch_class, torch_settings",
    [
        (SGD, {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
         torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
        (Adam, {"learning_rate": 0.01, "amsgrad": True}, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
        (AdamW, {"learning_rate": 0.01}, torch.optim.AdamW, {"lr": 0.01}),
        (RMSprop, {"learning_rate": 0.001, "momentum": 0.9, "centered": True},
         torch.optim.RMSprop, {"lr": 0.001, "momentum": 0.9, "centered": True}),
    ],
    ids=["SGD", "Adam", "AdamW", "RMSprop"],
)
def test_float32_parameters_stay_float32_and_match_torch(our_class, settings, torch_class, torch_settings):
    """Do float32 parameters and their state stay float32, and follow torch in float32 (to float32 accuracy)?"""
    rng = np.random.default_rng(7)
    initial = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    ours = [Variable(value.copy()) for value in initial]
    theirs = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    our_optimizer = our_class(ours, **settings)
    torch_optimizer = torch_class(theirs, foreach=False, **torch_settings)
    for _ in range(100):
        for shape, mine, reference in zip(SHAPES, ours, theirs):
            gradient = rng.standard_normal(shape).astype(np.float32)
            mine.grad = Variable(gradient.copy(), requires_grad=False)
            reference.grad = torch.tensor(gradient.copy())
        our_optimizer.step()
        torch_optimizer.step()
    for mine, reference in zip(ours, theirs):
        assert mine.data.data.dtype == np.float32, f"parameter became {mine.data.data.dtype}"
        np.testing.assert_allclose(mine.data.data, reference.detach().numpy(), rtol=1e-4, atol=1e-5)
    for buffers in our_optimizer.state.values():
        for name, value in buffers.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, f"state {name} is {value.dtype}"


def test_parameters_without_gradient_are_untouched_and_get_no_state():
    """Is a parameter whose grad is None left exactly as it was, with no state created for it?"""
    for make in (lambda ps: SGD(ps, 0.1, momentum=0.9, weight_decay=0.1), lambda ps: Adam(ps, weight_decay=0.1),
                 lambda ps: AdamW(ps), lambda ps: RMSprop(ps, momentum=0.5, centered=True, weight_decay=0.1)):
        trained, frozen = Variable(np.ones(3)), Variable(np.array([1.0, -2.0]))
        before = frozen.data.data.copy()
        optimizer = make([trained, frozen])
        for _ in range(5):
            trained.grad = Variable(np.ones(3), requires_grad=False)
            optimizer.step()
        assert np.array_equal(frozen.data.data, before), f"{optimizer!r} moved a parameter without gradient"
        assert 1 not in optimizer.state, f"{optimizer!r} created state for a parameter without gradient"
        assert not np.array_equal(trained.data.data, np.ones(3)), f"{optimizer!r} did not move the other one"


def test_updates_are_in_place_and_leave_gradients_alone():
    """Does every optimizer write into the parameter's own array and never modify the gradient?"""
    for make in (lambda ps: SGD(ps, 0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
                 lambda ps: Adam(ps, weight_decay=0.1, amsgrad=True), lambda ps: AdamW(ps),
                 lambda ps: RMSprop(ps, momentum=0.5, centered=True, weight_decay=0.1)):
        parameter = Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array = parameter.data.data
        optimizer = make([parameter])
        for _ in range(3):
            gradient = np.array([[0.5, -0.5], [1.0, 0.0]])
            parameter.grad = Variable(gradient, requires_grad=False)
            optimizer.step()
            assert np.array_equal(gradient, [[0.5, -0.5], [1.0, 0.0]]), f"{optimizer!r} changed the gradient"
        assert parameter.data.data is array, f"{optimizer!r} replaced the parameter's array"


def test_zero_grad_sets_gradients_to_none():
    """Does zero_grad() set every parameter's grad to None?"""
    parameters = [Variable(np.ones(2)), Variable(np.ones(3))]
    for parameter in parameters:
        parameter.grad = Variable(np.ones_like(parameter.data.data), requires_grad=False)
    Adam(parameters).zero_grad()
    assert all(parameter.grad is None for parameter in parameters)


def test_learning_rate_is_a_plain_attribute_read_at_every_step():
    """Does changing optimizer.learning_rate between steps change the next step, as in torch?"""
    ours = Variable(np.array([1.0, 2.0]))
    theirs = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    our_optimizer = Adam([ours], learning_rate=0.1)
    torch_optimizer = torch.optim.Adam([theirs], lr=0.1, foreach=False)
    for rate in (0.1, 0.5, 0.01, 0.2):
        our_optimizer.learning_rate = rate
        torch_optimizer.param_groups[0]["lr"] = rate
        ours.grad = Variable(np.array([0.3, -0.7]), requires_grad=False)
        theirs.grad = torch.tensor([0.3, -0.7], dtype=torch.float64)
        our_optimizer.step()
        torch_optimizer.step()
    assert_close(ours.data.data, theirs, "Adam with changing learning rates")
