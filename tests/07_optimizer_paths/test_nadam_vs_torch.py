"""Nadam (tinytorch.core.optimizers, given in module 03, derived in module 07) against torch.optim.NAdam.

torch keeps NAdam's mu_product in its default float dtype, so these tests set torch's default dtype to float64:
both sides then run in float64 and must agree to 1e-10 (relative to each parameter's size) after every 250 steps
of 1000, with random hyperparameters, L2 and decoupled weight decay. The state holds exactly two numbers per
parameter number, and a run resumed from state_dict() is bit for bit the uninterrupted one.
"""

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import Nadam

STEPS = 1000
CHECK_EVERY = 250
RTOL = 1e-10
SHAPES = [(), (7,), (4, 5), (3,)]          # the last one gets a gradient on even steps only
GRADIENT_SCALES = [1.0, 1e-3, 50.0, 1.0]


@pytest.fixture(autouse=True)
def torch_in_float64():
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(saved)


def draw(rng, low, high, log=False):
    if log:
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(rng.uniform(low, high))


def random_settings(seed, weight_decay, decoupled):
    rng = np.random.default_rng(seed)
    return {
        "learning_rate": draw(rng, 1e-4, 0.05, log=True),
        "beta1": draw(rng, 0.0, 0.99),
        "beta2": draw(rng, 0.9, 0.9999),
        "epsilon": draw(rng, 1e-10, 1e-6, log=True),
        "weight_decay": draw(rng, 1e-4, 0.1, log=True) if weight_decay else 0.0,
        "momentum_decay": draw(rng, 1e-3, 2e-2, log=True),
        "decoupled_weight_decay": decoupled,
    }


def torch_settings(settings):
    return {"lr": settings["learning_rate"], "betas": (settings["beta1"], settings["beta2"]),
            "eps": settings["epsilon"], "weight_decay": settings["weight_decay"],
            "momentum_decay": settings["momentum_decay"],
            "decoupled_weight_decay": settings["decoupled_weight_decay"]}


def relative_error(ours, theirs):
    expected = theirs.detach().numpy()
    return np.max(np.abs(ours - expected)) / max(np.max(np.abs(expected)), 1e-300)


CASES = [(seed, weight_decay, decoupled) for seed in (1, 2, 3) for weight_decay, decoupled in
         ((False, False), (True, False), (True, True))]


@pytest.mark.parametrize("seed, weight_decay, decoupled", CASES,
                         ids=[f"seed{s}-{'decoupled' if d else 'L2' if w else 'no-decay'}" for s, w, d in CASES])
def test_nadam_matches_torch_over_1000_steps(seed, weight_decay, decoupled):
    """Does Nadam follow torch.optim.NAdam (foreach=False, float64) to 1e-10 for 1000 steps, with random
    hyperparameters, a parameter that sits out every other step, and either kind of weight decay?"""
    settings = random_settings(seed, weight_decay, decoupled)
    rng = np.random.default_rng(1000 + seed)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    ours = [Variable(value.copy()) for value in initial]
    theirs = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    our_optimizer = Nadam(ours, **settings)
    torch_optimizer = torch.optim.NAdam(theirs, foreach=False, **torch_settings(settings))
    for step in range(1, STEPS + 1):
        for index, (mine, reference) in enumerate(zip(ours, theirs)):
            if index == len(SHAPES) - 1 and step % 2:
                mine.grad, reference.grad = None, None
                continue
            gradient = GRADIENT_SCALES[index] * rng.standard_normal(SHAPES[index])
            mine.grad = Variable(gradient.copy(), requires_grad=False)
            reference.grad = torch.tensor(gradient.copy())
        our_optimizer.step()
        torch_optimizer.step()
        if step % CHECK_EVERY == 0:
            for index, (mine, reference) in enumerate(zip(ours, theirs)):
                error = relative_error(mine.data.data, reference)
                assert error <= RTOL, f"{settings} step {step} parameter {index}: relative error {error:.2e}"
    for index, parameter in enumerate(theirs):
        state = torch_optimizer.state[parameter]
        assert our_optimizer.state[index]["step"] == int(state["step"])
        assert abs(our_optimizer.state[index]["mu_product"] - float(state["mu_product"])) <= 1e-14
        np.testing.assert_allclose(our_optimizer.state[index]["exp_avg_sq"], state["exp_avg_sq"].numpy(), rtol=1e-10)


