"""Hidden tests: train_simple_model records one loss, rate and gradient norm per epoch and trains the model."""

import pytest

from tito.grading.checks import assert_close, assert_equal

RTOL, ATOL = 1e-9, 1e-12


def _run(student, reference, what, **case):
    got, expected = student.train(**case), reference.train(**case)
    assert_equal(got["lengths"], expected["lengths"], f"{what}: lengths of history.losses, .learning_rates and "
                                                      ".gradient_norms (one entry per epoch)")
    return got, expected


def _compare(got, expected, keys, what):
    for key in keys:
        assert_close(got[key], expected[key], f"{what}: {key}", rtol=RTOL, atol=ATOL)


@pytest.mark.points(3)
def test_train_simple_model_losses_and_parameters(student, reference):
    what = "train_simple_model with SGD(learning_rate=0.01, momentum=0.8), 25 epochs"
    got, expected = _run(student, reference, what, optimizer="SGD", hyper={"learning_rate": 0.01, "momentum": 0.8},
                         epochs=25, seed=80)
    _compare(got, expected, ("losses", "weights", "bias"),
             what + " (each epoch: zero_grad, loss, backward, record, step)")


@pytest.mark.points(2)
def test_train_simple_model_with_a_scheduler(student, reference):
    what = ("train_simple_model with Adam(learning_rate=0.1) and CosineAnnealingLR(T_max=10, eta_min=0.005), "
            "15 epochs")
    got, expected = _run(student, reference, what, optimizer="Adam", hyper={"learning_rate": 0.1}, epochs=15,
                         seed=81, scheduler="CosineAnnealingLR", scheduler_settings={"T_max": 10, "eta_min": 0.005})
    _compare(got, expected, ("learning_rates", "optimizer.learning_rate at the end", "losses", "weights"),
             what + " (record the rate the epoch's update uses, then step the scheduler after the optimizer)")


@pytest.mark.points(2)
def test_train_simple_model_with_clipping(student, reference):
    what = "train_simple_model with SGD(learning_rate=0.05) and max_grad_norm=0.5, 15 epochs"
    got, expected = _run(student, reference, what, optimizer="SGD", hyper={"learning_rate": 0.05}, epochs=15,
                         seed=82, max_grad_norm=0.5)
    _compare(got, expected, ("gradient_norms", "weights", "bias", "losses"),
             what + " (record the global 2-norm before clipping, then clip before the step)")


@pytest.mark.points(1)
def test_train_simple_model_history(student, reference):
    what = "train_simple_model with RMSprop(learning_rate=0.01), 7 epochs"
    got, expected = _run(student, reference, what, optimizer="RMSprop", hyper={"learning_rate": 0.01}, epochs=7,
                         seed=83)
    for name, entries in expected["entries"].items():
        for epoch, (mine, theirs) in enumerate(zip(got["entries"][name], entries)):
            assert_equal(type(mine).__name__, type(theirs).__name__,
                         f"{what}: the type of history.{name}[{epoch}] (append Python floats: float(...))")
            assert_close(mine, theirs, f"{what}: history.{name}[{epoch}]", rtol=RTOL, atol=ATOL)
    _compare(got, expected, ("gradient_norms", "learning_rates"), what)
