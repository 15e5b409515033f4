"""nbgrader grades the test cells with their pass lines, and the check-up cell, as it graded the cells before."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from tito.build.reference_fill import fill_with_reference
from tito.package import export_reference
from tito.release import release_module


def nbgrader(folder: Path, *args: str) -> None:
    # nbgrader runs the `alembic` command by name, as an activated venv would find it.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force", "--log-level=WARN"],
        cwd=folder, capture_output=True, text=True, env={**os.environ, "PATH": path},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nbgrader_autograde_gives_full_and_zero_points(mini_course, tmp_path):
    """Does `nbgrader autograde` give a reference-filled notebook every test point and a blank one none?"""
    info = mini_course.module("alpha")
    export_reference(mini_course, info)
    release_module(mini_course, info)
    course = tmp_path / "nbgrader"
    shutil.copytree(mini_course.paths.source / info.slug, course / "source" / info.slug)
    nbgrader(course, "generate_assignment", info.slug)
    released = nbformat.read(course / "release" / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(course / "source" / info.slug / info.notebook_name, as_version=4)
    submissions = {"filled": fill_with_reference(released, source), "blank": released}
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / info.slug
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / info.notebook_name)
        nbgrader(course, "autograde", info.slug, "--student", student)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            student: {
                grade.name: grade.score
                for grade in gradebook.find_submission_notebook(info.name, info.slug, student).grades
            }
            for student in submissions
        }
    assert scores["filled"]["test-add-one"] == 10 and scores["filled"]["test-doubler"] == 5
    assert scores["blank"]["test-add-one"] == 0 and scores["blank"]["test-doubler"] == 0
    assert "check-up" not in scores["filled"]  # locked, not graded
    autograded = nbformat.read(course / "autograded" / "filled" / info.slug / info.notebook_name, as_version=4)
    check_up = autograded.cells[-1]
    assert check_up.id == "check-up"
    assert any("Auto-graded: 15/15 points" in str(output) for output in check_up.outputs)
