"""`tito grade` end to end on a small class of the test course: outputs, determinism, resuming, executors."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tito.course import Course
from tito.errors import TitoError
from tito.grading.grade import grade_class
from tito.grading.reports import write_all
from tito.sandbox.limits import Limits

LIMITS = Limits(call_seconds=3, submission_seconds=20)


def solution_edit(notebook, old: str, new: str):
    edited = copy.deepcopy(notebook)
    for cell in edited.cells:
        if cell.get("id") == "add-one":
            cell.source = cell.source.replace(old, new)
    return edited


@pytest.fixture(scope="module")
def small_class(tmp_path_factory, alpha_notebooks) -> Path:
    """Five submissions: right, untouched, off by one, exits, and not a notebook."""
    release, answered = alpha_notebooks
    folder = tmp_path_factory.mktemp("class")
    nbformat.write(answered, folder / "alice.ipynb")
    nbformat.write(release, folder / "bob.ipynb")
    nbformat.write(solution_edit(answered, "+ 1", "+ 2"), folder / "carol.ipynb")
    nbformat.write(solution_edit(answered, "return np.asarray(x) + 1", "raise SystemExit(0)"), folder / "dave.ipynb")
    (folder / "erin.ipynb").write_text("this is not a notebook")
    return folder


def scores(run) -> dict[str, tuple[str, float]]:
    return {result.student: (result.status, result.score) for result in run.results}


EXPECTED = {
    "alice": ("graded", 15.0),
    "bob": ("graded", 0.0),
    "carol": ("graded", 9.0),  # off by one fails the values; the float32 check still passes
    "dave": ("graded", 5.0),
    "erin": ("error", 0.0),
}


def test_a_class_is_graded_with_the_right_scores(graded_course, small_class, tmp_path):
    """Does each kind of submission get exactly the points it earned?"""
    run = grade_class(graded_course, graded_course.module("alpha"), small_class, tmp_path / "out", limits=LIMITS)
    assert scores(run) == EXPECTED
    carol = next(r for r in run.results if r.student == "carol")
    assert "add_one on a 2x2 matrix" in carol.tests[0].message


def test_outputs_are_identical_whatever_the_number_of_jobs(graded_course, small_class, tmp_path):
    """Do one and two workers write byte-identical CSV and JSON?"""
    outputs = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        run = grade_class(graded_course, graded_course.module("alpha"), small_class, out, workers=jobs, limits=LIMITS)
        write_all(run.results, out, course=graded_course, module=graded_course.module("alpha"), tests=run.tests)
        outputs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.suffix in (".csv", ".json") and ".cache" not in p.parts})
    assert outputs[0] == outputs[1]
    assert {Path("grades.csv"), *(Path("results") / f"{s}.json" for s in EXPECTED)} <= set(outputs[0])


def test_a_rerun_reuses_unchanged_results_and_regrades_changed_ones(graded_course, small_class, tmp_path):
    """Is a second run skipping unchanged submissions, regrading an edited one, and --force regrading all?"""
    folder = tmp_path / "class"
    shutil.copytree(small_class, folder)
    out = tmp_path / "out"
    module = graded_course.module("alpha")
    first = grade_class(graded_course, module, folder, out, limits=LIMITS)
    assert (first.regraded, first.reused) == (5, 0)
    shutil.copyfile(folder / "alice.ipynb", folder / "bob.ipynb")
    second = grade_class(graded_course, module, folder, out, limits=LIMITS)
    assert (second.regraded, second.reused) == (1, 4)
    assert scores(second)["bob"] == ("graded", 15.0)
    forced = grade_class(graded_course, module, folder, out, limits=LIMITS, force=True)
    assert (forced.regraded, forced.reused) == (5, 0)


def test_the_roster_marks_missing_students(graded_course, small_class, tmp_path):
    """Is a student on the roster without a submission listed as missing with 0?"""
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nalice,Alice,a@x.edu\nzed,Zed,z@x.edu\n")
    run = grade_class(graded_course, graded_course.module("alpha"), small_class, tmp_path / "out", roster=roster, limits=LIMITS)
    assert scores(run)["zed"] == ("missing", 0.0)
    assert next(r for r in run.results if r.student == "alice").name == "Alice"


def test_the_cli_grades_a_zip_and_writes_every_output(graded_course, small_class, tmp_path):
    """Does `tito grade alpha class.zip` write the CSV, JSON, HTML, gradebook and summary, and print a summary?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(small_class.iterdir()):
            bundle.write(path, f"download/{path.name}")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "alpha", str(archive),
         "--out", str(out), "--jobs", "2", "--test-timeout", "3"],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "students: 5 (graded 4, tampered 0, error 1, missing 0)" in done.stdout
    for name in ("grades.csv", "summary.png", "nbgrader/gradebook.db", "results/alice.json", "feedback/erin.html"):
        assert (out / name).is_file(), name
    assert "not a notebook" in (out / "feedback" / "erin.html").read_text()


