"""Hidden tests of the layers module: the submission against the reference, through probes.py only."""

import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

# Module mechanics: 16 points.


@pytest.mark.points(6)
def test_parameter_and_module_names(student, reference):
    got, expected = student.tree_structure(), reference.tree_structure()
    for key in ("modules", "parameters", "shapes", "count", "state_keys", "block_modules", "shared_parameters"):
        assert_equal(got[key], expected[key], f"a nested Sequential holding a custom module with a list: {key}")
    assert_true(got["same_objects"], "parameters() should return the Parameter objects named by named_parameters()")


@pytest.mark.points(4)
def test_train_and_eval_reach_every_module(student, reference):
    got, expected = student.modes(), reference.modes()
    assert_true(got["eval_returns_self"] and got["train_returns_self"], "train() and eval() should return the module")
    for key in ("after_eval", "after_train", "partial"):
        assert_equal(got[key], expected[key], f"training flags of every module ({key.replace('_', ' ')})")


@pytest.mark.points(6)
def test_state_dict_round_trip(student, reference):
    got, expected = student.state_round_trip(seed=4), reference.state_round_trip(seed=4)
    assert_equal(got["keys"], expected["keys"], "state_dict keys of Sequential(Linear, BatchNorm1d, ReLU, Linear)")
    assert_equal(got["value_types"], ["ndarray"], "state_dict values should all be ndarrays")
    assert_close(got["values"], expected["values"], "state_dict values after one training batch")
    assert_true(got["copy_is_independent"], "state_dict() must return copies: changing the model changed the checkpoint")
    assert_true(got["in_place"], "load_state_dict must copy into the existing parameter and buffer arrays")
    assert_close(got["fresh_output"], expected["fresh_output"], "eval output of a fresh model after load_state_dict")
    assert_close(got["restored_output"], expected["restored_output"], "eval output of the model after reloading")
    for problem in ("missing", "unexpected", "shape"):
        assert_equal(got["raised"][problem], "ValueError", f"load_state_dict with a {problem} key should raise")
    assert_true(got["unchanged_after_errors"], "a rejected state_dict must leave the model unchanged")


# Linear and initialisation: 16 points.


@pytest.mark.points(4)
def test_init_std(student, reference):
    got, expected = student.init_stds(), reference.init_stds()
    for key in ("unknown raises", "Linear unknown raises"):
        assert_equal(got.pop(key, None), "ValueError", f"an unknown init scheme should raise ValueError ({key})")
        expected.pop(key)
    assert_close(got, expected, "init_std for each scheme and fan_in/fan_out")


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
    assert_true(got["reproducible"], f"{what}: the same seed must give the same weights")


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
    for key in ("weight_shape", "bias_is_none", "parameter_names", "weight_dtype"):
        assert_equal(got[key], expected[key], f"{what}: {key.replace('_', ' ')}")
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
    got32 = student.activation(name=name, seed=6, dtype="float32")
    assert_equal(str(got32["output"].dtype), "float32", f"{name} on float32 input: output dtype")


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


@pytest.mark.points(3)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_statistics(student, p):
    got = student.dropout_behaviour(p=p, seed=9)
    # 60,000 coin flips: the kept fraction is within 0.012 of 1 - p with overwhelming probability.
    assert_close(got["kept_fraction"], 1 - p, f"Dropout({p}): fraction of elements kept", rtol=0, atol=0.012)
    assert_true(got["kept_scaled"], f"Dropout({p}): kept elements should be x / (1 - p) = x / {1 - p:g}")
    assert_true(got["grad_through_mask"], f"Dropout({p}): the gradient should pass through the same mask, times 1 / (1 - p)")
    assert_close(got["mean_ratio"], 1.0, f"Dropout({p}): the mean of the output over the mean of the input", rtol=0.03)
    assert_true(got["new_mask_each_call"], f"Dropout({p}): each call should draw a new mask")
    assert_true(got["seed_reproducible"], f"Dropout({p}, rng=seed): the same seed should give the same mask")
    assert_true(got["eval_identity"], f"Dropout({p}) in eval mode should return its input unchanged")
    assert_equal(got["float32_kept"], "float32", f"Dropout({p}) on float32 input: output dtype")


@pytest.mark.points(2)
def test_dropout_extremes(student, reference):
    got, expected = student.dropout_extremes(), reference.dropout_extremes()
    assert_close(got["p0"], expected["p0"], "Dropout(0.0) keeps everything")
    assert_close(got["p1"], expected["p1"], "Dropout(1.0) drops everything")
    assert_equal(got["p_too_big"], "ValueError", "Dropout(1.2) should raise")
    assert_equal(got["p_negative"], "ValueError", "Dropout(-0.5) should raise")


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
    assert_true(got["state_unchanged"], f"{what}: eval mode must not change the running statistics")
    assert_equal(got["state_keys"], expected["state_keys"], f"{what}: state_dict keys")
    assert_equal(got["num_batches_tracked_dtype"], "int64", f"{what}: num_batches_tracked dtype")
    assert_equal(got["single_example_raises"], "ValueError", "BatchNorm1d in training mode on a batch of one example")
