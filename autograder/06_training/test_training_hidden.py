"""Hidden tests of the training module: the submission against the reference, through probes.py only.

Each test checks one property. The Trainer's probes feed plain lists of batches (not the submission's
DataLoader), and the models are the reference's layers and losses; fit, EarlyStopping in a run, overfit_one_batch
and the checkpoints of a run are compared with the submission's own train_step and evaluate driven by hand (or
its own weights kept at each epoch), once evidence that its code ran (a first loss, or the untrained model's
val_loss, against the reference's) has been seen. Each message names its concept first.
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true


def ran(got, expected, concept, what):
    """The evidence that gates a comparison of the submission with itself: `got`, a number its code computed on
    seeded inputs, matches the reference's, so a report of the same numbers twice cannot pass."""
    assert_close(got, expected, f"{concept}: {what} (this check compares your code with itself, once this "
                                "number matches the reference's)", rtol=1e-6, atol=1e-9)


# Data: 22 points (parametrized tests earn their points per case).


@pytest.mark.points(4)
def test_tensor_dataset(student, reference):
    got, expected = student.tensor_dataset(seed=3), reference.tensor_dataset(seed=3)
    assert_equal(got["len"], expected["len"], "TensorDataset: len(TensorDataset(x, y)) with 9 examples")
    assert_close(got["dataset[4] + (-1,)"], expected["dataset[4] + (-1,)"],
                 "TensorDataset item: dataset[4] + (-1,) (dataset[i] should be a tuple (x[i], y[i]))")
    assert_close(got["batch"], expected["batch"], "TensorDataset: get_batch([8, 0, 3, 3])")
    assert_close(got["dataset[4][0] after x *= 2"], expected["dataset[4][0] after x *= 2"],
                 "TensorDataset without copying: dataset[4][0] after the array x given to TensorDataset(x, y) was "
                 "doubled in place (TensorDataset should keep an ndarray as it is, with np.asarray)")


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
    assert_equal(got["len"], expected["len"], f"DataLoader batches: len() of a {what}")
    assert_equal(got["batches"], expected["batches"], f"DataLoader batches: the targets of each batch of a {what}")


@pytest.mark.points(6)
def test_loader_shuffles_reproducibly(student, reference):
    for case in (dict(n=13, batch_size=4, shuffle=True, seed=5, drop_last=False, epochs=3),
                 dict(n=9, batch_size=2, shuffle=True, seed=0, drop_last=True, epochs=2)):
        got, expected = student.loader_epochs(**case), reference.loader_epochs(**case)
        loader = (f"DataLoader(n={case['n']}, batch_size={case['batch_size']}, shuffle=True, seed={case['seed']}, "
                  f"drop_last={case['drop_last']})")
        sizes = [[len(batch) for batch in epoch] for epoch in got["batches"]]
        assert_equal(sizes, [[len(batch) for batch in epoch] for epoch in expected["batches"]],
                     f"DataLoader batches: the batch sizes of each epoch of a {loader}")
        visited = [sorted(target for batch in epoch for target in batch) for epoch in got["batches"]]
        assert_equal(visited, [sorted(target for batch in epoch for target in batch) for epoch in expected["batches"]],
                     f"shuffled DataLoader: the examples each epoch of a {loader} visits (each once)")
        assert_equal(got["batches"], expected["batches"],
                     f"shuffled DataLoader: the targets of each batch of a {loader} (epoch e must use the e-th "
                     "permutation of default_rng(seed), made once when the loader is made)")
        assert_close(got["inputs"], expected["inputs"],
                     f"shuffled DataLoader: the inputs of each batch of a {loader}: after shuffling, each input must "
                     "stay with its own target")
    custom = student.loader_custom_dataset()
    assert_close(custom, reference.loader_custom_dataset(),
                 "DataLoader batches: the batches of a Dataset that only defines __len__ and __getitem__")


@pytest.mark.points(5)
def test_train_val_test_split_parts(student, reference):
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


@pytest.mark.points(4)
def test_train_step_update(student, reference):
    for seed in (0, 1):
        got, expected = student.train_step(seed=seed), reference.train_step(seed=seed)
        what = f"train_step (seed {seed}, a fresh model)"
        loss = got["loss"]
        assert_true(type(loss) is float, f"train_step: {what}: the loss should be a Python float (loss.item()), "
                                         f"not {'an array' if isinstance(loss, np.ndarray) else repr(loss)}")
        assert_close(loss, expected["loss"], f"train_step: {what}: the loss")
        assert_close(got["outputs"], expected["outputs"], f"train_step: {what}: the outputs")
        assert_close(got["grad_norm"], expected["grad_norm"], f"train_step: {what}: grad_norm")
        assert_close(got["weights"], expected["weights"], f"train_step: {what}: the weights after one SGD step")


