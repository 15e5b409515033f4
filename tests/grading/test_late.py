"""Late work: lateness from the layout's time or Canvas's _LATE marker, and one stated policy applied to the
score in every output (grades.csv, results.json, feedback, gradebook, final grades after hand grading)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tito.errors import TitoError
from tito.grading.late import LatePolicy, Lateness, Penalty, duration_text
from tito.grading.reports.csv_report import grades_csv
from tito.grading.reports.feedback import feedback_html
from tito.grading.reports.gradescope import gradescope_results
from tito.grading.result import SubmissionResult
from tito.grading.result import TestVerdict as Verdict
from tito.grading.submissions import parse_time

HOUR, DAY = 3600, 86400


@pytest.mark.parametrize("policy, seconds, percent", [
    ("10%/day", 1, 10), ("10%/day", DAY, 10), ("10%/day", DAY + 1, 20), ("10%/day", 12 * DAY, 100),
    ("2%/hour", 90 * 60, 4), ("2%/hour, max=30%", 100 * HOUR, 30), ("10%/day,cutoff=3d", 3 * DAY, 30),
    ("10%/day,cutoff=3d", 3 * DAY + 1, 100), ("5%/d,cutoff=1d12h", 36 * HOUR + 1, 100), ("25%", 5, 25),
    ("100%", 1, 100), ("0%", 10 * DAY, 0), ("10%/day", 0, 0),
])
def test_a_policy_takes_its_share_per_started_unit(policy, seconds, percent):
    """Does each policy take the stated percentage for that lateness (per started unit, capped, 100% after the
    cutoff, nothing when on time)?"""
    assert Penalty.parse(policy).percent_for(seconds) == percent


@pytest.mark.parametrize("policy, message", [
    ("10", "expected a percentage"), ("10%/week", "per hour or per day"), ("10%/day,grace=1h", "neither max"),
    ("150%", "more than 100%"), ("10%/day,cutoff=soon", "not a duration"),
])
def test_a_policy_that_cannot_be_read_is_refused(policy, message):
    """Is a policy outside the syntax refused with a message saying what is expected?"""
    with pytest.raises(TitoError, match=message):
        Penalty.parse(policy)


def test_a_penalty_needs_a_due_date_and_a_due_date_must_be_a_time():
    """Are --late-penalty without --due, and a --due that is no time, refused?"""
    with pytest.raises(TitoError, match="--late-penalty needs --due"):
        LatePolicy.from_options(None, "10%/day")
    with pytest.raises(TitoError, match="is not a date and time"):
        LatePolicy.from_options("next friday", None)


def test_lateness_comes_from_the_time_and_from_canvas_marker():
    """Is a submission late by its time against --due (an offset applied), and by Canvas's _LATE marker when there
    is no due date or no time, charged one unit then?"""
    policy = LatePolicy.from_options("2026-03-01T23:59", "10%/day")
    late = policy.assess("2026-03-03 03:00:00", "alice.ipynb")
    assert (late.late, late.seconds, late.percent) == (True, DAY + 3 * HOUR + 60, 20)
    assert late.sentence() == "submitted 1 day 3 h late: -20% per policy 10%/day"
    assert late.column == "1 day 3 h" and late.penalty_column == "20%"
    # Gradescope's time with its offset: 18:30 at -07:00 is 01:30 UTC the next day, 1 h 31 min late
    assert policy.assess("2026-03-01 18:30:00.123456000 -07:00", "x/y.ipynb").seconds == pytest.approx(91 * 60 + 0.123456)
    assert policy.assess("2026-03-01 23:00:00", "bob.ipynb") == Lateness(False)
    marked = policy.assess("", "bob_LATE_1234_5678_alpha.ipynb")
    assert (marked.late, marked.marked, marked.percent, marked.column) == (True, True, 10, "marked late by the LMS")
    no_due = LatePolicy().assess("2026-03-03 03:00:00", "bob_LATE_1234_5678_alpha.ipynb")
    assert (no_due.late, no_due.percent, no_due.sentence()) == (
        True, 0, "marked late by the LMS (no submission time to measure it by); no late penalty was applied")
    assert not LatePolicy().assess("", "bob_1234_5678_alpha_LATE_1_2.ipynb").late  # a student's own file name


def test_times_are_read_with_their_offsets():
    """Are the layouts' times read as UTC with their offsets (Gradescope's `-07:00`, `-0800`, nbgrader's zone)?"""
    assert parse_time("2026-01-01 10:00:00.542236000 -07:00") == dt.datetime(2026, 1, 1, 17, 0, 0, 542236)
    assert parse_time("2026-01-01 10:00:00 -0800") == dt.datetime(2026, 1, 1, 18)
    assert parse_time("2026-01-01 10:00:00.5 America/Los_Angeles") == dt.datetime(2026, 1, 1, 18, 0, 0, 500000)
    assert parse_time("2026-01-01T10:00Z") == dt.datetime(2026, 1, 1, 10)


def test_durations_read_as_a_person_would_say_them():
    """Are lateness durations shown in days and hours, hours and minutes, or minutes?"""
    assert [duration_text(s) for s in (1, 59 * 60, 3 * HOUR + 60, DAY, 2 * DAY + 5 * HOUR)] == [
        "1 min", "59 min", "3 h 1 min", "1 day", "2 days 5 h"]


def _result(student: str, submitted_at: str, source: str, passed: bool = True) -> SubmissionResult:
    return SubmissionResult(student=student, status="graded", max_score=15.0, submitted_at=submitted_at, source=source,
                            tests=[Verdict("test_a", 10.0, 10.0 if passed else 0.0, passed),
                                   Verdict("test_b", 5.0, 5.0, True)])


