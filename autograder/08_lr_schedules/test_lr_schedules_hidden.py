"""Hidden tests of the learning-rate schedules module: the submission against the reference, through probes.py.

Points go to the code students write: MultiStepLR, LinearLR, CosineAnnealingWarmRestarts and OneCycleLR
(compute_lr, and the warm restarts' step), ReduceLROnPlateau (is_better and step), WarmupCosineRestarts,
suggest_learning_rates and find_learning_rate. The given code (LambdaLR, SequentialLR, ChainedScheduler, the
constructors and the base class) is not tested for itself. Each test checks one property; each message names its
concept first. The finder's restore test compares the weights, state and rate after a sweep with the reference's,
once the sweep's own losses have matched the reference's (the evidence that the submission's finder ran).
"""


import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal
from tito.grading.probes import ask

RTOL, ATOL = 1e-9, 1e-15


def _settings(settings):
    return ", ".join(f"{key}={value!r}" for key, value in settings.items())


def _compare_schedule(student, reference, concept, scheduler, settings, learning_rate, steps, keys=("rates",),
                      optimizer="SGD", optimizer_settings=None):
    case = dict(scheduler=scheduler, settings=settings, learning_rate=learning_rate, steps=steps,
                optimizer=optimizer, optimizer_settings=optimizer_settings)
    what = (f"{concept}: {scheduler}(optimizer, {_settings(settings)}) on {optimizer}(learning_rate={learning_rate}"
            f"{', ' + _settings(optimizer_settings) if optimizer_settings else ''}), {steps} steps")
    got = ask(student.schedule, what, **case)
    expected = reference.schedule(**case)
    names = {"rates": "the rate after construction and after each step() ([item k]: after k steps)",
             "get_last_lr": "get_last_lr() after construction and after each step()",
             "momentum": "the optimizer's momentum (beta1 for Adam) after construction and after each step()"}
    for key in keys:
        assert_close(got[key], expected[key], f"{what}: {names[key]}", rtol=RTOL, atol=ATOL)


# -- MultiStepLR and LinearLR: 10 points ------------------------------------------------------------------------

@pytest.mark.points(5)
def test_multistep_lr_decays_at_each_milestone(student, reference):
    for settings, rate in (({"milestones": [2, 5, 5, 9], "gamma": 0.5}, 0.1), ({"milestones": [8, 3]}, 0.3),
                           ({"milestones": [1], "gamma": 0.9}, 2.0)):
        _compare_schedule(student, reference, "MultiStepLR (gamma ** count at a milestone listed count times)",
                          "MultiStepLR", settings, rate, 14, keys=("rates", "get_last_lr"))


@pytest.mark.points(5)
def test_linear_lr_schedule(student, reference):
    for settings, rate in (({"start_factor": 0.1, "end_factor": 1.0, "total_iters": 6}, 0.2),
                           ({"start_factor": 1.0, "end_factor": 0.25, "total_iters": 4}, 0.5),
                           ({}, 0.03), ({"start_factor": 0.5, "end_factor": 0.0, "total_iters": 3}, 1.0)):
        _compare_schedule(student, reference, "LinearLR (PyTorch's recursion, from start_factor at construction)",
                          "LinearLR", settings, rate, 12, keys=("rates", "get_last_lr"))


# -- CosineAnnealingWarmRestarts: 10 points ---------------------------------------------------------------------

@pytest.mark.points(5)
def test_cosine_warm_restarts_cycles(student, reference):
    for settings, rate in (({"T_0": 5, "eta_min": 0.01}, 0.1), ({"T_0": 1}, 0.5), ({"T_0": 7}, 0.02)):
        _compare_schedule(student, reference, "CosineAnnealingWarmRestarts (a cosine from base_lr to eta_min, "
                          "then a restart)", "CosineAnnealingWarmRestarts", settings, rate, 30,
                          keys=("rates", "get_last_lr"))


