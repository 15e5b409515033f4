"""Hidden tests: StepLR, ExponentialLR and CosineAnnealingLR, after every number of step() calls.

Each schedule's rates are compared with the reference's; a resumed schedule is compared with the submission's
own uninterrupted one, so a mistake in one schedule fails that schedule's tests only. (get_lr(), get_last_lr()
and the base class's state_dict are given code, not tested for themselves.)"""

import pytest

from tito.grading.checks import assert_close, assert_true

RTOL, ATOL = 1e-9, 1e-14


def _name(scheduler, settings, learning_rate):
    arguments = ", ".join(f"{key}={value!r}" for key, value in settings.items())
    return f"{scheduler}(optimizer, {arguments}) on an optimizer with learning_rate {learning_rate}"


def _compare_rates(student, reference, scheduler, settings, learning_rate, epochs, what=""):
    case = dict(scheduler=scheduler, settings=settings, learning_rate=learning_rate, epochs=epochs)
    assert_close(student.schedule(**case)["optimizer.learning_rate"],
                 reference.schedule(**case)["optimizer.learning_rate"],
                 f"{scheduler}: {_name(scheduler, settings, learning_rate)}{what}: optimizer.learning_rate",
                 rtol=RTOL, atol=ATOL)


def _assert_scheduled(concept, got, expected, what):
    """The submission's rates look like a run of that schedule: numbers that change, above 0 (where the
    reference's are) and at most the largest of the reference's. A self-comparison needs a schedule that runs
    first; constants, echoed inputs and zeros do not."""
    rates, reference_rates = list(got.values()), list(expected.values())
    high = max(reference_rates) * (1 + 1e-9)
    positive = min(reference_rates) > 0
    numbers = all(type(rate) is float and (rate > 0 if positive else rate >= 0) and rate <= high for rate in rates)
    assert_true(numbers and len(set(rates)) > 1,
                f"{concept}: {what}: this test compares your schedule with itself, so it first needs one that runs: "
                f"your rates {rates[:6]}... should change, above 0 and at most {high:.4g}")


@pytest.mark.points(2)
def test_step_lr_schedule(student, reference):
    _compare_rates(student, reference, "StepLR", {"step_size": 3, "gamma": 0.5}, 0.1, epochs=12,
                   what=" (the rate drops on every step_size-th call)")
    _compare_rates(student, reference, "StepLR", {"step_size": 1, "gamma": 0.9}, 0.05, epochs=6)
    _compare_rates(student, reference, "StepLR", {"step_size": 4}, 0.2, epochs=12, what=" (default gamma 0.1)")


@pytest.mark.points(2)
def test_exponential_lr_schedule(student, reference):
    _compare_rates(student, reference, "ExponentialLR", {"gamma": 0.8}, 0.1, epochs=15)


@pytest.mark.points(3)
def test_cosine_annealing_lr_first_period(student, reference):
    _compare_rates(student, reference, "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}, 0.1, epochs=10,
                   what=" for the first T_max calls")


@pytest.mark.points(2)
def test_cosine_annealing_lr_beyond_t_max(student, reference):
    for t_max, eta_min, learning_rate in ((4, 0.01, 0.1), (1, 0.0, 0.5), (7, 0.002, 0.03)):
        _compare_rates(student, reference, "CosineAnnealingLR", {"T_max": t_max, "eta_min": eta_min},
                       learning_rate, epochs=3 * t_max,
                       what=" up to 3 * T_max calls (past T_max the rate climbs back up, like torch's)")


@pytest.mark.points(1)
def test_cosine_annealing_lr_default_eta_min(student, reference):
    _compare_rates(student, reference, "CosineAnnealingLR", {"T_max": 6}, 0.1, epochs=6,
                   what=" (default eta_min 0: the rate reaches 0 after T_max calls)")


@pytest.mark.points(2)
def test_scheduler_state_dict_round_trip(student, reference):
    for scheduler, settings, before, after in (("StepLR", {"step_size": 3, "gamma": 0.5}, 4, 6),
                                               ("ExponentialLR", {"gamma": 0.8}, 3, 4),
                                               ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}, 3, 9)):
        case = dict(scheduler=scheduler, settings=settings, learning_rate=0.1, before=before, after=after)
        got, expected = student.schedule_resumed(**case), reference.schedule_resumed(**case)
        what = _name(scheduler, settings, 0.1)
        _assert_scheduled("scheduler state_dict round trip", got["uninterrupted"], expected["uninterrupted"], what)
        same_epochs = {key: got["uninterrupted"].get(key.split(" (")[0]) for key in got["resumed"]}
        assert_close(got["resumed"], same_epochs,
                     f"scheduler state_dict round trip: {what}: state_dict() saved after {before} calls, loaded into "
                     f"a fresh scheduler, {after} more calls; optimizer.learning_rate compared with your own "
                     "uninterrupted schedule", rtol=RTOL, atol=ATOL)
