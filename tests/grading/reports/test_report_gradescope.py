"""Gradescope: results.json for one submission, and the autograder zip."""

import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from tito.grading.reports.common import ReportError
from tito.grading.reports.gradescope import (
    autograder_scripts,
    build_autograder_zip,
    gradescope_json,
    gradescope_results,
    write_gradescope_results,
)

TEST_FIELDS = {"name", "score", "max_score", "status", "output", "output_format", "visibility"}


def test_results_follow_gradescopes_schema(by_id):
    """Are score, max_score, output and tests there, each test with Gradescope's fields and values?"""
    data = gradescope_results(by_id["bob"])
    assert set(data) == {"score", "max_score", "output", "output_format", "tests"}
    assert (data["score"], data["max_score"]) == (4.0, 12.5)
    assert [test["name"] for test in data["tests"]] == ["test_sgd", "test_adam", "test_clipping"]
    for test in data["tests"]:
        assert set(test) == TEST_FIELDS
        assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
    adam = data["tests"][1]
    assert (adam["score"], adam["max_score"], adam["status"]) == (0.0, 6.0, "failed")
    assert adam["output"] == "Adam, 3 steps: expected 0.5, got 0.25"
    assert "execution_time" not in data


def test_the_overall_output_explains_notes_problems_and_written_answers(by_id):
    """Does a student read why they got their score: notes, the problem, the hand-graded answers?"""
    assert "timed out" in gradescope_results(by_id["bob"])["output"]
    assert "Written answer question-plateau (5 points): not answered" in gradescope_results(by_id["bob"])["output"]
    carl = gradescope_results(by_id["carl"])
    assert carl["score"] == 0 and carl["tests"] == [] and "SyntaxError in cell 7" in carl["output"]


def test_outputs_are_plain_text_so_markup_is_shown_as_written(by_id):
    """Is markup in a message kept verbatim, in outputs declared as text (not rendered as HTML)?"""
    data = gradescope_results(by_id["mallory"])
    assert data["output_format"] == "text"
    assert data["tests"][1]["output"] == "expected <b>1</b>, got <script>alert('x')</script>"


