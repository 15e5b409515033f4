"""The issue's reproduction on the real course: `tito module complete tensor` on the untouched notebook, then a
finished optimizers notebook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from tito.build.reference_fill import fill_with_reference
from tito.complete import complete_module
from tito.course import Course
from tito.workspace import notebook_path, start_module

ROOT = Path(__file__).resolve().parents[2]


def test_an_untouched_tensor_does_not_cost_the_optimizers_their_points(tmp_path):
    """After `complete tensor` fails on the released notebook, does a finished optimizers notebook earn 100/100,
    with a header that says tensor is the reference and why?"""
    course = Course.load(ROOT, workspace=tmp_path / "workspace")
    tensor, optimizers = course.module("tensor"), course.module("optimizers")
    start_module(course, tensor)
    failed = complete_module(course, tensor, timeout=300)
    assert not failed.all_passed and failed.earned == 0

    start_module(course, optimizers)
    release = nbformat.read(course.paths.release / optimizers.slug / optimizers.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / optimizers.slug / optimizers.notebook_name, as_version=4)
    nbformat.write(fill_with_reference(release, source), notebook_path(course, optimizers))
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(ROOT), "--workspace", str(course.paths.workspace),
         "module", "complete", "optimizers"],
        capture_output=True, text=True, env={"COLUMNS": "80", "PATH": ""}, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    header = lines.index("Code used for the modules optimizers builds on:")
    assert lines[header + 1].startswith("  tensor: reference (your notebook has not passed yet: 0/50 on ")
    assert lines[header + 2] == "  autograd: reference (you have not run `tito module complete autograd`)"
    assert "Auto-graded: 100/100 points (11 of 11 tests passed)" in lines