@pytest.mark.points(3)
def test_train_step_zero_grad(student, reference):
    case = dict(seed=0, stale=True)
    got, expected = student.train_step(**case), reference.train_step(**case)
    what = "train_step on a model whose parameters hold gradients of ones from an earlier batch"
    assert_close(got["grad_norm"], expected["grad_norm"],
                 f"zero_grad: {what}: grad_norm (clear the old gradients with optimizer.zero_grad() before backward)")
    assert_close(got["weights"], expected["weights"], f"zero_grad: {what}: the weights after the step")


@pytest.mark.points(3)
def test_train_step_clips(student, reference):
    case = dict(seed=2, clip_norm=0.05, learning_rate=1.0)
    got, expected = student.train_step(**case), reference.train_step(**case)
    assert_close(got["grad_norm"], expected["grad_norm"], "clip_norm: grad_norm is the norm before clipping")
    assert_close(got["weights"], expected["weights"], "clip_norm: the weights after a step with clip_norm=0.05")


@pytest.mark.points(5)
def test_evaluate_mode_and_means(student, reference):
    for case in (dict(seed=3, batch_size=4, model_mode="train"), dict(seed=4, batch_size=11, model_mode="eval")):
        got, expected = student.evaluate(**case), reference.evaluate(**case)
        what = f"evaluate ({case})"
        assert_equal(got["keys"], expected["keys"], f"{what}: the keys of evaluate()'s result")
        assert_close(got["the model's output on x afterwards"], expected["the model's output on x afterwards"],
                     f"{what}: the output of the model (it has a Dropout) after evaluate, on a model in "
                     f"{case['model_mode']} mode (evaluate switches to eval mode and puts back the mode it found)")
        assert_close(got["loss"], expected["loss"], f"{what}: the loss, dropout off, each example once")
        assert_close(got["accuracy"], expected["accuracy"], f"{what}: the accuracy")
        assert_close(got["weights afterwards"], expected["weights afterwards"],
                     f"{what}: the weights after evaluate (evaluate must not change them)")


@pytest.mark.points(3)
@pytest.mark.parametrize("case", [
    dict(seed=0, n=10, batch_size=4, epochs=2, with_validation=True),
    dict(seed=1, n=9, batch_size=3, epochs=3, with_validation=False, optimizer="Adam"),
    dict(seed=2, n=11, batch_size=5, epochs=2, with_validation=True, clip_norm=0.1),
], ids=["sgd-validation", "adam-no-validation", "clipped"])
def test_fit_history_bookkeeping(student, reference, case):
    got, expected = student.fit_history(**case), reference.fit_history(**case)
    concept = "fit's History"
    ran(got["by hand"]["steps"]["loss"][:1], expected["by hand"]["steps"]["loss"][:1], concept,
        f"the first step's loss ({case})")
    hand = got["by hand"]
    for name, values in hand["steps"].items():
        assert_close(got["steps"][name], values, f"{concept}: history.steps[{name!r}] ({case}), against your "
                                                 "train_step called on each batch by hand", rtol=1e-9)
    for name, values in hand["epochs"].items():
        assert_close(got["epochs"][name], values,
                     f"{concept}: history.epochs[{name!r}] ({case}), against the means of your train_step's results "
                     "(weighted by batch size) and your evaluate on the validation batches", rtol=1e-9)
    assert_close(got["weights"], hand["weights"], f"{concept}: the weights after fit ({case}), against your "
                                                  "train_step called on each batch by hand", rtol=1e-9)
    key = "returned history appended to, read through trainer.history"
    assert_close(got[key], -1, f"{concept}: the {key} (fit should return trainer.history itself)")


@pytest.mark.points(4)
def test_hooks_and_numbering(student, reference):
    assert_equal(student.hook_order(seed=5), reference.hook_order(seed=5),
                 "callback hooks: the hooks, in order, with their step and epoch numbers and logs")
    got, expected = student.fit_twice(seed=6), reference.fit_twice(seed=6)
    assert_close(got["epochs"]["epoch"], expected["epochs"]["epoch"], "callback hooks: epoch numbers over two fit calls")
    assert_close(got["steps"]["step"], expected["steps"]["step"], "callback hooks: step numbers over two fit calls")


@pytest.mark.points(4)
def test_scheduler_interval_rates(student, reference):
    for every in ("batch", "epoch"):
        got, expected = student.scheduled_rates(interval=every, seed=7), reference.scheduled_rates(interval=every, seed=7)
        assert_close(got, expected, f"scheduler interval: learning rates with ExponentialLR(gamma=0.7) stepped per {every}")


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
            assert_equal(got[key], expected[key], f"EarlyStopping patience: {what}: {key}")
        assert_close(got["best"], expected["best"], f"EarlyStopping patience: {what}: best")
        assert_close(got["weights_of_epoch"], expected["weights_of_epoch"],
                     f"EarlyStopping restore_best: {what}: the model's weights at the end are those of epoch")


