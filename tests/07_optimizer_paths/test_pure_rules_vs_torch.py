"""The pure update rules of module 07 against torch.optim, and the other functions of core.optimizer_paths.

Each rule runs on the three surfaces of the lesson next to the torch optimizer it rewrites (float64, torch's
single-tensor code), each side taking the exact gradient at its own point; the paths must agree to 1e-12 at every
step (relative to the size of the point). The same rules fed random gradients must agree too, and leave their
arguments unchanged. moving_average and MovingAverage are checked against the weighted sums they stand for.
"""

import math

import numpy as np
import pytest
import torch

from tinytorch.core.optimizer_paths import (
    ILL_CONDITIONED,
    ROTATED,
    MovingAverage,
    adam_step,
    best_learning_rate,
    momentum_step,
    moving_average,
    nadam_step,
    quadratic,
    quadratic_grad,
    rmsprop_step,
    rosenbrock,
    rosenbrock_grad,
    rotation,
    run_path,
    sgd_step,
)

SURFACES = {
    "quadratic": (lambda p: quadratic_grad(p, ILL_CONDITIONED), (-8.0, 3.0)),
    "rotated": (lambda p: quadratic_grad(p, ROTATED), (6.0, -5.0)),
    "Rosenbrock": (rosenbrock_grad, (-1.2, 1.0)),
}

# rule, its settings, the torch optimizer and its settings, steps; learning rates suit each surface
CASES = {
    "momentum": (momentum_step, {"momentum": 0.8}, torch.optim.SGD, {"momentum": 0.8}, 200),
    "nesterov": (momentum_step, {"momentum": 0.85, "nesterov": True}, torch.optim.SGD,
                 {"momentum": 0.85, "nesterov": True}, 200),
    "rmsprop": (rmsprop_step, {"alpha": 0.95, "epsilon": 1e-7}, torch.optim.RMSprop, {"alpha": 0.95, "eps": 1e-7},
                200),
    "adam": (adam_step, {"beta1": 0.85, "beta2": 0.995, "epsilon": 1e-7}, torch.optim.Adam,
             {"betas": (0.85, 0.995), "eps": 1e-7}, 300),
    "nadam": (nadam_step, {"beta1": 0.85, "beta2": 0.995, "epsilon": 1e-7, "momentum_decay": 0.01},
              torch.optim.NAdam, {"betas": (0.85, 0.995), "eps": 1e-7, "momentum_decay": 0.01}, 300),
}
RATES = {"momentum": {"quadratic": 2.0, "rotated": 2.0, "Rosenbrock": 5e-4},
         "nesterov": {"quadratic": 2.0, "rotated": 2.0, "Rosenbrock": 5e-4},
         "rmsprop": {"quadratic": 0.05, "rotated": 0.05, "Rosenbrock": 5e-3},
         "adam": {"quadratic": 0.2, "rotated": 0.2, "Rosenbrock": 0.02},
         "nadam": {"quadratic": 0.2, "rotated": 0.2, "Rosenbrock": 0.02}}


@pytest.fixture(autouse=True)
def torch_in_float64():
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its mu_product in the default dtype
    yield
    torch.set_default_dtype(saved)


