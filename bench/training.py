"""One training epoch of an MLP on MNIST-1D: tinytorch against the same training written in torch.

The model is 40 -> 256 -> 256 -> 10 with ReLU, Adam (lr 1e-3), cross-entropy, batch size 128, over the 3,600
training signals of MNIST-1D (29 steps). Both sides start from the same weights and visit the batches in the
same order. Columns:

- tinytorch Trainer: `Trainer.train_epoch`, which also records the History, measures the gradient norm and
  the training accuracy of every step;
- tinytorch loop: the five-line loop (forward, loss, zero_grad, backward, step) with a DataLoader;
- torch: the five-line loop in torch, indexing the same batches out of one tensor.

Each setting is run with numpy's BLAS and torch both limited to one thread, and both at their default thread
count, in the same run: each column is timed over a block of epochs after two untimed ones, and each number
is the median epoch of its block.

    python bench/training.py [--repeats 7] [--dtype float32 float64] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from tinytorch.core.autograd import Variable
from tinytorch.core.data import DataLoader, TensorDataset, load_mnist1d
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.training import Trainer
from machine import describe_machine  # bench/machine.py (scripts run from bench/)

SIZES = (40, 256, 256, 10)
BATCH_SIZE = 128
LEARNING_RATE = 1e-3


def tinytorch_model(dtype):
    return Sequential(Linear(SIZES[0], SIZES[1], dtype=dtype, rng=0), ReLU(),
                      Linear(SIZES[1], SIZES[2], dtype=dtype, rng=1), ReLU(),
                      Linear(SIZES[2], SIZES[3], dtype=dtype, rng=2))


def torch_model(state, dtype):
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                                torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
                                torch.nn.Linear(SIZES[2], SIZES[3])).to(getattr(torch, dtype))
    model.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    return model


def epoch_functions(x, y, dtype):
    """Zero-argument functions that each train one epoch (their own model), returning the last loss."""
    dataset = TensorDataset(x, y)

    trainer_model = tinytorch_model(dtype)
    initial = trainer_model.state_dict()
    trainer = Trainer(trainer_model, CrossEntropyLoss(), Adam(trainer_model.parameters(), learning_rate=LEARNING_RATE))
    trainer_loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, seed=0)

    def tinytorch_trainer():
        return trainer.train_epoch(trainer_loader)["loss"]

    loop_model = tinytorch_model(dtype)
    loop_optimizer = Adam(loop_model.parameters(), learning_rate=LEARNING_RATE)
    loop_loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, seed=0)
    loss_fn = CrossEntropyLoss()

    def tinytorch_loop():
        for inputs, targets in loop_loader:
            loss = loss_fn(loop_model(Variable(inputs, requires_grad=False)), targets)
            loop_optimizer.zero_grad()
            loss.backward()
            loop_optimizer.step()
        return loss.item()

    reference = torch_model(initial, dtype)
    torch_optimizer = torch.optim.Adam(reference.parameters(), lr=LEARNING_RATE)
    torch_loss = torch.nn.CrossEntropyLoss()
    inputs_t, targets_t = torch.tensor(x), torch.tensor(y)
    order = np.random.default_rng(0)

    def torch_loop():
        positions = torch.from_numpy(order.permutation(len(x)))
        for start in range(0, len(x), BATCH_SIZE):
            batch = positions[start:start + BATCH_SIZE]
            loss = torch_loss(reference(inputs_t[batch]), targets_t[batch])
            torch_optimizer.zero_grad()
            loss.backward()
            torch_optimizer.step()
        return loss.item()

    return {"tinytorch Trainer": tinytorch_trainer, "tinytorch loop": tinytorch_loop, "torch": torch_loop}


def measure(functions, repeats, threads):
    """Median seconds per epoch of each function: blocks of `repeats` timed epochs after two untimed ones.

    Blocks rather than one epoch of each in turn: numpy's and torch's thread pools keep spinning for a while
    after their last task, and with more than one thread on a 2-core machine an epoch right after the other
    library's pays for that spinning.
    """
    torch.set_num_threads(threads if threads is not None else DEFAULT_TORCH_THREADS)
    times = {}
    with threadpool_limits(limits=threads):
        for name, function in functions.items():
            function()
            function()
            laps = []
            for _ in range(repeats):
                started = time.perf_counter()
                function()
                laps.append(time.perf_counter() - started)
            times[name] = statistics.median(laps)
    return times


def profile_epoch(x, y, dtype, threads):
    """cProfile of a few tinytorch Trainer epochs: the functions where the time goes."""
    trainer_epoch = epoch_functions(x, y, dtype)["tinytorch Trainer"]
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        trainer_epoch()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            trainer_epoch()
        profiler.disable()
    print(f"\nprofile: 5 epochs, tinytorch Trainer, {dtype}, {threads} thread(s), by own time")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


DEFAULT_TORCH_THREADS = torch.get_num_threads()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--profile", action="store_true", help="also profile the tinytorch Trainer epoch")
    arguments = parser.parse_args()
    print(describe_machine())

    data = load_mnist1d()
    blas = [f"{pool['internal_api']} ({pool['num_threads']} threads)" for pool in threadpool_info()]
    print(f"MNIST-1D: {len(data.train[1])} training signals; MLP {' -> '.join(map(str, SIZES))}, Adam, "
          f"batch {BATCH_SIZE}, {int(np.ceil(len(data.train[1]) / BATCH_SIZE))} steps per epoch")
    print(f"thread pools: {', '.join(blas)}; torch {torch.__version__} default threads: {DEFAULT_TORCH_THREADS}; "
          f"median of {arguments.repeats} epochs; load average before: {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores (other work on the machine distorts the multi-threaded rows most)\n")

    header = f"{'dtype':8} {'threads':8} {'tinytorch Trainer':>18} {'tinytorch loop':>15} {'torch':>9} " \
             f"{'Trainer / torch':>16} {'loop / torch':>13}"
    print(header)
    print("-" * len(header))
    for dtype in arguments.dtype:
        x, y = data.train[0].astype(dtype), data.train[1]
        for threads in (1, None):
            medians = measure(epoch_functions(x, y, dtype), arguments.repeats, threads)
            label = "1" if threads == 1 else "default"
            trainer_ms, loop_ms, torch_ms = (1000 * medians[name] for name in
                                             ("tinytorch Trainer", "tinytorch loop", "torch"))
            print(f"{dtype:8} {label:8} {trainer_ms:15.1f} ms {loop_ms:12.1f} ms {torch_ms:6.1f} ms "
                  f"{trainer_ms / torch_ms:15.2f}x {loop_ms / torch_ms:12.2f}x")
    if arguments.profile:
        profile_epoch(data.train[0].astype(arguments.dtype[0]), data.train[1], arguments.dtype[0], 1)


if __name__ == "__main__":
    main()
