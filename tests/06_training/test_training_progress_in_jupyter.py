"""`Trainer.fit(verbose=1)`'s progress bars as Jupyter shows them: run under nbclient, read the final output."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

pytest.importorskip("ipywidgets")

EPOCHS, BATCHES = 4, 57
CODE = f"""
from tinytorch.core.training import _Progress

progress = _Progress(1, {EPOCHS})
for epoch in range(1, {EPOCHS} + 1):
    progress.start_epoch(epoch, {BATCHES})
    for _ in range({BATCHES}):
        progress.advance(0.5)
    progress.end_epoch({{"epoch": epoch, "loss": 0.1234, "accuracy": 0.9, "val_loss": 0.2, "val_accuracy": 0.85}})
progress.close()
"""


def final_text(notebook) -> str:
    """What the page shows last: the text of the ipywidgets outputs rich drew the bars into."""
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    texts = [output["data"]["text/plain"]
             for model in state.values() for output in model["state"].get("outputs", [])]
    return re.sub(r"\x1b\[[0-9;]*m", "", "".join(texts))


@pytest.mark.slow
def test_every_bar_ends_full_with_its_metrics_within_the_width():
    """Under a Jupyter kernel, does every epoch's bar end at 57/57 with its metrics, in lines that fit?"""
    from tinytorch.core.training import _Progress

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CODE)])
    NotebookClient(notebook, kernel_name="python3", timeout=60, startup_timeout=60).execute()
    text = final_text(notebook)
    for epoch in range(1, EPOCHS + 1):
        line = re.search(rf"epoch {epoch}/{EPOCHS}\s.*", text)
        assert line and f"{BATCHES}/{BATCHES}" in line.group(0), text
    assert text.count("val_accuracy 0.8500") == EPOCHS, text
    assert f" 0/{BATCHES}" not in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= _Progress.WIDTH