def test_the_json_is_sorted_indented_and_the_same_twice(by_id, tmp_path):
    """Is the file sorted-key, 2-space JSON, byte-identical when written twice?"""
    first = write_gradescope_results(by_id["ada"], tmp_path / "a.json").read_bytes()
    assert first == write_gradescope_results(by_id["ada"], tmp_path / "b.json").read_bytes()
    assert first.decode() == json.dumps(json.loads(first), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert gradescope_json(by_id["ada"]).startswith('{\n  "max_score"')


def make_course(root: Path) -> Path:
    files = {
        "pyproject.toml": "[project]\nname='c'\n", "README.md": "# course\n",
        "tito/__init__.py": "", "tito/cli.py": "print('tito')\n", "tito/__pycache__/cli.cpython-311.pyc": "x",
        "tinytorch/__init__.py": "", "tinytorch/core/optimizers.py": "# ref\n",
        "modules/03_optimizers/module.yaml": "name: optimizers\n", "modules/03_optimizers/optimizers_dev.py": "# %%\n",
        "release/03_optimizers/manifest.json": "{}\n", "autograder/03_optimizers/probes.py": "# probes\n",
        "autograder/03_optimizers/test_hidden.py": "# hidden\n", "scripts/run.sh": "#!/bin/sh\n",
        "tests/test_x.py": "", "workspace/03_optimizers/optimizers.ipynb": "{}", "grades/grades.csv": "",
        ".venv/bin/python": "", "source/03_optimizers/optimizers.ipynb": "{}",
        "tinytorch/.ipynb_checkpoints/a.py": "", "tito.egg-info/PKG-INFO": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "tito/cli.py").chmod(0o755)
    return root


def test_the_zip_holds_the_scripts_and_only_what_grading_needs(tmp_path):
    """Are setup.sh and run_autograder at the top, and the course copy without tests, work, grades or caches?"""
    course = make_course(tmp_path / "course")
    with zipfile.ZipFile(build_autograder_zip(course, "03_optimizers", "optimizers", tmp_path / "ag.zip")) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        times = {info.date_time for info in archive.infolist()}
    assert names == sorted(names)
    assert names == sorted([
        "run_autograder", "setup.sh", "course/README.md", "course/pyproject.toml",
        "course/autograder/03_optimizers/probes.py", "course/autograder/03_optimizers/test_hidden.py",
        "course/modules/03_optimizers/module.yaml", "course/modules/03_optimizers/optimizers_dev.py",
        "course/release/03_optimizers/manifest.json", "course/tinytorch/__init__.py",
        "course/tinytorch/core/optimizers.py", "course/tito/__init__.py", "course/tito/cli.py",
    ])
    assert times == {(1980, 1, 1, 0, 0, 0)}
    assert stat.S_IMODE(modes["run_autograder"]) == 0o755 and stat.S_IMODE(modes["setup.sh"]) == 0o755
    assert stat.S_IMODE(modes["course/tito/cli.py"]) == 0o755 and stat.S_IMODE(modes["course/README.md"]) == 0o644


def test_the_zip_is_the_same_bytes_twice(tmp_path):
    """Does building twice give byte-identical zips (fixed times, sorted entries)?"""
    course = make_course(tmp_path / "course")
    first = build_autograder_zip(course, "03_optimizers", "optimizers", tmp_path / "a.zip").read_bytes()
    os.utime(course / "README.md", (1e9, 1e9))
    assert first == build_autograder_zip(course, "03_optimizers", "optimizers", tmp_path / "b.zip").read_bytes()


def test_a_module_without_a_hidden_suite_gets_no_zip(tmp_path):
    """Is a module with no autograder/ folder refused with a message naming what is missing?"""
    course = make_course(tmp_path / "course")
    (course / "modules/02_autograd").mkdir()
    (course / "modules/02_autograd/module.yaml").write_text("name: autograd\n")
    with pytest.raises(ReportError, match="autograder/02_autograd does not exist"):
        build_autograder_zip(course, "02_autograd", "autograd", tmp_path / "ag.zip")


def test_the_scripts_install_the_course_and_grade_the_submission():
    """Does setup.sh install the course copy in a venv, and run_autograder call tito grade as specified?"""
    scripts = autograder_scripts("optimizers")
    assert "python3 -m venv /autograder/venv" in scripts["setup.sh"]
    assert "pip install /autograder/source/course" in scripts["setup.sh"]
    assert "tito grade optimizers /autograder/submission --out /tmp/tito-out --jobs 1" in scripts["run_autograder"]
    for text in scripts.values():
        subprocess.run(["bash", "-n"], input=text, text=True, check=True)


def run_script(tmp_path: Path, fake_tito: str) -> tuple[subprocess.CompletedProcess, Path]:
    """run_autograder with /autograder and /tmp/tito-out moved under tmp_path and a fake `tito` on PATH."""
    root, out = tmp_path / "autograder", tmp_path / "tito-out"
    (root / "venv/bin").mkdir(parents=True)
    (root / "venv/bin/activate").write_text(f'export PATH="{root}/venv/bin:$PATH"\n')
    (root / "venv/bin/tito").write_text("#!/usr/bin/env bash\n" + fake_tito.replace("OUT", str(out)))
    (root / "venv/bin/tito").chmod(0o755)
    (root / "source/course").mkdir(parents=True)
    script = autograder_scripts("optimizers")["run_autograder"]
    script = script.replace("/tmp/tito-out", str(out)).replace("/autograder", str(root))
    return subprocess.run(["bash", "-c", script], check=False, capture_output=True, text=True), root / "results/results.json"


def test_run_autograder_copies_the_single_result(tmp_path):
    """Is the one results/*.json tito wrote copied to results.json, whatever the student id?"""
    done, target = run_script(tmp_path, 'mkdir -p OUT/results && echo "{\\"score\\": 3}" > OUT/results/sub-42.json\nexit 1\n')
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text()) == {"score": 3}


def test_run_autograder_fails_loudly_without_exactly_one_result(tmp_path):
    """Does the script exit non-zero, saying how many result files it found, when there is not exactly one?"""
    done, target = run_script(tmp_path, "mkdir -p OUT/results\nexit 2\n")
    assert done.returncode == 1 and "wrote 0 result files" in done.stderr and not target.exists()