def test_defaults_are_torchs():
    """Are Nadam's defaults those of torch.optim.NAdam (lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum_decay
    4e-3, no weight decay, L2 decay when there is some)?"""
    ours = Nadam([Variable(np.zeros(1))])
    theirs = torch.optim.NAdam([torch.zeros(1, requires_grad=True)]).defaults
    assert (ours.learning_rate, ours.beta1, ours.beta2, ours.epsilon, ours.weight_decay, ours.momentum_decay,
            ours.decoupled_weight_decay) == (theirs["lr"], *theirs["betas"], theirs["eps"], theirs["weight_decay"],
                                             theirs["momentum_decay"], theirs["decoupled_weight_decay"])


def test_state_is_two_numbers_per_parameter_number():
    """Does the state hold exactly exp_avg and exp_avg_sq per parameter (plus two counters), as announced?"""
    parameters = [Variable(np.ones((30, 20))), Variable(np.ones(20)), Variable(np.array(1.0))]
    optimizer = Nadam(parameters, weight_decay=0.1)
    for parameter in parameters:
        parameter.grad = Variable(np.full(parameter.data.data.shape, 0.5), requires_grad=False)
    optimizer.step()
    assert optimizer.state_numbers_per_parameter == 2
    assert optimizer.state_numbers() == 2 * (600 + 20 + 1)
    assert all(set(state) == {"step", "mu_product", "exp_avg", "exp_avg_sq"} for state in optimizer.state.values())


@pytest.mark.parametrize("decoupled", [False, True])
def test_a_resumed_run_is_the_uninterrupted_run(decoupled):
    """Saved with state_dict() after 30 steps and loaded into a new Nadam, do 30 more steps give bit for bit the
    weights of a run never interrupted?"""
    rng = np.random.default_rng(5)
    gradients = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(60)]
    start = [rng.standard_normal(shape) for shape in SHAPES]
    settings = dict(learning_rate=0.01, weight_decay=0.05, decoupled_weight_decay=decoupled, momentum_decay=0.01)

    def train(parameters, optimizer, batch):
        for step_gradients in batch:
            for parameter, gradient in zip(parameters, step_gradients):
                parameter.grad = Variable(gradient.copy(), requires_grad=False)
            optimizer.step()

    whole = [Variable(value.copy()) for value in start]
    train(whole, Nadam(whole, **settings), gradients)

    first = [Variable(value.copy()) for value in start]
    optimizer = Nadam(first, **settings)
    train(first, optimizer, gradients[:30])
    checkpoint = optimizer.state_dict()
    saved_weights = [p.data.data.copy() for p in first]
    train(first, optimizer, gradients[30:])  # the steps after the checkpoint must not change it

    second = [Variable(value) for value in saved_weights]
    restored = Nadam(second, learning_rate=0.5)
    restored.load_state_dict(checkpoint)
    assert restored.learning_rate == 0.01 and restored.decoupled_weight_decay == decoupled
    train(second, restored, gradients[30:])
    for ours, expected in zip(second, whole):
        assert np.array_equal(ours.data.data, expected.data.data)


def test_invalid_hyperparameters_are_refused():
    """Are impossible hyperparameters refused with a ValueError naming the argument, as torch does?"""
    for name, value in (("learning_rate", -1.0), ("beta1", 1.0), ("beta2", -0.1), ("epsilon", -1e-8),
                        ("weight_decay", -0.1), ("momentum_decay", -1e-3)):
        with pytest.raises(ValueError, match=name):
            Nadam([Variable(np.zeros(2))], **{name: value})
