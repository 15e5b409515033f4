"""What a student does in the tests of tito's module commands: run tito, answer a notebook, edit one cell.

Imported by the test files next to it (`sys.path` gets this folder: the tests run with --import-mode=importlib).
"""

from __future__ import annotations

import subprocess
import sys

import nbformat

from tito.build.reference_fill import fill_with_reference
from tito.workspace import notebook_path


# Passes alpha's visible tests (which give it lists) but not what beta asks of it (numbers: 1 + 10 + 10): beta's
# result shows whose alpha it ran on.
QUIRKY_ALPHA = (
    "#| export\ndef add_one(x):\n    return np.asarray(x) + 1 if isinstance(x, list) else x + 10\n\n\n"
    "class Doubler:\n    def double(self, x):\n        return 2 * np.asarray(x)"
)


def tito(course, *args: str, columns: int = 200) -> subprocess.CompletedProcess:
    """`tito --root COURSE ARGS` in a fresh process, its output as wide as `columns`."""
    return subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(course.paths.root), *args],
        capture_output=True, text=True, env={"COLUMNS": str(columns), "PATH": ""},
    )


def answer_with_reference(course, name: str) -> None:
    """Write the reference solutions into the module's workspace notebook."""
    info = course.module(name)
    release = nbformat.read(course.paths.release / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / info.slug / info.notebook_name, as_version=4)
    nbformat.write(fill_with_reference(release, source), notebook_path(course, info))


def edit_solution(course, name: str, grade_id: str, new_source: str) -> None:
    """Replace the source of one cell of the module's workspace notebook."""
    path = notebook_path(course, course.module(name))
    notebook = nbformat.read(path, as_version=4)
    next(cell for cell in notebook.cells if cell.get("id") == grade_id).source = new_source
    nbformat.write(notebook, path)
