"""Hidden tests of the diagnostics module: the submission against the reference, through probes.py.

Points go to the code students write: curve_evidence and verdict_of (through diagnose), the instruments
(gradient_norms, update_ratios, saturated_fraction and activation_statistics, dead_relu_fraction), LayerMonitor's
two hooks, and checkup_findings (alone on hand-made reports, and inside checkup on planted faults). The given code
(loss_curves, diagnose's assembly with its first fix, layer_outputs, parameter_values, checkup's measuring, the
report and the figures) is not tested for itself. A verdict or a problem name is a constant: each test that
compares one compares first the numbers behind it (the evidence, the problems as numbers, the check-up's
measurements), which only a working submission reports. Each message names its concept first.
"""

import pytest

from tito.grading.checks import assert_close, assert_equal
from tito.grading.probes import ask

RTOL, ATOL = 1e-10, 1e-14
NAN, INF = "nan", "inf"  # JSON has neither: the probes turn these strings into floats


def _curves(label, loss, val_loss=None, classes=None):
    return label, dict(loss=loss, val_loss=val_loss, classes=classes)


def _diagnose(student, reference, concept, cases, keys, verdicts=True):
    """diagnose on each case: the evidence named by `keys` (all of it if None), then the verdict."""
    for label, case in cases:
        what = f"{concept}: diagnose on {label}"
        got = ask(student.diagnosis, what, **case)
        expected = reference.diagnosis(**case)
        names = expected["names"] if keys is None else keys
        assert_equal(sorted(set(got["names"]) & set(names)), sorted(set(expected["names"]) & set(names)),
                     f"{what}: the evidence present")
        for key in names:
            if key in expected["evidence"]:
                assert_close(got["evidence"][key], expected["evidence"][key], f"{what}: the evidence {key}",
                             rtol=RTOL, atol=ATOL)
        if verdicts:
            assert_equal(got["verdict"], expected["verdict"], f"{what}: the verdict")


def _falling(n, start=1.2, rate=4.0, floor=0.05):
    return [floor + (start - floor) * 2.718281828 ** (-k / rate) for k in range(n)]


# -- the evidence: 14 points ---------------------------------------------------------------------------------

FINITE_RUNS = [
    _curves("a falling curve with a validation curve and 4 classes", [2.0, 1.5, 1.6, 1.0, 1.2, 0.8],
            [2.1, 1.6, 1.4, 1.5, 1.7, 1.9], classes=4),
    _curves("a zig-zag without classes", [1.0, 0.6, 0.9, 0.5, 0.8, 0.45, 0.7, 0.4]),
    _curves("a slow fall over 10 classes, 11 epochs", [2.3 - 0.02 * k for k in range(11)], classes=10),
    _curves("a curve that ends above its start", [0.9, 0.7, 1.1, 1.4], [1.0, 0.8, 1.2, 1.5], classes=3),
    _curves("an all-nan validation curve", _falling(9), [NAN] * 9, classes=3),
]


@pytest.mark.points(10)
def test_evidence_of_finite_runs(student, reference):
    _diagnose(student, reference, "curve evidence (the numbers of the first table)", FINITE_RUNS, None,
              verdicts=False)


@pytest.mark.points(4)
def test_evidence_of_blow_ups(student, reference):
    _diagnose(student, reference, "curve evidence of a blow-up (only non_finite_at, the first epoch not finite)", [
        _curves("nan at epoch 4", [1.0, 0.9, 0.8, NAN, NAN], [1.0, 1.0, 1.0, 1.0, 1.0], classes=3),
        _curves("inf at epoch 2", [1.0, INF, NAN, NAN, NAN, NAN]),
        _curves("nan at the last epoch", _falling(7)[:-1] + [NAN], classes=5),
    ], None, verdicts=False)


# -- the rules: 28 points ------------------------------------------------------------------------------------

