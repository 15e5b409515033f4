"""Impossible hyperparameters are rejected at construction with a ValueError that names the argument."""

import math

import numpy as np
import pytest

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import (
    SGD, Adam, AdamW, CosineAnnealingLR, ExponentialLR, RMSprop, StepLR, clip_gradients, clip_gradients_by_value,
)


def parameters():
    return [Variable(np.zeros(2))]


BAD_OPTIMIZERS = [
    (SGD, {"learning_rate": -0.1}, "learning_rate"),
    (SGD, {"learning_rate": math.nan}, "learning_rate"),
    (SGD, {"momentum": -0.9}, "momentum"),
    (SGD, {"dampening": -0.1}, "dampening"),
    (SGD, {"dampening": 1.5}, "dampening"),
    (SGD, {"weight_decay": -1e-4}, "weight_decay"),
    (SGD, {"nesterov": True}, "nesterov"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
    (Adam, {"learning_rate": -1e-3}, "learning_rate"),
    (Adam, {"beta1": 1.0}, "beta1"),
    (Adam, {"beta1": -0.1}, "beta1"),
    (Adam, {"beta2": 1.0}, "beta2"),
    (Adam, {"beta2": -0.5}, "beta2"),
    (Adam, {"epsilon": -1e-8}, "epsilon"),
    (Adam, {"weight_decay": -0.1}, "weight_decay"),
    (AdamW, {"learning_rate": -1.0}, "learning_rate"),
    (AdamW, {"beta1": 1.2}, "beta1"),
    (AdamW, {"beta2": 1.0}, "beta2"),
    (AdamW, {"epsilon": -1.0}, "epsilon"),
    (AdamW, {"weight_decay": -0.01}, "weight_decay"),
    (RMSprop, {"learning_rate": -0.01}, "learning_rate"),
    (RMSprop, {"alpha": 1.0}, "alpha"),
    (RMSprop, {"alpha": -0.1}, "alpha"),
    (RMSprop, {"epsilon": -1e-8}, "epsilon"),
    (RMSprop, {"momentum": -0.5}, "momentum"),
    (RMSprop, {"weight_decay": -0.5}, "weight_decay"),
]


@pytest.mark.parametrize("optimizer_class, settings, name", BAD_OPTIMIZERS,
                         ids=[f"{c.__name__}-{'-'.join(s)}-{n}" for c, s, n in BAD_OPTIMIZERS])
def test_bad_optimizer_hyperparameters_raise_naming_the_argument(optimizer_class, settings, name):
    with pytest.raises(ValueError, match=name):
        optimizer_class(parameters(), **settings)


@pytest.mark.parametrize("optimizer_class", [SGD, Adam, AdamW, RMSprop])
def test_edge_values_are_accepted(optimizer_class):
    """Zero learning rate, zero betas/alpha/momentum/decay/epsilon are legal, as in torch."""
    names = {"learning_rate": 0.0, "weight_decay": 0.0}
    if optimizer_class in (Adam, AdamW):
        names.update(beta1=0.0, beta2=0.0, epsilon=0.0)
    if optimizer_class is RMSprop:
        names.update(alpha=0.0, epsilon=0.0, momentum=0.0)
    if optimizer_class is SGD:
        names.update(momentum=0.0, dampening=1.0)
    optimizer_class(parameters(), **names)


def test_an_empty_parameter_list_is_rejected():
    with pytest.raises(ValueError, match="parameters"):
        Adam([])


BAD_SCHEDULERS = [
    (lambda o: StepLR(o, step_size=0), "step_size"),
    (lambda o: StepLR(o, step_size=2.5), "step_size"),
    (lambda o: StepLR(o, step_size=3, gamma=-0.1), "gamma"),
    (lambda o: ExponentialLR(o, gamma=-1.0), "gamma"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), "eta_min"),
]


@pytest.mark.parametrize("make, name", BAD_SCHEDULERS, ids=[name for _, name in BAD_SCHEDULERS])
def test_bad_scheduler_settings_raise_naming_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make(SGD(parameters(), learning_rate=0.1))


def test_bad_clipping_thresholds_raise_naming_the_argument():
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradients(parameters(), max_norm=-1.0)
    with pytest.raises(ValueError, match="clip_value"):
        clip_gradients_by_value(parameters(), clip_value=-0.5)