@pytest.mark.points(5)
def test_cosine_warm_restarts_growing_cycles(student, reference):
    for settings in ({"T_0": 2, "T_mult": 2}, {"T_0": 3, "T_mult": 3, "eta_min": 0.001}):
        what = f"CosineAnnealingWarmRestarts growing cycles (T_i *= T_mult at each restart): {_settings(settings)}"
        got = ask(student.warm_restart_counters, what, settings=settings, learning_rate=0.1, steps=40)
        expected = reference.warm_restart_counters(settings=settings, learning_rate=0.1, steps=40)
        assert_close(got, expected, f"{what}: [T_cur, T_i] after each step ([item k]: after k + 1 steps)")
        _compare_schedule(student, reference, "CosineAnnealingWarmRestarts growing cycles",
                          "CosineAnnealingWarmRestarts", settings, 0.1, 40)


# -- OneCycleLR: 18 points --------------------------------------------------------------------------------------

@pytest.mark.points(5)
def test_one_cycle_lr_cos(student, reference):
    for settings in ({"max_lr": 1.0, "total_steps": 10}, {"max_lr": 0.05, "total_steps": 37, "pct_start": 0.25},
                     {"max_lr": 0.3, "epochs": 3, "steps_per_epoch": 7, "div_factor": 10.0,
                      "final_div_factor": 100.0}):
        steps = settings.get("total_steps") or settings["epochs"] * settings["steps_per_epoch"]
        _compare_schedule(student, reference, "OneCycleLR phases (cos)", "OneCycleLR", settings, 0.1, steps - 1,
                          keys=("rates", "get_last_lr"))


@pytest.mark.points(3)
def test_one_cycle_lr_linear(student, reference):
    for settings in ({"max_lr": 1.0, "total_steps": 10, "anneal_strategy": "linear"},
                     {"max_lr": 0.2, "total_steps": 23, "pct_start": 0.4, "anneal_strategy": "linear"}):
        _compare_schedule(student, reference, "OneCycleLR phases (linear)", "OneCycleLR", settings, 0.1,
                          settings["total_steps"] - 1)


@pytest.mark.points(4)
def test_one_cycle_lr_three_phase(student, reference):
    for settings in ({"max_lr": 0.1, "total_steps": 10, "three_phase": True, "anneal_strategy": "linear"},
                     {"max_lr": 1.0, "total_steps": 31, "three_phase": True, "pct_start": 0.2}):
        _compare_schedule(student, reference, "OneCycleLR phases (three_phase)", "OneCycleLR", settings, 0.1,
                          settings["total_steps"] - 1)


@pytest.mark.points(4)
def test_one_cycle_lr_momentum(student, reference):
    _compare_schedule(student, reference, "OneCycleLR momentum (SGD's momentum moves against the rate)",
                      "OneCycleLR", {"max_lr": 0.5, "total_steps": 20}, 0.1, 19, keys=("momentum",),
                      optimizer_settings={"momentum": 0.9})
    _compare_schedule(student, reference, "OneCycleLR momentum (Adam's beta1)", "OneCycleLR",
                      {"max_lr": 0.01, "total_steps": 15, "three_phase": True, "base_momentum": 0.8,
                       "max_momentum": 0.9}, 0.001, 14, keys=("momentum",), optimizer="Adam")


@pytest.mark.points(2)
def test_one_cycle_lr_runs_to_total_steps(student, reference):
    settings = {"max_lr": 1.0, "total_steps": 12, "pct_start": 0.5}
    what = (f"OneCycleLR to the end of the run: {_settings(settings)}, stepped total_steps times (PyTorch allows "
            "step() until last_epoch reaches total_steps)")
    got = ask(student.one_cycle_past_the_end, what, settings=settings, learning_rate=0.1, extra=0)
    expected = reference.one_cycle_past_the_end(settings=settings, learning_rate=0.1, extra=0)
    assert_equal(got["raised"], expected["raised"], f"{what}: the exception raised")
    assert_close(got["rates"], expected["rates"], f"{what}: the rate after each step()", rtol=RTOL, atol=ATOL)


# -- ReduceLROnPlateau: 17 points (the threshold modes earn 1 point per case) -------------------------------------------------------------------------------

def _compare_plateau(student, reference, concept, settings, metrics, keys=("rates", "get_last_lr")):
    what = f"{concept}: ReduceLROnPlateau(optimizer, {_settings(settings)}) fed {metrics}"
    got = ask(student.plateau, what, settings=settings, metrics=metrics)
    expected = reference.plateau(settings=settings, metrics=metrics)
    for key in keys:
        assert_close(got[key], expected[key], f"{what}: {key} after each step(metric)", rtol=RTOL, atol=ATOL)


