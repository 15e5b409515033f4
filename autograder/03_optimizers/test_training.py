"""Hidden tests: train_simple_model records one loss, rate and gradient norm per epoch and trains the model.

Each run of train_simple_model is compared with the loop its docstring describes, written out in the probe
with the submission's own optimizer, scheduler and clipping: these tests check the loop, and a mistake in an
optimizer, a schedule or clipping fails the tests of that piece, not these."""

import sys
from pathlib import Path

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizers_suite_checks import flat  # noqa: E402

RTOL, ATOL = 1e-9, 1e-12


def _assert_trained(got, expected, what):
    """The loop written out by hand, with the submission's optimizer, really ran: its first loss is the loss of the
    model at zero (the reference's first loss) and it moved the weights to finite values. (Not where they went:
    that is the optimizer's tests' business.)"""
    prefix = (f"train_simple_model: {what}: this test compares train_simple_model with the loop of its docstring run "
              "with your own optimizer, so it first needs that loop to run")
    first, expected_first = got["losses"].get("epoch 0"), expected["losses"]["epoch 0"]
    assert_true(type(first) is float and abs(first - expected_first) <= 1e-9 * abs(expected_first),
                f"{prefix}: its first loss is {first!r}, not the loss of the model at zero, {expected_first:.10g}")
    weights = flat({"weights": got["weights"], "bias": got["bias"]})
    assert_true(bool(np.all(np.isfinite(weights))) and bool(np.any(weights != 0)),
                f"{prefix}: the weights did not move to finite values: {weights}")


def _run(student, reference, what, **case):
    got, expected = student.train(**case), reference.train(**case)
    by_hand = got["by hand"]
    _assert_trained(by_hand, expected["by hand"], what)
    mine = got["train_simple_model"]
    assert_equal(mine["lengths"], expected["train_simple_model"]["lengths"],
                 f"train_simple_model: {what}: lengths of history.losses, .learning_rates and .gradient_norms (one "
                 "entry per epoch)")
    return mine, by_hand


def _compare(mine, by_hand, keys, what):
    for key in keys:
        assert_close(mine[key], by_hand[key],
                     f"train_simple_model: {what}: {key}, compared with the loop of the docstring run with your own "
                     "optimizer", rtol=RTOL, atol=ATOL)


@pytest.mark.points(3)
def test_train_simple_model_losses_and_parameters(student, reference):
    what = "train_simple_model with SGD(learning_rate=0.01, momentum=0.8), 25 epochs"
    mine, by_hand = _run(student, reference, what, optimizer="SGD", hyper={"learning_rate": 0.01, "momentum": 0.8},
                         epochs=25, seed=80)
    _compare(mine, by_hand, ("losses", "weights", "bias"), what + " (each epoch: zero_grad, loss, backward, record, "
                                                                  "step)")


@pytest.mark.points(2)
def test_train_simple_model_with_a_scheduler(student, reference):
    what = ("train_simple_model with Adam(learning_rate=0.1) and CosineAnnealingLR(T_max=10, eta_min=0.005), "
            "15 epochs")
    mine, by_hand = _run(student, reference, what, optimizer="Adam", hyper={"learning_rate": 0.1}, epochs=15,
                         seed=81, scheduler="CosineAnnealingLR", scheduler_settings={"T_max": 10, "eta_min": 0.005})
    _compare(mine, by_hand, ("learning_rates", "optimizer.learning_rate at the end", "losses", "weights"),
             what + " (record the rate the epoch's update uses, then step the scheduler after the optimizer)")


@pytest.mark.points(2)
def test_train_simple_model_with_clipping(student, reference):
    what = "train_simple_model with SGD(learning_rate=0.05) and max_grad_norm=0.5, 15 epochs"
    mine, by_hand = _run(student, reference, what, optimizer="SGD", hyper={"learning_rate": 0.05}, epochs=15,
                         seed=82, max_grad_norm=0.5)
    _compare(mine, by_hand, ("gradient_norms", "weights", "bias", "losses"),
             what + " (record the global 2-norm before clipping, then clip before the step)")


@pytest.mark.points(1)
def test_train_simple_model_history(student, reference):
    what = "train_simple_model with RMSprop(learning_rate=0.01), 7 epochs"
    case = dict(optimizer="RMSprop", hyper={"learning_rate": 0.01}, epochs=7, seed=83)
    mine, by_hand = _run(student, reference, what, **case)
    expected = reference.train(**case)["train_simple_model"]
    for name, entries in expected["entries"].items():
        for epoch, (got, theirs) in enumerate(zip(mine["entries"][name], entries)):
            assert_equal(type(got).__name__, type(theirs).__name__,
                         f"train_simple_model: {what}: the type of history.{name}[{epoch}] (append Python floats: "
                         "float(...))")
    _compare(mine, by_hand, ("losses", "gradient_norms", "learning_rates"), what)