@pytest.mark.points(5)
def test_blow_up_and_divergence_verdicts(student, reference):
    _diagnose(student, reference, "lr_far_too_high (not finite, ending above the start, or far above chance)", [
        _curves("a nan at epoch 5", [1.1, 0.9, 0.8, 1.5, NAN, NAN], classes=3),
        _curves("a loss that ends above its start", [1.0, 0.8, 0.9, 1.05]),
        _curves("a loss that ends just below its start", [1.0, 0.995, 0.99]),
        _curves("a loss at 2.5 x ln 3", [400.0, 30.0, 5.0, 2.75], classes=3),
        _curves("a loss at 1.9 x ln 3", [400.0, 30.0, 5.0, 2.09], classes=3),
        _curves("the same loss without classes", [400.0, 30.0, 5.0, 2.75]),
    ], ("non_finite_at", "end_over_start", "end_over_chance"))


@pytest.mark.points(5)
def test_dead_network_verdict(student, reference):
    flat = [1.0986 + 0.004 * (-1) ** k for k in range(12)]
    _diagnose(student, reference, "dead_network (flat within 3% of ln(classes))", [
        _curves("a burst, then flat at ln 3", [2.5, 4.0, 1.4] + flat, classes=3),
        _curves("a burst, then flat at 5% above ln 3", [2.5, 4.0, 1.4] + [1.05 * v for v in flat], classes=3),
        _curves("a burst, then flat at ln 10", [6.0, 2.4] + [2.3026] * 10, classes=10),
        _curves("a burst, then flat at ln 3, without classes", [2.5, 4.0, 1.4] + flat),
        _curves("a slow fall ending near ln 3", [1.5 - 0.02 * k for k in range(21)], classes=3),
    ], ("chance_gap", "late_share"))


@pytest.mark.points(5)
def test_overfitting_verdict(student, reference):
    train = _falling(16, start=1.1, rate=5.0, floor=0.0)
    _diagnose(student, reference, "overfitting (validation rising while training falls)", [
        _curves("validation 30% above its lowest", train, [0.5 + abs(k - 6) * 0.025 for k in range(16)]),
        _curves("validation 8% above its lowest", train, [0.5 + abs(k - 8) * 0.005 for k in range(16)]),
        _curves("validation up while training is flat", [1.0, 0.6, 0.5] + [0.5] * 13,
                [1.0, 0.7, 0.6] + [0.6 + 0.02 * k for k in range(13)]),
        _curves("validation up and training zig-zagging", [1.0, 0.6, 0.9, 0.55, 0.85, 0.6, 0.8, 0.62],
                [1.0, 0.65, 0.9, 0.6, 0.9, 0.7, 0.85, 0.8]),
    ], ("val_rise", "train_fall_after_val_min"))


@pytest.mark.points(5)
def test_oscillation_verdict(student, reference):
    _diagnose(student, reference, "lr_too_high (rises adding up to more than a fifth of the first loss)", [
        _curves("a zig-zag", [1.0, 0.6, 0.9, 0.5, 0.8, 0.45, 0.7, 0.4]),
        _curves("small wiggles", [1.0, 0.6, 0.62, 0.4, 0.43, 0.3, 0.31, 0.2]),
        _curves("a zig-zag over 3 classes", [1.2, 0.7, 1.0, 0.6, 0.9, 0.55, 0.8, 0.5], classes=3),
        _curves("rises of exactly 0.21 of the first loss", [1.0, 0.4, 0.61, 0.3, 0.3, 0.2]),
    ], ("rises",))


@pytest.mark.points(8)
def test_slow_and_flat_verdicts(student, reference):
    _diagnose(student, reference, "lr_too_low, underfitting or healthy (how much fell, and how late)", [
        _curves("a straight fall of 40%", [1.0 - 0.04 * k for k in range(11)]),
        _curves("a straight fall of 60%", [1.0 - 0.06 * k for k in range(11)]),
        _curves("a fall of 30% that flattened", _falling(12, start=1.0, rate=1.5, floor=0.7)),
        _curves("a fall of 30% that flattened, over 3 classes", _falling(12, start=1.0, rate=1.5, floor=0.7),
                classes=3),
        _curves("a fast fall to 5%", _falling(15, start=1.0, rate=2.0, floor=0.05), classes=3),
    ], ("total_drop", "late_share"))


