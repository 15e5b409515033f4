"""Checks shared by the optimizers suite's tests (not a test file: pytest does not collect it).

Many tests compare the submission with itself: a float32 run with its own float64 run, a run resumed from a
checkpoint with its own uninterrupted run, weight decay with its own run whose decay the probe did by hand.
Such a test checks one property whatever the other ones are. But the same numbers reported twice (forged, or
a step that does nothing) agree with themselves too, so every self-comparison first asks for evidence that the
submission really ran the method (`assert_ran_like`): its run starts from the seeded values, ends with finite
ones, moved the parameters, in a direction within cosine 0.5 of the reference run's displacement, and not the
same way for every parameter (at least a fifth of the move is left once its best fit by a * start + b is taken
out). Every single-concept bug of tests/grading/catalogue/bugs_03.py passes this (the lowest cosine, momentum with
the wrong sign under test_sgd_momentum_skips_missing_gradients, is 0.60; the runs are seeded, so this does not
vary); echoed inputs do not move, and zeros, ones or any constant move every parameter to the same value.
"""

from __future__ import annotations

import math

import numpy as np

from tito.grading.checks import assert_close, assert_true

MIN_COSINE = 0.5


def flat(tree) -> np.ndarray:
    """Every number in `tree` (dicts in key order, lists, arrays, numbers) in one float64 vector; a leaf that
    is not a number (a sentence from the probe) gives NaN."""
    if isinstance(tree, dict):
        parts = [flat(tree[key]) for key in sorted(tree, key=str)]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(tree, (list, tuple)):
        parts = [flat(item) for item in tree]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(tree, (np.ndarray, np.generic)) and tree.dtype.kind in "iuf":
        return np.asarray(tree, dtype=np.float64).ravel()
    if type(tree) in (int, float):
        return np.array([float(tree)])
    return np.array([math.nan])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms > 0 else 0.0


def assert_ran_like(concept: str, got_end, got_start, expected_end, expected_start, what: str,
                    min_cosine: float = MIN_COSINE) -> None:
    """The submission's run went from `got_start` to `got_end` about the way the reference's went from
    `expected_start` to `expected_end`: the same start, finite values that moved, in a direction within
    arccos(min_cosine) of the reference's."""
    prefix = (f"{concept}: {what}: this test compares your code with itself, so it first needs a run of it that "
              "works")
    start, reference_start = flat(got_start), flat(expected_start)
    end, reference_end = flat(got_end), flat(expected_end)
    assert_true(start.shape == reference_start.shape and bool(np.allclose(start, reference_start, rtol=0, atol=0)),
                f"{prefix}, and its starting values are not the seeded ones")
    assert_true(end.shape == reference_end.shape and bool(np.all(np.isfinite(end))),
                f"{prefix}, and it ended with values that are not finite numbers")
    moved, reference_moved = end - start, reference_end - reference_start
    assert_true(float(np.linalg.norm(moved)) > 1e-3 * float(np.linalg.norm(reference_moved)),
                f"{prefix}, and it did not move the parameters")
    similarity = cosine(moved, reference_moved)
    assert_true(similarity > min_cosine,
                f"{prefix}, and it moved the parameters in another direction than the reference (cosine "
                f"{similarity:.2f}, more than {min_cosine} needed): fix the tests about the update itself first")
    # zeros, ones, any constant: a move a * start + b, the same pull on every parameter whatever its gradient
    basis = np.stack([start, np.ones_like(start)], axis=1)
    left = moved - basis @ np.linalg.lstsq(basis, moved, rcond=None)[0]
    assert_true(float(np.linalg.norm(left)) > 0.2 * float(np.linalg.norm(moved)),
                f"{prefix}, and it moved each number by the same function of its value (a * value + b), "
                "whatever its gradient")


def last_step(run: dict):
    """The values after the last step of a run reported as {"start": ..., "after step k": ...}."""
    steps = [key for key in run if key.startswith("after step ")]
    return run[max(steps, key=lambda key: int(key.rsplit(" ", 1)[1]))]



