"""write_all: every output of a grading run into one folder."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tito.errors import TitoError
from tito.grading.reports import write_all
from tito.grading.identity import file_name
from tito.grading.reports.common import ReportError
from tito.grading.result import SubmissionResult

TEXT_SUFFIXES = {".csv", ".json", ".html", ".ipynb", ".txt", ".py"}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in TEXT_SUFFIXES}


def test_every_output_is_written_and_a_rerun_gives_the_same_bytes(written_course, report_course, class_factory, tests,
                                                                  tmp_path):
    """Are all outputs under out_dir, returned as paths, and byte-identical after writing again?"""
    first, paths = written_course
    out = tmp_path / "out"
    shutil.copytree(first, out)
    paths = [out / path.relative_to(first) for path in paths]
    names = {path.relative_to(out).as_posix() for path in paths}
    assert all(path.is_file() for path in paths)
    assert {"grades.csv", "summary.txt", "summary.png", "nbgrader/gradebook.db", "nbgrader/nbgrader_config.py",
            "results/eve@example.com.json", "feedback/dan.html", "manual/question-memory.html", "manual/scores.csv",
            "nbgrader/source/03_optimizers/optimizers.ipynb",
            "nbgrader/autograded/mallory/03_optimizers/optimizers.ipynb"} <= names
    assert len([name for name in names if name.startswith("results/")]) == 6
    assert len([name for name in names if name.startswith("nbgrader/autograded/")]) == 5     # not dan: no submission
    assert json.loads((out / "results" / "ada.json").read_text())["score"] == 12.5
    before = snapshot(out)
    course, module = report_course
    write_all(list(reversed(class_factory())), out, course=course, module=module, tests=tests)
    assert snapshot(out) == before


@pytest.mark.parametrize("student", ["../etc", "a/b", "..", ".", "", "name with space", "é", "CON", "a\\b:c*?"])
def test_an_id_that_cannot_name_a_file_gets_a_safe_file_name(student):
    """Is an id that could escape its folder or that a file system refuses given a file name that is one plain
    name (no separator, no leading dot), with a suffix telling it apart from the others?"""
    name = file_name(student)
    assert name != student and "/" not in name and "\\" not in name and not name.startswith(".")
    assert name == file_name(student) and name[-9] == "-" and len(name.encode()) <= 100


def grades_rows(folder: Path) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO((folder / "grades.csv").read_text()))}


def test_an_id_that_cannot_name_a_file_is_written_under_its_safe_name(class_factory, report_course, tmp_path):
    """Are the files of an id such as `../x` written inside the output folder under its file name, with the id
    itself in grades.csv and the result, and every other student written as before?"""
    course, module = report_course
    results = class_factory() + [SubmissionResult("../x", "graded", 12.5)]
    out = tmp_path / "out"
    write_all(results, out, course=course, module=module)
    rows = grades_rows(out)
    assert len(rows) == 7 and rows["../x"]["status"] == "graded"
    assert (out / "results" / f"{file_name('../x')}.json").is_file()
    assert "feedback for ../x" in (out / "feedback" / f"{file_name('../x')}.html").read_text()
    assert rows["ada"]["status"] == "graded" and (out / "feedback" / "ada.html").is_file()
    assert not (tmp_path / "x.json").exists() and len(list((out / "results").iterdir())) == 7


@pytest.mark.parametrize("writer", ["write_gradescope_results", "write_feedback"])
def test_a_writer_failing_for_one_student_fails_only_that_student(class_factory, report_course, tests, tmp_path,
                                                                 monkeypatch, writer):
    """When writing one student's results JSON or feedback raises, are the others' files and every class-wide
    file written, with that student's row in grades.csv saying error and why?"""
    from tito.grading.reports import write

    original = getattr(write, writer)

    def failing(result, *arguments):
        if result.student == "bob":
            raise OSError(28, "No space left on device")
        return original(result, *arguments)

    monkeypatch.setattr(write, writer, failing)
    course, module = report_course
    out = tmp_path / "out"
    background = write.BackgroundReports(out, course=course, module=module, tests=tests)
    for result in class_factory():
        background.add(result)
    paths = background.finish(class_factory())
    rows = grades_rows(out)
    assert sorted(rows) == sorted(result.student for result in class_factory())
    assert rows["bob"]["status"] == "error" and rows["bob"]["score"] == "4"
    assert rows["bob"]["notes"].startswith("reports not written: OSError: [Errno 28] No space left on device; ")
    assert background.failures == {"bob": "OSError: [Errno 28] No space left on device"}
    assert (out / "feedback" / "mallory.html").is_file() and (out / "results" / "mallory.json").is_file()
    assert (out / "nbgrader" / "autograded" / "ada" / "03_optimizers" / "optimizers.ipynb").is_file()
    assert "error 2" in (out / "summary.txt").read_text()
    assert {out / "summary.png", out / "manual" / "scores.csv", out / "nbgrader" / "gradebook.db"} <= set(paths)