def test_the_dask_executor_gives_the_same_grades(graded_course, small_class, tmp_path):
    """Does `--executor dask` on a LocalCluster grade the same way as the local pool?"""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = grade_class(
            graded_course, graded_course.module("alpha"), small_class, tmp_path / "out",
            executor="dask", scheduler=cluster.scheduler_address, limits=LIMITS,
        )
    assert scores(run) == EXPECTED


def test_hand_grading_scores_are_recorded_and_added_to_the_total(graded_course, small_class, tmp_path):
    """Does `tito grade manual --scores` validate the TA's CSV, store it in the gradebook and total it up?"""
    from nbgrader.api import Gradebook

    out = tmp_path / "out"
    module = graded_course.module("alpha")
    run = grade_class(graded_course, module, small_class, out, limits=LIMITS)
    write_all(run.results, out, course=graded_course, module=module, tests=run.tests)
    template = (out / "manual" / "scores.csv").read_text().splitlines()
    assert template[0] == "student,grade_id,max_points,score,comment" and len(template) == 6
    filled = [template[0]] + [line[:-1] + ("4," if line.startswith("alice,") else ",") for line in template[1:]]
    scores = tmp_path / "scores.csv"
    scores.write_text("\n".join(filled) + "\n")

    def manual(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "manual", "alpha",
             "--out", str(out), "--scores", str(path)], capture_output=True, text=True, env={"COLUMNS": "200"},
        )

    done = manual(scores)
    assert done.returncode == 0, done.stdout + done.stderr
    final = (out / "final_grades.csv").read_text().splitlines()
    assert final[0] == ("student,name,email,status,auto_score,why-add-one,raw_total,late,late_penalty,total,max_total,"
                        "ungraded_answers")
    assert final[1] == "alice,,,graded,15,4,19,,,19,20,0"
    assert final[2] == "bob,,,graded,0,,0,,,0,20,1"
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gradebook:
        assert gradebook.find_grade("why-add-one", "alpha", "01_alpha", "alice").manual_score == 4
    scores.write_text("\n".join([template[0], template[1][:-1] + "9,"]) + "\n")
    refused = manual(scores)
    assert refused.returncode == 2 and "outside 0 to 5" in refused.stdout


def test_the_gradescope_autograder_zip_is_built_from_the_cli(graded_course, tmp_path):
    """Does `tito grade gradescope alpha` write a zip with setup.sh, run_autograder and the course's suite?"""
    destination = tmp_path / "alpha-autograder.zip"
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "gradescope", "alpha",
         "--out", str(destination)], capture_output=True, text=True, env={"COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(destination) as bundle:
        names = set(bundle.namelist())
        assert {"setup.sh", "run_autograder"} <= names
        assert any(name.endswith("autograder/01_alpha/probes.py") for name in names)
        assert "tito grade alpha /autograder/submission" in bundle.read("run_autograder").decode()


def test_a_changed_release_manifest_regrades_and_a_missing_one_stops_before_grading(graded_course, small_class, tmp_path):
    """Does a rerun regrade everyone when the release's checksums change, and is a course without its manifest
    refused up front with the command that makes it?"""
    root = tmp_path / "course"
    shutil.copytree(graded_course.paths.root, root)
    course = Course.load(root)
    module, out = course.module("alpha"), tmp_path / "out"
    assert grade_class(course, module, small_class, out, limits=LIMITS).regraded == 5
    manifest = course.paths.release / module.slug / "manifest.json"
    manifest.write_text(manifest.read_text() + "\n")
    again = grade_class(course, module, small_class, out, limits=LIMITS)
    assert (again.regraded, again.reused) == (5, 0)
    manifest.unlink()
    with pytest.raises(TitoError, match="manifest.json is missing; run `tito release alpha` first"):
        grade_class(course, module, small_class, tmp_path / "out2", limits=LIMITS)
    assert not (tmp_path / "out2").exists()


def test_the_dask_executor_gives_each_running_sandbox_its_own_uid(graded_course, alpha_notebooks, tmp_path):
    """On two Dask workers of one host grading at the same time, does each sandbox run as a uid of its own?"""
    import re

    distributed = pytest.importorskip("distributed")
    from tito.sandbox.isolation import probe_isolation

    if not probe_isolation().separate_uid:
        pytest.skip("separate uids need root")
    _, answered = alpha_notebooks
    folder = tmp_path / "class"
    folder.mkdir()
    for student in ("ann", "ben", "cat", "dan"):
        notebook = copy.deepcopy(answered)
        notebook.cells.append(nbformat.v4.new_code_cell(
            "#| export\nimport os as _os, time as _time\nprint('uid', _os.getuid())\n_time.sleep(0.3)\n"))
        nbformat.write(notebook, folder / f"{student}.ipynb")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = grade_class(graded_course, graded_course.module("alpha"), folder, tmp_path / "out",
                          executor="dask", scheduler=cluster.scheduler_address, limits=LIMITS)
        workers = len(cluster.workers)
    uids = {result.student: set(re.findall(r"uid (\d+)", result.output)) for result in run.results}
    assert all(len(found) == 1 for found in uids.values()), uids
    assert len(set.union(*uids.values())) == workers == 2, uids
