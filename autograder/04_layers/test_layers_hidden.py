"""Hidden tests of the layers module: the submission against the reference, through probes.py only."""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

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
    got, expected = student.modes(seed=2), reference.modes(seed=2)
    for call, output in expected.items():
        assert_close(got[call], output,
                     f"{call}, for a Sequential(custom module with a BatchNorm1d in a list, Sequential(Dropout(1.0), "
                     "BatchNorm1d(2))) (train() and eval() return the module and reach every module inside it; "
                     "BatchNorm1d uses the batch's statistics only in training, Dropout drops only in training)")


@pytest.mark.points(5)
def test_state_dict_round_trip(student, reference):
    got, expected = student.state_round_trip(seed=4), reference.state_round_trip(seed=4)
    assert_equal(got["keys"], expected["keys"], "state_dict keys of Sequential(Linear, BatchNorm1d, ReLU, Linear)")
    assert_close(got["values"], expected["values"],
                 "state_dict values after one training batch (ndarrays, each in its own dtype)")
    key = "checkpoint's 0.weight after the model's weight changed"
    assert_close(got[key], expected[key], f"the {key} (state_dict() must return copies)")
    key = "read through the arrays the fresh model held before load_state_dict"
    assert_close(got[key], expected[key],
                 f"values {key} (load_state_dict must copy into the existing parameter and buffer arrays)")
    assert_close(got["fresh_output"], expected["fresh_output"], "eval output of a fresh model after load_state_dict")
    assert_close(got["restored_output"], expected["restored_output"], "eval output of the model after reloading")


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
def test_init_std(student, reference):
    assert_close(student.init_stds(), reference.init_stds(), "init_std for each scheme and fan_in/fan_out")


@pytest.mark.points(1)
@pytest.mark.parametrize("init, fan_in, fan_out", [("he", 256, 128), ("xavier", 100, 300), ("lecun", 400, 50),
                                                   ("normal", 200, 200)])
def test_linear_weight_statistics(student, reference, init, fan_in, fan_out):
    case = dict(init=init, fan_in=fan_in, fan_out=fan_out, seed=21)
    got, expected = student.linear_weight_stats(**case), reference.linear_weight_stats(**case)
    what = f"Linear({fan_in}, {fan_out}, init={init!r})"
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
    dict(in_features=5, out_features=2, bias=True, input_shape=[7, 5], dtype="float32", seed=4),
]


@pytest.mark.points(2)
@pytest.mark.parametrize("case", LINEAR_CASES, ids=lambda case: f"{case['input_shape']}-bias{case['bias']}-{case['dtype']}")
def test_linear_forward_and_gradients(student, reference, case):
    got, expected = student.linear_forward_backward(**case), reference.linear_forward_backward(**case)
    what = f"Linear({case['in_features']}, {case['out_features']}, bias={case['bias']}) on {case['dtype']} input {case['input_shape']}"
    assert_equal(got["parameter_names"], expected["parameter_names"], f"{what}: parameter names")
    assert_close(got["weight"], expected["weight"], f"{what}: the weight (its shape is (out_features, in_features), "
                                                    "its dtype the layer's)")
    if expected["bias"] is None:
        assert_equal(got["bias"], None, f"{what}: the bias (None with bias=False)")
    else:
        assert_close(got["bias"], expected["bias"], f"{what}: the bias")
    tolerance = dict(rtol=1e-5, atol=1e-6) if case["dtype"] == "float32" else {}
    assert_close(got["output"], expected["output"], f"{what}: output", **tolerance)
    assert_close(got["input_grad"], expected["input_grad"], f"{what}: gradient of the input", **tolerance)
    assert_close(got["param_grads"], expected["param_grads"], f"{what}: parameter gradients", **tolerance)


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
def test_softmax(student, reference, axis):
    got, expected = student.softmax(axis=axis, seed=7), reference.softmax(axis=axis, seed=7)
    assert_close(got["output"], expected["output"], f"Softmax(axis={axis}) with logits up to ±1000")
    assert_close(got["sums"], expected["sums"], f"Softmax(axis={axis}): probabilities sum to 1")
    assert_close(got["input_grad"], expected["input_grad"], f"gradient of Softmax(axis={axis})")


# Sequential: 6 points.


@pytest.mark.points(6)
def test_sequential_model(student, reference):
    got, expected = student.sequential_model(seed=8), reference.sequential_model(seed=8)
    assert_equal(got["names"], expected["names"], "parameter names of an 11-layer Sequential")
    assert_equal(got["length"], expected["length"], "len() of the Sequential")
    assert_close(got["output"], expected["output"], "output of Flatten, Linear and every activation chained")
    assert_close(got["input_grad"], expected["input_grad"], "gradient of the input through the whole model")
    assert_close(got["param_grads"], expected["param_grads"], "gradients of every parameter of the model")


# Dropout: 8 points.


