"""Hidden tests of the training module: the submission against the reference, through probes.py only."""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

# Data: 22 points (parametrized tests earn their points per case).


@pytest.mark.points(4)
def test_tensor_dataset(student, reference):
    got, expected = student.tensor_dataset(seed=3), reference.tensor_dataset(seed=3)
    assert_equal(got["len"], expected["len"], "len(TensorDataset(x, y)) with 9 examples")
    assert_close(got["dataset[4] + (-1,)"], expected["dataset[4] + (-1,)"],
                 "dataset[4] + (-1,) (dataset[i] should be a tuple (x[i], y[i]))")
    assert_close(got["batch"], expected["batch"], "get_batch([8, 0, 3, 3])")
    assert_close(got["dataset[4][0] after x *= 2"], expected["dataset[4][0] after x *= 2"],
                 "dataset[4][0] after the array x given to TensorDataset(x, y) was doubled in place (TensorDataset "
                 "should keep an ndarray without copying it)")


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [
    dict(n=10, batch_size=4, shuffle=False, seed=None, drop_last=False, epochs=2),
    dict(n=10, batch_size=4, shuffle=False, seed=None, drop_last=True, epochs=1),
    dict(n=12, batch_size=4, shuffle=False, seed=None, drop_last=True, epochs=1),
    dict(n=3, batch_size=5, shuffle=False, seed=None, drop_last=True, epochs=1),
], ids=["short-last-batch", "drop-last", "exact", "all-dropped"])
def test_loader_batches_and_len(student, reference, case):
    got, expected = student.loader_epochs(**case), reference.loader_epochs(**case)
    what = f"DataLoader over {case['n']} examples, batch_size={case['batch_size']}, drop_last={case['drop_last']}"
    assert_equal(got["len"], expected["len"], f"len() of a {what}")
    assert_equal(got["batches"], expected["batches"], f"the targets of each batch of a {what}")


@pytest.mark.points(6)
def test_loader_shuffles_reproducibly(student, reference):
    for case in (dict(n=13, batch_size=4, shuffle=True, seed=5, drop_last=False, epochs=3),
                 dict(n=9, batch_size=2, shuffle=True, seed=0, drop_last=True, epochs=2)):
        got, expected = student.loader_epochs(**case), reference.loader_epochs(**case)
        what = (f"shuffled DataLoader (n={case['n']}, batch_size={case['batch_size']}, seed={case['seed']}, "
                f"drop_last={case['drop_last']}): epoch e must use default_rng(seed)'s e-th permutation")
        assert_equal(got["batches"], expected["batches"], what)
        assert_close(got["inputs"], expected["inputs"],
                     f"the inputs of each batch of a shuffled DataLoader ({case}): after shuffling, each input must "
                     "stay with its own target")
    custom = student.loader_custom_dataset()
    assert_close(custom, reference.loader_custom_dataset(), "batches of a Dataset that only defines __getitem__")


@pytest.mark.points(5)
def test_train_val_test_split(student, reference):
    for case in (dict(n=25, validation_fraction=0.2, test_fraction=0.3, seed=1),
                 dict(n=17, validation_fraction=0.0, test_fraction=0.5, seed=8),
                 dict(n=40, validation_fraction=0.33, test_fraction=0.0, seed=2)):
        got, expected = student.split(**case), reference.split(**case)
        for part in ("train", "validation", "test"):
            assert_close(got[part], expected[part], f"the {part} split of train_val_test_split({case})")


@pytest.mark.points(3)
def test_spiral_is_split_as_specified(student, reference):
    for case in (dict(arms=2, seed=4), dict(arms=3, seed=5)):
        got, expected = student.spiral_splits(**case), reference.spiral_splits(**case)
        assert_close(got, expected, f"make_spiral(samples_per_arm=50, noise=0.2, {case}) splits")


# The Trainer: 32 points.


@pytest.mark.points(6)
def test_train_step(student, reference):
    for seed in (0, 1):
        got, expected = student.train_step(seed=seed), reference.train_step(seed=seed)
        loss = got["loss"]
        assert_true(type(loss) is float, "train_step(...).loss should be a Python float (loss.item()), not "
                                         f"{'an array' if isinstance(loss, np.ndarray) else repr(loss)}")
        assert_close(loss, expected["loss"], f"train_step loss (seed {seed})")
        assert_close(got["outputs"], expected["outputs"], f"train_step outputs (seed {seed})")
        assert_close(got["grad_norm"], expected["grad_norm"], f"train_step grad_norm (seed {seed})")
        assert_close(got["weights"], expected["weights"],
                     f"weights after one SGD step (seed {seed}); were stale gradients cleared before backward?")


