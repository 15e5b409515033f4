"""Hand-graded written answers: record a TA's scores and comments in gradebook.db, then rewrite what shows them.

gradebook.db is the one store of hand grades (formgrader writes there too). `tito grade manual --scores`
merges a filled-in scores file into it: only the cells the file fills in change. Everything written from
the hand grades (`final_grades.csv`, each student's feedback page and results JSON) is then rebuilt from
what the gradebook holds, not from the file.

The scores file and grades.csv name students by their id; the gradebook and the files by
`identity.file_name` of it (see reports/gradebook.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tito.errors import TitoError
from tito.grading.identity import file_name
from tito.grading.late import Lateness, LatePolicy
from tito.grading.reports.common import Question, SafeCsvWriter, csv_value, number, one_line, written_questions
from tito.grading.reports.gradebook import DB_NAME, _alembic_on_path
from tito.grading.reports.manual import COMMENT_COLUMN, read_manual_scores
from tito.grading.reports.write import NBGRADER_FOLDER
from tito.grading.output_folder import OutputFolder
from tito.grading.result import SubmissionResult
from tito.modules import ModuleInfo

FINAL_GRADES = "final_grades.csv"

@dataclass(frozen=True)
class HandGrade:
    """One written answer as a grader left it in the gradebook."""

    grade_id: str
    max_points: float
    score: float | None = None   # None until a grader scores it
    comment: str = ""            # the grader's comment to the student; "" when none

@dataclass(frozen=True)
class HandGrades:
    """One student's written answers as graded by hand so far, in notebook order."""

    grades: tuple[HandGrade, ...] = ()

    @property
    def recorded(self) -> bool:
        """Whether a grader has left anything: a score or a comment."""
        return any(grade.score is not None or grade.comment for grade in self.grades)

    @property
    def score(self) -> float:
        return sum(grade.score for grade in self.grades if grade.score is not None)

    @property
    def max_points(self) -> float:
        return sum(grade.max_points for grade in self.grades)

    @property
    def graded(self) -> int:
        return sum(grade.score is not None for grade in self.grades)

    def get(self, grade_id: str) -> HandGrade | None:
        return next((grade for grade in self.grades if grade.grade_id == grade_id), None)

@dataclass(frozen=True)
class Change:
    """One cell of the gradebook a scores file changed."""

    student: str
    grade_id: str
    what: str            # "score" or "comment"
    old: str | None      # None when nothing was recorded
    new: str

@dataclass
class ManualRecord:
    """What `apply_manual_scores` did."""

    changes: list[Change] = field(default_factory=list)
    final_grades: Path | None = None
    rewritten: list[Path] = field(default_factory=list)
    not_rewritten: list[str] = field(default_factory=list)   # changed students with no stored result

def read_comments(scores: str | Path) -> dict[tuple[str, str], str]:
    """`(student, grade_id) -> comment` from the optional `comment` column of a scores file; blank cells are
    left out (they change nothing). Rows are checked by `read_manual_scores`, which ignores this column."""
    text = scores.read_text(encoding="utf-8") if isinstance(scores, Path) else scores
    reader = csv.DictReader(io.StringIO(text))
    if COMMENT_COLUMN not in (reader.fieldnames or []):
        return {}
    comments = {}
    for row in reader:
        comment = (row.get(COMMENT_COLUMN) or "").strip()
        if comment:
            comments[((row.get("student") or "").strip(), (row.get("grade_id") or "").strip())] = comment
    return comments

