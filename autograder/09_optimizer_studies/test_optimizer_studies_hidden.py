"""Hidden tests of the optimizer studies module: the submission against the reference, through probes.py.

Points go to the code students write: grid, config_key, summarize, split_cached, pivot, effective_learning_rate
and layer_gradient_norms. The given code (train_config, ResultCache, run_grid, gradient_profile) is not tested for
itself; it appears where it drives the student's code (run_grid resumes through split_cached and summarises with
summarize; gradient_profile measures with layer_gradient_norms). Each test checks one property, and each message
names its concept first. No test starts a process pool (the sandbox has one CPU).
"""

import pytest

from tito.grading.checks import assert_close
from tito.grading.probes import ask

# runs of (losses, val_accuracy, last): learning, noisy, short, diverged (nan, inf, ending above the start)
RUNS = [
    ([2.3, 1.9, 1.4, 1.2, 1.25, 1.1, 0.9, 0.95, 0.8], [0.2, 0.5, 0.7, 0.65], 4),
    ([1.1, 0.7, 0.9, 0.5, 0.8, 0.4, 0.7, 0.3], [0.4, 0.8, 0.6], 3),
    ([1.0, 0.6], [0.55], 10),
    ([1.1, 0.9, 0.8], [0.4, 0.9, 0.3], 1),
    ([1.1, 0.8, 3.5, "nan"], [0.5, 0.33], 2),
    ([1.1, 0.9, 0.7, 0.6, 0.5, 0.45, "nan"], [0.6, 0.7], 3),
    ([1.1, 0.9, 20.0, "inf"], [0.4], 5),
    ([1.1, 1.0, 1.3, 1.6, 1.4, 1.5], [0.35, 0.3], 3),
    ([1.1, 1.0, 0.2, 1.5, 1.6], [0.5, 0.6], 2),
    ([1.1, 0.3, 0.5, 1.2, 0.2], [0.9, 0.95], 4),
]


def _summary_field(student, reference, field, concept):
    for losses, accuracies, last in RUNS:
        what = f"{concept}: summarize(losses={losses}, val_accuracy={accuracies}, last={last})"
        case = dict(losses=losses, val_accuracy=accuracies, last=last)
        got = ask(student.summary_of, what, **case)
        expected = reference.summary_of(**case)
        assert_close(got[field], expected[field], f"{what}[{field!r}]", rtol=1e-9, atol=1e-12)


# -- grid: 10 points ----------------------------------------------------------------------------------------------

@pytest.mark.points(6)
def test_grid_combinations_in_product_order(student, reference):
    cases = [({"epochs": 5}, [["momentum", [0.0, 0.9]], ["learning_rate", [0.1, 0.01, 0.001]]]),
             (None, [["seed", [3, 1, 2]]]),
             ({"noise": 0.2}, [["seed", [0, 1]], ["epochs", [2, 4]], ["batch_size", [8, 16]]])]
    for base, axes in cases:
        shown = ", ".join(f"{name}={values}" for name, values in axes)
        what = f"grid: every combination, the first axis slowest (grid({base}, {shown}))"
        got = ask(student.grid_of, what, base=base, axes=axes)
        expected = reference.grid_of(base=base, axes=axes)
        assert_close(got, expected,
                     f"{what}: each configuration's values, in order (configs[0]['seed'] then set to 99)")


@pytest.mark.points(4)
def test_grid_configurations_are_separate_dicts(student, reference):
    what = "grid: each configuration is a dict of its own (configs[0]['seed'] = 99 changes only the first)"
    got = ask(student.grid_base_seeds, what, base_seed=5, values=[0.1, 0.2, 0.3])
    assert_close(got, reference.grid_base_seeds(base_seed=5, values=[0.1, 0.2, 0.3]), f"{what}: every seed")


# -- config_key: 15 points ----------------------------------------------------------------------------------------

FULL = {"noise": 0.1, "samples_per_arm": 100, "arms": 3, "hidden": [32, 32], "activation": "relu", "init": "he",
        "batch_norm": False, "optimizer": "Adam", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False,
        "epochs": 20, "batch_size": 32, "seed": 0}


@pytest.mark.points(8)
def test_config_key_recipe(student, reference):
    configs = [FULL, {**FULL, "learning_rate": 0.1}, {**FULL, "seed": 3, "hidden": [64] * 3},
               {**FULL, "optimizer": "SGD", "momentum": 0.9, "nesterov": True},
               dict(reversed(list({**FULL, "noise": 0.3}.items())))]
    what = "config_key: the first 16 hex digits of SHA-256 of the sorted JSON, no spaces (configurations with " \
           "every key written out)"
    assert_close(ask(student.keys_of, what, configs=configs), reference.keys_of(configs=configs),
                 f"{what}: each key's four groups of 4 hex digits, as numbers")


@pytest.mark.points(7)
def test_config_key_fills_in_defaults(student, reference):
    configs = [{}, {"learning_rate": 0.1}, {"optimizer": "SGD", "momentum": 0.9}, {"seed": 0, "epochs": 20},
               {"noise": 0.3, "seed": 2}]
    what = "config_key with defaults: a key is made from full_config(config) (a default left out or written " \
           f"out is the same configuration): configurations {configs}"
    assert_close(ask(student.keys_of, what, configs=configs), reference.keys_of(configs=configs),
                 f"{what}: each key's four groups of 4 hex digits, as numbers")


# -- summarize: 25 points -----------------------------------------------------------------------------------------