def _is_mask(value, shape):
    return isinstance(value, np.ndarray) and value.dtype == np.bool_ and value.shape == shape


@pytest.mark.points(3)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_statistics(student, reference, p):
    # The mask is the submission's own draw: its fraction is checked, and everything else against it.
    got = student.dropout_behaviour(p=p, seed=9)
    x = reference.dropout_behaviour(p=p, seed=9)["input"]  # the probe's input (the first rows), the same for both
    kept = got["kept"]
    assert_true(_is_mask(kept, (300, 200)), f"Dropout({p}) on a (300, 200) input: expected an output of that shape")
    # 60,000 coin flips: the kept fraction is within 0.012 of 1 - p with overwhelming probability.
    assert_close(float(kept.mean()), 1 - p, f"Dropout({p}): fraction of elements kept", rtol=0, atol=0.012)
    rows = kept[:len(x)]
    assert_close(got["output"], np.where(rows, x / (1 - p), 0.0),
                 f"Dropout({p}): the output, where kept elements are x / (1 - p) = x / {1 - p:g} and the others 0",
                 rtol=1e-12, atol=0.0)
    assert_close(got["input gradient"], np.where(rows, 3.0 / (1 - p), 0.0),
                 f"Dropout({p}): the input's gradient for an upstream gradient of 3s (the same mask, times "
                 "1 / (1 - p))", rtol=1e-12, atol=0.0)
    second = got["kept on a second call"]
    assert_true(_is_mask(second, kept.shape) and not np.array_equal(second, kept),
                f"Dropout({p}): each call should draw a new mask")
    assert_close(got["kept by a new Dropout(p, rng=seed)"], kept,
                 f"Dropout({p}, rng=seed): the elements kept by a new layer with the same seed (the same seed should "
                 "give the same mask)", rtol=0.0, atol=0.0)
    assert_close(got["output in eval mode"], x, f"Dropout({p}) in eval mode should return its input unchanged",
                 rtol=0.0, atol=0.0)
    ones = got["output on 8 float32 ones"]
    kept_ones = ones != 0 if isinstance(ones, np.ndarray) else False
    assert_close(ones, np.where(kept_ones, 1 / (1 - p), 0.0).astype(np.float32),
                 f"Dropout({p}) on 8 float32 ones: the output (float32 stays float32)", rtol=1e-6, atol=0.0)


@pytest.mark.points(2)
def test_dropout_extremes(student, reference):
    got, expected = student.dropout_extremes(), reference.dropout_extremes()
    assert_close(got["p0"], expected["p0"], "Dropout(0.0) keeps everything")
    assert_close(got["p1"], expected["p1"], "Dropout(1.0) drops everything")


# Batch normalisation: 12 points.


@pytest.mark.points(4)
@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.3, 1e-2)])
def test_batchnorm_training(student, reference, momentum, eps):
    case = dict(features=4, momentum=momentum, eps=eps, steps=3, seed=10)
    got, expected = student.batchnorm_training(**case), reference.batchnorm_training(**case)
    for step, (mine, theirs) in enumerate(zip(got, expected), start=1):
        what = f"BatchNorm1d(4, eps={eps}, momentum={momentum}), training batch {step}"
        assert_close(mine["output"], theirs["output"], f"{what}: output")
        assert_close(mine["input_grad"], theirs["input_grad"], f"{what}: gradient of the input")
        assert_close(mine["param_grads"], theirs["param_grads"], f"{what}: gradients of weight and bias")
        assert_close(mine["running_mean"], theirs["running_mean"], f"{what}: running_mean")
        assert_close(mine["running_var"], theirs["running_var"], f"{what}: running_var (unbiased batch variance)")
        assert_equal(mine["num_batches_tracked"], theirs["num_batches_tracked"], f"{what}: num_batches_tracked")


@pytest.mark.points(2)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_eval(student, reference, momentum):
    got, expected = student.batchnorm_eval(momentum=momentum, seed=11), reference.batchnorm_eval(momentum=momentum, seed=11)
    what = f"BatchNorm1d(3, momentum={momentum}) in eval mode after 3 training batches"
    assert_close(got["output"], expected["output"], f"{what}: output for a single example")
    assert_close(got["input_grad"], expected["input_grad"], f"{what}: gradient of the input")
    assert_close(got["param_grads"], expected["param_grads"], f"{what}: gradients of weight and bias")
    assert_equal(got["state_keys"], expected["state_keys"], f"{what}: state_dict keys")
    key = "state after the eval-mode pass"
    assert_close(got[key], expected[key], f"{what}: the {key} (eval mode must not change the running statistics; "
                                          "num_batches_tracked is an int64 count)")


# Invalid arguments: 1 point (exception names are constants a forged report could give).


@pytest.mark.points(1)
def test_layers_reject_invalid_arguments(student, reference):
    got = student.rejections()
    for call, raised in reference.rejections().items():
        assert_equal(got[call], raised, f"{call} should raise")
