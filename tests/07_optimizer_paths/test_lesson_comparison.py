"""The MNIST-1D comparison of module 07's lesson gives the numbers its table states.

The lesson's code cells (the reference solutions included) are run with TINYTORCH_FULL_RUNS=1, as a student who
sets FULL_RUNS would run them, with matplotlib drawing off screen. The rates picked by the sweeps must be those of
the table, and each run's final training loss and best validation accuracy must be the table's, to the rounding
it shows (a little more for the loss, whose last digit moves with the platform's floating point).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupytext
import matplotlib
import pytest

SOURCE = Path(__file__).resolve().parents[2] / "modules" / "07_optimizer_paths" / "optimizer_paths_dev.py"
ROW = re.compile(r"^# \| (?P<name>[\w ]+?)(?: 0\.9| \(decay 0\.05\))? \| (?P<rate>[\d.]+) \| (?P<loss>[\d.]+) \| "
                 r"(?P<accuracy>[\d.]+) \|$", re.MULTILINE)


def lesson_table() -> dict[str, tuple[float, float, float]]:
    rows = {match["name"]: (float(match["rate"]), float(match["loss"]), float(match["accuracy"]))
            for match in ROW.finditer(SOURCE.read_text())}
    assert set(rows) == {"SGD", "momentum", "Nesterov", "RMSprop", "Adam", "AdamW", "Nadam"}, rows
    return rows


@pytest.mark.slow
def test_the_full_comparison_gives_the_lessons_table(monkeypatch):
    """Run in full, does every optimizer pick the table's rate and reach the table's loss and accuracy?"""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("TINYTORCH_FULL_RUNS", "1")
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: plt.close("all"))
    notebook = jupytext.read(SOURCE)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    scope = {"__name__": "__lesson__"}
    exec(compile(code, str(SOURCE), "exec"), scope)  # noqa: S102 - the course's own lesson
    assert os.environ["TINYTORCH_FULL_RUNS"] == "1" and scope["EPOCHS"] == 20
    for name, (rate, loss, accuracy) in lesson_table().items():
        history = scope["histories"][name]
        assert scope["chosen"][name] == rate, name
        assert abs(history.epochs["loss"][-1] - loss) <= 0.01, (name, history.epochs["loss"][-1])
        assert abs(max(history.epochs["val_accuracy"]) - accuracy) <= 0.0051, (name, history.epochs["val_accuracy"])
