"""The release notebook of module 09, answered with the reference, runs top to bottom within its time budget, with
an empty cache."""

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tito.build.reference_fill import fill_with_reference

ROOT = Path(__file__).resolve().parents[2]
BUDGET_SECONDS = 60


def test_the_lesson_runs_within_a_minute(tmp_path, monkeypatch):
    """With the default (short) budgets, does the whole notebook execute in under a minute?"""
    monkeypatch.delenv("TINYTORCH_FULL_RUNS", raising=False)
    release = nbformat.read(ROOT / "release" / "09_optimizer_studies" / "optimizer_studies.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / "09_optimizer_studies" / "optimizer_studies.ipynb", as_version=4)
    notebook = fill_with_reference(release, source)
    client = NotebookClient(notebook, timeout=BUDGET_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    started = time.monotonic()
    # a fresh temporary folder, so the grids' cache starts empty (cold runs, as a student's first)
    client.execute(env={**os.environ, "MPLBACKEND": "Agg", "TMPDIR": str(tmp_path)})
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_SECONDS, f"the notebook took {elapsed:.0f} s"
