"""The notebooks run top to bottom in a real kernel, and the hidden parts of the test cells pass."""

from __future__ import annotations

import subprocess
import sys

import nbformat
from nbclient import NotebookClient

from tito.build.notebooks import source_notebook
from tito.build.public_tests import public_test_file
from tito.build.reference_fill import fill_with_reference
from tito.validate import load_module_source


def test_the_release_notebook_with_reference_answers_runs_top_to_bottom(course, module, tmp_path):
    """Does every cell of the student notebook, answered with the reference, run without error?"""
    release = nbformat.read(course.paths.release / module.slug / module.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    notebook = fill_with_reference(release, source)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    figures = sum(
        "image/png" in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert figures >= 1, "every lesson draws at least one figure"


def test_the_full_tests_with_hidden_parts_pass_on_the_reference(course, module, tmp_path):
    """Do the notebook's test cells, hidden parts included, pass against the reference package?"""
    notebook = source_notebook(load_module_source(module))
    test_file = tmp_path / f"test_full_{module.name}.py"
    test_file.write_text(public_test_file(notebook, module, "the source notebook"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)],
        cwd=course.paths.root, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