def torch_path(torch_class, settings, grad_fn, start, steps):
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch_class([point], foreach=False, **settings)
    points = [point.detach().numpy().copy()]
    for _ in range(steps):
        point.grad = torch.tensor(grad_fn(point.detach().numpy().copy()))
        optimizer.step()
        points.append(point.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("name", CASES)
def test_rule_follows_torch_on_the_surface(name, surface):
    """Does the pure rule visit the points torch's optimizer visits on this surface, to 1e-12 at every step?"""
    rule, settings, torch_class, torch_settings, steps = CASES[name]
    grad_fn, start = SURFACES[surface]
    rate = RATES[name][surface]
    ours = run_path(rule, grad_fn, start, steps, learning_rate=rate, **settings)
    theirs = torch_path(torch_class, {"lr": rate, **torch_settings}, grad_fn, start, steps)
    scale = np.maximum(np.abs(theirs).max(axis=1, keepdims=True), 1.0)
    error = np.abs(ours - theirs) / scale
    assert error.max() <= 1e-12, f"{name} on the {surface}: error {error.max():.2e} first at step " \
                                 f"{int(np.argmax(error.max(axis=1) > 1e-12))}"
    assert np.isfinite(ours).all()


@pytest.mark.parametrize("name", CASES)
def test_rule_follows_torch_on_random_gradients_and_stays_pure(name):
    """Fed 500 random gradients of very different sizes, does the rule match torch to 1e-12, without changing the
    point, the gradient or the state it is given?"""
    rule, settings, torch_class, torch_settings, _ = CASES[name]
    rng = np.random.default_rng(11)
    gradients = rng.standard_normal((500, 2)) * np.array([1e-3, 30.0])
    point, state = np.array([0.4, -0.3]), {}
    theirs = torch.tensor([0.4, -0.3], requires_grad=True)
    optimizer = torch_class([theirs], foreach=False, lr=0.01, **torch_settings)
    for gradient in gradients:
        before = (point.copy(), gradient.copy(), {key: np.copy(value) for key, value in state.items()})
        new_point, new_state = rule(point, gradient, state, learning_rate=0.01, **settings)
        assert np.array_equal(point, before[0]) and np.array_equal(gradient, before[1])
        assert state.keys() == before[2].keys() and all(np.array_equal(state[k], before[2][k]) for k in state)
        point, state = new_point, new_state
        theirs.grad = torch.tensor(gradient.copy())
        optimizer.step()
    expected = theirs.detach().numpy()
    assert np.max(np.abs(point - expected)) <= 1e-12 * max(1.0, np.abs(expected).max())


def test_sgd_step_and_run_path():
    """Is sgd_step a gradient step, and does run_path record steps + 1 float64 points, diverging freely?"""
    path = run_path(sgd_step, lambda p: quadratic_grad(p, ILL_CONDITIONED), [4, 2], 5, learning_rate=5.0)
    factors = 1 - 5.0 * np.diag(ILL_CONDITIONED)
    assert path.dtype == np.float64 and path.shape == (6, 2)
    np.testing.assert_allclose(path, np.array([4.0, 2.0]) * factors ** np.arange(6)[:, None], rtol=1e-14)
    with np.errstate(over="ignore", invalid="ignore"):
        wild = run_path(sgd_step, lambda p: quadratic_grad(p, ILL_CONDITIONED), [1.0, 1.0], 800, learning_rate=30.0)
    assert wild.shape == (801, 2) and not np.isfinite(wild[-1]).all()


def test_surfaces():
    """Are the quadratics the functions the lesson names, the rotated one the same up to rotation, and the
    gradients exact?"""
    rng = np.random.default_rng(0)
    points = rng.uniform(-3, 3, size=(20, 2))
    x, y = points[:, 0], points[:, 1]
    np.testing.assert_allclose(quadratic(points, ILL_CONDITIONED), 0.01 * x**2 + 0.1 * y**2, rtol=1e-14)
    np.testing.assert_allclose(quadratic(points @ rotation(45).T, ROTATED), quadratic(points, ILL_CONDITIONED),
                               rtol=1e-12)
    np.testing.assert_allclose(rosenbrock(points), (1 - x) ** 2 + 100 * (y - x**2) ** 2, rtol=1e-14)
    for point in points[:5]:
        for f, g in ((lambda p: quadratic(p, ROTATED), lambda p: quadratic_grad(p, ROTATED)),
                     (rosenbrock, rosenbrock_grad)):
            tensor = torch.tensor(point, requires_grad=True)
            value = (tensor @ torch.tensor(ROTATED) @ tensor / 2 if f is not rosenbrock else
                     (1 - tensor[0]) ** 2 + 100 * (tensor[1] - tensor[0] ** 2) ** 2)
            value.backward()
            np.testing.assert_allclose(g(point), tensor.grad.numpy(), rtol=1e-12, atol=1e-14)
            assert math.isclose(f(point), value.item(), rel_tol=1e-12)


def test_moving_average_is_the_weighted_sum():
    """Is moving_average the sum of (1 - beta) beta^k x_{t-k}, divided by 1 - beta^t when corrected?"""
    rng = np.random.default_rng(1)
    values = rng.normal(size=80)
    for beta in (0.0, 0.3, 0.9, 0.99):
        weights = (1 - beta) * beta ** np.arange(80)
        raw = np.array([np.dot(weights[:t][::-1], values[:t]) for t in range(1, 81)])
        np.testing.assert_allclose(moving_average(values, beta, bias_correction=False), raw, rtol=1e-10, atol=1e-14)
        corrected = raw / (1 - beta ** np.arange(1, 81))
        np.testing.assert_allclose(moving_average(values, beta), corrected, rtol=1e-10, atol=1e-14)
        streaming = MovingAverage(beta)
        assert [streaming.update(v) for v in values] == list(moving_average(values, beta))
        assert streaming.steps == 80 and isinstance(streaming.value, float)
    assert moving_average([], 0.5).shape == (0,)
    for bad in (1.0, -1e-9, math.nan):
        with pytest.raises(ValueError, match="beta"):
            MovingAverage(bad)


def test_effective_window():
    """Does a step input reach 1 - 1/e of its height after about 1/(1 - beta) steps, as the lesson says?"""
    for beta in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        response = moving_average(np.ones(20_000), beta, bias_correction=False)
        reached = int(np.argmax(response >= 1 - math.exp(-1))) + 1
        assert abs(reached - 1 / (1 - beta)) <= 1 + 0.02 / (1 - beta), (beta, reached)


def test_best_learning_rate_on_a_known_sweep():
    """Does best_learning_rate pick the run with the lowest smoothed loss, skip runs that overflowed, break ties
    towards the smaller rate, and refuse a sweep in which every run diverged?"""
    steps = np.arange(40)
    sweep = {rate: list(2.0 * np.exp(-rate * steps)) for rate in (0.01, 0.03, 0.1)}
    sweep[0.3] = list(2.0 * np.exp(-0.3 * steps))
    sweep[0.3][20] = math.inf
    sweep[0.01][-1] = 0.0  # one lucky batch does not make the slowest rate win
    assert best_learning_rate(sweep) == 0.1
    assert best_learning_rate(sweep, beta=0.0) == 0.01
    assert best_learning_rate({0.2: [1.0, 0.5], 0.1: [1.0, 0.5]}) == 0.1
    with pytest.raises(ValueError, match="diverged"):
        best_learning_rate({0.1: [math.nan]})