@pytest.mark.points(4)
def test_train_step_clips(student, reference):
    case = dict(seed=2, clip_norm=0.05, learning_rate=1.0)
    got, expected = student.train_step(**case), reference.train_step(**case)
    assert_close(got["grad_norm"], expected["grad_norm"], "with clip_norm, grad_norm is the norm before clipping")
    assert_close(got["weights"], expected["weights"], "weights after a step with clip_norm=0.05")


@pytest.mark.points(5)
def test_evaluate(student, reference):
    for case in (dict(seed=3, batch_size=4, model_mode="train"), dict(seed=4, batch_size=11, model_mode="eval")):
        got, expected = student.evaluate(**case), reference.evaluate(**case)
        assert_equal(got["keys"], expected["keys"], "the keys of evaluate()'s result")
        assert_close(got["loss"], expected["loss"], f"evaluate loss: dropout off, each example once ({case})")
        assert_close(got["accuracy"], expected["accuracy"], f"evaluate accuracy ({case})")
        assert_close(got["weights afterwards"], expected["weights afterwards"],
                     f"the weights after evaluate ({case}): evaluate must not change them")
        assert_close(got["the model's output on x afterwards"], expected["the model's output on x afterwards"],
                     f"the output of the model (it has a Dropout) after evaluate, on a model in {case['model_mode']} "
                     "mode (evaluate switches to eval mode and puts back the mode it found)")


@pytest.mark.points(3)
@pytest.mark.parametrize("case", [
    dict(seed=0, n=10, batch_size=4, epochs=2, with_validation=True),
    dict(seed=1, n=9, batch_size=3, epochs=3, with_validation=False, shuffle=False, optimizer="Adam"),
    dict(seed=2, n=11, batch_size=5, epochs=2, with_validation=True, clip_norm=0.1),
], ids=["sgd-validation", "adam-no-validation", "clipped"])
def test_fit_history(student, reference, case):
    got, expected = student.fit_history(**case), reference.fit_history(**case)
    assert_true(got["same_object"], "fit should return trainer.history")
    for name, values in expected["steps"].items():
        assert_close(got["steps"][name], values, f"history.steps[{name!r}] ({case})", rtol=1e-6)
    for name, values in expected["epochs"].items():
        assert_close(got["epochs"][name], values, f"history.epochs[{name!r}] ({case})", rtol=1e-6)
    assert_close(got["weights"], expected["weights"], f"weights after fit ({case})", rtol=1e-6)


@pytest.mark.points(4)
def test_hooks_and_numbering(student, reference):
    assert_equal(student.hook_order(seed=5), reference.hook_order(seed=5),
                 "the callback hooks, in order, with their step and epoch numbers and logs")
    got, expected = student.fit_twice(seed=6), reference.fit_twice(seed=6)
    assert_close(got["epochs"]["epoch"], expected["epochs"]["epoch"], "epoch numbers over two fit calls")
    assert_close(got["steps"]["step"], expected["steps"]["step"], "step numbers over two fit calls")


@pytest.mark.points(4)
def test_scheduler_interval(student, reference):
    for every in ("batch", "epoch"):
        got, expected = student.scheduled_rates(interval=every, seed=7), reference.scheduled_rates(interval=every, seed=7)
        assert_close(got, expected, f"learning rates with ExponentialLR(gamma=0.7) stepped per {every}")


# Callbacks and diagnostics: 25 points.

EARLY_STOPPING_CASES = [
    dict(values=[1.0, 0.8, 0.85, 0.79, 0.9, 0.7], patience=2, min_delta=0.02, mode="min", restore_best=True),
    dict(values=[1.0, 0.9, 0.95, 0.85, 0.84, 0.83, 0.9], patience=3, min_delta=0.0, mode="min", restore_best=True),
    dict(values=[0.5, 0.6, 0.6, 0.55, 0.7], patience=2, min_delta=0.0, mode="max", restore_best=False,
         monitor="val_accuracy"),
    dict(values=[2.0, 1.0, 0.5], patience=1, min_delta=0.0, mode="min", restore_best=True),
    dict(values=[1.0, "nan", 0.9], patience=0, min_delta=0.0, mode="min", restore_best=True),
]


@pytest.mark.points(6)
def test_early_stopping_rules(student, reference):
    for case in EARLY_STOPPING_CASES:
        got, expected = student.early_stopping_sequence(**case), reference.early_stopping_sequence(**case)
        what = f"EarlyStopping with {case}"
        for key in ("stopped_after", "stopped_epoch", "best_epoch", "wait"):
            assert_equal(got[key], expected[key], f"{what}: {key}")
        assert_close(got["best"], expected["best"], f"{what}: best")
        assert_close(got["weights_of_epoch"], expected["weights_of_epoch"],
                     f"{what}: the model's weights at the end are those of epoch")


