"""Hidden tests of best_learning_rate: the submission's pick from seeded sweeps, against the reference's pick.

Each sweep has five candidate rates with noisy loss curves; in some, a run that is not the best ends on a lucky
batch (a raw last loss far below its smoothed loss); in others the first runs overflow (nan or inf) at a batch in
their second half and end on a tiny loss, and the curves are smooth, so that only the divergence decides. Many
cases go into each test, so no fixed answer earns it.
"""

import pytest

from tito.grading.checks import assert_close, assert_true
from tito.grading.probes import ask


def check_picks(student, reference, concept, cases):
    for case in cases:
        what = (f"{concept}: best_learning_rate on a seeded sweep of 5 rates, {case['length']} batches each "
                f"(seed {case['seed']}, beta {case['beta']}"
                + (", a lucky last batch" if case["lucky"] else "")
                + (f", {case['diverged']} diverged run(s)" if case["diverged"] else "") + ")")
        expected = reference.best_rate(**case)
        got = ask(student.best_rate, what, **case)
        assert_close(got, expected, f"{what}: the rate picked", rtol=0, atol=0)


@pytest.mark.points(4)
def test_best_rate_compares_smoothed_losses(student, reference):
    cases = [dict(seed=seed, length=length, lucky=True, diverged=0, beta=beta)
             for seed, length, beta in ((1, 20, 0.9), (2, 30, 0.8), (3, 25, 0.95), (4, 12, 0.7))]
    cases += [dict(seed=seed, length=15, lucky=False, diverged=0, beta=0.9) for seed in (5, 6)]
    check_picks(student, reference, "the smoothed losses", cases)


@pytest.mark.points(2)
def test_best_rate_skips_diverged_runs(student, reference):
    cases = [dict(seed=seed, length=20, lucky=False, diverged=diverged, beta=0.9)
             for seed, diverged in ((7, 1), (8, 2), (9, 3), (10, 4))]
    check_picks(student, reference, "diverged runs", cases)


@pytest.mark.points(1)
def test_best_rate_ties_and_raw_losses(student, reference):
    for sweep, beta, what in (
        ([[0.3, [1.0, 0.5, 0.4]], [0.2, [1.0, 0.5, 0.4]], [1.0, [2.0, 0.9, 0.6]]], 0.9, "ties: two equal runs"),
        ([[0.01, [1.0, 1.0, 0.2]], [0.03, [0.6, 0.6, 0.6]]], 0.0, "beta = 0: the last raw loss decides"),
    ):
        got = ask(student.best_rate_of, what, sweep=sweep, beta=beta)
        assert_close(got, reference.best_rate_of(sweep=sweep, beta=beta), f"{what}: the rate picked", rtol=0, atol=0)


@pytest.mark.points(1)
def test_best_rate_refuses_an_all_diverged_sweep(student, reference):
    """A constant answer (the name of the exception raised): worth 1 point (see docs/grading-security.md)."""
    got = student.all_diverged()
    raised = got.get("raised") if isinstance(got, dict) else None
    said = "it raised nothing" if not raised else f"it raised {raised[0]}"
    assert_true(isinstance(raised, list) and "ValueError" in raised,
                f"a sweep in which every run diverged: best_learning_rate should raise a ValueError; {said}")
    assert reference.all_diverged()["raised"] is not None