def apply_manual_scores(out_dir: Path, module: ModuleInfo, manifest: Mapping, scores_path: Path) -> ManualRecord:
    """Merge the filled-in `scores_path` into the run's gradebook.db (manual_score and, from the `comment`
    column, manual_comment): only the students and questions with a non-empty cell change. Then write
    `final_grades.csv` from every hand grade the gradebook holds, and rewrite `feedback/<student>.html` and
    `results/<student>.json` of each student whose hand grades changed. Nothing is stored unless every row
    of the file can be."""
    scores = read_manual_scores(scores_path, manifest)
    comments = read_comments(scores_path)
    grades_csv = out_dir / "grades.csv"
    database = out_dir / NBGRADER_FOLDER / DB_NAME
    if not grades_csv.is_file() or not database.is_file():
        raise TitoError(f"{out_dir} holds no grading run: run `tito grade` first")
    rows = _grade_rows(grades_csv)
    known = {row["student"] for row in rows}
    given = set(scores) | {student for student, _ in comments}
    unknown = sorted(given - known)
    if unknown:
        raise TitoError(f"{scores_path}: students not in this grading run: {', '.join(unknown)}")
    assignment, notebook = module.slug, _notebook_name(module, manifest)
    questions = written_questions(manifest)
    record = ManualRecord()
    record.changes = _store_in_gradebook(database, assignment, notebook, scores, comments)
    hand = read_hand_grades(database, assignment, notebook, questions)
    record.final_grades = write_final_grades(rows, questions, hand, out_dir / FINAL_GRADES)
    changed = sorted({change.student for change in record.changes})
    _store_late_penalties(database, assignment, notebook, [row for row in rows if row["student"] in changed], hand)
    folder = OutputFolder(out_dir, module.name)
    late = LatePolicy.from_record(folder.late_record())   # the policy the grading run applied
    for student in changed:
        result = folder.stored(student)
        if result is None:
            record.not_rewritten.append(student)
            continue
        record.rewritten += _rewrite_reports(out_dir, result, module.title, hand.get(file_name(student), HandGrades()),
                                             late.assess(result.submitted_at, result.source))
    return record

def _notebook_name(module: ModuleInfo, manifest: Mapping) -> str:
    """The notebook's name in the gradebook, as the report writer names it."""
    return Path(str(manifest.get("notebook") or module.notebook_name)).stem

def _store_in_gradebook(database: Path, assignment: str, notebook: str, scores: Mapping[str, Mapping[str, float]],
                        comments: Mapping[tuple[str, str], str]) -> list[Change]:
    from nbgrader.api import Gradebook, MissingEntry

    cells = sorted({(student, grade_id) for student, by_question in scores.items() for grade_id in by_question}
                   | set(comments))
    changes: list[Change] = []
    with _alembic_on_path(), Gradebook(f"sqlite:///{database.resolve()}") as gradebook:
        found, missing = {}, []
        for student, grade_id in cells:
            try:
                found[student, grade_id] = (gradebook.find_grade(grade_id, notebook, assignment, file_name(student)),
                                            gradebook.find_comment(grade_id, notebook, assignment, file_name(student)))
            except MissingEntry:
                missing.append(f"{student} ({grade_id})")
        if missing:
            raise TitoError(f"no submission in {database} for: {', '.join(missing)}; nothing was recorded")
        for (student, grade_id), (grade, comment) in found.items():
            score = scores.get(student, {}).get(grade_id)
            if score is not None and grade.manual_score != score:
                old = None if grade.manual_score is None else number(grade.manual_score)
                changes.append(Change(student, grade_id, "score", old, number(score)))
                grade.manual_score = score
            if score is not None:
                grade.needs_manual_grade = False
            text = comments.get((student, grade_id))
            if text is not None and comment.manual_comment != text:
                changes.append(Change(student, grade_id, "comment", comment.manual_comment or None, text))
                comment.manual_comment = text
        gradebook.db.commit()
    return changes

def read_hand_grades(database: Path, assignment: str, notebook: str,
                     questions: Sequence[Question]) -> dict[str, HandGrades]:
    """`gradebook student id -> HandGrades` for every student with a submission in `database` (nbgrader's
    gradebook): each written question's manual score and manual comment, read through nbgrader's API. The
    gradebook's id of a student is `identity.file_name` of their id."""
    from nbgrader.api import Gradebook

    hand: dict[str, HandGrades] = {}
    with _alembic_on_path(), Gradebook(f"sqlite:///{database.resolve()}") as gradebook:
        for submitted in gradebook.notebook_submissions(notebook, assignment):
            grades = {grade.name: grade for grade in submitted.grades}
            comments = {comment.name: comment for comment in submitted.comments}
            hand[submitted.student.id] = HandGrades(tuple(
                HandGrade(
                    grade_id=question.grade_id,
                    max_points=question.max_points,
                    score=getattr(grades.get(question.grade_id), "manual_score", None),
                    comment=getattr(comments.get(question.grade_id), "manual_comment", None) or "",
                )
                for question in questions
            ))
    return hand