@pytest.mark.points(4)
def test_early_stopping_in_a_real_run(student, reference):
    got, expected = student.early_stopping_in_fit(seed=1, patience=4), reference.early_stopping_in_fit(seed=1, patience=4)
    assert_equal(got["best_epoch"], expected["best_epoch"], "EarlyStopping's best_epoch (the epoch of lowest val_loss)")
    assert_equal(got["epochs_run"], expected["epochs_run"], "epochs run before EarlyStopping(patience=4) stopped an overfitting run")
    assert_close(got["val_loss"], expected["val_loss"], "history.epochs['val_loss'] of that run", rtol=1e-6)
    assert_close(got["weights at the end"], expected["weights at the end"],
                 "the weights after fit (the model should hold the weights of the best epoch)", rtol=1e-6, atol=1e-9)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", [
    dict(losses=[1.0, 0.8, 1.0, 2.0, 2.5, 0.9, 0.7], factor=0.5, spike=2.0, smoothing=0.5, min_lr=0.0, learning_rate=0.4),
    dict(losses=[2.0, 1.5, "nan", 1.4, "inf", 9.0], factor=0.1, spike=3.0, smoothing=0.9, min_lr=0.002,
         learning_rate=0.1),
    dict(losses=["nan", 1.0, 1.1, 5.0], factor=0.25, spike=1.5, smoothing=0.0, min_lr=0.0, learning_rate=1.0),
], ids=["spikes", "nan-inf-floor", "nan-first"])
def test_lr_rescue(student, reference, case):
    got, expected = student.lr_rescue(**case), reference.lr_rescue(**case)
    what = f"LRRescue(factor={case['factor']}, spike={case['spike']}, smoothing={case['smoothing']}, " \
           f"min_lr={case['min_lr']}) fed the losses {case['losses']}"
    assert_close(got["rates"], expected["rates"], f"{what}: the learning rate after each batch")
    assert_close(got["averages"], expected["averages"], f"{what}: the smoothed loss after each batch")
    assert_close(got["weights"], expected["weights"],
                 f"{what}: the weights after each batch (after a nan or inf loss, the start-of-epoch weights)")
    assert_equal(len(got["events"]), len(expected["events"]), f"{what}: the number of events")
    for index, (mine, theirs) in enumerate(zip(got["events"], expected["events"])):
        assert_close(mine[:3], theirs[:3], f"{what}: event {index} [step, loss, learning_rate]")
        assert_equal(mine[3], theirs[3], f"{what}: event {index} reason")


@pytest.mark.points(3)
def test_overfit_one_batch(student, reference):
    got, expected = student.overfit(seed=3, steps=60), reference.overfit(seed=3, steps=60)
    losses = got["losses"]
    assert_true(isinstance(losses, list) and all(type(loss) is float for loss in losses),
                "overfit_one_batch should return a list of Python floats (each train_step's loss)")
    assert_close(losses, expected["losses"], "the losses of 60 steps on one batch")
    key = "history of a 1-epoch fit that follows"
    assert_close(got[key], expected[key], f"the {key} overfit_one_batch (overfit_one_batch must not record History)",
                 rtol=1e-6)


@pytest.mark.points(3)
def test_mlp_learns_the_spiral(student, reference):
    got = student.spiral_accuracy(seed=0)
    # the losses tie the accuracy to a real run: a number above 0.85 alone is a constant anyone could report
    assert_close(got["losses"][:5], reference.spiral_accuracy(seed=0)["losses"][:5],
                 "the training loss of the first 5 of 40 epochs of an MLP on a clean spiral", rtol=1e-6)
    accuracy = got["accuracy"]
    assert_true(accuracy > 0.85,
                f"an MLP trained 40 epochs with your Trainer should classify over 85% of a clean spiral's "
                f"validation points, got {accuracy}")


@pytest.mark.points(3)
def test_checkpoint_and_csv_in_a_run(student, reference):
    got, expected = student.checkpoint_and_csv(seed=2), reference.checkpoint_and_csv(seed=2)
    assert_close(got["val_loss"], expected["val_loss"], "val_loss of a 4-epoch run")
    assert_equal(got["saved"], expected["saved"], "the checkpoints ModelCheckpoint wrote (one per improving epoch)")
    assert_close(got["reloaded"], expected["reloaded"], "a fresh model after load_checkpoint of the last checkpoint")
    assert_equal(got["csv_header"], expected["csv_header"], "the CSVLogger header")
    assert_equal(got["csv_rows"], expected["csv_rows"], "the number of CSVLogger rows")


# Invalid arguments: 1 point (exception names are constants a forged report could give).


@pytest.mark.points(1)
def test_invalid_arguments_raise(student, reference):
    got = student.rejections()
    for call, raised in reference.rejections().items():
        assert_equal(got[call], raised, f"{call} should raise")