@pytest.mark.points(5)
def test_early_stopping_in_a_real_run(student, reference):
    got, expected = student.early_stopping_in_fit(seed=1, patience=4), reference.early_stopping_in_fit(seed=1, patience=4)
    concept = "EarlyStopping in fit"
    ran(got["untrained val_loss"], expected["untrained val_loss"], concept, "the untrained model's val_loss")
    lowest = got["epoch of lowest val_loss"]
    assert_equal(got["best_epoch"], lowest, f"{concept}: best_epoch, against the epoch of lowest val_loss in the "
                                            "run's History")
    assert_equal(got["epochs_run"], min(150, lowest + 4),
                 f"{concept}: the epochs run with patience=4, against 4 after the epoch of lowest val_loss")
    assert_close(got["weights at the end"], got["weights at the end of the epoch of lowest val_loss"],
                 f"{concept} restore_best: the weights after fit, against the model's weights at the end of its best "
                 "epoch (restore them in on_train_end)", rtol=0.0, atol=0.0)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", [
    dict(losses=[1.0, 0.8, 1.0, 2.0, 2.5, 0.9, 0.7], factor=0.5, spike=2.0, smoothing=0.5, min_lr=0.0, learning_rate=0.4),
    dict(losses=[2.0, 1.5, "nan", 1.4, "inf", 9.0], factor=0.1, spike=3.0, smoothing=0.9, min_lr=0.002,
         learning_rate=0.1),
    dict(losses=["nan", 1.0, 1.1, 5.0], factor=0.25, spike=1.5, smoothing=0.0, min_lr=0.0, learning_rate=1.0),
], ids=["spikes", "nan-inf-floor", "nan-first"])
def test_lr_rescue_sequences(student, reference, case):
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


@pytest.mark.points(4)
def test_overfit_one_batch_losses(student, reference):
    got, expected = student.overfit(seed=3, steps=60), reference.overfit(seed=3, steps=60)
    concept = "overfit_one_batch"
    by_hand = got["losses by hand"]
    ran(by_hand[:1], expected["losses by hand"][:1], concept, "the first loss of train_step on the batch")
    losses = got["losses"]
    assert_true(isinstance(losses, list) and all(type(loss) is float for loss in losses),
                f"{concept}: should return a list of Python floats (each train_step's loss), got "
                f"{losses if not isinstance(losses, list) else [type(loss).__name__ for loss in losses[:3]]}")
    assert_close(np.array(losses), by_hand, f"{concept}: the losses of 60 steps on one batch, against your "
                                            "train_step called 60 times by hand", rtol=1e-9)
    key = "history of a 1-epoch fit that follows"
    assert_close(got[key], got[key + " by hand"], f"{concept}: the {key}, against the same after train_step by hand "
                                                  "(overfit_one_batch must not record History)", rtol=1e-9)


@pytest.mark.points(4)
def test_checkpoint_and_csv_in_a_run(student, reference):
    got, expected = student.checkpoint_and_csv(seed=2), reference.checkpoint_and_csv(seed=2)
    concept = "ModelCheckpoint and CSVLogger"
    ran(got["untrained val_loss"], expected["untrained val_loss"], concept, "the untrained model's val_loss")
    val_loss = got["val_loss"]
    improving = [epoch for epoch in range(1, len(val_loss) + 1) if val_loss[epoch - 1] < min(val_loss[:epoch - 1], default=np.inf)]
    assert_equal(got["saved"], [f"best{epoch}.npz" for epoch in improving],
                 f"{concept}: the checkpoints ModelCheckpoint wrote, against the epochs whose val_loss improved "
                 f"({list(val_loss)})")
    assert_close(got["reloaded"], got["weights at the end of each epoch"][improving[-1] - 1],
                 f"{concept}: a fresh model after load_checkpoint of the last checkpoint, against the weights at the "
                 f"end of epoch {improving[-1]}", rtol=0.0, atol=0.0)
    assert_equal(got["csv_header"], expected["csv_header"], f"{concept}: the CSVLogger header")
    rows = np.array(got["csv_rows"], dtype=np.float64)
    columns = np.array([got["epochs"][name] for name in got["csv_header"].split(",")]).T
    assert_close(rows, columns, f"{concept}: the CSVLogger rows, against the run's History", rtol=1e-9)


# Invalid arguments: 1 point (exception names are constants a forged report could give).


@pytest.mark.points(1)
def test_invalid_arguments_raise(student, reference):
    got = student.rejections()
    for call, raised in reference.rejections().items():
        assert_equal(got[call], raised, f"{call} should raise")