@pytest.mark.points(6)
def test_plateau_patience(student, reference):
    metrics = [5.0, 4.0, 4.0, 4.0, 4.0, 3.9, 3.9, 3.9, 3.9, 3.9, 3.0, 3.0]
    for settings in ({"factor": 0.5, "patience": 2}, {"factor": 0.1, "patience": 0}, {"patience": 3}):
        _compare_plateau(student, reference, "ReduceLROnPlateau patience (a cut after more than patience bad "
                         "epochs)", settings, metrics, keys=("rates", "get_last_lr", "best", "num_bad_epochs"))


@pytest.mark.points(4)
def test_plateau_cooldown(student, reference):
    for settings in ({"factor": 0.5, "patience": 1, "cooldown": 2}, {"factor": 0.5, "patience": 0, "cooldown": 3}):
        _compare_plateau(student, reference, "ReduceLROnPlateau cooldown (epochs after a cut do not count)",
                         settings, [1.0] * 14, keys=("rates", "cooldown_counter", "num_bad_epochs"))


@pytest.mark.points(3)
def test_plateau_min_lr(student, reference):
    for settings in ({"factor": 0.1, "patience": 0, "min_lr": 0.005}, {"factor": 0.5, "patience": 1, "min_lr": 0.2},
                     {"factor": 0.5, "patience": 0, "min_lr": 0.3, "eps": 0.05}):
        _compare_plateau(student, reference, "ReduceLROnPlateau min_lr (never below min_lr; no change under eps)",
                         settings, [2.0] * 10)


@pytest.mark.points(1)
@pytest.mark.parametrize("mode, threshold_mode, metrics", [
    ("min", "rel", [1.0, 0.95, 0.92, 0.85, 0.84, 0.8, 0.75]),
    ("min", "abs", [1.0, 0.85, 0.8, 0.74, 0.7, 0.62, 0.6]),
    ("max", "rel", [0.5, 0.56, 0.57, 0.62, 0.7, 0.71, 0.9]),
    ("max", "abs", [0.5, 0.55, 0.61, 0.65, 0.72, 0.8, 0.81]),
], ids=["min-rel", "min-abs", "max-rel", "max-abs"])
def test_plateau_threshold_modes(student, reference, mode, threshold_mode, metrics):
    settings = {"mode": mode, "threshold_mode": threshold_mode, "threshold": 0.1, "factor": 0.5, "patience": 0}
    _compare_plateau(student, reference, f"ReduceLROnPlateau threshold (mode={mode!r}, "
                     f"threshold_mode={threshold_mode!r}: what counts as an improvement)", settings, metrics,
                     keys=("rates", "best"))


# -- WarmupCosineRestarts: 13 points ----------------------------------------------------------------------------

@pytest.mark.points(4)
def test_warmup_cosine_restarts_warmup(student, reference):
    for settings, rate in (({"warmup_steps": 8, "first_cycle_steps": 10, "max_lr": 1.0, "min_lr": 0.1}, 0.5),
                           ({"warmup_steps": 3, "first_cycle_steps": 5}, 0.2)):
        _compare_schedule(student, reference, "WarmupCosineRestarts warm-up (a line from min_lr to max_lr)",
                          "WarmupCosineRestarts", settings, rate, settings["warmup_steps"])


@pytest.mark.points(6)
def test_warmup_cosine_restarts_cycles(student, reference):
    for settings, rate in (({"warmup_steps": 4, "first_cycle_steps": 6, "cycle_mult": 2, "max_lr": 1.0,
                             "min_lr": 0.1, "decay_per_cycle": 0.5}, 0.5),
                           ({"warmup_steps": 2, "first_cycle_steps": 5, "min_lr": 0.001, "decay_per_cycle": 0.8}, 0.05),
                           ({"warmup_steps": 5, "first_cycle_steps": 3, "cycle_mult": 3, "min_lr": 0.01}, 0.2)):
        _compare_schedule(student, reference, "WarmupCosineRestarts cycles (restarts, cycles growing by cycle_mult, "
                          "peaks decaying by decay_per_cycle)", "WarmupCosineRestarts", settings, rate, 60)


