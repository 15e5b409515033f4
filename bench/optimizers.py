"""Step time of tinytorch's optimizers against torch.optim, measured in the same run.

Ten float64 parameters totalling 1,000,000 numbers, random gradients, the same hyperparameters on both sides.
torch is timed three ways: as constructed by default (on CPU tensors torch picks its single-tensor loop,
since its foreach kernels are not enabled for the CPU), with foreach=True, and by default limited to one
thread (numpy's element-wise operations run on one core). The timings are interleaved, a batch of steps of
each in turn, so that a slow moment of the machine hits all of them alike; each number is the median per-step
time over the batches, after a warm-up.

    python bench/optimizers.py [--rounds 40] [--steps 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam, AdamW, RMSprop
from machine import describe_machine  # bench/machine.py (scripts run from bench/)

# ten parameters, 1,000,000 numbers in all: weight matrices and their biases
SHAPES = [(400, 1000), (1000,), (300, 1000), (300,), (200, 1000), (200,), (98, 1000), (98,), (4, 100), (2,)]
assert sum(int(np.prod(shape)) for shape in SHAPES) == 1_000_000

CASES = {
    "SGD": (lambda ps: SGD(ps, learning_rate=1e-3), lambda ps, **kw: torch.optim.SGD(ps, lr=1e-3, **kw)),
    "SGD momentum": (
        lambda ps: SGD(ps, learning_rate=1e-3, momentum=0.9),
        lambda ps, **kw: torch.optim.SGD(ps, lr=1e-3, momentum=0.9, **kw),
    ),
    "Adam": (lambda ps: Adam(ps, learning_rate=1e-3), lambda ps, **kw: torch.optim.Adam(ps, lr=1e-3, **kw)),
    "AdamW": (lambda ps: AdamW(ps, learning_rate=1e-3), lambda ps, **kw: torch.optim.AdamW(ps, lr=1e-3, **kw)),
    "RMSprop": (
        lambda ps: RMSprop(ps, learning_rate=1e-3),
        lambda ps, **kw: torch.optim.RMSprop(ps, lr=1e-3, **kw),
    ),
}
COLUMNS = ("tinytorch", "torch", "torch foreach", "torch 1 thread")


def steppers(name, default_threads):
    """One zero-argument step function per column, each on its own copy of the parameters."""
    make_ours, make_theirs = CASES[name]
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for shape in SHAPES]
    gradients = [1e-3 * rng.standard_normal(shape) for shape in SHAPES]

    ours = [Variable(value.copy()) for value in values]
    for parameter, gradient in zip(ours, gradients):
        parameter.grad = Variable(gradient.copy(), requires_grad=False)

    def torch_parameters():
        parameters = [torch.tensor(value.copy(), requires_grad=True) for value in values]
        for parameter, gradient in zip(parameters, gradients):
            parameter.grad = torch.tensor(gradient.copy())
        return parameters

    def with_threads(step, threads):
        def run():
            torch.set_num_threads(threads)
            step()
        return run

    return {
        "tinytorch": make_ours(ours).step,
        "torch": with_threads(make_theirs(torch_parameters()).step, default_threads),
        "torch foreach": with_threads(make_theirs(torch_parameters(), foreach=True).step, default_threads),
        "torch 1 thread": with_threads(make_theirs(torch_parameters()).step, 1),
    }


def interleaved_medians(functions, rounds, steps):
    """Median seconds per step of each function, timing `steps` steps of each in turn, `rounds` times."""
    per_step = {column: [] for column in functions}
    for column, step in functions.items():  # warm-up: state allocated, caches and threads running
        for _ in range(steps):
            step()
    for _ in range(rounds):
        for column, step in functions.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            per_step[column].append((time.perf_counter() - start) / steps)
    return {column: statistics.median(times) for column, times in per_step.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="timed batches per column")
    parser.add_argument("--steps", type=int, default=10, help="steps per batch")
    args = parser.parse_args()
    print(describe_machine())

    default_threads = torch.get_num_threads()
    print(f"step time in ms: 10 parameters, 1,000,000 float64 numbers; median over {args.rounds} batches of "
          f"{args.steps} steps")
    print(f"torch {torch.__version__} ({default_threads} threads by default), numpy {np.__version__}")
    header = f"{'optimizer':<14}{'tinytorch':>10}" + "".join(f"{column:>16}{'ratio':>7}" for column in COLUMNS[1:])
    print(header)
    print("-" * len(header))
    for name in CASES:
        times = interleaved_medians(steppers(name, default_threads), args.rounds, args.steps)
        torch.set_num_threads(default_threads)
        row = f"{name:<14}{times['tinytorch'] * 1e3:>10.3f}"
        for column in COLUMNS[1:]:
            row += f"{times[column] * 1e3:>16.3f}{times['tinytorch'] / times[column]:>7.2f}"
        print(row)
    print("ratio = tinytorch time / torch time (target: at most 1.2)")


if __name__ == "__main__":
    main()
