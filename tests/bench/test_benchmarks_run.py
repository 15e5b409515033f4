"""The benchmark scripts run from a fresh clone and print their tables (tiny sizes: this checks they work,
not how fast anything is)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_optimizer_benchmark_prints_every_optimizer_with_its_ratio():
    table = run_bench("optimizers.py", "--rounds", "1", "--steps", "1")
    for name in ("SGD", "SGD momentum", "Adam", "AdamW", "RMSprop"):
        assert any(line.startswith(name + " ") for line in table.splitlines()), table
    assert "ratio" in table


def test_training_benchmark_prints_both_thread_settings():
    table = run_bench("training.py", "--repeats", "1", "--dtype", "float64")
    rows = [line for line in table.splitlines() if line.startswith("float64")]
    assert len(rows) == 2 and all(row.rstrip().endswith("x") for row in rows), table


def test_grading_benchmark_grades_with_both_and_finds_identical_totals():
    table = run_bench("grading.py", "--students", "2", "--rounds", "3")
    assert "nbgrader autograde" in table and "tito grade --jobs 2" in table
    assert "isolation per submission" in table and "ms per submission" in table
    assert "totals identical for all 2 students" in table


def test_every_benchmark_says_which_machine_it_ran_on():
    table = run_bench("optimizers.py", "--rounds", "1", "--steps", "1")
    first = table.splitlines()[0]
    assert first.startswith("machine: ") and "core(s) usable" in first and "load average" in first, first


def test_experiments_benchmark_times_the_runner_and_torch_on_the_same_grid():
    table = run_bench("experiments.py", "--epochs", "1", "--noises", "0.05", "--rates", "0.01", "0.1")
    for name in ("tinytorch run_grid, jobs=1", "tinytorch run_grid, cached rerun", "torch, 1 thread"):
        assert name in table, table
    assert "final losses equal to torch's (within 1e-6): 6 of the 6 runs" in table, table
