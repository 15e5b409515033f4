"""Probes for the layers module's hidden suite. They run inside the sandbox, next to the submission.

Each builds its inputs from a seed, drives the submission's layers, and returns plain data: ndarrays (copied,
in their own dtype), numbers, strings, lists and dicts. Weights are written straight into
`layer.weight.data.data`, so a probe of one layer does not depend on the submission's state_dict.

A probe returns observations, never verdicts: "the same objects?", "returns self?", "in place?", "a copy?",
"unchanged?" are seen through values (read through one name after a change made through another, or computed
by what a method returned) that the grader compares with the reference's. Only the names of the exceptions
raised for invalid arguments are constants; the tests that check them are worth 1 point each.
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


def _attempt(action):
    """_array(action()), or what it raised (a sentence the grader shows)."""
    try:
        return _array(action())
    except Exception as error:  # noqa: BLE001 - whatever the submission raises is the result
        return f"raised {type(error).__name__}: {str(error)[:300]}"


def _as_sent(value):
    """An ndarray (or numpy scalar) as it is, in its dtype; anything else as a sentence naming its type."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
        return value.copy()
    return f"a {type(value).__name__}"


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
    """Names, shapes and count of a nested model's modules and parameters; and, after seeded values are written
    through parameters(), the values read through named_parameters() (the same objects show the same values)."""
    block = _Block(np.random.default_rng(0))
    model = Sequential(block, Dropout(0.2), Sequential(Linear(2, 2, bias=False, rng=1), Flatten()))
    result = {
        "modules": [name for name, _ in model.named_modules()],
        "parameters": [name for name, _ in model.named_parameters()],
        "shapes": [list(p.shape) for p in model.parameters()],
        "count": len(model.parameters()),
        "state_keys": list(model.state_dict()),
        "block_modules": [name for name, _ in block.named_modules(prefix="net")],
        "shared_parameters": [name for name, _ in Sequential(block.inner, Tanh(), block.inner).named_parameters()],
    }
    _set_weights(model, 3)
    result["values read through named_parameters() after writing through parameters()"] = {
        name: _array(parameter) for name, parameter in model.named_parameters()
    }
    return result


def _mode_model(seed):
    """Sequential(custom module holding a BatchNorm1d in a list, Sequential(Linear, BatchNorm1d)), seeded weights.
    BatchNorm1d normalises with the batch's statistics in training and the running ones in evaluation, so the
    outputs show which mode each BatchNorm1d was in."""
    model = Sequential(_Block(np.random.default_rng(0)), Sequential(Linear(2, 2, rng=1), BatchNorm1d(2)))
    _set_weights(model, seed)
    return model


def _set_flags(model, flags):
    """Set `training` by hand (plain attribute writes, no train()) on the modules of a _mode_model:
    flags = (outer Sequential, block, block's BatchNorm1d, inner Sequential, inner BatchNorm1d)."""
    block, inner = model[0], model[1]
    for module, flag in zip((model, block, block.parts[1], inner, inner[1]), flags):
        module.training = flag
    for module in (block.inner, block.parts[0], inner[0]):
        module.training = flags[0]


def modes(seed):
    """The outputs of a nested model after eval(), train(), model[1].train(False) and eval() again, each
    computed by what eval() or train() returned; and the outputs of a twin model whose flags were set by hand
    to what those calls should set. The twin does not use train() or eval(): the grader compares the two.
    "first batch in training" (a fresh model, nothing switched) is the run's evidence, compared with the
    reference's."""
    x = np.random.default_rng(seed).normal(size=(5, 3))
    first = _mode_model(seed)
    model, twin = _mode_model(seed), _mode_model(seed)

    def partly_in_training():
        model[1].train(False)
        return model(x)

    switched = {"model.eval()(x)": _attempt(lambda: model.eval()(x)),
                "model.train()(x)": _attempt(lambda: model.train()(x)),
                "model(x) after model[1].train(False)": _attempt(partly_in_training),
                "model.eval()(x) once more": _attempt(lambda: model.eval()(x))}
    by_hand = {}
    for call, flags in (("model.eval()(x)", (False,) * 5), ("model.train()(x)", (True,) * 5),
                        ("model(x) after model[1].train(False)", (True, True, True, False, False)),
                        ("model.eval()(x) once more", (False,) * 5)):
        _set_flags(twin, flags)
        by_hand[call] = _attempt(lambda: twin(x))
    return {"first batch in training": _attempt(lambda: first(x)), "switched": switched, "by hand": by_hand}


