"""train_simple_model: the same losses, gradient norms and rates as the equivalent torch training loop."""

import numpy as np
import pytest
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import (
    SGD, Adam, CosineAnnealingLR, StepLR, TrainingHistory, make_regression_data, mse_loss, train_simple_model,
)


def torch_training(inputs, targets, make_optimizer, make_scheduler, num_epochs, max_grad_norm):
    """The loop train_simple_model documents, written with torch."""
    weights = torch.zeros((inputs.shape[1], 1), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([weights, bias])
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    x, y = torch.tensor(inputs), torch.tensor(targets)
    losses, norms, rates = [], [], []
    for _ in range(num_epochs):
        optimizer.zero_grad()
        loss = ((x @ weights + bias - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        if max_grad_norm is None:
            norms.append(torch.linalg.vector_norm(torch.cat([weights.grad.ravel(), bias.grad.ravel()])).item())
        else:
            norms.append(torch.nn.utils.clip_grad_norm_([weights, bias], max_grad_norm).item())
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler:
            scheduler.step()
    return losses, norms, rates, weights.detach().numpy()


CASES = {
    "SGD+StepLR": (lambda ps: SGD(ps, learning_rate=0.05, momentum=0.9), lambda o: StepLR(o, 20, 0.5),
                   lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, foreach=False),
                   lambda o: torch.optim.lr_scheduler.StepLR(o, 20, 0.5), None),
    "Adam+cosine+clipping": (lambda ps: Adam(ps, learning_rate=0.1), lambda o: CosineAnnealingLR(o, 60, 1e-3),
                             lambda ps: torch.optim.Adam(ps, lr=0.1, foreach=False),
                             lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 60, 1e-3), 0.5),
}


@pytest.mark.parametrize("name", CASES)
def test_training_history_matches_the_torch_loop(name):
    """Per epoch: is every loss, gradient norm and learning rate the one torch's loop records?"""
    make_ours, schedule_ours, make_theirs, schedule_theirs, max_grad_norm = CASES[name]
    inputs, targets, _ = make_regression_data(num_samples=64, seed=3)
    weights, bias = Variable(np.zeros((3, 1))), Variable(np.zeros(1))
    optimizer = make_ours([weights, bias])
    history = train_simple_model(
        [weights, bias], optimizer, lambda: mse_loss(inputs @ weights + bias, targets), num_epochs=120,
        scheduler=schedule_ours(optimizer), max_grad_norm=max_grad_norm,
    )
    losses, norms, rates, final_weights = torch_training(inputs, targets, make_theirs, schedule_theirs, 120,
                                                         max_grad_norm)
    assert isinstance(history, TrainingHistory)
    for field, expected in (("losses", losses), ("gradient_norms", norms), ("learning_rates", rates)):
        got = getattr(history, field)
        assert len(got) == 120 and all(isinstance(value, float) for value in got), field
        np.testing.assert_allclose(got, expected, rtol=1e-9, err_msg=f"{name}: history.{field}")
    np.testing.assert_allclose(weights.data.data, final_weights, rtol=1e-9)


def test_training_reaches_the_noise_floor():
    """Does Adam fit the regression problem down to the noise (variance 0.05^2)?"""
    inputs, targets, true_weights = make_regression_data()
    weights, bias = Variable(np.zeros((3, 1))), Variable(np.zeros(1))
    history = train_simple_model([weights, bias], Adam([weights, bias], learning_rate=0.05),
                                 lambda: mse_loss(inputs @ weights + bias, targets), num_epochs=300)
    assert history.losses[-1] < 1.5 * 0.05**2
    np.testing.assert_allclose(weights.data.data, true_weights, atol=0.02)
    np.testing.assert_allclose(bias.data.data, [0.5], atol=0.02)


def test_make_regression_data_is_reproducible_and_scaled():
    """Same seed, same data; columns have the requested scales."""
    first, second = make_regression_data(seed=4), make_regression_data(seed=4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    inputs, targets, true_weights = make_regression_data(num_samples=20_000, feature_scales=(0.1, 10.0))
    assert inputs.shape == (20_000, 2) and targets.shape == (20_000, 1) and true_weights.shape == (2, 1)
    np.testing.assert_allclose(inputs.std(axis=0), [0.1, 10.0], rtol=0.03)
