"""The Gradescope autograder zip, unpacked as Gradescope unpacks it, grades a submission with the course copy
inside the zip (setup.sh's pip install is stood in for by putting the zip's course first on PYTHONPATH)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.reports.gradescope import build_autograder_zip
from tito.sandbox.isolation import probe_isolation

ROOT = Path(__file__).resolve().parents[2]
ISOLATION = probe_isolation()


def unpack_as_gradescope(bundle: Path, autograder: Path) -> str:
    """/autograder/source holds the zip's contents; the venv's activate script reaches this interpreter and
    imports tito and tinytorch from the zip's course copy. Returns run_autograder with /autograder moved."""
    source = autograder / "source"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(source)
    venv_bin = autograder / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "activate").write_text(
        f'export PATH="{venv_bin}:$PATH"\nexport PYTHONPATH="{source / "course"}"\n'
    )
    (venv_bin / "tito").write_text(f'#!/usr/bin/env bash\nexec "{sys.executable}" -m tito.cli "$@"\n')
    (venv_bin / "tito").chmod(0o755)
    (autograder / "submission").mkdir()
    (autograder / "results").mkdir()
    script = (source / "run_autograder").read_text()
    return script.replace("/tmp/tito-out", str(autograder / "tito-out")).replace("/autograder", str(autograder))


@pytest.mark.skipif(not ISOLATION.namespaces, reason=f"the example submission needs the sandbox: {ISOLATION.reason}")
def test_the_unpacked_zip_grades_a_submission_into_results_json(tmp_path):
    """Does run_autograder from the zip grade a notebook with the zip's own suite and write results.json?"""
    course = Course.load(ROOT)
    bundle = build_autograder_zip(course, course.module("optimizers"), tmp_path / "optimizers.zip")
    autograder = tmp_path / "autograder"
    script = unpack_as_gradescope(bundle, autograder)
    # alan's Adam lacks bias correction: 97 of 100, as examples/class grades
    shutil.copy(ROOT / "examples" / "class" / "alan.ipynb", autograder / "submission" / "optimizers.ipynb")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "TITO_ROOT")}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((autograder / "results" / "results.json").read_text())
    assert (results["score"], results["max_score"]) == (97.0, 100.0)
    failed = {test["name"] for test in results["tests"] if test["status"] == "failed"}
    assert failed == {"test_adam_bias_correction"}