def _checkpoint_model(seed):
    model = Sequential(Linear(4, 5, rng=1), BatchNorm1d(5), ReLU(), Linear(5, 2, rng=2))
    _set_weights(model, seed)
    return model


def state_round_trip(seed):
    """A checkpoint taken after one training batch, then the model trained on and changed, then the checkpoint
    loaded into a fresh model and back into the model: every observation is compared with the submission's own
    values at the time the checkpoint was taken. "first batch in training" is the run's evidence."""
    generator = np.random.default_rng(seed)
    model = _checkpoint_model(seed)
    first_batch, later_batch, x = (generator.normal(size=(6, 4)), generator.normal(size=(6, 4)),
                                   generator.normal(size=(3, 4)))
    evidence = _attempt(lambda: model(first_batch))  # one training batch moves the running statistics
    model.train(False)
    saved_output = _attempt(lambda: model(x))
    state = model.state_dict()
    taken = {k: _as_sent(np.array(v, copy=True)) if isinstance(v, np.ndarray) else _as_sent(v)
             for k, v in state.items()}
    model.train(True)
    model(later_batch)  # training on moves the running statistics again
    model[0].weight.data.data[...] += 1.0
    after_change = {k: _as_sent(v) for k, v in state.items()}

    fresh = _checkpoint_model(seed + 1)
    held = {"0.weight": fresh[0].weight.data.data, "1.running_mean": fresh[1].running_mean}
    fresh.load_state_dict(state)
    model.load_state_dict(state)
    fresh.train(False)
    model.train(False)
    broken = {
        "missing": {k: v for k, v in state.items() if k != "1.running_var"},
        "unexpected": {**state, "4.weight": np.zeros(2)},
        "shape": {**state, "3.weight": np.zeros((5, 2))},
    }
    before_rejections = {k: _as_sent(v) for k, v in fresh.state_dict().items()}
    raised = {name: _raised(lambda bad=bad: fresh.load_state_dict(bad)) for name, bad in broken.items()}
    after_rejections = {k: _as_sent(v) for k, v in fresh.state_dict().items()}
    return {
        "first batch in training": evidence,
        "keys": list(state),
        "values when taken": taken,
        "values after the model trained on and changed": after_change,
        "read through the arrays the fresh model held before load_state_dict": {
            name: np.array(array, copy=True) for name, array in held.items()},
        "eval output when the checkpoint was taken": saved_output,
        "eval output of a fresh model after load_state_dict": _attempt(lambda: fresh(x)),
        "eval output of the model after load_state_dict": _attempt(lambda: model(x)),
        "raised": raised,
        "state before the rejected loads": before_rejections,
        "state after the rejected loads": after_rejections,
    }


# Linear and initialisation.


def init_stds():
    values = {}
    for init in ("he", "xavier", "lecun", "normal"):
        for fan_in, fan_out in ((100, 10), (7, 300)):
            values[f"{init} {fan_in} {fan_out}"] = float(init_std(init, fan_in, fan_out))
    return values


def rejections():
    """The name of the exception each invalid argument raises (or None): constants, checked for 1 point."""
    return {
        "init_std('orthogonal', 3, 3)": _raised(lambda: init_std("orthogonal", 3, 3)),
        "Linear(3, 3, init='kaiming_uniform')": _raised(lambda: Linear(3, 3, init="kaiming_uniform")),
        "Dropout(1.2)": _raised(lambda: Dropout(1.2)),
        "Dropout(-0.5)": _raised(lambda: Dropout(-0.5)),
        "BatchNorm1d(3) in training mode on a batch of one example": _raised(lambda: BatchNorm1d(3)(np.ones((1, 3)))),
    }


def linear_weight_stats(init, fan_in, fan_out, seed):
    layer = Linear(fan_in, fan_out, init=init, rng=seed)
    weights = layer.weight.data.data
    return {
        "shape": list(weights.shape),
        "std": float(weights.std()),
        "mean": float(weights.mean()),
        "bias_shape": list(layer.bias.shape),
        "bias_max_abs": float(np.abs(layer.bias.data.data).max()),
        "first row": np.array(weights[0], copy=True),
        "first row of another Linear with the same seed": _array(Linear(fan_in, fan_out, init=init, rng=seed)
                                                                 .weight)[0],
    }


