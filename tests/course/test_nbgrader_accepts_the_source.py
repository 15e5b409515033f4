"""Stock nbgrader accepts the source notebooks and produces the same student notebook tito does."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import nbformat
from pathlib import Path

NAMED_STUB = re.compile(r"raise NotImplementedError\('.*'\)")


def normalised(notebook) -> list[tuple[str, str, dict]]:
    """Cell type, source with stubs unnamed, and nbgrader flags (checksums depend on the stub text)."""
    cells = []
    for cell in notebook.cells:
        meta = dict(cell.metadata.get("nbgrader", {}))
        meta.pop("checksum", None)
        source = NAMED_STUB.sub("raise NotImplementedError()", cell.source)
        cells.append((cell.cell_type, source, meta))
    return cells


def test_nbgrader_generate_assignment_accepts_every_source_notebook(course, tmp_path):
    """Does `nbgrader generate_assignment` run cleanly on source/, and match tito's release cell for cell?"""
    shutil.copytree(course.paths.source, tmp_path / "source")
    # nbgrader runs the `alembic` command by name, as an activated venv would find it.
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")])}
    for info in course.modules:
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", info.slug, "--force", "--log-level=WARN"],
            cwd=tmp_path, capture_output=True, text=True, env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        theirs = nbformat.read(tmp_path / "release" / info.slug / info.notebook_name, as_version=4)
        ours = nbformat.read(course.paths.release / info.slug / info.notebook_name, as_version=4)
        assert normalised(theirs) == normalised(ours)
