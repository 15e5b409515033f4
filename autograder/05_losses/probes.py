"""Probes for the losses module's hidden suite. They run inside the sandbox, next to the submission.

Each builds predictions and targets from a seed (or small literal lists), computes a loss with the
submission's code, runs backward with a seeded upstream gradient, and returns plain data: the loss and the
prediction's gradient as ndarrays in their own dtype and shape (the grader compares both, and checks that they
are finite, with the reference's). Only the names of the exceptions raised for invalid inputs are constants.
"""

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    log_softmax,
    softplus,
)

LOSSES = {"MSELoss": MSELoss, "CrossEntropyLoss": CrossEntropyLoss, "BCELoss": BCELoss,
          "BCEWithLogitsLoss": BCEWithLogitsLoss}


def _array(value):
    if value is None:
        return None
    plain = value.data.data if isinstance(value, Variable) else value
    return np.array(plain, copy=True)


def _raised(action):
    try:
        action()
    except Exception as error:  # noqa: BLE001 - we report which type the submission raised
        return type(error).__name__
    return None


def _run(function, prediction, seed):
    """function(Variable(prediction)) (an ndarray in its own dtype and shape), and the prediction's gradient."""
    inputs = Variable(np.array(prediction, copy=True))
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        out = function(inputs)
        upstream = np.random.default_rng(seed + 1000).normal(size=out.shape).astype(out.dtype)
        out.backward(upstream if out.shape else None)
    return {"value": _array(out), "grad": None if inputs.grad is None else _array(inputs.grad)}


def _case(kind, seed, shape):
    """Predictions and targets for a loss: regression, classification or binary."""
    generator = np.random.default_rng(seed)
    if kind == "MSELoss":
        return generator.normal(size=shape), generator.normal(size=shape)
    if kind == "CrossEntropyLoss":
        return generator.normal(scale=3, size=shape), generator.integers(0, shape[1], size=shape[0])
    if kind == "BCELoss":
        return generator.uniform(0.02, 0.98, size=shape), np.round(generator.uniform(size=shape), 1)
    return generator.normal(scale=4, size=shape), np.round(generator.uniform(size=shape), 1)


def loss_case(loss, reduction, seed, shape, dtype="float64"):
    prediction, target = _case(loss, seed, shape)
    loss_fn = LOSSES[loss](reduction=reduction)
    return _run(lambda p: loss_fn(p, target), prediction.astype(dtype), seed)


def loss_literal(loss, reduction, prediction, target):
    """A loss on literal values (extreme logits, probabilities of exactly 0 and 1)."""
    loss_fn = LOSSES[loss](reduction=reduction)
    target = np.array(target) if loss == "CrossEntropyLoss" else np.array(target, dtype=np.float64)
    return _run(lambda p: loss_fn(p, target), np.array(prediction, dtype=np.float64), 7)


def log_softmax_case(axis, seed, extreme):
    x = np.random.default_rng(seed).normal(scale=3, size=(4, 5))
    if extreme:
        x[0] = [1000.0, -1000.0, 0.0, 1000.0, 3.0]
        x[:, 1] = -1000.0
    return _run(lambda v: log_softmax(v, axis=axis), x, seed)


def softplus_case(values):
    return _run(softplus, np.array(values, dtype=np.float64), 3)


def target_forms(seed):
    """Cross-entropy with the same labels given as a list, int32, floats and a Variable; bad labels raise."""
    logits, labels = _case("CrossEntropyLoss", seed, (5, 4))
    loss_fn = CrossEntropyLoss()
    values = {
        "list": loss_fn(logits, labels.tolist()).item(),
        "int32": loss_fn(logits, labels.astype(np.int32)).item(),
        "float": loss_fn(logits, labels.astype(np.float64)).item(),
        "variable": loss_fn(logits, Variable(labels)).item(),
    }
    return {key: float(value) for key, value in values.items()}


def invalid_inputs():
    """What each kind of bad input raises (the type's name, or None)."""
    logits = np.zeros((3, 4))
    return {
        "reduction": _raised(lambda: MSELoss(reduction="average")),
        "mse_shape": _raised(lambda: MSELoss()(np.zeros((3, 1)), np.zeros(3))),
        "ce_label_too_big": _raised(lambda: CrossEntropyLoss()(logits, [0, 4, 1])),
        "ce_label_negative": _raised(lambda: CrossEntropyLoss()(logits, [0, -1, 1])),
        "ce_label_count": _raised(lambda: CrossEntropyLoss()(logits, [0, 1])),
        "ce_fractional_label": _raised(lambda: CrossEntropyLoss()(logits, [0.5, 1, 1])),
        "bce_above_one": _raised(lambda: BCELoss()(np.array([0.5, 1.2]), np.array([1.0, 0.0]))),
        "bce_negative": _raised(lambda: BCELoss()(np.array([-0.2, 0.5]), np.array([1.0, 0.0]))),
        "bce_shape": _raised(lambda: BCELoss()(np.full((2, 1), 0.5), np.ones(2))),
        "logits_shape": _raised(lambda: BCEWithLogitsLoss()(np.zeros((2, 1)), np.ones(2))),
    }
