"""The full grids of the lesson (TINYTORCH_FULL_RUNS=1) give what its prose says."""

import pytest

from tinytorch.experiments import effective_learning_rate, grid, run_grid, select

pytestmark = pytest.mark.slow

RATES = [0.001, 0.004, 0.016, 0.064, 0.256]


@pytest.fixture(scope="module")
def study1(tmp_path_factory):
    base = {"samples_per_arm": 200, "epochs": 100, "momentum": 0.9, "hidden": [64, 64]}
    configs = grid(base, optimizer=["SGD", "Adam", "RMSprop"], noise=[0.02, 0.05, 0.1], learning_rate=RATES)
    return run_grid(configs, cache_dir=tmp_path_factory.mktemp("study1"), progress=False)


@pytest.fixture(scope="module")
def study2(tmp_path_factory):
    base = {"optimizer": "SGD", "noise": 0.1, "samples_per_arm": 200, "epochs": 80}
    configs = grid(base, nesterov=[False, True], momentum=[0.0, 0.5, 0.9, 0.99],
                   learning_rate=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3])
    return run_grid(configs, cache_dir=tmp_path_factory.mktemp("study2"), progress=False)


def accuracy(table, **where):
    (row,) = select(table, **where)
    return row["final_accuracy"]


def test_study1_adaptive_optimizers_have_the_widest_band(study1):
    """At noise 0.02 (120 validation points): Adam and RMSprop at 115 right or more from 0.001 to 0.064; SGD at 110
    or more from 0.004 to 0.064 and below 50% at 0.001; at 0.256 Adam and RMSprop at chance (below 45%), SGD above
    55%."""
    for name in ("Adam", "RMSprop"):
        assert min(accuracy(study1, optimizer=name, noise=0.02, learning_rate=r) for r in RATES[:4]) >= 115 / 120
        assert accuracy(study1, optimizer=name, noise=0.02, learning_rate=0.256) < 0.45
    assert min(accuracy(study1, optimizer="SGD", noise=0.02, learning_rate=r) for r in RATES[1:4]) >= 110 / 120
    assert accuracy(study1, optimizer="SGD", noise=0.02, learning_rate=0.001) < 0.5
    assert accuracy(study1, optimizer="SGD", noise=0.02, learning_rate=0.256) > 0.55


def test_study1_noise_lowers_the_ceiling(study1):
    """The best accuracy of each optimizer falls with the noise, to about 80% at noise 0.1."""
    for name in ("SGD", "Adam", "RMSprop"):
        best = [max(accuracy(study1, optimizer=name, noise=noise, learning_rate=rate) for rate in RATES)
                for noise in (0.02, 0.05, 0.1)]
        assert best[0] > best[1] > best[2] and 0.75 <= best[2] <= 0.85, (name, best)


def test_study2_the_effective_rate_explains_the_diagonal(study2):
    """Along the diagonal of effective rate 0.1 the accuracies are within 0.05 of each other (0.77, 0.78, 0.75), and
    every momentum is at chance below an effective rate of 0.01."""
    diagonal = [accuracy(study2, nesterov=False, momentum=m, learning_rate=r)
                for m, r in ((0.0, 0.1), (0.9, 0.01), (0.99, 0.001))]
    assert all(effective_learning_rate(r, m) == pytest.approx(0.1) for m, r in ((0.0, 0.1), (0.9, 0.01), (0.99, 0.001)))
    assert max(diagonal) - min(diagonal) <= 0.05 and min(diagonal) >= 0.7, diagonal
    for row in select(study2, nesterov=False):
        if effective_learning_rate(row["learning_rate"], row["momentum"]) < 0.01:
            assert row["final_accuracy"] < 0.45, row


def test_study2_large_effective_rates_fail_and_nesterov_keeps_more(study2):
    assert accuracy(study2, nesterov=False, momentum=0.9, learning_rate=0.3) < 0.5
    assert accuracy(study2, nesterov=True, momentum=0.9, learning_rate=0.3) > \
        accuracy(study2, nesterov=False, momentum=0.9, learning_rate=0.3)
    for rate in (0.1, 0.3):
        assert accuracy(study2, nesterov=False, momentum=0.99, learning_rate=rate) < 0.4
