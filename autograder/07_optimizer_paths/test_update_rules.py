"""Hidden tests of the surfaces' gradients, run_path and the pure update rules, against the reference.

The rules are driven by the probe's own loop and exact gradients, so a rule's test does not depend on the
submission's run_path or gradients; run_path is driven with rules written in the probe. Each rule has a test of
its path on the three surfaces (the reference's path is module 3's class's path, to 1e-12), of its state where
the state carries a concept of its own, and of its purity: called twice with the same arguments it must return
the same point and leave the arguments as they were (judged once its first call matches the reference's; the state
afterwards is compared with the submission's own state before the calls, so its key names are the state test's
business alone).
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_true
from tito.grading.probes import ask

SURFACES = {"quadratic": (-8.0, 3.0), "rotated quadratic": (6.0, -5.0), "Rosenbrock": (-1.2, 1.0)}


def _first_step_apart(got, expected):
    """The first step at which two paths differ by more than 1e-12 (None when they do not)."""
    if not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return None
    apart = ~np.all(np.isclose(got, expected, rtol=1e-12, atol=1e-12), axis=1)
    return int(np.argmax(apart)) if apart.any() else None


def check_path(student, reference, concept, rule, steps, settings, surfaces=tuple(SURFACES)):
    for surface in surfaces:
        case = dict(rule=rule, surface=surface, start=list(SURFACES[surface]), steps=steps, settings=settings)
        shown = ", ".join(f"{key}={value}" for key, value in settings.items())
        what = f"{concept}: {rule}_step({shown}) on the {surface} from {tuple(SURFACES[surface])}, {steps} steps"
        got = ask(student.rule_path, what, **case)
        expected = reference.rule_path(**case)
        points = got.get("points") if isinstance(got, dict) else None
        first = _first_step_apart(points, expected["points"])
        where = "" if first is None else f" (the path first leaves the reference's after step {first})"
        assert_close(points, expected["points"], f"{what}: the points{where}", rtol=1e-12, atol=1e-12)


def check_pure(student, reference, concept, rule, settings):
    for surface in ("quadratic", "Rosenbrock"):
        case = dict(rule=rule, surface=surface, start=list(SURFACES[surface]), warmup=3, settings=settings)
        what = f"{concept}: {rule}_step called twice with the same point, gradient and state (after 3 steps, {surface})"
        got = ask(student.rule_replay, what, **case)
        expected = reference.rule_replay(**case)
        assert_true(isinstance(got, dict), f"{what}: the rule returned nothing usable")
        assert_close(got.get("first"), expected["first"], f"{what}: the first call's new point (this check "
                     "judges purity once this point matches the reference's)", rtol=1e-12, atol=1e-12)
        assert_close(got.get("second"), expected["second"], f"{what}: the second call should return the same new "
                     "point as the first (the first call changed its arguments?)", rtol=1e-12, atol=1e-12)
        assert_close(got.get("point"), expected["point"], f"{what}: the point it was given, read afterwards "
                     "(return a new array; do not change `point`)", rtol=0, atol=0)
        assert_close(got.get("grad"), expected["grad"], f"{what}: the gradient it was given, read afterwards",
                     rtol=0, atol=0)
        assert_close(got.get("state"), got.get("state before"), f"{what}: the state it was given, read afterwards, "
                     "against its values before the calls (build a new dict of new arrays; do not change the old "
                     "one)", rtol=0, atol=0)


# The surfaces' gradients: 6 points.


@pytest.mark.points(3)
def test_quadratic_gradient(student, reference):
    for surface, seed in (("quadratic", 1), ("rotated quadratic", 2)):
        what = f"quadratic_grad: the gradient of the {surface} (hessian @ point) at 5 points"
        assert_close(ask(student.surface_gradients, what, surface=surface, seed=seed),
                     reference.surface_gradients(surface=surface, seed=seed), what, rtol=1e-10, atol=1e-12)


@pytest.mark.points(3)
def test_rosenbrock_gradient(student, reference):
    what = "rosenbrock_grad: the gradient of (1 - x)^2 + 100 (y - x^2)^2 at 5 points"
    assert_close(ask(student.surface_gradients, what, surface="Rosenbrock", seed=3),
                 reference.surface_gradients(surface="Rosenbrock", seed=3), what, rtol=1e-10, atol=1e-12)


# run_path: 8 points.


@pytest.mark.points(4)
def test_run_path_follows_the_rule(student, reference):
    for case in (dict(seed=4, steps=12, learning_rate=0.5, shrink=0.9), dict(seed=5, steps=0, learning_rate=0.1,
                                                                          shrink=1.0)):
        what = (f"run_path: the points of a rule (gradient descent whose step shrinks) from a seeded start, "
                f"{case['steps']} steps (an array of shape (steps + 1, 2), start first)")
        assert_close(ask(student.run_path_descent, what, **case), reference.run_path_descent(**case), what,
                     rtol=1e-12, atol=1e-12)


@pytest.mark.points(4)
def test_run_path_passes_the_state_and_settings(student, reference):
    what = ("run_path: what the rule is given at each call (the current point, grad_fn at it, the state the last "
            "call returned, {} at first, and the settings), 5 steps")
    got = ask(student.run_path_calls, what, seed=6, steps=5)
    expected = reference.run_path_calls(seed=6, steps=5)
    calls = got.get("calls") if isinstance(got, dict) else None
    assert_true(isinstance(calls, list) and len(calls) == 5, f"{what}: expected 5 calls of the rule, got "
                f"{len(calls) if isinstance(calls, list) else calls!r}")
    for index, (mine, theirs) in enumerate(zip(calls, expected["calls"])):
        assert_close(mine, theirs, f"{what}: call {index + 1}", rtol=1e-12, atol=1e-12)
    assert_close(got.get("path"), expected["path"], f"{what}: the path returned", rtol=1e-12, atol=1e-12)


# Momentum and Nesterov: 16 points.


@pytest.mark.points(6)
def test_momentum_path(student, reference):
    check_path(student, reference, "momentum", "momentum", 60,
               {"learning_rate": 1.5, "momentum": 0.7, "nesterov": False}, ("quadratic", "rotated quadratic"))
    check_path(student, reference, "momentum", "momentum", 60,
               {"learning_rate": 5e-4, "momentum": 0.9, "nesterov": False}, ("Rosenbrock",))


@pytest.mark.points(6)
def test_nesterov_path(student, reference):
    check_path(student, reference, "Nesterov", "momentum", 60,
               {"learning_rate": 1.5, "momentum": 0.7, "nesterov": True}, ("quadratic", "rotated quadratic"))
    check_path(student, reference, "Nesterov", "momentum", 60,
               {"learning_rate": 5e-4, "momentum": 0.9, "nesterov": True}, ("Rosenbrock",))


@pytest.mark.points(4)
def test_momentum_step_is_pure(student, reference):
    check_pure(student, reference, "a pure momentum_step", "momentum",
               {"learning_rate": 1e-3, "momentum": 0.8, "nesterov": False})


# RMSprop: 12 points.


@pytest.mark.points(8)
def test_rmsprop_path(student, reference):
    check_path(student, reference, "the RMSprop step", "rmsprop", 80,
               {"learning_rate": 0.03, "alpha": 0.95, "epsilon": 1e-6})


@pytest.mark.points(4)
def test_rmsprop_step_is_pure(student, reference):
    check_pure(student, reference, "a pure rmsprop_step", "rmsprop", {"learning_rate": 0.01, "alpha": 0.9})


# Adam: 14 points.


@pytest.mark.points(8)
def test_adam_path(student, reference):
    check_path(student, reference, "the Adam step", "adam", 100,
               {"learning_rate": 0.05, "beta1": 0.85, "beta2": 0.995, "epsilon": 1e-7})


@pytest.mark.points(2)
def test_adam_state(student, reference):
    case = dict(rule="adam", seed=7, steps=7, settings={"learning_rate": 0.05, "beta1": 0.7, "beta2": 0.9})
    what = ("Adam's state: the state adam_step returned after 7 steps fed seeded gradients ({'step', 'exp_avg', "
            "'exp_avg_sq'})")
    assert_close(ask(student.rule_state, what, **case), reference.rule_state(**case), what, rtol=1e-12, atol=1e-12)


@pytest.mark.points(4)
def test_adam_step_is_pure(student, reference):
    check_pure(student, reference, "a pure adam_step", "adam", {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99})


# Nadam: 16 points.


@pytest.mark.points(8)
def test_nadam_path(student, reference):
    check_path(student, reference, "the Nadam step", "nadam", 100,
               {"learning_rate": 0.05, "beta1": 0.85, "beta2": 0.995, "epsilon": 1e-7, "momentum_decay": 0.02})


@pytest.mark.points(4)
def test_nadam_mu_product(student, reference):
    case = dict(rule="nadam", seed=9, steps=9,
                settings={"learning_rate": 0.05, "beta1": 0.7, "beta2": 0.9, "momentum_decay": 0.05})
    what = ("the mu product: the state nadam_step returned after 9 steps fed seeded gradients ({'step', "
            "'mu_product', 'exp_avg', 'exp_avg_sq'}; mu_product is the product of mu_1 ... mu_t)")
    assert_close(ask(student.rule_state, what, **case), reference.rule_state(**case), what, rtol=1e-12, atol=1e-12)


@pytest.mark.points(4)
def test_nadam_step_is_pure(student, reference):
    check_pure(student, reference, "a pure nadam_step", "nadam", {"learning_rate": 0.05, "beta1": 0.8})
