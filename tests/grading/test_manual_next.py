"""`tito grade manual` without --scores prints the next command as it must be run: with the --out that was used."""

from __future__ import annotations

import shlex
import subprocess
import sys

from tito.grading.reports import write_all
from tito.grading.result import SubmissionResult, WrittenAnswer


def test_the_next_command_keeps_the_out_folder_and_runs_as_printed(graded_course, tmp_path):
    """Given a non-default --out (with a space in it), is the printed next command the one to run, --out included,
    and does it run as printed?"""
    module = graded_course.module("alpha")
    out = tmp_path / "my grades" / "alpha"
    results = [SubmissionResult(student="alice", status="graded", max_score=15.0, key="k",
                                written=[WrittenAnswer("why-add-one", 5.0, "Because.", True)])]
    write_all(results, out, course=graded_course, module=module, tests={"test_add_one_on_a_matrix": 6.0})
    base = [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root)]
    shown = subprocess.run([*base, "grade", "manual", "alpha", "--out", str(out)], capture_output=True, text=True,
                           env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"})
    assert shown.returncode == 0, shown.stdout + shown.stderr
    scores = out / "manual" / "scores.csv"
    command = shown.stdout.split("then run: ", 1)[1].strip()
    assert command == shlex.join(["tito", "grade", "manual", "alpha", "--out", str(out), "--scores", str(scores)])
    ran = subprocess.run([*base, *shlex.split(command)[1:]], capture_output=True, text=True,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"wrote {out / 'final_grades.csv'}" in ran.stdout
