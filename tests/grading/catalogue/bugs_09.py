"""Single-concept bugs of module 09_optimizer_studies: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

M, F = "optimizer_studies", "experiments"

BUGS = [
    bug("key-without-defaults", M, "config_key hashes the configuration as written, without filling in the defaults",
        F, [('text = json.dumps({"runner": RUNNER_VERSION, "config": full_config(config)}',
             'text = json.dumps({"runner": RUNNER_VERSION, "config": config}')],
        hidden={"test_config_key_fills_in_defaults"}, names=("defaults",), message="config_key with defaults",
        visible={"test_grid_and_keys"}),
    bug("stability-over-every-loss", M, "summarize's stability is the std of every loss, not of the last `last`", F,
        [('"stability": float(np.std(tail)) if np.all(np.isfinite(tail)) else math.nan',
          '"stability": float(np.std(losses)) if np.all(np.isfinite(tail)) else math.nan')],
        hidden={"test_summary_stability"}, names=("stability",), message="summary stability",
        visible={"test_summarize"}),
    bug("diverged-misses-nan", M, "summarize flags a run as diverged only when its tail ends above the first loss "
        "(nan and inf pass)", F,
        [('"diverged": (not finite) or bool(np.mean(tail) > losses[0])',
          '"diverged": bool(np.mean(tail) > losses[0])')],
        hidden={"test_summary_diverged"}, names=("diverged",), message="summary diverged",
        visible={"test_summarize"}),
    bug("best-accuracy-is-the-last", M, "summarize reports the last epoch's accuracy as the best", F,
        [('"best_accuracy": float(np.max(accuracies))', '"best_accuracy": float(accuracies[-1])')],
        hidden={"test_summary_accuracies"}, names=("accurac",), message="summary accuracies",
        visible={"test_summarize"}),
    bug("resume-reruns-everything", M, "split_cached never looks in the cache: every configuration is pending", F,
        [("        record = cache.load(config)\n", "        record = None\n")],
        hidden={"test_split_cached_finds_the_stored_runs", "test_run_grid_resumes_from_the_cache"},
        names=("cache",), message="split_cached", visible={"test_cache_and_resume"}),
    bug("pivot-zeros-for-missing", M, "pivot fills the pairs no row has with 0 instead of nan", F,
        [("values = np.full((len(rows), len(cols)), np.nan)", "values = np.zeros((len(rows), len(cols)))")],
        hidden={"test_pivot_missing_pairs"}, names=("missing",), message="pivot with missing pairs",
        visible={"test_pivot"}),
    bug("effective-rate-times-one-minus-momentum", M, "effective_learning_rate returns lr * (1 - momentum)", F,
        [("return learning_rate / (1.0 - momentum)", "return learning_rate * (1.0 - momentum)")],
        hidden={"test_effective_learning_rate_formula"}, names=("effective",), message="effective learning rate",
        visible={"test_effective_learning_rate"}),
    bug("gradient-norms-output-first", M, "layer_gradient_norms lists the layers from the output to the input", F,
        [("    return norms\n", "    return norms[::-1]\n")],
        hidden={"test_layer_gradient_norms_weights_only", "test_layer_gradient_norms_of_deep_networks"},
        names=("layer_gradient_norms",), message="layer gradient norms",
        visible={"test_layer_gradient_norms", "test_vanishing_gradients"}),
]
