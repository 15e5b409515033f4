"""Gradescope: results.json for one submission, and the autograder zip."""

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from tito.course import Course
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


MODULES = {  # slug -> (prerequisites, exports)
    "01_tensor": ([], ["core.tensor"]),
    "02_autograd": (["tensor"], ["core.autograd"]),
    "03_optimizers": (["tensor", "autograd"], ["core.optimizers"]),
    "04_layers": (["tensor"], ["core.layers"]),
}


def make_course(root: Path) -> Course:
    """Four modules with sources, suites, releases and reference files, and what a checkout also holds."""
    files = {
        "pyproject.toml": "[project]\nname = 'c'\nreadme = 'README.md'\n", "README.md": "# course\n",
        "tito/__init__.py": "", "tito/cli.py": "print('tito')\n", "tito/__pycache__/cli.cpython-311.pyc": "x",
        "tinytorch/__init__.py": "", "tinytorch/core/__init__.py": "", "tinytorch/core/extra.py": "# stray\n",
        "scripts/run.sh": "#!/bin/sh\n", "tests/test_x.py": "", "workspace/03_optimizers/optimizers.ipynb": "{}",
        "grades/grades.csv": "", ".venv/bin/python": "",
        "tinytorch/.ipynb_checkpoints/a.py": "", "tito.egg-info/PKG-INFO": "", "docs/index.md": "",
    }
    for slug, (prerequisites, exports) in MODULES.items():
        number, name = slug.split("_")
        files[f"modules/{slug}/module.yaml"] = (
            f"name: {name}\nnumber: {int(number)}\ntitle: {name.title()}\nprerequisites: {prerequisites}\n"
            f"exports: {exports}\npoints: {{auto: 10, manual: 0}}\n"
        )
        files[f"modules/{slug}/{name}_dev.py"] = "# %% the solutions\n"
        files[f"autograder/{slug}/probes.py"] = "# probes\n"
        files[f"autograder/{slug}/test_{name}_hidden.py"] = "# hidden\n"
        files[f"autograder/{slug}/__pycache__/probes.cpython-311.pyc"] = "x"
        for release in ("manifest.json", f"{name}.ipynb", f"test_{name}.py"):
            files[f"release/{slug}/{release}"] = "{}\n"
        files[f"source/{slug}/{name}.ipynb"] = "{}\n"
        for target in exports:
            files[f"tinytorch/{target.replace('.', '/')}.py"] = f"# reference {target}\n"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "tito/cli.py").chmod(0o755)
    return Course.load(root)


