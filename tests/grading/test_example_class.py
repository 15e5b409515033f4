"""The example class in examples/class/ is what examples/make_class.py generates today, and grades as expected."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tito.sandbox.isolation import probe_isolation

ROOT = Path(__file__).resolve().parents[2]
ISOLATION = probe_isolation()

# student -> (status, total): the reference and a rewrite of it, two bugs, a partial and a blank notebook, a
# student who patches the checks and leaves Adam unwritten, a file that is no notebook, and a no-show
EXPECTED = {
    "ada": ("graded", 100.0),
    "alan": ("graded", 97.0),  # Adam without bias correction: only test_adam_bias_correction (3 points) fails
    "barbara": ("graded", 98.0),  # StepLR one epoch late: only test_step_lr_schedule (2 points) fails
    "claude": ("graded", 0.0),
    "dennis": ("error", 0.0),
    "edsger": ("graded", 26.0),
    "grace": ("graded", 100.0),
    "ken": ("missing", 0.0),
    "mallory": ("graded", 72.0),
}


@pytest.fixture(scope="module")
def make_class():
    spec = importlib.util.spec_from_file_location("make_class", ROOT / "examples" / "make_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_class_is_what_the_script_writes(make_class):
    """Are examples/class/ and examples/roster.csv byte for byte what `examples/make_class.py` writes now?"""
    expected = make_class.example_class()
    committed = {path: path.read_bytes() for path in make_class.CLASS_FOLDER.iterdir()}
    committed[make_class.ROSTER] = make_class.ROSTER.read_bytes()
    stale = sorted(str(path.relative_to(ROOT)) for path in set(expected) | set(committed)
                   if expected.get(path) != committed.get(path))
    assert stale == [], f"stale example files (run `python examples/make_class.py`): {stale}"


def test_the_roster_names_every_student_and_one_who_did_not_submit(make_class):
    """Does the roster list every student, with exactly one (ken) who handed in nothing?"""
    rows = list(csv.DictReader(make_class.ROSTER.read_text().splitlines()))
    submitted = {path.stem for path in make_class.CLASS_FOLDER.iterdir()}
    assert {row["id"] for row in rows} - submitted == {"ken"}
    assert submitted <= {row["id"] for row in rows}


@pytest.mark.skipif(not ISOLATION.namespaces, reason=f"mallory's attack needs the sandbox: {ISOLATION.reason}")
def test_the_readme_command_grades_the_class_as_expected(tmp_path):
    """Does `tito grade optimizers examples/class --roster examples/roster.csv` give every student the expected total?"""
    out = tmp_path / "grades"
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "grade", "optimizers", "examples/class", "--roster", "examples/roster.csv",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "students: 9 (graded 7, tampered 0, error 1, missing 1)" in done.stdout
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert {row["student"]: (row["status"], float(row["score"])) for row in rows} == EXPECTED
