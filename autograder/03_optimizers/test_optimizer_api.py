"""Hidden tests: checkpoints (state_dict / load_state_dict mid-run continue identically).

A resumed run is compared with the submission's own uninterrupted run, so a mistake in an update rule fails
the tests of that rule, not these. (zero_grad, state_dict and load_state_dict are given code: what these tests
check is that the student's update keeps everything it needs in the per-parameter state.)"""

import sys
from pathlib import Path

import pytest


sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizers_suite_checks import check_resumed  # noqa: E402

SHAPES = [[], [5], [3, 4]]  # a scalar, a vector and a matrix


@pytest.mark.points(1)
def test_sgd_state_dict_round_trip(student, reference):
    check_resumed(student, reference, "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, SHAPES, 5, 6,
                  seed=70)


@pytest.mark.points(2)
def test_adam_state_dict_round_trip(student, reference):
    check_resumed(student, reference, "Adam", {"learning_rate": 0.02, "amsgrad": True}, SHAPES, 7, 8, seed=71,
                  sparse=[1])


@pytest.mark.points(1)
def test_adamw_state_dict_round_trip(student, reference):
    check_resumed(student, reference, "AdamW", {"learning_rate": 0.02, "weight_decay": 0.1}, SHAPES, 4, 6, seed=72)


@pytest.mark.points(1)
def test_rmsprop_state_dict_round_trip(student, reference):
    check_resumed(student, reference, "RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}, SHAPES,
                  5, 6, seed=73)
