"""A grading run an instructor can publish: the grader checks itself first, its own faults are never a
student's score, and an output folder never mixes two classes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tito.course import Course
from tito.errors import TitoError
from tito.grading import grade as grade_module
from tito.grading.executors import failed_result
from tito.grading.grade import grade_class
from tito.grading.reports import write_all
from tito.grading.result import GRADER_ERROR
from tito.grading.self_check import SelfCheckFailed
from tito.sandbox.limits import Limits

LIMITS = Limits(call_seconds=3, submission_seconds=20)


@pytest.fixture
def course_copy(graded_course, tmp_path) -> Course:
    root = tmp_path / "course"
    shutil.copytree(graded_course.paths.root, root)
    return Course.load(root)


@pytest.fixture(scope="module")
def two_classes(tmp_path_factory, alpha_notebooks) -> tuple[Path, Path]:
    release, answered = alpha_notebooks
    first, second = tmp_path_factory.mktemp("class_a"), tmp_path_factory.mktemp("class_b")
    nbformat.write(answered, first / "alice.ipynb")
    nbformat.write(release, first / "bob.ipynb")
    nbformat.write(answered, second / "carol.ipynb")
    return first, second


def _edit_cell(path: Path, grade_id: str, old: str, new: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
    nbformat.write(notebook, path)


def test_a_reference_that_fails_stops_the_run_before_any_grade(course_copy, two_classes, tmp_path):
    """Is a course whose reference solution no longer earns every point refused, naming the failed test,
    with nothing written?"""
    module = course_copy.module("alpha")
    _edit_cell(course_copy.paths.source / module.slug / module.notebook_name, "add-one", "+ 1", "+ 2")
    out = tmp_path / "out"
    with pytest.raises(SelfCheckFailed, match=r"reference solution of alpha.*earned \d+ of 15.*Cause: test_"):
        grade_class(course_copy, module, two_classes[0], out, limits=LIMITS)
    assert not out.exists()


def test_a_blank_notebook_that_earns_points_stops_the_run(course_copy, two_classes, tmp_path):
    """Is a suite that gives points to the untouched release notebook refused before grading?"""
    module = course_copy.module("alpha")
    release = course_copy.paths.release / module.slug / module.notebook_name
    source = nbformat.read(course_copy.paths.source / module.slug / module.notebook_name, as_version=4)
    solution = next(cell.source for cell in source.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "add-one")
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add-one":
            cell.source = solution
    nbformat.write(notebook, release)
    with pytest.raises(SelfCheckFailed, match="blank release notebook of alpha earned 15 points"):
        grade_class(course_copy, module, two_classes[0], tmp_path / "out", limits=LIMITS)


def test_a_grader_fault_is_recorded_as_grader_error_and_regraded_next_time(graded_course, two_classes, tmp_path,
                                                                            monkeypatch):
    """Is a submission the grader failed on marked grader-error (no score, not cached), and does the next
    run regrade exactly that one?"""
    real_open_pool = grade_module.open_pool

    class FailingOnBob:
        def __init__(self, *args):
            self.pool = real_open_pool(*args)

        def run(self, jobs, on_result):
            self.pool.run(jobs, lambda result: on_result(
                failed_result(next(job for job in jobs if job.student == "bob"), "the sandbox broke")
                if result.student == "bob" else result))

        def close(self):
            self.pool.close()

    module = graded_course.module("alpha")
    out = tmp_path / "out"
    monkeypatch.setattr(grade_module, "open_pool", FailingOnBob)
    first = grade_class(graded_course, module, two_classes[0], out, limits=LIMITS)
    assert [result.student for result in first.grader_errors] == ["bob"]
    bob = next(result for result in first.results if result.student == "bob")
    assert bob.status == GRADER_ERROR and bob.score == 0 and "the sandbox broke" in bob.problem
    monkeypatch.setattr(grade_module, "open_pool", real_open_pool)
    second = grade_class(graded_course, module, two_classes[0], out, limits=LIMITS)
    assert (second.regraded, second.reused, second.grader_errors) == (1, 1, [])


def test_the_cli_lists_grader_errors_and_exits_non_zero(graded_course, two_classes, tmp_path, monkeypatch):
    """Does `tito grade` name the submissions the grader failed on, and exit 1 so a script notices?"""
    from typer.testing import CliRunner

    from tito.cli import app

    real_open_pool = grade_module.open_pool

    class FailingOnBob:
        def __init__(self, *args):
            self.pool = real_open_pool(*args)

        def run(self, jobs, on_result):
            bob = next((job for job in jobs if job.student == "bob"), None)
            self.pool.run(jobs, lambda result: on_result(
                failed_result(bob, "the sandbox broke") if result.student == "bob" else result))

        def close(self):
            self.pool.close()

    monkeypatch.setattr(grade_module, "open_pool", FailingOnBob)
    done = CliRunner().invoke(app, ["--root", str(graded_course.paths.root), "grade", "alpha", str(two_classes[0]),
                                    "--out", str(tmp_path / "out"), "--jobs", "1"])
    assert done.exit_code == 1, done.output
    assert "the grader failed on 1 submission(s)" in done.output and "bob: the sandbox broke" in done.output
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert next(row for row in rows if row.startswith("bob,")).split(",")[3:5] == ["grader-error", ""]


def test_a_second_class_is_refused_unless_merged_or_forced(graded_course, two_classes, tmp_path):
    """Is grading another class into a folder refused, --merge the union everywhere, --force a fresh start?"""
    module = graded_course.module("alpha")
    first, second = two_classes
    out = tmp_path / "out"
    run = grade_class(graded_course, module, first, out, limits=LIMITS)
    write_all(run.results, out, course=graded_course, module=module, tests=run.tests)
    with pytest.raises(TitoError, match="holds the grades of another class.*--merge.*--force"):
        grade_class(graded_course, module, second, out, limits=LIMITS)
    merged = grade_class(graded_course, module, second, out, limits=LIMITS, merge=True)
    assert [result.student for result in merged.results] == ["alice", "bob", "carol"] and merged.kept == 2
    write_all(merged.results, out, course=graded_course, module=module, tests=merged.tests)
    assert _students_everywhere(out) == {"alice", "bob", "carol"}
    forced = grade_class(graded_course, module, second, out, limits=LIMITS, force=True)
    write_all(forced.results, out, course=graded_course, module=module, tests=forced.tests)
    assert _students_everywhere(out) == {"carol"}


def test_students_no_longer_submitted_leave_every_output(graded_course, two_classes, tmp_path):
    """When a student's file is gone from the class folder, do grades.csv, results/ and the gradebook all
    drop that student together?"""
    module = graded_course.module("alpha")
    folder = tmp_path / "class"
    shutil.copytree(two_classes[0], folder)
    out = tmp_path / "out"
    run = grade_class(graded_course, module, folder, out, limits=LIMITS)
    write_all(run.results, out, course=graded_course, module=module, tests=run.tests)
    (folder / "bob.ipynb").unlink()
    again = grade_class(graded_course, module, folder, out, limits=LIMITS)
    write_all(again.results, out, course=graded_course, module=module, tests=again.tests)
    assert again.removed == ["bob"]
    assert _students_everywhere(out) == {"alice"}


def test_outputs_that_name_no_class_are_refused(graded_course, two_classes, tmp_path):
    """Is a folder holding a grades.csv that tito did not record refused rather than overwritten?"""
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("student,score\nzoe,3\n")
    with pytest.raises(TitoError, match="cannot tell the class of"):
        grade_class(graded_course, graded_course.module("alpha"), two_classes[0], out, limits=LIMITS)
    assert (out / "grades.csv").read_text() == "student,score\nzoe,3\n"


def test_the_cli_refuses_a_second_class_with_a_clear_message(graded_course, two_classes, tmp_path):
    out = tmp_path / "out"

    def grade(folder: Path, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "alpha", str(folder),
             "--out", str(out), "--jobs", "1", *extra], capture_output=True, text=True, env={"COLUMNS": "200",
                                                                                           "PATH": "/usr/bin:/bin"},
        )

    assert grade(two_classes[0]).returncode == 0
    refused = grade(two_classes[1])
    assert refused.returncode != 0 and "another class" in refused.stdout + refused.stderr
    merged = grade(two_classes[1], "--merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "kept 2 earlier student(s)" in merged.stdout


def _students_everywhere(out: Path) -> set[str]:
    """The students of grades.csv, asserting that results/, feedback/ and the gradebook hold the same ones."""
    from nbgrader.api import Gradebook

    rows = (out / "grades.csv").read_text().splitlines()[1:]
    in_csv = {row.split(",")[0] for row in rows}
    in_results = {path.stem for path in (out / "results").glob("*.json")}
    in_feedback = {path.stem for path in (out / "feedback").glob("*.html")}
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gradebook:
        in_gradebook = {student.id for student in gradebook.students}
    assert in_csv == in_results == in_feedback == in_gradebook, (in_csv, in_results, in_feedback, in_gradebook)
    return in_csv


def test_one_bad_input_is_that_students_error_and_the_class_is_graded(graded_course, alpha_notebooks, tmp_path):
    """In one LMS zip: a damaged entry (bad CRC) and a student with two files. Is the damaged one that student's
    error with its reason, the latest of the two files graded with a note, and everyone else graded?"""
    import zipfile

    release, answered = alpha_notebooks
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr(zipfile.ZipInfo("alice_1_10_hw.ipynb", (2026, 3, 1, 9, 0, 0)), nbformat.writes(answered))
        bundle.writestr(zipfile.ZipInfo("bob_2_20_hw.ipynb", (2026, 3, 1, 9, 0, 0)), nbformat.writes(release))
        bundle.writestr(zipfile.ZipInfo("bob_2_21_hw.ipynb", (2026, 3, 2, 9, 0, 0)), nbformat.writes(answered))
        bundle.writestr(zipfile.ZipInfo("carol_3_30_hw.ipynb", (2026, 3, 1, 9, 0, 0)), nbformat.writes(answered))
    data = bytearray(archive.read_bytes())
    at = data.index(b"carol_3_30_hw.ipynb") + len(b"carol_3_30_hw.ipynb") + 40
    data[at] ^= 0xFF  # one byte of carol's notebook: the CRC no longer matches
    archive.write_bytes(bytes(data))
    run = grade_class(graded_course, graded_course.module("alpha"), archive, tmp_path / "out", limits=LIMITS)
    results = {result.student: result for result in run.results}
    assert (results["alice"].status, results["alice"].score) == ("graded", 15.0)
    assert (results["bob"].status, results["bob"].score) == ("graded", 15.0)
    assert any("graded bob_2_21_hw.ipynb" in note and "ignored bob_2_20_hw.ipynb" in note for note in results["bob"].notes)
    assert results["carol"].status == "error" and results["carol"].score == 0 and results["carol"].problem


def test_hand_grades_survive_a_regrade(graded_course, two_classes, tmp_path):
    """After a TA recorded a score and a comment, does the next `tito grade` run keep them in the student's
    results.json and feedback page?"""
    import json

    from tito.grading.manual_scores import apply_manual_scores
    from tito.release import load_manifest

    module = graded_course.module("alpha")
    out = tmp_path / "out"
    run = grade_class(graded_course, module, two_classes[0], out, limits=LIMITS)
    write_all(run.results, out, course=graded_course, module=module, tests=run.tests)
    scores = tmp_path / "scores.csv"
    scores.write_text("student,grade_id,max_points,score,comment\nalice,why-add-one,5,4,Clear and <b>short</b>\n")
    apply_manual_scores(out, module, load_manifest(graded_course, module), scores)
    again = grade_class(graded_course, module, two_classes[0], out, limits=LIMITS, force=False)
    write_all(again.results, out, course=graded_course, module=module, tests=again.tests)
    results = json.loads((out / "results" / "alice.json").read_text())
    assert results["score"] == 15 + 4
    assert any(test["output"] == "Clear and <b>short</b>" for test in results["tests"])
    assert "Clear and &lt;b&gt;short&lt;/b&gt;" in (out / "feedback" / "alice.html").read_text()


def test_names_that_once_stopped_the_class_are_students_of_their_own(graded_course, alpha_notebooks, tmp_path):
    """With --duplicates error, are two Chinese names, and two names apart only in punctuation, four students each
    graded on their own notebook, and is a hidden notebook in the run's skipped list rather than lost?"""
    release, answered = alpha_notebooks
    folder = tmp_path / "class"
    folder.mkdir()
    for name, notebook in [("王芳", answered), ("李娜", release), ("o'brien", answered), ("obrien", release),
                           (".carol", answered)]:
        nbformat.write(notebook, folder / f"{name}.ipynb")
    run = grade_class(graded_course, graded_course.module("alpha"), folder, tmp_path / "out", limits=LIMITS,
                      duplicates="error")
    assert {result.student: result.score for result in run.results} == {
        "王芳": 15.0, "李娜": 0.0, "o'brien": 15.0, "obrien": 0.0,
    }
    assert [(entry.source, entry.reason.split(";")[0]) for entry in run.skipped] == [
        (".carol.ipynb", "a hidden file (its name starts with a dot)"),
    ]


