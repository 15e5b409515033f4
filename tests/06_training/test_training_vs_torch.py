"""The Trainer against a training loop written in torch: same weights, same batches, same loss curve."""

import numpy as np
import pytest
import torch

from tinytorch.core.data import DataLoader, TensorDataset, load_digits
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam, StepLR
from tinytorch.core.training import Trainer

EPOCHS, BATCH_SIZE, SEED = 3, 32, 7
SIZES = (64, 32, 32, 10)


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(seed=0).train
    return x[:600], y[:600]


def tinytorch_run(x, y, case):
    model = Sequential(Linear(SIZES[0], SIZES[1], rng=1), ReLU(), Linear(SIZES[1], SIZES[2], rng=2), ReLU(),
                       Linear(SIZES[2], SIZES[3], rng=3))
    initial = model.state_dict()
    if case == "adam":
        optimizer = Adam(model.parameters(), learning_rate=0.002)
        trainer = Trainer(model, CrossEntropyLoss(), optimizer)
    else:
        optimizer = SGD(model.parameters(), learning_rate=0.2, momentum=0.9)
        trainer = Trainer(model, CrossEntropyLoss(), optimizer, scheduler=StepLR(optimizer, step_size=20, gamma=0.5),
                          scheduler_interval="batch", clip_norm=1.0)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH_SIZE, shuffle=True, seed=SEED)
    history = trainer.fit(loader, epochs=EPOCHS, verbose=0)
    return initial, history, model


def torch_run(x, y, initial, case):
    """The same training written directly in torch, in float64, visiting the batches in the same order."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                                torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
                                torch.nn.Linear(SIZES[2], SIZES[3])).double()
    model.load_state_dict({name: torch.tensor(value) for name, value in initial.items()})
    loss_fn = torch.nn.CrossEntropyLoss()
    scheduler = None
    if case == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)
    inputs, targets = torch.tensor(x), torch.tensor(y)
    order = np.random.default_rng(SEED)  # the DataLoader's contract: one permutation of this generator per epoch
    step_losses, grad_norms, rates = [], [], []
    for _ in range(EPOCHS):
        positions = torch.tensor(order.permutation(len(x)))
        for start in range(0, len(x), BATCH_SIZE):
            batch = positions[start:start + BATCH_SIZE]
            loss = loss_fn(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            if case == "adam":
                norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
            else:
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            step_losses.append(loss.item())
            grad_norms.append(norm.item())
    return np.array(step_losses), np.array(grad_norms), np.array(rates), model


@pytest.mark.parametrize("case", ["adam", "sgd-momentum-clipped-steplr"])
def test_loss_curve_matches_torch(digits, case):
    """Do the step losses, gradient norms, learning rates and final weights agree with torch to 1e-8?"""
    x, y = digits
    initial, history, model = tinytorch_run(x, y, case)
    losses, norms, rates, torch_model = torch_run(x, y, initial, case)
    assert len(history.steps["loss"]) == len(losses) == EPOCHS * int(np.ceil(len(x) / BATCH_SIZE))
    np.testing.assert_allclose(history.steps["loss"], losses, rtol=0, atol=1e-8)
    np.testing.assert_allclose(history.steps["grad_norm"], norms, rtol=0, atol=1e-8)
    np.testing.assert_allclose(history.steps["learning_rate"], rates, rtol=1e-12)
    batch_sizes = np.array([BATCH_SIZE] * (len(x) // BATCH_SIZE) + [len(x) % BATCH_SIZE])
    per_epoch = losses.reshape(EPOCHS, -1)
    np.testing.assert_allclose(history.epochs["loss"], per_epoch @ batch_sizes / len(x), rtol=0, atol=1e-8)
    assert losses[-1] < losses[0]
    for name, value in torch_model.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), rtol=0, atol=1e-8, err_msg=name)
