"""state_dict / load_state_dict: a run resumed from a checkpoint is identical to one never interrupted."""

import numpy as np
import pytest

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import (
    SGD, Adam, AdamW, CosineAnnealingLR, ExponentialLR, RMSprop, StepLR,
)

SHAPES = [(), (6,), (3, 5)]
OPTIMIZERS = {
    "SGD": lambda ps: SGD(ps, learning_rate=0.05),
    "SGD-nesterov": lambda ps: SGD(ps, learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "SGD-dampening": lambda ps: SGD(ps, learning_rate=0.05, momentum=0.8, dampening=0.3),
    "Adam-amsgrad": lambda ps: Adam(ps, learning_rate=0.01, beta1=0.8, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda ps: AdamW(ps, learning_rate=0.01, weight_decay=0.1),
    "RMSprop-centered-momentum": lambda ps: RMSprop(ps, learning_rate=0.01, momentum=0.9, centered=True),
}
SCHEDULERS = {
    "none": None,
    "StepLR": lambda o: StepLR(o, step_size=7, gamma=0.5),
    "ExponentialLR": lambda o: ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda o: CosineAnnealingLR(o, T_max=25, eta_min=1e-4),
}


def gradients(steps, seed=0):
    rng = np.random.default_rng(seed)
    # the scalar parameter sits out every third step, so its step count differs from the others
    return [[None if (index == 0 and step % 3 == 0) else rng.standard_normal(shape)
             for index, shape in enumerate(SHAPES)] for step in range(steps)]


def fresh_parameters():
    rng = np.random.default_rng(42)
    return [Variable(rng.standard_normal(shape)) for shape in SHAPES]


def train(parameters, optimizer, scheduler, batch):
    for gradient_list in batch:
        for parameter, gradient in zip(parameters, gradient_list):
            parameter.grad = None if gradient is None else Variable(gradient.copy(), requires_grad=False)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


@pytest.mark.parametrize("schedule", SCHEDULERS, ids=str)
@pytest.mark.parametrize("name", OPTIMIZERS, ids=str)
def test_resuming_from_a_checkpoint_gives_the_same_trajectory(name, schedule):
    """Saved after 40 steps, loaded into new objects and run 40 more: bit for bit the uninterrupted run?"""
    make_optimizer, make_scheduler = OPTIMIZERS[name], SCHEDULERS[schedule]
    batch = gradients(80)

    parameters = fresh_parameters()
    optimizer = make_optimizer(parameters)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    train(parameters, optimizer, scheduler, batch)
    uninterrupted = [p.data.data.copy() for p in parameters]

    parameters = fresh_parameters()
    optimizer = make_optimizer(parameters)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    train(parameters, optimizer, scheduler, batch[:40])
    values = [p.data.data.copy() for p in parameters]
    optimizer_state = optimizer.state_dict()
    scheduler_state = scheduler.state_dict() if scheduler else None
    train(parameters, optimizer, scheduler, batch[40:45])  # the checkpoint must not follow later steps

    resumed = [Variable(value) for value in values]
    new_optimizer = make_optimizer(resumed)
    new_optimizer.learning_rate = 123.0  # overwritten by the checkpoint
    new_optimizer.load_state_dict(optimizer_state)
    new_scheduler = None
    if make_scheduler:
        new_scheduler = make_scheduler(new_optimizer)
        new_scheduler.load_state_dict(scheduler_state)
    train(resumed, new_optimizer, new_scheduler, batch[40:])
    for index, (got, expected) in enumerate(zip(resumed, uninterrupted)):
        assert np.array_equal(got.data.data, expected), f"{name}/{schedule}: parameter {index} differs"


def test_state_dict_holds_copies_not_views():
    """Are the arrays in a state_dict independent of the optimizer, both when saving and when loading?"""
    parameter = Variable(np.ones(4))
    optimizer = Adam([parameter], learning_rate=0.1)
    parameter.grad = Variable(np.ones(4), requires_grad=False)
    optimizer.step()
    saved = optimizer.state_dict()
    snapshot = saved["state"][0]["exp_avg"].copy()
    assert saved["state"][0]["exp_avg"] is not optimizer.state[0]["exp_avg"]
    optimizer.step()
    assert np.array_equal(saved["state"][0]["exp_avg"], snapshot), "a later step changed the checkpoint"

    other = Adam([Variable(np.ones(4))], learning_rate=0.1)
    other.load_state_dict(saved)
    other.state[0]["exp_avg"] += 1.0
    assert np.array_equal(saved["state"][0]["exp_avg"], snapshot), "the loaded optimizer shares arrays with the dict"


def test_state_dict_format():
    """Does the checkpoint name the optimizer, list its hyperparameters, and key state by parameter position?"""
    parameters = [Variable(np.ones(2)), Variable(np.ones(3))]
    optimizer = SGD(parameters, learning_rate=0.1, momentum=0.9)
    parameters[1].grad = Variable(np.ones(3), requires_grad=False)
    optimizer.step()
    saved = optimizer.state_dict()
    assert saved["optimizer"] == "SGD"
    assert saved["hyperparameters"] == {"learning_rate": 0.1, "momentum": 0.9, "dampening": 0.0,
                                        "nesterov": False, "weight_decay": 0.0}
    assert list(saved["state"]) == [1] and list(saved["state"][1]) == ["momentum_buffer"]


def test_load_state_dict_rejects_a_checkpoint_that_does_not_fit():
    """Loading another optimizer's checkpoint, or one for other shapes, raises a ValueError."""
    source = Adam([Variable(np.ones(3))])
    source.parameters[0].grad = Variable(np.ones(3), requires_grad=False)
    source.step()
    with pytest.raises(ValueError, match="Adam"):
        SGD([Variable(np.ones(3))]).load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match="shape"):
        Adam([Variable(np.ones(4))]).load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match="parameter"):
        Adam([Variable(np.ones(3))]).load_state_dict({**source.state_dict(), "state": {5: {}}})


def test_scheduler_state_dict_leaves_out_the_optimizer_and_restores_the_rate():
    """Does a scheduler checkpoint hold plain numbers (no optimizer) and set the rate when loaded?"""
    optimizer = SGD([Variable(np.ones(1))], learning_rate=1.0)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(5):
        scheduler.step()
    saved = scheduler.state_dict()
    assert "optimizer" not in saved
    assert saved == {"base_lr": 1.0, "last_epoch": 5, "last_lr": 0.25, "step_size": 2, "gamma": 0.5}
    other_optimizer = SGD([Variable(np.ones(1))], learning_rate=1.0)
    other = StepLR(other_optimizer, step_size=2, gamma=0.5)
    other.load_state_dict(saved)
    assert other_optimizer.learning_rate == 0.25 and other.last_epoch == 5
    with pytest.raises(ValueError, match="state_dict"):
        ExponentialLR(other_optimizer, gamma=0.5).load_state_dict(saved)