def test_the_zip_holds_the_scripts_and_only_what_grading_needs(tmp_path):
    """Are setup.sh and run_autograder at the top, and in the course copy only what grading this module reads:
    no module source, no other module's suite, release or reference file, no tests, work, grades or caches?"""
    course = make_course(tmp_path / "course")
    bundle = build_autograder_zip(course, course.module("optimizers"), tmp_path / "ag.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        times = {info.date_time for info in archive.infolist()}
    assert names == sorted(names)
    assert names == sorted([
        "run_autograder", "setup.sh", "course/README.md", "course/pyproject.toml",
        "course/tito/__init__.py", "course/tito/cli.py",
        "course/modules/01_tensor/module.yaml", "course/modules/02_autograd/module.yaml",
        "course/modules/03_optimizers/module.yaml",
        "course/autograder/03_optimizers/probes.py", "course/autograder/03_optimizers/test_optimizers_hidden.py",
        "course/release/03_optimizers/manifest.json", "course/release/03_optimizers/optimizers.ipynb",
        "course/source/03_optimizers/optimizers.ipynb",
        "course/tinytorch/__init__.py", "course/tinytorch/core/__init__.py", "course/tinytorch/core/tensor.py",
        "course/tinytorch/core/autograd.py", "course/tinytorch/core/optimizers.py",
    ])
    assert times == {(1980, 1, 1, 0, 0, 0)}
    assert stat.S_IMODE(modes["run_autograder"]) == 0o755 and stat.S_IMODE(modes["setup.sh"]) == 0o755
    assert stat.S_IMODE(modes["course/tito/cli.py"]) == 0o755 and stat.S_IMODE(modes["course/README.md"]) == 0o644


def test_a_module_without_prerequisites_gets_only_its_own_files(tmp_path):
    """Does the first module's zip leave out every later module, even those that build on it?"""
    course = make_course(tmp_path / "course")
    with zipfile.ZipFile(build_autograder_zip(course, course.module("tensor"), tmp_path / "ag.zip")) as archive:
        names = archive.namelist()
    assert [name for name in names if name.startswith(("course/modules/", "course/tinytorch/core/"))] == [
        "course/modules/01_tensor/module.yaml", "course/tinytorch/core/__init__.py", "course/tinytorch/core/tensor.py",
    ]


def test_the_zip_is_the_same_bytes_twice(tmp_path):
    """Does building twice give byte-identical zips (fixed times, sorted entries)?"""
    course = make_course(tmp_path / "course")
    module = course.module("optimizers")
    first = build_autograder_zip(course, module, tmp_path / "a.zip").read_bytes()
    os.utime(course.paths.root / "README.md", (1e9, 1e9))
    assert first == build_autograder_zip(course, module, tmp_path / "b.zip").read_bytes()


def test_a_module_without_a_hidden_suite_gets_no_zip(tmp_path):
    """Is a module with no autograder/ folder refused with a message naming what is missing?"""
    course = make_course(tmp_path / "course")
    shutil.rmtree(course.paths.autograder / "02_autograd")
    with pytest.raises(ReportError, match="autograder/02_autograd does not exist"):
        build_autograder_zip(course, course.module("autograd"), tmp_path / "ag.zip")
    assert not (tmp_path / "ag.zip").exists()


def test_a_missing_release_or_reference_file_is_named(tmp_path):
    """Is a zip without the release notebook or a prerequisite's reference file refused, naming each?"""
    course = make_course(tmp_path / "course")
    (course.paths.root / "tinytorch/core/tensor.py").unlink()
    (course.paths.release / "03_optimizers/optimizers.ipynb").unlink()
    with pytest.raises(ReportError, match=r"missing release/03_optimizers/optimizers.ipynb, tinytorch/core/tensor.py"):
        build_autograder_zip(course, course.module("optimizers"), tmp_path / "ag.zip")


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


def hand_grades(memory: float | None = None, memory_comment: str = "", plateau: float | None = None):
    from tito.grading.manual_scores import HandGrade, HandGrades

    return HandGrades((HandGrade("question-memory", 10.0, memory, memory_comment), HandGrade("question-plateau", 5.0, plateau)))


def test_hand_grades_with_nothing_recorded_leave_the_results_as_they_were(by_id):
    """Is the JSON byte-identical with no hand grades, or with hand grades holding no score and no comment?"""
    assert gradescope_json(by_id["bob"], hand_grades()) == gradescope_json(by_id["bob"])


def test_scored_written_answers_are_tests_and_count_in_the_total(by_id):
    """Is each scored written answer a test (score, max_score, the comment as output), and the score the sum?"""
    data = gradescope_results(by_id["bob"], hand_grades(7.5, "Say which buffers."))
    assert (data["score"], data["max_score"]) == (11.5, 27.5)
    written = data["tests"][3:]
    assert written == [{
        "name": "Written answer question-memory (graded by hand)", "score": 7.5, "max_score": 10.0,
        "output": "Say which buffers.", "output_format": "text", "visibility": "visible",
    }]
    assert [test["name"] for test in data["tests"][:3]] == ["test_sgd", "test_adam", "test_clipping"]
    assert "Score: 11.5 / 27.5: auto-graded 4 / 12.5" in data["output"]
    assert "1 of 2 graded by hand so far" in data["output"]
    assert "Written answer question-memory (10 points): answered, graded by hand: 7.5 / 10." in data["output"]
    assert "Written answer question-plateau (5 points): not answered, graded by hand, not graded yet." in data["output"]
    assert "Grader's comment on question-memory: Say which buffers." in data["output"]


def test_a_comment_without_a_score_is_in_the_output_only(by_id):
    """Does a comment on an ungraded answer reach the student without a test or points?"""
    data = gradescope_results(by_id["ada"], hand_grades(None, "Grading this next week."))
    assert len(data["tests"]) == 3 and (data["score"], data["max_score"]) == (12.5, 27.5)
    assert "Grader's comment on question-memory: Grading this next week." in data["output"]