# -- instruments: 32 points ----------------------------------------------------------------------------------

@pytest.mark.points(7)
def test_per_parameter_gradient_norms(student, reference):
    for case in (dict(seed=0, widths=[4, 8, 3]), dict(seed=3, widths=[5, 7, 6, 2], samples=20),
                 dict(seed=5, widths=[3, 4, 3], backward=False)):
        what = f"gradient norms per parameter: an MLP of widths {case['widths']}" + \
               (" before any backward pass" if case.get("backward") is False else " after one backward pass")
        got = ask(student.gradient_norms, what, **case)
        expected = reference.gradient_norms(**case)
        assert_equal(got["names"], expected["names"], f"{what}: the names, in named_parameters() order")
        assert_close(got["norms"], expected["norms"], f"{what}: each parameter's 2-norm", rtol=RTOL, atol=ATOL)


@pytest.mark.points(6)
def test_update_weight_ratios(student, reference):
    for case in (dict(seed=1, widths=[4, 8, 3], learning_rate=0.1), dict(seed=2, widths=[3, 5, 5, 2],
                                                                         learning_rate=0.01, steps=3)):
        what = (f"update/weight ratios: SGD(learning_rate={case['learning_rate']}) on an MLP of widths "
                f"{case['widths']}, ||after - before|| / ||before|| (nan where before is 0)")
        got = ask(student.update_ratios, what, **case)
        expected = reference.update_ratios(**case)
        assert_equal(got["names"], expected["names"], f"{what}: the names")
        assert_close(got["moved"], expected["moved"], f"{what}: the ratios", rtol=RTOL, atol=ATOL)
        assert_close(got["still"], expected["still"], f"{what}: the ratios of a step at learning rate 0",
                     rtol=RTOL, atol=ATOL)


ACTIVATIONS = [dict(seed=0, widths=[4, 8, 8, 3], activation="ReLU", scale=1.0),
               dict(seed=1, widths=[3, 6, 6, 2], activation="Sigmoid", scale=6.0),
               dict(seed=2, widths=[5, 10, 10, 10, 3], activation="Tanh", scale=3.0)]


@pytest.mark.points(5)
def test_activation_means_and_stds(student, reference):
    for case in ACTIVATIONS:
        what = (f"activation statistics (mean and std of each layer's output): a {case['activation']} MLP of widths "
                f"{case['widths']}, weights x {case['scale']}")
        got = ask(student.activations, what, **case)
        expected = reference.activations(**case)
        assert_equal(got["names"], expected["names"], f"{what}: one entry per layer")
        assert_equal(got["layers"], expected["layers"], f"{what}: each layer's class name")
        assert_close(got["mean"], expected["mean"], f"{what}: the means", rtol=RTOL, atol=ATOL)
        assert_close(got["std"], expected["std"], f"{what}: the standard deviations", rtol=RTOL, atol=ATOL)


@pytest.mark.points(5)
def test_saturation_per_activation(student, reference):
    for case in ACTIVATIONS:
        what = (f"saturation (the fraction of outputs where the derivative is below 1% of its largest): a "
                f"{case['activation']} MLP of widths {case['widths']}, weights x {case['scale']}")
        got = ask(student.activations, what, **case)
        expected = reference.activations(**case)
        assert_close(got["saturated"], expected["saturated"], f"{what}: the saturated fraction of each layer",
                     rtol=RTOL, atol=ATOL)


@pytest.mark.points(5)
def test_dead_units(student, reference):
    for case in (dict(seed=0, widths=[4, 10, 10, 3], bias=-1.5), dict(seed=4, widths=[6, 12, 3], bias=-3.0),
                 dict(seed=2, widths=[3, 8, 8, 8, 2], bias=0.0)):
        what = (f"dead ReLUs (units at 0 for every example): a ReLU MLP of widths {case['widths']} with hidden "
                f"biases {case['bias']}")
        got = ask(student.dead_units, what, **case)
        expected = reference.dead_units(**case)
        assert_close(got, expected, f"{what}: the dead fraction of each ReLU layer", rtol=RTOL, atol=ATOL)