def test_a_gradebook_failure_for_one_student_keeps_the_others_rows(class_factory, report_course, tests, tmp_path,
                                                                   monkeypatch):
    """When the gradebook import raises for one student, are the other students' gradebook rows and scores kept?"""
    from nbgrader.api import Gradebook

    from tito.grading.reports.gradebook import GradebookImport

    original = GradebookImport._add

    def failing(self, result):
        original(self, result)
        if result.student == "bob":
            raise RuntimeError("the database is locked")

    monkeypatch.setattr(GradebookImport, "_add", failing)
    course, module = report_course
    out = tmp_path / "out"
    write_all(class_factory(), out, course=course, module=module, tests=tests)
    assert grades_rows(out)["bob"]["notes"].startswith("reports not written: RuntimeError: the database is locked")
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gradebook:
        scores = {submission.student.id: submission.score
                  for submission in gradebook.assignment_submissions("03_optimizers")}
    expected = {result.student: result.score for result in class_factory() if result.status != "missing"}
    assert {student: scores[student] for student in expected if student != "bob"} == {
        student: score for student, score in expected.items() if student != "bob"}


def test_text_no_file_can_hold_does_not_stop_the_reports(class_factory, report_course, tests, tmp_path):
    """Does a result holding lone surrogates and control characters (not cleaned at the worker) still give every
    report, for that student too, with U+FFFD in place of each surrogate?"""
    course, module = report_course
    results = class_factory()
    results[1] = SubmissionResult.from_dict({
        **results[1].to_dict(), "name": "Bob\ud800\x00", "output": "\udcff\x1b[2J",
        "notes": ["exception: \ud800"], "written": [{"grade_id": "question-memory", "max_points": 10.0,
                                                     "answer": "two \udfff buffers", "answered": True}],
    })
    out = tmp_path / "out"
    write_all(results, out, course=course, module=module, tests=tests)
    rows = grades_rows(out)
    assert rows["bob"]["status"] == "graded" and rows["bob"]["name"] == "Bob\ufffd"
    assert "exception: \ufffd" in rows["bob"]["notes"]
    assert "two \ufffd buffers" in (out / "manual" / "question-memory.html").read_text()
    assert "\ufffd[2J" in (out / "feedback" / "bob.html").read_text()


def test_a_class_wide_failure_is_raised_after_everything_else_is_written(class_factory, report_course, tests,
                                                                        tmp_path, monkeypatch):
    """When summary.png cannot be written, are grades.csv, every student's files and manual/ written, and the
    failure raised, naming the file?"""
    from tito.grading.reports import write

    def failing(*arguments):
        raise ValueError("no font")

    monkeypatch.setattr(write, "write_summary_png", failing)
    course, module = report_course
    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"could not write summary.png \(ValueError: no font\)"):
        write_all(class_factory(), out, course=course, module=module, tests=tests)
    assert len(grades_rows(out)) == 6 and (out / "summary.txt").is_file() and (out / "manual" / "scores.csv").is_file()
    assert len(list((out / "feedback").iterdir())) == 6 and (out / "nbgrader" / "gradebook.db").is_file()


def test_a_student_twice_is_refused(class_factory, report_course, tmp_path):
    """Would a second result for one student overwrite the first? No: it is refused."""
    course, module = report_course
    results = class_factory() + [SubmissionResult("ada", "missing", 12.5)]
    with pytest.raises(ReportError, match="'ada' has more than one result"):
        write_all(results, tmp_path / "out", course=course, module=module)


def test_a_module_without_a_release_manifest_is_refused(class_factory, report_course, tmp_path):
    """Without release/NN_name/manifest.json, is the user told to run `tito release`?"""
    course, module = report_course
    other = type(module)(**{**module.__dict__, "name": "losses", "number": 5})
    with pytest.raises(TitoError, match="release/05_losses/manifest.json is missing; run `tito release losses` first"):
        write_all(class_factory(), tmp_path / "out", course=course, module=other)


def test_tests_are_read_off_the_results_when_not_given(class_factory, tests):
    """Without the suite's list, are the tests and points taken from the results in first-seen order?"""
    from tito.grading.reports.common import hidden_tests

    assert hidden_tests(class_factory()) == tests


def test_reports_written_while_grading_equal_those_written_after(report_course, class_factory, tests, tmp_path):
    """Do results fed one by one, in any order, to the background writer give the same files as write_all?"""
    from tito.grading.reports.write import BackgroundReports

    course, module = report_course
    results = class_factory()
    after = tmp_path / "after"
    write_all(results, after, course=course, module=module, tests=list(tests.items()))
    out = tmp_path / "out"
    background = BackgroundReports(out, course=course, module=module, tests=tests)
    for result in reversed(results[1:]):  # arrival order differs; one result only reaches finish()
        background.add(result)
    background.finish(results)
    assert snapshot(out) == snapshot(after)


def test_a_failing_background_writer_reports_its_error_instead_of_hanging(report_course, class_factory, tests,
                                                                         tmp_path):
    """If writing fails in the background thread (here, two results for one student), does finish() raise that
    error rather than wait forever?"""
    from tito.grading.reports.write import BackgroundReports

    course, module = report_course
    results = class_factory()
    background = BackgroundReports(tmp_path / "out", course=course, module=module, tests=tests)
    background.add(results[0])
    background.add(results[0])
    background.add(results[1])
    with pytest.raises(ReportError, match="student 'ada' has two results"):
        background.finish(results)
