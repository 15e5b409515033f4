"""Hand-graded written answers: store the scores a TA filled in and write the final grades."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tito.errors import TitoError
from tito.grading.reports.common import number, written_questions
from tito.grading.reports.gradebook import _alembic_on_path
from tito.grading.reports.manual import read_manual_scores
from tito.grading.reports.write import NBGRADER_FOLDER

FINAL_GRADES = "final_grades.csv"


def apply_manual_scores(out_dir: Path, manifest: dict, assignment: str, notebook: str, scores_path: Path) -> Path:
    """Validate the filled-in `scores_path`, store each score in gradebook.db (manual_score) and write
    `final_grades.csv`: the auto score from grades.csv, one column per question, and the total."""
    scores = read_manual_scores(scores_path, manifest)
    grades_csv = out_dir / "grades.csv"
    database = out_dir / NBGRADER_FOLDER / "gradebook.db"
    if not grades_csv.is_file() or not database.is_file():
        raise TitoError(f"{out_dir} holds no grading run: run `tito grade` first")
    rows = list(csv.DictReader(io.StringIO(grades_csv.read_text(encoding="utf-8"))))
    known = {row["student"] for row in rows}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise TitoError(f"{scores_path}: students not in this grading run: {', '.join(unknown)}")
    _store_in_gradebook(database, assignment, notebook, scores)
    questions = written_questions(manifest)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "email", "status", "auto_score", *[q.grade_id for q in questions],
                     "total", "max_total", "ungraded_answers"])
    for row in rows:
        given = scores.get(row["student"], {})
        manual = [given.get(q.grade_id) for q in questions]
        total = float(row["score"]) + sum(score for score in manual if score is not None)
        maximum = float(row["max_score"]) + sum(q.max_points for q in questions)
        writer.writerow([
            row["student"], row["name"], row["email"], row["status"], row["score"],
            *["" if score is None else number(score) for score in manual],
            number(total), number(maximum), sum(score is None for score in manual),
        ])
    path = out_dir / FINAL_GRADES
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _store_in_gradebook(database: Path, assignment: str, notebook: str, scores: dict[str, dict[str, float]]) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with _alembic_on_path(), Gradebook(f"sqlite:///{database.resolve()}") as gradebook:
        for student, by_question in scores.items():
            for grade_id, score in by_question.items():
                try:
                    grade = gradebook.find_grade(grade_id, notebook, assignment, student)
                except MissingEntry:
                    raise TitoError(f"{student} has no submission for {grade_id} in {database}") from None
                grade.manual_score = score
                grade.needs_manual_grade = False
        gradebook.db.commit()
