"""Hidden tests: impossible arguments are refused with a ValueError that names the argument.

The optimizers' constructors (and their checks) are given in the notebook, so they earn no points here:
only the clipping functions and schedulers the student writes are checked."""

import pytest

from tito.grading.checks import assert_true


def _call(kind, settings):
    # norm_type travels as a string ("inf" cannot cross as JSON); show it as the number it stands for
    shown = {key: float(value) if key == "norm_type" else value for key, value in settings.items()}
    arguments = ", ".join(f"{key}={value!r}" for key, value in shown.items())
    first = "optimizer" if kind in ("StepLR", "ExponentialLR", "CosineAnnealingLR") else "parameters"
    return f"{kind}({first}, {arguments})"


def _check(student, reference, kind, settings, argument):
    """The probe reports what was raised (the exception's classes and message, or None); the verdict is made here.

    These checks compare constants (a class name, a word in a message) that code running in the sandbox could
    forge; they are worth 1 point each (see docs/grading-security.md).
    """
    expected = reference.construction(kind=kind, settings=settings)
    got = student.construction(kind=kind, settings=settings)
    call = _call(kind, settings)
    raised = got["raised"][0] if isinstance(got["raised"], list) and got["raised"] else None
    if expected["raised"] is None:
        assert_true(got["raised"] is None, f"{call} is valid and should not raise, but it raised {raised}")
        return
    what = "it raised nothing" if raised is None else f"it raised {raised}"
    assert_true(isinstance(got["raised"], list) and "ValueError" in got["raised"],
                f"{call} should raise a ValueError; {what}")
    assert_true(isinstance(got["message"], str) and argument in got["message"],
                f"{call} raised a ValueError whose message does not name {argument!r}")


VALID_BOUNDARY_SETTINGS = [
    ("SGD", {"learning_rate": 0.0}, "learning_rate"),
    ("SGD", {"momentum": 0.9, "nesterov": True}, "nesterov"),
    ("SGD", {"momentum": 0.9, "dampening": 1.0}, "dampening"),
    ("Adam", {"beta1": 0.0, "epsilon": 0.0}, "beta1"),
    ("AdamW", {"weight_decay": 0.0, "amsgrad": True}, "weight_decay"),
    ("RMSprop", {"alpha": 0.0, "centered": True, "momentum": 0.0}, "alpha"),
    ("clip_gradients", {"max_norm": 0.0}, "max_norm"),
    ("clip_gradients_by_value", {"clip_value": 0.0}, "clip_value"),
]

INVALID_OTHER_ARGUMENTS = [
    ("clip_gradients", {"max_norm": -1.0}, "max_norm"),
    ("clip_gradients", {"max_norm": 1.0, "norm_type": "-1"}, "norm_type"),
    ("clip_gradients_by_value", {"clip_value": -0.5}, "clip_value"),
    ("StepLR", {"step_size": 0}, "step_size"),
    ("ExponentialLR", {"gamma": -0.5}, "gamma"),
    ("CosineAnnealingLR", {"T_max": 0}, "T_max"),
]


@pytest.mark.points(1)
def test_boundary_values_are_accepted(student, reference):
    for kind, settings, argument in VALID_BOUNDARY_SETTINGS:
        _check(student, reference, kind, settings, argument)


@pytest.mark.points(2)
def test_clipping_and_schedulers_reject_invalid_arguments(student, reference):
    for kind, settings, argument in INVALID_OTHER_ARGUMENTS:
        _check(student, reference, kind, settings, argument)