def test_every_report_applies_the_same_penalty_and_keeps_the_raw_score():
    """Do grades.csv (score beside raw_score), results.json (score, a penalty line adding up) and the feedback page
    show the same penalised score, the raw one and the policy's sentence?"""
    policy = LatePolicy.from_options("2026-03-01T23:59", "10%/day")
    alice = _result("alice", "2026-03-03 03:00:00", "alice.ipynb")
    bob = _result("bob", "2026-03-01 10:00:00", "bob.ipynb", passed=False)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(grades_csv([alice, bob], ["test_a", "test_b"],
                                                                                     policy)))}
    assert [rows["alice"][c] for c in ("score", "raw_score", "late", "late_penalty", "test_a")] == [
        "12", "15", "1 day 3 h", "20%", "10"]
    assert [rows["bob"][c] for c in ("score", "raw_score", "late", "late_penalty")] == ["5", "5", "", ""]
    lateness = policy.assess(alice.submitted_at, alice.source)
    results = gradescope_results(alice, lateness=lateness)
    assert results["score"] == 12 and sum(test["score"] for test in results["tests"]) == 12
    assert results["tests"][-1]["name"] == "Late penalty (10%/day)" and results["tests"][-1]["score"] == -3
    assert "Late: submitted 1 day 3 h late: -20% per policy 10%/day. Score after the penalty: 12." in results["output"]
    page = feedback_html(alice, "Alpha", lateness=lateness)
    assert "Late: submitted 1 day 3 h late: -20% per policy 10%/day. Total after the penalty: <strong>12 / 15</strong>" \
           " (before: 15)." in page
    assert "Late" not in feedback_html(bob, "Alpha", lateness=policy.assess(bob.submitted_at, bob.source))


def _nbgrader_class(folder: Path, notebook_name: str, notebooks: dict[str, tuple[object, str]]) -> Path:
    for student, (notebook, stamp) in notebooks.items():
        assignment = folder / "submitted" / student / "alpha"
        assignment.mkdir(parents=True)
        nbformat.write(notebook, assignment / notebook_name)
        (assignment / "timestamp.txt").write_text(stamp)
    return folder


def test_the_penalty_holds_through_the_gradebook_and_hand_grading(graded_course, alpha_notebooks, tmp_path):
    """Graded with --due and 10%/day, is a submission 1 day 3 h late at 80% in grades.csv, results.json and the
    gradebook (late_submission_penalty in points, the due date recorded), counted in summary.txt, and after `tito grade manual` does the
    penalty take 20% of the total with the hand score, in final_grades.csv, results.json and the feedback?"""
    from nbgrader.api import Gradebook

    from tito.grading.grade import grade_class
    from tito.grading.manual_scores import apply_manual_scores
    from tito.grading.reports import write_all
    from tito.release import load_manifest
    from tito.sandbox.limits import Limits

    module = graded_course.module("alpha")
    answered = alpha_notebooks[1]
    source = _nbgrader_class(tmp_path / "course", module.notebook_name, {
        "alice": (answered, "2026-03-03 03:00:00.000000 UTC"), "bob": (answered, "2026-03-01 12:00:00.000000 UTC")})
    out = tmp_path / "out"
    late = LatePolicy.from_options("2026-03-01T23:59", "10%/day")
    run = grade_class(graded_course, module, source, out, limits=Limits(call_seconds=5, submission_seconds=20),
                      late=late)
    write_all(run.results, out, course=graded_course, module=module, tests=run.tests, late=late)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert [rows["alice"][c] for c in ("score", "raw_score", "late", "late_penalty")] == ["12", "15", "1 day 3 h", "20%"]
    assert [rows["bob"][c] for c in ("score", "raw_score", "late")] == ["15", "15", ""]
    assert json.loads((out / "results" / "alice.json").read_text())["score"] == 12
    assert "late: 1 submission(s); penalty applied to 1 (policy 10%/day)" in (out / "summary.txt").read_text()
    database = f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}"
    with Gradebook(database) as gradebook:
        assert gradebook.find_submission_notebook("alpha", "01_alpha", "alice").late_submission_penalty == 3
        assert gradebook.find_submission_notebook("alpha", "01_alpha", "bob").late_submission_penalty == 0
        assert gradebook.find_assignment("01_alpha").duedate == dt.datetime(2026, 3, 1, 23, 59)

    scores = tmp_path / "scores.csv"
    scores.write_text("student,grade_id,max_points,score,comment\nalice,why-add-one,5,5,\nbob,why-add-one,5,5,\n")
    apply_manual_scores(out, module, load_manifest(graded_course, module), scores)
    final = {row["student"]: row for row in csv.DictReader(io.StringIO((out / "final_grades.csv").read_text()))}
    assert [final["alice"][c] for c in ("auto_score", "raw_total", "late", "late_penalty", "total", "max_total")] == [
        "15", "20", "1 day 3 h", "20%", "16", "20"]
    assert [final["bob"][c] for c in ("raw_total", "late_penalty", "total")] == ["20", "", "20"]
    assert json.loads((out / "results" / "alice.json").read_text())["score"] == 16
    assert "Total after the penalty: <strong>16 / 20</strong> (before: 20)" in (out / "feedback" / "alice.html").read_text()
    with Gradebook(database) as gradebook:
        assert gradebook.find_submission_notebook("alpha", "01_alpha", "alice").late_submission_penalty == 4


def test_the_cli_refuses_a_penalty_without_a_due_date_in_one_line(graded_course, tmp_path):
    """Does `tito grade --late-penalty` without `--due` stop before grading, with one error line and exit code 2?"""
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "alpha", str(tmp_path),
         "--out", str(tmp_path / "out"), "--late-penalty", "10%/day"],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stdout.strip() == "error: --late-penalty needs --due: the time lateness is counted from"
    assert not (tmp_path / "out").exists()