def name_of(optimizer: str, hyper: dict) -> str:
    """How a test names an optimizer with its settings: Adam(learning_rate=0.01, amsgrad=True)."""
    if optimizer == "gradient_descent_step":
        return f"gradient_descent_step(p, {hyper['learning_rate']!r})"
    return f"{optimizer}(" + ", ".join(f"{key}={value!r}" for key, value in hyper.items()) + ")"


def _case(optimizer, hyper, shapes, steps, seed, **extra):
    return dict(optimizer=optimizer, hyper=hyper, shapes=shapes, steps=steps, seed=seed, **extra)


def check_float32(student, reference, optimizer, hyper, shapes, steps, seed, state=True):
    """float32 parameters stay float32 (so does the state), and a float32 run follows the submission's own float64
    run (so the arithmetic is the same, whatever it is)."""
    concept, name = "float32", name_of(optimizer, hyper)
    what = f"{name} on float32 parameters, {steps} steps"
    case = _case(optimizer, hyper, shapes, steps, seed, checkpoints=list(range(1, steps + 1)), start=True)
    single, double = student.trajectory(**dict(case, dtype="float32")), student.trajectory(**case)
    assert_ran_like(concept, last_step(double), double["start"], *_ends(reference.trajectory(**case)),
                    f"{name}, {steps} steps on float64 parameters")
    for step, values in single.items():
        for key, value in values.items():
            dtype = getattr(value, "dtype", type(value).__name__)
            assert_true(isinstance(value, np.ndarray) and value.dtype == np.float32,
                        f"{concept}: {what}: [{step}] [{key}] is {dtype}, not float32 (a float32 parameter stays "
                        "float32: update it in place, with float32 state and no float64 array assigned to it)")
            expected = double[step][key]
            close = np.isclose(value.astype(np.float64), expected, rtol=1e-4, atol=1e-5)
            assert_true(bool(np.all(close)),
                        f"{concept}: {what}: [{step}] [{key}] is {value.astype(np.float64).ravel()[:4]}, far from "
                        f"your own float64 run of the same steps, {expected.ravel()[:4]}")
    if not state:
        return
    arrays = student.float32_run(**_case(optimizer, hyper, shapes, 3, seed))["state"]
    assert_true(isinstance(arrays, dict), f"{concept}: {name} on float32 parameters: {arrays}")
    for key, value in arrays.items():
        assert_true(value.dtype == np.float32,
                    f"{concept}: {name} on float32 parameters, 3 steps: optimizer.{key} is {value.dtype}, not "
                    "float32 (make the state like the parameter: np.zeros_like(param))")


def _ends(run):
    return last_step(run), run["start"]


def check_in_place(student, reference, optimizer, hyper, shapes, steps, seed, hint):
    """After each step, the array each parameter held before the first step holds the parameter's values: the
    update wrote into it (whatever the values are)."""
    concept, name = "in place", name_of(optimizer, hyper)
    case = _case(optimizer, hyper, shapes, steps, seed)
    got, expected = student.in_place(**case), reference.in_place(**case)
    kept = got["gradient kept"]
    assert_ran_like(concept, kept[f"after step {steps}"]["parameters"], got["start"],
                    expected["gradient kept"][f"after step {steps}"]["parameters"], expected["start"],
                    f"{name}, {steps} steps")
    through = got["in place"]
    for step in range(1, steps + 1):
        key = f"after step {step}"
        same = flat(through[key]).shape == flat(kept[key]["parameters"]).shape and bool(
            np.array_equal(flat(through[key]), flat(kept[key]["parameters"])))
        assert_true(same, f"{concept}: {name}, {key}: the array each parameter held before the first step does not "
                          f"hold the parameter's new values: parameter.data.data is a new array ({hint})")
    added = flat(through["the parameters, after 1 is added to those arrays"])
    assert_true(bool(np.array_equal(added, flat(through[f"after step {steps}"]) + 1.0)),
                f"{concept}: {name}: after 1 is added to the arrays the parameters held before the first step, the "
                f"parameters do not see it: parameter.data.data is a new array ({hint})")