@pytest.mark.points(3)
def test_warmup_cosine_restarts_fractional_cycles(student, reference):
    _compare_schedule(student, reference, "WarmupCosineRestarts with cycle_mult=1.5 (cycles of 4, 6, 9, 13.5 steps)",
                      "WarmupCosineRestarts", {"warmup_steps": 0, "first_cycle_steps": 4, "cycle_mult": 1.5}, 0.3, 45)


# -- suggest_learning_rates: 9 points ---------------------------------------------------------------------------

def _dip():
    exponents = np.round(np.arange(-5.0, 0.01, 0.1), 10)
    return 10.0**exponents, 1.0 - np.exp(-((exponents + 2.0) ** 2) / (2 * 0.5**2))


def _suggestion_cases():
    rates, losses = _dip()  # inf and nan travel as the strings "inf" and "nan" (JSON has neither)
    noisy = losses.copy()
    noisy[:5] += [3.0, 2.0, 1.0, 0.5, 0.0]
    rng = np.random.default_rng(5)
    wobbly = losses + 0.01 * rng.standard_normal(losses.size)
    return [
        ("a Gaussian dip in log10(rate)", dict(learning_rates=list(rates), smoothed_losses=list(losses))),
        ("a steep fall in the first 5 points (skipped)", dict(learning_rates=list(rates), smoothed_losses=list(noisy))),
        ("skip_start=2", dict(learning_rates=list(rates), smoothed_losses=list(noisy), skip_start=2)),
        ("a spike falling back after the minimum, then inf and nan",
         dict(learning_rates=list(rates) + [2.0, 4.0, 8.0, 16.0],
              smoothed_losses=list(losses) + [5.0, 1.2, "inf", "nan"])),
        ("uneven rates", dict(learning_rates=[1e-4, 1e-3, 2e-3, 1e-2, 3e-2, 0.1, 0.2, 0.3],
                              smoothed_losses=[2.0, 1.9, 1.5, 1.4, 1.0, 0.9, 0.95, 1.5], skip_start=0)),
        ("a noisy dip", dict(learning_rates=list(rates), smoothed_losses=list(wobbly))),
    ]


def _compare_suggestions(student, reference, key, concept):
    for what, case in _suggestion_cases():
        label = f"{concept}: suggest_learning_rates on {what}"
        got = ask(student.suggestions, label, **case)
        expected = reference.suggestions(**case)
        assert_equal(got["length"], expected["length"], f"{label}: the number of values returned")
        assert_equal(got["types"][0 if key == "steepest" else 1], "float", f"{label}: the type of the value")
        assert_close(got[key], expected[key], f"{label}: the {key} suggestion", rtol=1e-12, atol=0)


@pytest.mark.points(5)
def test_suggested_steepest_descent(student, reference):
    _compare_suggestions(student, reference, "steepest", "steepest descent (the lowest slope of the smoothed loss "
                         "against log10(rate), after skip_start and up to the minimum)")


@pytest.mark.points(4)
def test_suggested_minimum_over_ten(student, reference):
    _compare_suggestions(student, reference, "minimum / 10", "minimum / 10 (a tenth of the rate of the lowest "
                         "finite smoothed loss, after skip_start)")


# -- find_learning_rate: 21 points ------------------------------------------------------------------------------

SWEEP = dict(seed=3, min_lr=1e-4, max_lr=0.3, steps=14, smoothing=0.9, diverge_factor="inf")


@pytest.mark.points(6)
def test_finder_sweeps_the_rate_exponentially(student, reference):
    what = ("LR finder sweep: find_learning_rate(trainer, loader of 3 batches, min_lr=1e-4, max_lr=0.3, steps=14, "
            "diverge_factor=inf) on a linear regression with SGD")
    got = ask(student.sweep, what, **SWEEP)
    expected = reference.sweep(**SWEEP)
    assert_close(got["learning_rates"], expected["learning_rates"],
                 f"{what}: the rates, min_lr * factor**i with factor = (max_lr / min_lr) ** (1 / steps)",
                 rtol=1e-12, atol=0)
    assert_close(got["losses"], expected["losses"],
                 f"{what}: the loss of each batch (one train_step per batch, cycling through the loader)",
                 rtol=1e-10, atol=1e-14)
    assert_close(got["diverged"], expected["diverged"], f"{what}: diverged (1 for True, 0 for False)")


