"""Configurations per second of tinytorch's experiment runner against the same grid trained with torch, in one run.

The grid is study 1 of module 09 (SGD with momentum 0.9, Adam and RMSprop x noise levels x learning rates, the
lesson's short budget by default). tinytorch trains it through `run_grid` into an empty cache, once in this
process (jobs=1) and once over every usable core; then reads it back from the cache. torch trains the same
configurations in this process, with the same data, the same initial weights, the same batch order and float64,
limited to one thread (numpy's element-wise work runs on one core) and with its default threads. The final losses
of both sides are compared, run by run, so the two columns are known to measure the same work.

    python bench/experiments.py [--epochs 15] [--noises 0.02 0.05 0.1] [--rates 0.001 0.004 0.016 0.064 0.256]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

import numpy as np

from tinytorch import experiments
from tinytorch.experiments import build_model, full_config, grid, run_grid, spirals
from machine import describe_machine  # bench/machine.py (scripts run from bench/)


def torch_run(config):
    """train_config's run, in torch: the same data, initial weights, batch order and stopping rule."""
    import torch

    config = full_config(config)
    data = spirals(config)
    (inputs, targets), (val_inputs, val_targets) = data.train, data.validation
    rng = np.random.default_rng(config["seed"])
    ours = build_model(config, rng)  # draws the initial weights from rng, as train_config does
    layers, linears = [], [layer for layer in ours if isinstance(layer, experiments.Linear)]
    activation = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
                  "selu": torch.nn.SELU}[config["activation"]]
    for index, linear in enumerate(linears):
        layer = torch.nn.Linear(linear.in_features, linear.out_features, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(linear.weight.data.data))
            layer.bias.copy_(torch.from_numpy(linear.bias.data.data))
        layers.append(layer)
        if index < len(linears) - 1:
            layers.append(activation())
    model = torch.nn.Sequential(*layers)
    rate = config["learning_rate"]
    if config["optimizer"] == "SGD":
        momentum = config["momentum"]
        optimizer = torch.optim.SGD(model.parameters(), lr=rate, momentum=momentum,
                                    nesterov=bool(config["nesterov"]) and momentum > 0)
    elif config["optimizer"] == "Adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=rate)
    else:
        optimizer = torch.optim.RMSprop(model.parameters(), lr=rate)
    x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
    val_x, val_y = torch.from_numpy(val_inputs), torch.from_numpy(val_targets)
    losses, accuracies = [], []
    for _ in range(config["epochs"]):
        order = torch.from_numpy(rng.permutation(len(inputs)))
        for start in range(0, len(order), config["batch_size"]):
            batch = order[start:start + config["batch_size"]]
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                break
        with torch.no_grad():
            accuracies.append((model(val_x).argmax(1) == val_y).double().mean().item())
        if not math.isfinite(losses[-1]):
            break
    return {"losses": losses, "val_accuracy": accuracies}


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main():
    # torch is imported here, not at the top: run_grid's workers are spawned, and a spawned worker imports this
    # script's top level again (it would pay for importing torch, about a second, in every worker)
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--noises", type=float, nargs="+", default=[0.02, 0.05, 0.1])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.001, 0.004, 0.016, 0.064, 0.256])
    args = parser.parse_args()
    print(describe_machine())

    configs = grid({"epochs": args.epochs, "momentum": 0.9}, optimizer=["SGD", "Adam", "RMSprop"],
                   noise=args.noises, learning_rate=args.rates)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"grid: {len(configs)} configurations of {args.epochs} epochs on noisy spirals (300 points, MLP 2-32-32-3); "
          f"torch {torch.__version__}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        one, one_seconds = timed(lambda: run_grid(configs, jobs=1, cache_dir=f"{folder}/one", progress=False))
        _, pool_seconds = timed(lambda: run_grid(configs, jobs=cores, cache_dir=f"{folder}/pool", progress=False))
        _, cached_seconds = timed(lambda: run_grid(configs, jobs=cores, cache_dir=f"{folder}/pool", progress=False))
    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    theirs, torch_one_seconds = timed(lambda: [torch_run(config) for config in configs])
    torch.set_num_threads(default_threads)
    _, torch_default_seconds = timed(lambda: [torch_run(config) for config in configs])

    rows = [("tinytorch run_grid, jobs=1", one_seconds), (f"tinytorch run_grid, jobs={cores}", pool_seconds),
            ("tinytorch run_grid, cached rerun", cached_seconds), ("torch, 1 thread, one process", torch_one_seconds),
            (f"torch, {default_threads} threads, one process", torch_default_seconds)]
    header = f"{'':38} {'seconds':>9} {'configs/s':>10} {'vs torch 1 thread':>18}"
    print(header)
    print("-" * len(header))
    for name, seconds in rows:
        print(f"{name:38} {seconds:9.3f} {len(configs) / seconds:10.1f} {torch_one_seconds / seconds:17.2f}x")

    rows_one = one.to_dict("records") if hasattr(one, "to_dict") else one
    finite = [(row["final_loss"], run["losses"][-1]) for row, run in zip(rows_one, theirs)
              if math.isfinite(row["final_loss"]) and math.isfinite(run["losses"][-1])]
    agree = sum(abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in finite)
    print(f"final losses equal to torch's (within 1e-6): {agree} of the {len(finite)} runs that stayed finite "
          f"(on both sides), of {len(configs)}")


if __name__ == "__main__":
    main()