def linear_forward_backward(in_features, out_features, bias, input_shape, dtype, seed):
    layer = Linear(in_features, out_features, bias=bias, dtype=np.dtype(dtype), rng=seed)
    _set_weights(layer, seed)
    x = np.random.default_rng(seed + 1).normal(size=input_shape).astype(dtype)
    result = _forward_backward(layer, x, seed)
    result["weight"] = _array(layer.weight)
    result["bias"] = _array(layer.bias)
    result["parameter_names"] = [name for name, _ in layer.named_parameters()]
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
    """The model's output and gradients, and those of the same layers (the model's own objects) applied one
    after the other by hand, each on the previous one's output: the grader compares the two. The output is
    also compared with the reference's, as the run's evidence."""
    model = _model(seed)
    _set_weights(model, seed)
    x = np.random.default_rng(seed).normal(size=(5, 2, 3))
    result = _forward_backward(model, x, seed)
    model.zero_grad()
    inputs = Variable(np.array(x, copy=True))
    out = inputs
    for index in range(len(model)):
        out = model[index](out)
    out.backward(np.random.default_rng(seed + 1000).normal(size=out.shape).astype(out.dtype))
    result["by hand"] = {"output": _array(out), "input_grad": _grad(inputs),
                         "param_grads": {name: _grad(p) for name, p in model.named_parameters()}}
    result["names"] = [name for name, _ in model.named_parameters()]
    result["length"] = len(model)
    return result


# Dropout.


ROWS = 20  # the rows of the (300, 200) input whose values (not only which are kept) go to the grader


def dropout_behaviour(p, seed):
    """Dropout(p) on a (300, 200) input of values in [1, 2): which elements are kept (first call, second call, a
    new layer with the same seed), and for the first rows the input, the output, the input's gradient for an
    upstream gradient of 3s, and the output in eval mode; the output on 8 float32 ones. The mask is the
    submission's own, so the grader checks these against each other and against the input."""
    x = np.random.default_rng(seed + 1).uniform(1.0, 2.0, size=(300, 200))
    layer = Dropout(p, rng=seed)
    inputs = Variable(x.copy())
    out = layer(inputs)
    values = np.array(out.data.data, copy=True)
    out.backward(np.full(x.shape, 3.0))
    second = layer(x).data.data
    repeat = Dropout(p, rng=seed)(x).data.data
    layer.eval()
    evaluated = _array(layer(inputs))
    return {
        "input": x[:ROWS],
        "kept": values != 0,
        "output": values[:ROWS],
        "input gradient": _grad(inputs)[:ROWS],
        "kept on a second call": second != 0,
        "kept by a new Dropout(p, rng=seed)": repeat != 0,
        "output in eval mode": evaluated[:ROWS],
        "output on 8 float32 ones": _array(Dropout(p, rng=seed)(np.ones(8, dtype=np.float32))),
    }


def dropout_extremes():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    return {
        "p0": _array(Dropout(0.0, rng=0)(x)),
        "p1": _array(Dropout(1.0, rng=0)(x)),
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
        # the batch's own statistics (numpy on the probe's input): the grader's hints use them
        result["batch_mean"] = x.mean(axis=0)
        result["batch_var"] = x.var(axis=0, ddof=1)
        history.append(result)
    return history


def batchnorm_eval(seed):
    """BatchNorm1d in eval mode with running statistics written straight into its buffers (so that this does
    not depend on how they are updated): the output and gradients on a batch, the output on another batch,
    then on the first batch again (eval mode must not change anything), and the buffers afterwards."""
    generator = np.random.default_rng(seed)
    layer = BatchNorm1d(3)
    _set_weights(layer, seed)
    layer.running_mean[...] = generator.normal(loc=2.0, size=3)
    layer.running_var[...] = generator.uniform(0.5, 4.0, size=3)
    layer.eval()
    x, other = generator.normal(size=(4, 3)), generator.normal(loc=5.0, size=(6, 3))
    result = _forward_backward(layer, x, seed)
    result["output on another batch"] = _attempt(lambda: layer(other))
    result["output on the first batch again"] = _attempt(lambda: layer(x))
    result["output on one example"] = _attempt(lambda: layer(x[:1]))
    result["running statistics afterwards"] = {"running_mean": np.array(layer.running_mean, copy=True),
                                               "running_var": np.array(layer.running_var, copy=True)}
    return result