@pytest.mark.points(5)
def test_finder_smooths_with_bias_correction(student, reference):
    what = "LR finder smoothing with bias correction (module 7's MovingAverage(smoothing, bias_correction=True))"
    got = ask(student.sweep, what, **SWEEP)
    expected = reference.sweep(**SWEEP)
    assert_close(got["smoothed_losses"], expected["smoothed_losses"],
                 f"{what}: the smoothed losses of find_learning_rate(..., smoothing=0.9)", rtol=1e-10, atol=1e-14)


@pytest.mark.points(5)
def test_finder_stops_on_divergence(student, reference):
    case = dict(seed=4, min_lr=1e-3, max_lr=1e3, steps=60, smoothing=0.0, diverge_factor=4.0)
    what = ("LR finder divergence: find_learning_rate(..., min_lr=1e-3, max_lr=1e3, steps=60, smoothing=0.0, "
            "diverge_factor=4.0) on a linear regression with SGD (stop at the first loss that is not finite or "
            "above 4 x the lowest before it)")
    got = ask(student.sweep, what, **case)
    expected = reference.sweep(**case)
    assert_equal(len(got["losses"]), len(expected["losses"]), f"{what}: the number of batches before stopping")
    assert_close(got["diverged"], expected["diverged"], f"{what}: diverged (1 for True)")
    assert_close(got["losses"], expected["losses"], f"{what}: the losses recorded", rtol=1e-10, atol=1e-14)


@pytest.mark.points(5)
def test_finder_restores_the_model_and_optimizer(student, reference):
    case = dict(seed=6, min_lr=1e-3, max_lr=0.5, steps=8)
    what = ("LR finder restoring the model and the optimizer: an MLP after two Adam steps, then "
            "find_learning_rate(..., min_lr=1e-3, max_lr=0.5, steps=8)")
    got = ask(student.restored, what, **case)
    expected = reference.restored(**case)
    assert_close(got["sweep"]["losses"], expected["sweep"]["losses"],
                 f"{what}: the sweep's losses (this test needs a sweep that matches the reference's first)",
                 rtol=1e-10, atol=1e-14)
    assert_close(got["weights"], expected["weights"],
                 f"{what}: the weights after the sweep should be exactly those before it", rtol=0, atol=0)
    assert_close(got["optimizer state"], expected["optimizer state"],
                 f"{what}: Adam's state after the sweep should be exactly that before it", rtol=0, atol=0)
    assert_close(got["learning_rate"], expected["learning_rate"],
                 f"{what}: the optimizer's learning_rate after the sweep should be the one before it", rtol=0, atol=0)
    assert_close(got["next loss"], expected["next loss"], f"{what}: the loss of one more training step",
                 rtol=1e-12, atol=0)
    assert_equal(got["after an error"]["raised"], expected["after an error"]["raised"],
                 f"{what}: a sweep whose second batch breaks the model: the error should reach the caller")
    assert_close(got["after an error"]["weights"], expected["after an error"]["weights"],
                 f"{what}: the weights after a sweep that raised should be those before it (try/finally)",
                 rtol=0, atol=0)


# -- errors the student's code raises: 2 points (constant answers) ----------------------------------------------

@pytest.mark.points(1)
def test_one_cycle_lr_refuses_steps_past_total_steps(student, reference):
    settings = {"max_lr": 1.0, "total_steps": 12, "pct_start": 0.5}
    what = f"OneCycleLR past the end of the run: {_settings(settings)}, stepped total_steps + 2 times"
    got = ask(student.one_cycle_past_the_end, what, settings=settings, learning_rate=0.1, extra=2)
    expected = reference.one_cycle_past_the_end(settings=settings, learning_rate=0.1, extra=2)
    assert_equal(got["raised"], expected["raised"], f"{what}: step() past total_steps should raise a ValueError")
    assert_equal("total_steps" in got["message"], True, f"{what}: the message should name total_steps, got "
                 f"{got['message']!r}")


@pytest.mark.points(1)
def test_finder_rejects_invalid_sweeps(student, reference):
    for case in ("min_lr above max_lr", "one finite point"):
        what = f"LR finder, an invalid sweep ({case})"
        got = ask(student.invalid_sweep, what, case=case)
        expected = reference.invalid_sweep(case=case)
        assert_equal(got["raised"], expected["raised"], f"{what}: the exception raised")
