"""Probes for the layers module's hidden suite. They run inside the sandbox, next to the submission.

Each builds its inputs from a seed, drives the submission's layers, and returns plain data: ndarrays (copied),
numbers, strings, lists and dicts. Weights are written straight into `layer.weight.data.data`, so a probe of
one layer does not depend on the submission's state_dict.
"""

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.layers import (
    SELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    init_std,
)

ACTIVATIONS = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh, "SELU": SELU}


def _array(value):
    """A plain ndarray copy of a Variable's (or array's) value; None stays None."""
    if value is None:
        return None
    plain = value.data.data if isinstance(value, Variable) else value
    return np.array(plain, copy=True)


def _grad(variable):
    return None if variable.grad is None else _array(variable.grad)


def _raised(action):
    """The name of the exception `action()` raises, or None."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - we report which type the submission raised
        return type(error).__name__
    return None


def _set_weights(model, seed):
    """Overwrite every parameter with seeded normal values (weights) or small values (biases, BN affine)."""
    generator = np.random.default_rng(seed)
    for parameter in model.parameters():
        values = generator.normal(scale=0.5, size=parameter.shape)
        parameter.data.data[...] = values + (1.0 if parameter.ndim == 1 and parameter.shape[0] % 2 else 0.0)


def _forward_backward(model, x, seed):
    """Output, input gradient and parameter gradients (by name) for a random upstream gradient."""
    inputs = Variable(np.array(x, copy=True))
    out = model(inputs)
    upstream = np.random.default_rng(seed + 1000).normal(size=out.shape).astype(out.dtype)
    out.backward(upstream)
    return {
        "output": _array(out),
        "input_grad": _grad(inputs),
        "param_grads": {name: _grad(p) for name, p in model.named_parameters()},
    }


# Module mechanics.


class _Block(Module):
    def __init__(self, rng):
        self.inner = Linear(3, 3, rng=rng)
        self.gate = Parameter(np.full(3, 0.5))
        self.parts = [Linear(3, 2, rng=rng), BatchNorm1d(2)]

    def forward(self, x):
        h = self.inner(x).tanh() * self.gate
        for part in self.parts:
            h = part(h)
        return h


def tree_structure():
    block = _Block(np.random.default_rng(0))
    model = Sequential(block, Dropout(0.2), Sequential(Linear(2, 2, bias=False, rng=1), Flatten()))
    return {
        "modules": [name for name, _ in model.named_modules()],
        "parameters": [name for name, _ in model.named_parameters()],
        "shapes": [list(p.shape) for p in model.parameters()],
        "count": len(model.parameters()),
        "same_objects": all(a is b for a, b in zip(model.parameters(), [p for _, p in model.named_parameters()])),
        "state_keys": list(model.state_dict()),
        "block_modules": [name for name, _ in block.named_modules(prefix="net")],
        "shared_parameters": [name for name, _ in Sequential(block.inner, Tanh(), block.inner).named_parameters()],
    }


def modes():
    model = Sequential(_Block(np.random.default_rng(0)), Sequential(Dropout(0.5), BatchNorm1d(2)))
    after_eval_returns_self = model.eval() is model
    after_eval = [bool(m.training) for _, m in model.named_modules()]
    after_train_returns_self = model.train() is model
    after_train = [bool(m.training) for _, m in model.named_modules()]
    model[1].train(False)
    partial = [bool(m.training) for _, m in model.named_modules()]
    return {
        "eval_returns_self": after_eval_returns_self,
        "train_returns_self": after_train_returns_self,
        "after_eval": after_eval,
        "after_train": after_train,
        "partial": partial,
    }


def state_round_trip(seed):
    generator = np.random.default_rng(seed)
    model = Sequential(Linear(4, 5, rng=1), BatchNorm1d(5), ReLU(), Linear(5, 2, rng=2))
    _set_weights(model, seed)
    model(generator.normal(size=(6, 4)))  # one training batch moves the running statistics
    state = model.state_dict()
    copy_is_independent = True
    model[0].weight.data.data[...] += 1.0
    if np.allclose(state["0.weight"], model[0].weight.data.data):
        copy_is_independent = False

    fresh = Sequential(Linear(4, 5, rng=3), BatchNorm1d(5), ReLU(), Linear(5, 2, rng=4))
    weight_array = fresh[0].weight.data.data
    mean_array = fresh[1].running_mean
    fresh.load_state_dict(state)
    model.load_state_dict(state)
    x = generator.normal(size=(3, 4))
    model.eval()
    fresh.eval()
    broken = {
        "missing": {k: v for k, v in state.items() if k != "1.running_var"},
        "unexpected": {**state, "4.weight": np.zeros(2)},
        "shape": {**state, "3.weight": np.zeros((5, 2))},
    }
    before = fresh.state_dict()
    raised = {name: _raised(lambda bad=bad: fresh.load_state_dict(bad)) for name, bad in broken.items()}
    unchanged = all(np.array_equal(before[k], v) for k, v in fresh.state_dict().items())
    return {
        "keys": list(state),
        "values": {k: np.asarray(v, dtype=np.float64) for k, v in state.items()},
        "value_types": sorted({type(v).__name__ for v in state.values()}),
        "copy_is_independent": copy_is_independent,
        "in_place": fresh[0].weight.data.data is weight_array and fresh[1].running_mean is mean_array,
        "fresh_output": _array(fresh(x)),
        "restored_output": _array(model(x)),
        "raised": raised,
        "unchanged_after_errors": unchanged,
    }


# Linear and initialisation.


def init_stds():
    values = {}
    for init in ("he", "xavier", "lecun", "normal"):
        for fan_in, fan_out in ((100, 10), (7, 300)):
            values[f"{init} {fan_in} {fan_out}"] = float(init_std(init, fan_in, fan_out))
    values["unknown raises"] = _raised(lambda: init_std("orthogonal", 3, 3))
    values["Linear unknown raises"] = _raised(lambda: Linear(3, 3, init="kaiming_uniform"))
    return values


def linear_weight_stats(init, fan_in, fan_out, seed):
    layer = Linear(fan_in, fan_out, init=init, rng=seed)
    weights = layer.weight.data.data
    return {
        "shape": list(weights.shape),
        "std": float(weights.std()),
        "mean": float(weights.mean()),
        "bias_shape": list(layer.bias.shape),
        "bias_max_abs": float(np.abs(layer.bias.data.data).max()),
        "reproducible": bool(np.array_equal(weights, Linear(fan_in, fan_out, init=init, rng=seed).weight.data.data)),
    }


def linear_forward_backward(in_features, out_features, bias, input_shape, dtype, seed):
    layer = Linear(in_features, out_features, bias=bias, dtype=np.dtype(dtype), rng=seed)
    _set_weights(layer, seed)
    x = np.random.default_rng(seed + 1).normal(size=input_shape).astype(dtype)
    result = _forward_backward(layer, x, seed)
    result["weight_shape"] = list(layer.weight.shape)
    result["bias_is_none"] = layer.bias is None
    result["parameter_names"] = [name for name, _ in layer.named_parameters()]
    result["weight_dtype"] = str(layer.weight.dtype)
    return result


# Activations.


def activation(name, seed, dtype="float64"):
    generator = np.random.default_rng(seed)
    x = np.concatenate([generator.normal(scale=3, size=15), [0.0, -1000.0, 1000.0, -30.0, 30.0]]).reshape(4, 5)
    with np.errstate(over="ignore"):
        return _forward_backward(ACTIVATIONS[name](), x.astype(dtype), seed)


def softmax(axis, seed):
    x = np.random.default_rng(seed).normal(scale=4, size=(3, 4, 5))
    x[0, 0, :2] = [1000.0, -1000.0]
    x[1, :, 2] = 1000.0
    result = _forward_backward(Softmax(axis=axis), x, seed)
    result["sums"] = result["output"].sum(axis=axis)
    return result


# Sequential models.


def _model(seed):
    return Sequential(
        Flatten(), Linear(6, 8, rng=seed), ReLU(), Linear(8, 8, bias=False, rng=seed + 1), SELU(),
        Linear(8, 5, rng=seed + 2), Tanh(), Linear(5, 4, rng=seed + 3), Sigmoid(), Linear(4, 3, rng=seed + 4),
        Softmax(),
    )


def sequential_model(seed):
    model = _model(seed)
    _set_weights(model, seed)
    result = _forward_backward(model, np.random.default_rng(seed).normal(size=(5, 2, 3)), seed)
    result["names"] = [name for name, _ in model.named_parameters()]
    result["length"] = len(model)
    return result


# Dropout.


def dropout_behaviour(p, seed):
    x = np.random.default_rng(seed + 1).uniform(1.0, 2.0, size=(300, 200))
    layer = Dropout(p, rng=seed)
    inputs = Variable(x.copy())
    out = layer(inputs)
    values = out.data.data
    kept = values != 0
    out.backward(np.full(x.shape, 3.0))
    expected_grad = 3.0 * kept / (1 - p)
    second = layer(x).data.data
    repeat = Dropout(p, rng=seed)(x).data.data
    layer.eval()
    evaluated = layer(inputs)
    half = Dropout(p, rng=seed)(np.ones(8, dtype=np.float32))
    return {
        "kept_fraction": float(kept.mean()),
        "kept_scaled": bool(np.allclose(values[kept], x[kept] / (1 - p), rtol=1e-12)),
        "grad_through_mask": bool(np.allclose(inputs.grad.data.data, expected_grad, rtol=1e-12)),
        "new_mask_each_call": bool(not np.array_equal(second != 0, kept)),
        "seed_reproducible": bool(np.array_equal(repeat, values)),
        "eval_identity": bool(np.array_equal(_array(evaluated), x)),
        "float32_kept": str(half.dtype),
        "mean_ratio": float(values.mean() / x.mean()),
    }


def dropout_extremes():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    return {
        "p0": _array(Dropout(0.0, rng=0)(x)),
        "p1": _array(Dropout(1.0, rng=0)(x)),
        "p_too_big": _raised(lambda: Dropout(1.2)),
        "p_negative": _raised(lambda: Dropout(-0.5)),
    }


# Batch normalisation.


def batchnorm_training(features, momentum, eps, steps, seed):
    generator = np.random.default_rng(seed)
    layer = BatchNorm1d(features, eps=eps, momentum=momentum)
    _set_weights(layer, seed)
    history = []
    for step in range(steps):
        x = generator.normal(loc=generator.normal(scale=3, size=features), scale=generator.uniform(0.1, 4, size=features),
                       size=(4 + step, features))
        layer.zero_grad()
        result = _forward_backward(layer, x, seed + step)
        result["running_mean"] = np.array(layer.running_mean, copy=True)
        result["running_var"] = np.array(layer.running_var, copy=True)
        result["num_batches_tracked"] = int(layer.num_batches_tracked)
        history.append(result)
    return history


def batchnorm_eval(momentum, seed):
    generator = np.random.default_rng(seed)
    layer = BatchNorm1d(3, momentum=momentum)
    _set_weights(layer, seed)
    for _ in range(3):
        layer(generator.normal(loc=2.0, scale=3.0, size=(5, 3)))
    layer.eval()
    before = {k: np.asarray(v, dtype=np.float64) for k, v in layer.state_dict().items()}
    result = _forward_backward(layer, generator.normal(size=(1, 3)), seed)
    result["state_unchanged"] = all(
        np.array_equal(before[k], np.asarray(v, dtype=np.float64)) for k, v in layer.state_dict().items()
    )
    result["state_keys"] = list(before)
    result["num_batches_tracked_dtype"] = str(np.asarray(layer.state_dict()["num_batches_tracked"]).dtype)
    layer.train()
    result["single_example_raises"] = _raised(lambda: layer(np.ones((1, 3))))
    return result
