"""Hidden tests of the layers module: the submission against the reference, through probes.py only.

Each test checks one property, in a way that does not depend on the others being right: a mode, a checkpoint
or a chain of layers is compared with the submission's own computation of the same thing (its layers with the
flags set by hand, its values when the checkpoint was taken, its layers applied one by one), once evidence that
its code ran (an output compared with the reference's) has been seen. Each message names its concept first.
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true


def ran(got, expected, concept, what):
    """The evidence that gates a comparison of the submission with itself: `got` (an output of its code on
    seeded inputs) has the reference's shape and follows it closely (correlation above 0.99), so that a report of
    the same numbers twice (zeros, a constant, the input echoed) cannot pass, while a mistake elsewhere that
    shifts or scales the numbers a little (a variance with n - 1) does not fail this test too."""
    message = (f"{concept}: {what} (this check compares your code with itself, once this output follows the "
               "reference's)")
    if not isinstance(got, np.ndarray) or got.shape != expected.shape or not np.all(np.isfinite(got)):
        assert_close(got, expected, message)  # says what came back instead
    flat, reference = got.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    follows = flat.std() > 0 and float(np.corrcoef(flat, reference)[0, 1]) > 0.99
    assert_true(follows, f"{message}: expected values following {np.array2string(reference[:4], precision=4)}..., "
                         f"got {np.array2string(flat[:4], precision=4)}...")


# Module mechanics: 16 points.


@pytest.mark.points(6)
def test_parameter_and_module_names(student, reference):
    got, expected = student.tree_structure(), reference.tree_structure()
    for key in ("modules", "parameters", "shapes", "count", "state_keys", "block_modules", "shared_parameters"):
        assert_equal(got[key], expected[key], f"a nested Sequential holding a custom module with a list: {key}")
    key = "values read through named_parameters() after writing through parameters()"
    assert_close(got[key], expected[key], f"{key} (parameters() should return the Parameter objects that "
                                          "named_parameters() names, not copies)")


@pytest.mark.points(4)
def test_train_and_eval_reach_every_module(student, reference):
    got = student.modes(seed=2)
    concept = "train() and eval()"
    ran(got["first batch in training"], reference.modes(seed=2)["first batch in training"], concept,
        "the output of a fresh Sequential(custom module with a BatchNorm1d in a list, Sequential(Linear, "
        "BatchNorm1d)) on a first batch")
    for call, output in got["by hand"].items():
        assert_close(got["switched"][call], output,
                     f"{concept}: {call}, against the same model with each module's training flag set by hand "
                     "(train() and eval() return the module itself and reach every module inside it, in lists "
                     "too)", rtol=1e-12, atol=1e-12)


@pytest.mark.points(2)
def test_state_dict_copies(student, reference):
    got = student.state_round_trip(seed=4)
    concept = "state_dict() copies"
    ran(got["first batch in training"], reference.state_round_trip(seed=4)["first batch in training"], concept,
        "the training output of Sequential(Linear, BatchNorm1d, ReLU, Linear) on a first batch")
    assert_equal(got["keys"], reference.state_round_trip(seed=4)["keys"],
                 f"{concept}: the state_dict keys of Sequential(Linear, BatchNorm1d, ReLU, Linear)")
    key = "values after the model trained on and changed"
    assert_close(got[key], got["values when taken"],
                 f"{concept}: the checkpoint's {key}, against its values when it was taken (state_dict() must "
                 "return copies, not the model's live arrays)", rtol=0.0, atol=0.0)


@pytest.mark.points(3)
def test_state_dict_round_trip(student, reference):
    got = student.state_round_trip(seed=4)
    concept = "load_state_dict round trip"
    ran(got["first batch in training"], reference.state_round_trip(seed=4)["first batch in training"], concept,
        "the training output of Sequential(Linear, BatchNorm1d, ReLU, Linear) on a first batch")
    key = "read through the arrays the fresh model held before load_state_dict"
    assert_close(got[key], {name: got["values when taken"][name] for name in got[key]},
                 f"{concept}: the values {key}, against the checkpoint's (load_state_dict must copy into the "
                 "existing parameter and buffer arrays, in place)", rtol=0.0, atol=0.0)
    saved = got["eval output when the checkpoint was taken"]
    for which in ("eval output of a fresh model after load_state_dict", "eval output of the model after load_state_dict"):
        assert_close(got[which], saved, f"{concept}: the {which}, against the model's eval output when the "
                                        "checkpoint was taken", rtol=1e-12, atol=1e-12)


@pytest.mark.points(1)
def test_load_state_dict_rejects_bad_checkpoints(student):
    # what is raised is a constant a forged report could give, and the model is compared with itself (so that a
    # bug elsewhere in state_dict does not fail this test too): this test is worth 1 point
    got = student.state_round_trip(seed=4)
    assert_close(got["state after the rejected loads"], got["state before the rejected loads"],
                 "a model's state after load_state_dict rejected three bad checkpoints, against its state before (a "
                 "rejected state_dict must leave the model as it was)", rtol=0.0, atol=0.0)
    for problem in ("missing", "unexpected", "shape"):
        assert_equal(got["raised"][problem], "ValueError", f"load_state_dict with a {problem} key should raise")


# Linear and initialisation: 15 points.


@pytest.mark.points(3)
def test_init_std_of_each_scheme(student, reference):
    got, expected = student.init_stds(), reference.init_stds()
    assert_equal(sorted(got), sorted(expected), "init_std: the cases")
    rules = {"he": "sqrt(2 / fan_in)", "xavier": "sqrt(2 / (fan_in + fan_out))", "lecun": "sqrt(1 / fan_in)",
             "normal": "0.01"}
    for case, std in expected.items():
        init, fan_in, fan_out = case.split()
        assert_close(got[case], std, f"init_std: init_std({init!r}, fan_in={fan_in}, fan_out={fan_out}) is "
                                     f"{rules[init]}")


@pytest.mark.points(1)
@pytest.mark.parametrize("init, fan_in, fan_out", [("he", 256, 128), ("xavier", 100, 300), ("lecun", 400, 50),
                                                   ("normal", 200, 200)])
def test_linear_weight_statistics(student, reference, init, fan_in, fan_out):
    case = dict(init=init, fan_in=fan_in, fan_out=fan_out, seed=21)
    got, expected = student.linear_weight_stats(**case), reference.linear_weight_stats(**case)
    what = f"Linear initialisation: Linear({fan_in}, {fan_out}, init={init!r})"
    assert_equal(got["shape"], expected["shape"], f"{what}: weight shape (out_features, in_features)")
    assert_equal(got["bias_shape"], expected["bias_shape"], f"{what}: bias shape")
    assert_close(got["bias_max_abs"], 0.0, f"{what}: the bias starts at zero")
    # >= 10,000 draws: the sample std is within 3% of the scheme's with overwhelming probability.
    assert_close(got["std"], expected["std"], f"{what}: standard deviation of the weights", rtol=0.03)
    assert_close(got["mean"], 0.0, f"{what}: mean of the weights", atol=0.05 * expected["std"])
    assert_close(got["first row of another Linear with the same seed"], got["first row"],
                 f"{what}: the first row of the weights of another Linear made with the same seed (the same seed "
                 "must give the same weights)", rtol=0.0, atol=0.0)


LINEAR_CASES = [
    dict(in_features=4, out_features=3, bias=True, input_shape=[5, 4], dtype="float64", seed=1),
    dict(in_features=4, out_features=3, bias=False, input_shape=[5, 4], dtype="float64", seed=2),
    dict(in_features=3, out_features=6, bias=True, input_shape=[2, 4, 3], dtype="float64", seed=3),
]


def _linear_cases(student, reference, cases=LINEAR_CASES):
    for case in cases:
        what = (f"Linear({case['in_features']}, {case['out_features']}, bias={case['bias']}) on {case['dtype']} "
                f"input {case['input_shape']}")
        yield what, case, student.linear_forward_backward(**case), reference.linear_forward_backward(**case)


@pytest.mark.points(2)
def test_linear_output(student, reference):
    for what, case, got, expected in _linear_cases(student, reference):
        assert_equal(got["parameter_names"], expected["parameter_names"], f"Linear forward: {what}: parameter names")
        assert_close(got["weight"], expected["weight"], f"Linear forward: {what}: the weight (its shape is "
                                                        "(out_features, in_features), its dtype the layer's)")
        if expected["bias"] is None:
            assert_equal(got["bias"], None, f"Linear forward: {what}: the bias (None with bias=False)")
        else:
            assert_close(got["bias"], expected["bias"], f"Linear forward: {what}: the bias")
        assert_close(got["output"], expected["output"], f"Linear forward: {what}: x @ weight.T + bias")


@pytest.mark.points(1)
def test_linear_keeps_float32(student, reference):
    case = dict(in_features=5, out_features=2, bias=True, input_shape=[7, 5], dtype="float32", seed=4)
    got = student.linear_forward_backward(**case)
    wide = student.linear_forward_backward(**{**case, "dtype": "float64"})
    concept = "Linear in float32"
    ran(wide["output"], reference.linear_forward_backward(**{**case, "dtype": "float64"})["output"], concept,
        "the float64 output of Linear(5, 2) on (7, 5)")
    for key in ("weight", "bias", "output", "input_grad"):
        assert_close(got[key], wide[key].astype(np.float32),
                     f"{concept}: the {key} of Linear(5, 2, dtype=float32) on float32 input, against your float64 "
                     "result (float32 stays float32)", rtol=1e-5, atol=1e-6)


@pytest.mark.points(2)
def test_linear_input_gradient(student, reference):
    for what, _, got, expected in _linear_cases(student, reference):
        assert_close(got["input_grad"], expected["input_grad"],
                     f"Linear input gradient: {what}: the gradient of the input (upstream @ weight)")


@pytest.mark.points(2)
def test_linear_weight_gradient(student, reference):
    for what, _, got, expected in _linear_cases(student, reference):
        assert_close(got["param_grads"]["weight"], expected["param_grads"]["weight"],
                     f"Linear weight gradient: {what}: weight.grad (upstream.T @ x, summed over the batch axes)")


@pytest.mark.points(1)
def test_linear_bias_gradient(student, reference):
    for what, case, got, expected in _linear_cases(student, reference):
        if case["bias"]:
            grad = got["param_grads"].get("bias") if isinstance(got["param_grads"], dict) else None
            assert_true(grad is not None, f"Linear bias gradient: {what}: bias.grad is None after backward (add "
                                          "the bias as the Parameter, so that the gradient reaches it)")
            assert_close(grad, expected["param_grads"]["bias"],
                         f"Linear bias gradient: {what}: bias.grad (upstream summed over the batch axes)")


# Activations: 12 points.


@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["ReLU", "Sigmoid", "Tanh", "SELU"])
def test_activation(student, reference, name):
    got, expected = student.activation(name=name, seed=5), reference.activation(name=name, seed=5)
    assert_close(got["output"], expected["output"], f"{name} on values including 0 and ±1000")
    assert_close(got["input_grad"], expected["input_grad"], f"gradient of {name} (including at 0 and ±1000)")
    got32, expected32 = student.activation(name=name, seed=6, dtype="float32"), reference.activation(name=name, seed=6,
                                                                                                    dtype="float32")
    assert_close(got32["output"], expected32["output"], f"{name} on float32 input: output (float32 stays float32)",
                 rtol=1e-5, atol=1e-6)


@pytest.mark.points(2)
@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_layer(student, reference, axis):
    got, expected = student.softmax(axis=axis, seed=7), reference.softmax(axis=axis, seed=7)
    what = f"Softmax(axis={axis}) with logits up to ±1000"
    output = got["output"]
    if isinstance(output, np.ndarray) and not np.all(np.isfinite(output)):
        raise AssertionError(f"max shift: {what} gave nan or inf: exp overflowed; subtract the maximum along the "
                             "axis before exp")
    assert_close(output, expected["output"], f"Softmax: {what}")
    assert_close(got["sums"], expected["sums"], f"Softmax: {what}: probabilities sum to 1")
    assert_close(got["input_grad"], expected["input_grad"], f"Softmax: gradient of {what}")


# Sequential: 6 points.


@pytest.mark.points(6)
def test_sequential_model(student, reference):
    got, expected = student.sequential_model(seed=8), reference.sequential_model(seed=8)
    concept = "Sequential"
    assert_equal(got["length"], expected["length"], f"{concept}: len() of an 11-layer Sequential")
    ran(got["output"], expected["output"], concept, "the output of Flatten, Linear and every activation chained")
    hand = got["by hand"]
    assert_close(got["output"], hand["output"], f"{concept}: the output, against your layers applied one after "
                                                "the other", rtol=1e-12, atol=1e-12)
    assert_close(got["input_grad"], hand["input_grad"], f"{concept}: the gradient of the input, against your "
                                                        "layers applied one after the other", rtol=1e-12, atol=1e-12)
    grads, by_hand = got["param_grads"], hand["param_grads"]
    assert_equal(sorted(grads), sorted(by_hand), f"{concept}: the parameters with gradients")
    for name, grad in by_hand.items():
        what = f"{concept}: the gradient of {name}, against your layers applied one after the other"
        if grad is None:  # the same layer gives no gradient by hand either: not this test's concern
            assert_equal(grads[name], None, what)
        else:
            assert_close(grads[name], grad, what, rtol=1e-12, atol=1e-12)


# Dropout: 8 points.


def _is_mask(value, shape):
    return isinstance(value, np.ndarray) and value.dtype == np.bool_ and value.shape == shape


def _dropout(student, reference, p):
    """The submission's observations of Dropout(p), and the probe's input (the first rows, the same for both)."""
    got = student.dropout_behaviour(p=p, seed=9)
    x = reference.dropout_behaviour(p=p, seed=9)["input"]
    kept = got["kept"]
    assert_true(_is_mask(kept, (300, 200)), f"Dropout({p}) on a (300, 200) input: expected an output of that shape")
    return got, x, kept


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_mask(student, reference, p):
    # The mask is the submission's own draw: its fraction is checked, and its reproducibility.
    got, _, kept = _dropout(student, reference, p)
    # 60,000 coin flips: the kept fraction is within 0.012 of 1 - p with overwhelming probability.
    assert_close(float(kept.mean()), 1 - p, f"Dropout mask: Dropout({p}): fraction of elements kept", rtol=0, atol=0.012)
    second = got["kept on a second call"]
    assert_true(_is_mask(second, kept.shape) and not np.array_equal(second, kept),
                f"Dropout mask: Dropout({p}): each call should draw a new mask")
    assert_close(got["kept by a new Dropout(p, rng=seed)"], kept,
                 f"Dropout mask: Dropout({p}, rng=seed): the elements kept by a new layer with the same seed (the "
                 "same seed should give the same mask)", rtol=0.0, atol=0.0)


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_scales_what_it_keeps(student, reference, p):
    got, x, kept = _dropout(student, reference, p)
    rows = kept[:len(x)]
    concept = "inverted dropout scaling"
    output = got["output"]
    if isinstance(output, np.ndarray) and output.shape == x.shape and np.allclose(output, np.where(rows, x, 0.0)):
        raise AssertionError(f"{concept}: Dropout({p}) kept elements unchanged: divide what it keeps by 1 - p = "
                             f"{1 - p:g}, so that the expected output equals the input")
    assert_close(output, np.where(rows, x / (1 - p), 0.0),
                 f"{concept}: Dropout({p}): the output, where kept elements are x / (1 - p) = x / {1 - p:g} and the "
                 "others 0", rtol=1e-12, atol=0.0)
    assert_close(got["input gradient"], np.where(rows, 3.0 / (1 - p), 0.0),
                 f"{concept}: Dropout({p}): the input's gradient for an upstream gradient of 3s (the same mask, times "
                 "1 / (1 - p))", rtol=1e-12, atol=0.0)
    ones = got["output on 8 float32 ones"]
    kept_ones = ones != 0 if isinstance(ones, np.ndarray) else False
    assert_close(ones, np.where(kept_ones, 1 / (1 - p), 0.0).astype(np.float32),
                 f"{concept}: Dropout({p}) on 8 float32 ones: the output (float32 stays float32)", rtol=1e-6, atol=0.0)


@pytest.mark.points(1)
def test_dropout_in_eval_mode(student, reference):
    got, x, _ = _dropout(student, reference, 0.6)
    assert_close(got["output in eval mode"], x, "Dropout in eval mode: Dropout(0.6) after eval() should return its "
                                                "input unchanged", rtol=0.0, atol=0.0)


@pytest.mark.points(1)
def test_dropout_extremes(student, reference):
    got, expected = student.dropout_extremes(), reference.dropout_extremes()
    assert_close(got["p0"], expected["p0"], "Dropout extremes: Dropout(0.0) keeps everything")
    assert_close(got["p1"], expected["p1"], "Dropout extremes: Dropout(1.0) drops everything")


# Batch normalisation: 12 points.


def _batchnorm_history(student, reference, momentum, eps):
    case = dict(features=4, momentum=momentum, eps=eps, steps=3, seed=10)
    return student.batchnorm_training(**case), reference.batchnorm_training(**case)


@pytest.mark.points(2)
@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.3, 1e-2)])
def test_batchnorm_training_forward(student, reference, momentum, eps):
    got, expected = _batchnorm_history(student, reference, momentum, eps)
    for step, (mine, theirs) in enumerate(zip(got, expected), start=1):
        what = f"BatchNorm1d training forward: BatchNorm1d(4, eps={eps}, momentum={momentum}), training batch {step}"
        assert_close(mine["output"], theirs["output"], f"{what}: output (the batch's mean and biased variance)")
        assert_close(mine["input_grad"], theirs["input_grad"], f"{what}: gradient of the input")
        assert_close(mine["param_grads"], theirs["param_grads"], f"{what}: gradients of weight and bias")


@pytest.mark.points(2)
@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.3, 1e-2)])
def test_batchnorm_running_statistics(student, reference, momentum, eps):
    got, expected = _batchnorm_history(student, reference, momentum, eps)
    concept = "BatchNorm1d running statistics"
    swapped = np.zeros(4)
    for step, (mine, theirs) in enumerate(zip(got, expected), start=1):
        what = f"{concept}: BatchNorm1d(4, momentum={momentum}), after training batch {step}"
        assert_equal(mine["num_batches_tracked"], theirs["num_batches_tracked"], f"{what}: num_batches_tracked")
        swapped = momentum * swapped + (1 - momentum) * theirs["batch_mean"]
        if np.allclose(mine["running_mean"], swapped) and not np.allclose(swapped, theirs["running_mean"]):
            raise AssertionError(f"{what}: running_mean is momentum * running + (1 - momentum) * batch; torch's "
                                 f"convention is the other way round: (1 - momentum) * running + momentum * batch")
        assert_close(mine["running_mean"], theirs["running_mean"],
                     f"{what}: running_mean ((1 - momentum) * running + momentum * batch mean)")
        assert_close(mine["running_var"], theirs["running_var"], f"{what}: running_var (unbiased batch variance)")


@pytest.mark.points(4)
def test_batchnorm_eval(student, reference):
    got, expected = student.batchnorm_eval(seed=11), reference.batchnorm_eval(seed=11)
    what = "BatchNorm1d in eval mode (running statistics written into its buffers)"
    for key in ("output", "output on another batch", "output on the first batch again", "output on one example"):
        assert_close(got[key], expected[key],
                     f"{what}: the {key} ((x - running_mean) / sqrt(running_var + eps) * weight + bias: eval mode "
                     "uses the running statistics, not the batch's)")
    assert_close(got["input_grad"], expected["input_grad"], f"{what}: gradient of the input")
    assert_close(got["param_grads"], expected["param_grads"], f"{what}: gradients of weight and bias")
    key = "running statistics afterwards"
    assert_close(got[key], expected[key], f"{what}: the {key} (eval mode must not change them)")


# Invalid arguments: 1 point (exception names are constants a forged report could give).


@pytest.mark.points(1)
def test_layers_reject_invalid_arguments(student, reference):
    got = student.rejections()
    for call, raised in reference.rejections().items():
        assert_equal(got[call], raised, f"{call} should raise")