def check_gradient_kept(student, reference, optimizer, hyper, shapes, steps, seed, hint):
    """step() called again with the same gradient: the gradients are exactly what was set."""
    concept, name = "the gradient is left unchanged", name_of(optimizer, hyper)
    case = _case(optimizer, hyper, shapes, steps, seed)
    got, expected = student.in_place(**case), reference.in_place(**case)
    final = f"after step {steps}"
    assert_ran_like(concept, got["gradient kept"][final]["parameters"], got["start"],
                    expected["gradient kept"][final]["parameters"], expected["start"], f"{name}, {steps} steps")
    for step in range(1, steps + 1):
        key = f"after step {step}"
        assert_close(got["gradient kept"][key]["gradients"], expected["gradient kept"][key]["gradients"],
                     f"{concept}: {name}, step() called {steps} times with the same gradient: parameter.grad {key} "
                     f"({hint})", rtol=0, atol=0)


def check_skipping(student, reference, optimizer, hyper, shapes, steps, seed, sparse, frozen, hint,
                   concept="parameters without a gradient"):
    """A parameter whose grad is None is left alone, and the others move as if each had an optimizer of its own."""
    name = name_of(optimizer, hyper)
    case = _case(optimizer, hyper, shapes, steps, seed, sparse=list(sparse), frozen=list(frozen))
    got, expected = student.skipping(**case), reference.skipping(**case)
    what = (f"{name}, {steps} steps where " + " and ".join(
        [f"parameter {index} has grad None on odd steps" for index in sparse]
        + [f"parameter {index} always" for index in frozen]))
    assert_ran_like(concept, got["alone"], got["start"], expected["alone"], expected["start"],
                    f"{name}, {steps} steps, one optimizer per parameter")
    for key, value in got["together"].items():
        index = int(key.split(",")[0].split(" ")[1])
        if index in frozen:
            assert_close(value, got["start"][key], f"{concept}: {what}: [{key}] should not move", rtol=0, atol=0)
        else:
            assert_close(value, got["alone"][key],
                         f"{concept}: {what}: [{key}] after step {steps}, compared with the same parameter given "
                         f"the same gradients under an optimizer of its own ({hint})", rtol=1e-9, atol=1e-12)


def check_decay_by_hand(student, reference, concept, optimizer, hyper, shapes, steps, seed, hint, decoupled=False,
                        rates=None):
    """The optimizer's weight decay equals its run without weight decay where the probe did the decay by hand."""
    name = name_of(optimizer, hyper)
    case = _case(optimizer, hyper, shapes, steps, seed, decoupled=decoupled, rates=rates)
    got, expected = student.decay_by_hand(**case), reference.decay_by_hand(**case)
    by_hand = "weight_decay=0, the decay done by hand"
    assert_ran_like(concept, *_ends(got[by_hand]), *_ends(expected[by_hand]),
                    f"{name_of(optimizer, dict(hyper, weight_decay=0.0))}, {steps} steps")
    assert_close(got["with weight_decay"], got[by_hand],
                 f"{concept}: {name}, {steps} steps, compared with your own {optimizer} with weight_decay=0 whose "
                 f"decay was done by hand ({hint})", rtol=1e-9, atol=1e-12)


def check_resumed(student, reference, optimizer, hyper, shapes, before, after, seed, sparse=()):
    """A run resumed from a state_dict() continues exactly like the submission's own uninterrupted run."""
    concept, name = "state_dict round trip", name_of(optimizer, hyper)
    case = dict(optimizer=optimizer, hyper=hyper, shapes=shapes, before=before, after=after, seed=seed,
                sparse=list(sparse))
    got, expected = student.resumed(**case), reference.resumed(**case)
    assert_ran_like(concept, last_step(got["uninterrupted"]), got["start"], last_step(expected["uninterrupted"]),
                    expected["start"], f"{name}, {before + after} steps")
    assert_close(got["resumed"], got["uninterrupted"],
                 f"{concept}: {name}: state_dict() saved after {before} steps, the run continued, then the checkpoint "
                 f"loaded into a fresh {optimizer} with load_state_dict(): its next {after} steps, compared with your "
                 "own uninterrupted run (keep everything the update needs in the per-parameter state)",
                 rtol=1e-9, atol=1e-12)