def _grade_rows(grades_csv: Path) -> list[dict[str, str]]:
    """grades.csv's rows, each cell as it was before `csv_cell` made it safe for spreadsheets."""
    rows = csv.DictReader(io.StringIO(grades_csv.read_text(encoding="utf-8")))
    return [{key: csv_value(value or "") for key, value in row.items()} for row in rows]

def _late_percent(row: Mapping[str, str]) -> float:
    """The late penalty grades.csv gives a student (`20%` -> 20.0; empty -> 0)."""
    text = (row.get("late_penalty") or "").strip().rstrip("%")
    try:
        return float(text) if text else 0.0
    except ValueError:
        raise TitoError(f"grades.csv: late_penalty {row.get('late_penalty')!r} of {row['student']} is not a "
                        "percentage; run `tito grade` again") from None


def _raw_score(row: Mapping[str, str]) -> float:
    """The auto-graded points before any late penalty (a grades.csv of before late policies has only score)."""
    return float(row.get("raw_score") or row["score"] or 0)


def write_final_grades(rows: Sequence[Mapping[str, str]], questions: Sequence[Question],
                       hand: Mapping[str, HandGrades], path: Path) -> Path:
    """`final_grades.csv`: per student of grades.csv (`rows`), the auto score, each written question's hand
    score (blank until graded), their sum (`raw_total`), how late and the late penalty grades.csv gives, the
    total after it, its maximum and how many answers are still ungraded. `hand` is keyed by the gradebook's
    ids (`read_hand_grades`)."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow(["student", "name", "email", "status", "auto_score", *[q.grade_id for q in questions],
                     "raw_total", "late", "late_penalty", "total", "max_total", "ungraded_answers"])
    for row in rows:
        grades = hand.get(file_name(row["student"]), HandGrades())
        manual = [getattr(grades.get(q.grade_id), "score", None) for q in questions]
        auto = _raw_score(row)
        raw_total = auto + sum(score for score in manual if score is not None)
        total = Lateness(True, percent=_late_percent(row)).apply(raw_total)
        maximum = float(row["max_score"]) + sum(q.max_points for q in questions)
        writer.writerow([
            *(row[column] or "" for column in ("student", "name", "email", "status")),
            number(auto) if row["score"] else "", *["" if score is None else number(score) for score in manual],
            number(raw_total), row.get("late") or "", row.get("late_penalty") or "", number(total), number(maximum),
            sum(score is None for score in manual),
        ])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _store_late_penalties(database: Path, assignment: str, notebook: str, rows: Sequence[Mapping[str, str]],
                          hand: Mapping[str, HandGrades]) -> None:
    """The late_submission_penalty of each of `rows` (students of grades.csv) with a penalty, in points of their
    total with the hand scores now recorded."""
    from nbgrader.api import Gradebook, MissingEntry

    from tito.grading.reports.gradebook import late_percent_points

    late = [(row, _late_percent(row)) for row in rows if _late_percent(row)]
    if not late:
        return
    with _alembic_on_path(), Gradebook(f"sqlite:///{database.resolve()}") as gradebook:
        for row, percent in late:
            total = _raw_score(row) + hand.get(file_name(row["student"]), HandGrades()).score
            try:
                submitted = gradebook.find_submission_notebook(notebook, assignment, file_name(row["student"]))
            except MissingEntry:
                continue
            submitted.late_submission_penalty = late_percent_points(total, percent)
        gradebook.db.commit()

def _rewrite_reports(out_dir: Path, result: SubmissionResult, module_title: str, hand: HandGrades,
                     lateness: Lateness) -> list[Path]:
    from tito.grading.reports.feedback import write_feedback
    from tito.grading.reports.gradescope import write_gradescope_results

    return [
        write_feedback(result, module_title, out_dir / "feedback" / f"{file_name(result.student)}.html", hand,
                       lateness),
        write_gradescope_results(result, out_dir / "results" / f"{file_name(result.student)}.json", hand, lateness),
    ]

def describe(change: Change) -> str:
    """`alice why-add-one score: (none) → 4`, a comment cut to one short line."""
    def shown(text: str | None) -> str:
        if text is None:
            return "(none)"
        return text if change.what == "score" else repr(one_line(text, 60))

    return f"{change.student} {change.grade_id} {change.what}: {shown(change.old)} → {shown(change.new)}"
