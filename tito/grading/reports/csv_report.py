"""`grades.csv`: one row per student, one column per hidden test, for spreadsheets and LMS imports."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from tito.grading.reports.common import (
    SafeCsvWriter,
    by_student,
    check_tests_known,
    number,
    one_line,
    write_text,
)
from tito.grading.late import LatePolicy
from tito.grading.result import GRADER_ERROR, SubmissionResult

FIXED_COLUMNS = ("student", "name", "email", "status", "score", "raw_score", "max_score")
TRAILING_COLUMNS = ("submitted_at", "late", "late_penalty", "notes")


def grades_csv(results: Sequence[SubmissionResult], test_names: Sequence[str], late: LatePolicy | None = None) -> str:
    """The class's grades as CSV text, students sorted by id.

    A test column holds the points earned (`4`, `0`); it is empty when the test did not run for that
    student (a missing submission, or one that could not be graded). A `grader-error` row (the grader failed,
    not the student) has no score and no test cells: nothing was graded. `late` says how late the submission
    was (`1 day 3 h`, `marked late by the LMS`, empty when on time); `score` is `raw_score` (the tests' points)
    after the `late_penalty` of the policy (`late`, tito.grading.late), the test columns are raw. `notes` joins the problem and the
    notes with `; `, each cut to one short line. A cell a spreadsheet would run as a formula starts with `'`.
    """
    check_tests_known(results, test_names)
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow([*FIXED_COLUMNS, *test_names, *TRAILING_COLUMNS])
    late = late or LatePolicy()
    for result in by_student(results):
        lateness = late.assess(result.submitted_at, result.source)
        graded = result.status != GRADER_ERROR
        earned = {verdict.name: number(verdict.points) for verdict in result.tests} if graded else {}
        notes = ([result.problem] if result.problem else []) + list(result.notes)
        writer.writerow([
            result.student, result.name, result.email, result.status,
            number(lateness.apply(result.score)) if graded else "", number(result.score) if graded else "",
            number(result.max_score), *(earned.get(name, "") for name in test_names),
            result.submitted_at, lateness.column, lateness.penalty_column, "; ".join(one_line(note) for note in notes),
        ])
    return buffer.getvalue()


def write_grades_csv(results: Sequence[SubmissionResult], test_names: Sequence[str], path: Path,
                     late: LatePolicy | None = None) -> Path:
    return write_text(path, grades_csv(results, test_names, late))