def test_students_graded_during_the_self_check_are_held_until_it_passes(graded_course):
    """Are results that arrive before the self-check's kept back, passed on only once it passes, and never
    when it fails?"""
    from tito.grading.result import SubmissionResult, TestVerdict
    from tito.grading.self_check import BLANK, REFERENCE, SelfCheckGate
    from tito.grading.job import GradingJob

    module = graded_course.module("alpha")
    jobs = [GradingJob(REFERENCE, "/x/reference.ipynb", "reference.ipynb"), GradingJob(BLANK, "/x/blank.ipynb", "blank.ipynb")]

    def result(student: str, source: str, points: float) -> SubmissionResult:
        return SubmissionResult(student, "graded", 15.0, [TestVerdict("test_a", 15.0, points, points > 0)], source=source)

    for reference_points, passes in ((15.0, True), (5.0, False)):
        collected, opened = [], []
        gate = SelfCheckGate(jobs, module, lambda: opened.append(True), collected.append)
        gate.receive(result("ann", "ann.ipynb", 15.0))
        gate.receive(result(REFERENCE, "reference.ipynb", reference_points))
        assert collected == [] and opened == []
        if passes:
            gate.receive(result(BLANK, "blank.ipynb", 0.0))
            gate.receive(result("ben", "ben.ipynb", 0.0))
            assert opened == [True] and [r.student for r in collected] == ["ann", "ben"]
        else:
            with pytest.raises(SelfCheckFailed, match="earned 5 of 15"):
                gate.receive(result(BLANK, "blank.ipynb", 0.0))
            assert collected == [] and opened == []
