"""Single-concept bugs of module 10: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

M, F = "diagnostics", "diagnostics"

BUGS = [
    bug("rises-over-the-fall", M,
        "rises divides the increases by the fall (first - lowest loss), not by the first loss", F,
        [("np.clip(np.diff(train), 0.0, None).sum() / start)",
          "np.clip(np.diff(train), 0.0, None).sum() / (start - train.min()))")],
        hidden={"test_evidence_of_finite_runs", "test_oscillation_verdict"}, names=("evidence", "oscillation"),
        message="curve evidence", visible={"test_curve_evidence", "test_diagnose_real_runs"}),
    bug("chance-gap-of-the-last-loss", M, "chance_gap compares the last loss with ln(classes), not the mean of the "
        "last third", F, [("abs(train[-(n // 3):].mean() - chance)", "abs(end - chance)")],
        hidden={"test_evidence_of_finite_runs", "test_dead_network_verdict"}, names=("evidence", "dead_network"),
        message="curve evidence", visible={"test_curve_evidence"}),
    bug("val-rise-from-the-first-epoch", M, "val_rise measures the last validation loss against the first, not "
        "the lowest", F, [("val[-1] / val[best] - 1.0", "val[-1] / val[0] - 1.0")],
        hidden={"test_evidence_of_finite_runs", "test_overfitting_verdict"}, names=("evidence", "overfitting"),
        message="curve evidence", visible={"test_curve_evidence", "test_verdicts_synthetic"}),
    bug("overfitting-without-the-training-curve", M, "the overfitting rule ignores train_fall_after_val_min (a "
        "rising validation loss is enough)", F,
        [(' and evidence["train_fall_after_val_min"] > TRAIN_FALL:', ":")],
        hidden={"test_overfitting_verdict"}, names=("overfitting",), message="overfitting",
        visible={"test_diagnose_real_runs"}),
    bug("gradient-norm-squared", M, "gradient_norms returns the sum of squares (no square root)", F,
        [("float(np.linalg.norm(parameter.grad.data.data)) if parameter.grad",
          "float(np.sum(parameter.grad.data.data ** 2)) if parameter.grad")],
        hidden={"test_per_parameter_gradient_norms", "test_monitor_records_every_kth_step",
                "test_checkup_names_the_planted_faults"}, names=("gradient_norms", "monitor", "checkup"),
        message="gradient norms per parameter", visible={"test_gradient_norms", "test_layer_monitor"}),
    bug("update-ratio-over-the-new-weights", M, "update_ratios divides by the norm of the weights after the step", F,
        [("        size = np.linalg.norm(old)\n", "        size = np.linalg.norm(parameter.data.data)\n")],
        hidden={"test_update_weight_ratios", "test_monitor_records_every_kth_step",
                "test_checkup_names_the_planted_faults"}, names=("update_weight_ratios", "monitor", "checkup"),
        message="update/weight ratios", visible={"test_layer_monitor", "test_update_ratios"}),
    bug("tanh-saturated-by-its-output", M,
        "a tanh output counts as saturated when abs(t) > 0.99 (not 1 - t**2 < 0.01)", F,
        [("return float(np.mean(1 - output**2 < 0.01))", "return float(np.mean(np.abs(output) > 0.99))")],
        hidden={"test_saturation_per_activation", "test_checkup_names_the_planted_faults"},
        names=("saturation", "checkup"), message="saturation",
        visible={"test_activation_statistics"}),
    bug("dead-relu-per-entry", M, "dead_relu_fraction counts the zero outputs, not the units at zero for every "
        "example", F, [("float(np.mean(np.all(output <= 0, axis=0)))", "float(np.mean(output <= 0))")],
        hidden={"test_dead_units", "test_checkup_names_the_planted_faults"}, names=("dead_units", "checkup"),
        message="dead ReLUs", visible={"test_checkup_names_planted_faults", "test_dead_relu_fraction"}),
    bug("frozen-without-a-gradient", M, "checkup_findings calls a parameter frozen when it has no gradient either", F,
        [("if report.grad_norms[name] > 0 and ratios and all(", "if ratios and all(")],
        hidden={"test_findings_on_layers", "test_checkup_names_the_planted_faults"}, names=("findings", "checkup"),
        message="findings about layers", visible={"test_checkup_findings"}),
    bug("rate-against-the-tenth-of-the-minimum", M, "checkup_findings calls the rate too high above the sweep's "
        "min_div_10_lr, not 10 times it", F,
        [("report.learning_rate > 10 * report.sweep.min_div_10_lr",
          "report.learning_rate > report.sweep.min_div_10_lr")],
        hidden={"test_findings_on_the_learning_rate"}, names=("learning_rate",),
        message="findings about the learning rate against the sweep"),
]