@pytest.mark.points(6)
def test_summary_accuracies(student, reference):
    _summary_field(student, reference, "final_accuracy", "summary accuracies (the last epoch's)")
    _summary_field(student, reference, "best_accuracy", "summary accuracies (the best epoch's)")


@pytest.mark.points(4)
def test_summary_final_loss_and_steps(student, reference):
    _summary_field(student, reference, "final_loss", "summary final loss (the last step's)")
    _summary_field(student, reference, "steps", "summary steps (how many losses)")


@pytest.mark.points(7)
def test_summary_stability(student, reference):
    _summary_field(student, reference, "stability", "summary stability (np.std of the last `last` losses, nan "
                   "if one is not finite)")


@pytest.mark.points(8)
def test_summary_diverged(student, reference):
    _summary_field(student, reference, "diverged", "summary diverged (a loss not finite, or the mean of the last "
                   "`last` losses above the first; 1.0 is True)")


# -- split_cached and resuming: 20 points -------------------------------------------------------------------------

@pytest.mark.points(10)
def test_split_cached_finds_the_stored_runs(student, reference):
    for count, stored, seed in ((5, [1, 3], 0), (4, [], 10), (3, [0, 1, 2], 20), (6, [5, 0], 30)):
        what = f"split_cached (the cache's records by position, the other positions pending): {count} " \
               f"configurations, records stored for positions {stored}"
        got = ask(student.split_of, what, count=count, stored=stored, seed=seed)
        assert_close(got, reference.split_of(count=count, stored=stored, seed=seed),
                     f"{what}: done (position -> the record's losses) and pending")


@pytest.mark.points(10)
def test_run_grid_resumes_from_the_cache(student, reference):
    for stored, seed in (([1, 2], 0), ([0, 3], 1)):
        what = f"resuming a grid from the cache (run_grid with jobs=1 runs only the positions split_cached leaves " \
               f"pending): 4 configurations, records already stored for positions {stored}"
        got = ask(student.resumed_grid, what, stored=stored, seed=seed)
        assert_close(got, reference.resumed_grid(stored=stored, seed=seed),
                     f"{what}: each row's [final_loss, steps]", rtol=1e-9, atol=1e-12)


# -- pivot: 10 points ---------------------------------------------------------------------------------------------

@pytest.mark.points(7)
def test_pivot_layout(student, reference):
    for rows, cols, seed in (([0.0, 0.5, 0.9], [0.001, 0.01, 0.1, 1.0], 0), ([3, 1, 2], [0.2, 0.1], 1),
                             ([0.05], [1e-3, 1e-4, 1e-2], 2)):
        what = f"pivot layout (labels sorted, values[i, j] the row with rows[i] and cols[j]): a table over " \
               f"{rows} x {cols}, shuffled"
        got = ask(student.pivot_of, what, rows=rows, cols=cols, drop=[], seed=seed)
        assert_close(got, reference.pivot_of(rows=rows, cols=cols, drop=[], seed=seed), what)


@pytest.mark.points(3)
def test_pivot_missing_pairs(student, reference):
    rows, cols, drop = [0.0, 0.5, 0.9], [0.01, 0.1, 1.0], [[0.0, 0.1], [0.9, 1.0], [0.5, 0.01]]
    what = f"pivot with missing pairs (nan where no row has the pair): a table over {rows} x {cols} without {drop}"
    got = ask(student.pivot_of, what, rows=rows, cols=cols, drop=drop, seed=3)
    assert_close(got, reference.pivot_of(rows=rows, cols=cols, drop=drop, seed=3), what)


# -- effective learning rate: 5 points ----------------------------------------------------------------------------

@pytest.mark.points(5)
def test_effective_learning_rate_formula(student, reference):
    cases = [[0.01, 0.9], [0.1, 0.0], [0.003, 0.99], [0.05, 0.5], [1.0, 0.75]]
    what = f"effective learning rate (lr / (1 - momentum)) for [lr, momentum] in {cases}"
    assert_close(ask(student.effective_rates, what, cases=cases), reference.effective_rates(cases=cases), what,
                 rtol=1e-12)


# -- layer_gradient_norms: 15 points ------------------------------------------------------------------------------

@pytest.mark.points(8)
def test_layer_gradient_norms_weights_only(student, reference):
    for seed, nested in ((0, False), (1, True), (2, True)):
        what = f"layer gradient norms (each Linear's weight gradient, input to output, 0.0 without one): a model " \
               f"of 4 Linear layers{' with a nested Sequential' if nested else ''}, gradients from seed {seed}"
        got = ask(student.norms_of_set_gradients, what, seed=seed, nested=nested)
        assert_close(got, reference.norms_of_set_gradients(seed=seed, nested=nested), what, rtol=1e-9)


@pytest.mark.points(7)
def test_layer_gradient_norms_of_deep_networks(student, reference):
    for activation, init, depth, steps in (("sigmoid", "xavier", 12, 3), ("relu", "he", 12, 3),
                                           ("selu", "lecun", 8, 2)):
        case = dict(activation=activation, init=init, depth=depth, steps=steps, seed=4)
        what = f"layer gradient norms in a deep network ({depth} hidden layers of 8, {activation} + {init}, " \
               f"measured by gradient_profile at initialisation and after {steps} steps)"
        got = ask(student.deep_profile, what, **case)
        assert_close(got, reference.deep_profile(**case), what, rtol=1e-7, atol=1e-300)