@pytest.mark.points(4)
def test_monitor_records_every_kth_step(student, reference):
    for case in (dict(seed=0, every=3, epochs=3), dict(seed=1, every=1, epochs=1)):
        what = f"LayerMonitor(every={case['every']}) during {case['epochs']} epochs of 4 batches"
        got = ask(student.monitor, what, **case)
        expected = reference.monitor(**case)
        assert_close(got["steps"], expected["steps"], f"{what}: the steps recorded")
        assert_close(got["grad_norms"], expected["grad_norms"], f"{what}: the gradient norms at those steps",
                     rtol=1e-9, atol=ATOL)
        assert_close(got["update_ratios"], expected["update_ratios"], f"{what}: the update ratios at those steps",
                     rtol=1e-9, atol=ATOL)


# -- the check-up: 26 points ---------------------------------------------------------------------------------

def _findings(student, reference, concept, cases, **sweep):
    what = f"{concept}: checkup_findings on hand-made reports ({', '.join(cases)})"
    got = ask(student.findings, what, cases=cases, **sweep)
    expected = reference.findings(cases=cases, **sweep)
    for case, mine, theirs in zip(cases, got, expected):
        assert_close(mine["codes"], theirs["codes"], f"{what}: the problems of '{case}', as numbers (100 x the "
                     "problem's place in the table + 1 + the place of where)")
        assert_equal(mine["problems"], theirs["problems"], f"{what}: the problems of '{case}'")


@pytest.mark.points(4)
def test_findings_on_the_learning_rate(student, reference):
    _findings(student, reference, "findings about the learning rate (lr_too_high, lr_too_low)",
              ["nan overfit", "rising overfit", "tiny updates", "tiny updates but one", "everything"])
    _findings(student, reference, "findings about the learning rate against the sweep (lr_too_high above 10 x "
              "min_div_10_lr)", ["high initial loss", "stuck"], sweep_minimum=0.002, learning_rate=0.03)
    _findings(student, reference, "findings about the learning rate against the sweep (not above 10 x "
              "min_div_10_lr)", ["healthy", "stuck"], sweep_minimum=0.005, learning_rate=0.03)


@pytest.mark.points(4)
def test_findings_on_layers(student, reference):
    _findings(student, reference, "findings about layers (frozen_layer, dead_relus, saturated)",
              ["two frozen", "frozen without gradient", "frozen once", "dead", "half dead", "saturated sigmoid",
               "saturated relu", "everything"])


@pytest.mark.points(4)
def test_findings_on_the_loss(student, reference):
    _findings(student, reference, "findings about the loss (initial_loss_high, cannot_overfit)",
              ["high initial loss", "high initial loss, no classes", "stuck", "everything"])


@pytest.mark.points(2)
def test_findings_on_a_healthy_report(student, reference):
    _findings(student, reference, "findings on a healthy report (nothing, then each problem alone)",
              ["healthy", "dead", "stuck", "rising overfit"])


FAULTS = ("healthy", "softmax before the loss", "frozen first layer", "rate far too high", "saturated tanh",
          "dead relus")


@pytest.mark.points(12)
def test_checkup_names_the_planted_faults(student, reference):
    for fault in FAULTS:
        what = f"the check-up on a planted fault: {fault} (a spiral MLP, 40 one-batch steps, a 30-step sweep)"
        got = ask(student.checkup_on, what, fault=fault)
        expected = reference.checkup_on(fault=fault)
        for key, name in (("initial_loss", "the initial loss"),
                          ("grad_norms", "the gradient norms at initialisation"),
                          ("dead_relus", "the dead ReLU fractions at initialisation"),
                          ("saturated", "the saturated fractions at initialisation"),
                          ("overfit_losses", "the one-batch losses"),
                          ("largest update ratio", "each weight's largest update ratio")):
            assert_close(got[key], expected[key], f"{what}: {name}", rtol=1e-9, atol=1e-12)
        assert_close(got["codes"], expected["codes"], f"{what}: the problems found, as numbers")
        assert_equal(got["problems"], expected["problems"], f"{what}: the problems found")
