"""Hidden tests: checkpoints (state_dict / load_state_dict mid-run continue identically) and zero_grad."""

import pytest

from tito.grading.checks import assert_close

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix
RTOL, ATOL = 1e-9, 1e-12


def _compare(student, reference, optimizer, hyper, before, after, seed, sparse=()):
    case = dict(optimizer=optimizer, hyper=hyper, shapes=SHAPES, before=before, after=after, seed=seed,
                sparse=list(sparse))
    arguments = ", ".join(f"{key}={value!r}" for key, value in hyper.items())
    assert_close(student.resumed(**case), reference.resumed(**case),
                 f"{optimizer}({arguments}): state_dict() saved after {before} steps, the run continued, then the "
                 f"checkpoint loaded into a fresh {optimizer} with load_state_dict(); its next {after} steps should "
                 "match an uninterrupted run (keep everything the update needs in the per-parameter state)",
                 rtol=RTOL, atol=ATOL)


@pytest.mark.points(1)
def test_sgd_state_dict_round_trip(student, reference):
    _compare(student, reference, "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, 5, 6, seed=70)


@pytest.mark.points(2)
def test_adam_state_dict_round_trip(student, reference):
    _compare(student, reference, "Adam", {"learning_rate": 0.02, "amsgrad": True}, 7, 8, seed=71, sparse=[1])


@pytest.mark.points(1)
def test_adamw_state_dict_round_trip(student, reference):
    _compare(student, reference, "AdamW", {"learning_rate": 0.02, "weight_decay": 0.1}, 4, 6, seed=72)


@pytest.mark.points(1)
def test_rmsprop_state_dict_round_trip(student, reference):
    _compare(student, reference, "RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}, 5, 6,
             seed=73)


@pytest.mark.points(1)
def test_zero_grad_clears_every_gradient(student, reference):
    hypers = {"SGD": {"momentum": 0.9}, "Adam": {}, "AdamW": {}, "RMSprop": {"centered": True}}
    for optimizer, hyper in hypers.items():
        case = dict(optimizer=optimizer, hyper=hyper, shapes=SHAPES, seed=74)
        assert_close(student.zero_grad(**case), reference.zero_grad(**case),
                     f"{optimizer}(parameters, learning_rate=0.0): step(), zero_grad(), a backward pass, then one step "
                     "of SGD(learning_rate=0.1) (a gradient that zero_grad() did not clear is added to by the "
                     "backward pass; zero_grad() sets every parameter's grad to None)", rtol=RTOL, atol=ATOL)
