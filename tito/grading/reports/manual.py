"""Written answers for hand grading: one page per question, a scores template, and its validated reader."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from tito.grading.identity import file_name
from tito.grading.reports.common import (
    ReportError,
    SafeCsvWriter,
    by_student,
    csv_value,
    number,
    safe_name,
    write_text,
    written_questions,
)
from tito.grading.result import MISSING, SubmissionResult

SCORE_COLUMNS = ("student", "grade_id", "max_points", "score")
COMMENT_COLUMN = "comment"   # optional when read back: the TA's comment to the student

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
section { border-top: 1px solid #ccc; padding: .5rem 0; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .6rem; }
.none { color: #777; font-style: italic; }
"""


def manual_grading_html(results: Sequence[SubmissionResult], manifest: Mapping) -> dict[str, str]:
    """For each written question of the manifest, `grade_id -> page` holding every student's answer
    (students sorted, answers escaped and shown as written)."""
    pages = {}
    ordered = by_student(results)
    for question in written_questions(manifest):
        title = f"{manifest.get('module', '')} {question.grade_id}".strip()
        parts = [
            "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            f"<title>{escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
            f"<h1>{escape(title)}</h1>",
            f"<p>{number(question.max_points)} points, graded by hand. {len(ordered)} students.</p>",
        ]
        for result in ordered:
            answer = next((a for a in result.written if a.grade_id == question.grade_id), None)
            who = f"{result.student} ({result.name})" if result.name else result.student
            parts.append(f'<section id="{escape(file_name(result.student), quote=True)}">')
            parts.append(f"<h2>{escape(who)}</h2>")
            if result.status == MISSING:
                parts.append('<p class="none">no submission</p>')
            elif answer is None:
                parts.append('<p class="none">no answer found in the submission</p>')
            elif not answer.answered:
                parts.append('<p class="none">not answered</p>')
            else:
                parts.append(f"<pre>{escape(answer.answer)}</pre>")
            parts.append("</section>")
        parts += ["</body>", "</html>", ""]
        pages[question.grade_id] = "\n".join(parts)
    return pages


def manual_scores_template_csv(results: Sequence[SubmissionResult], manifest: Mapping) -> str:
    """`student, grade_id, max_points, score, comment` with the score and the comment (to the student) left
    blank: one row per student and question (cells a spreadsheet would run start with `'`;
    `read_manual_scores` takes that quote off again)."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow([*SCORE_COLUMNS, COMMENT_COLUMN])
    questions = written_questions(manifest)
    for result in by_student(results):
        for question in questions:
            writer.writerow([result.student, question.grade_id, number(question.max_points), "", ""])
    return buffer.getvalue()


def read_manual_scores(scores: str | Path, manifest: Mapping | None = None) -> dict[str, dict[str, float]]:
    """`student -> grade_id -> score` from a filled-in template (its text, or a Path to it).

    A blank score means "not graded yet" and is left out. Every other score must be a number from 0 to
    the row's max_points; with a manifest, grade_ids must be its written questions and max_points its
    points. All problems are reported together, each naming its row (the header is row 1).
    """
    text = scores.read_text(encoding="utf-8") if isinstance(scores, Path) else scores
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in SCORE_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ReportError(f"manual scores: missing column(s) {', '.join(missing)}; expected {', '.join(SCORE_COLUMNS)}")
    known = {question.grade_id: question.max_points for question in written_questions(manifest)} if manifest else None
    found: dict[str, dict[str, float]] = {}
    seen: set[tuple[str, str]] = set()
    errors: list[str] = []
    for row_number, row in enumerate(reader, start=2):
        student, grade_id = csv_value((row["student"] or "").strip()), csv_value((row["grade_id"] or "").strip())
        where = f"row {row_number} ({student or '?'}, {grade_id or '?'})"
        if not student or not grade_id:
            errors.append(f"{where}: student and grade_id are required")
            continue
        if (student, grade_id) in seen:
            errors.append(f"{where}: a second score for the same student and question")
            continue
        seen.add((student, grade_id))
        maximum = _number(row["max_points"])
        if maximum is None or maximum < 0:
            errors.append(f"{where}: max_points {row['max_points']!r} is not a number of at least 0")
            continue
        if known is not None:
            if grade_id not in known:
                errors.append(f"{where}: {grade_id!r} is not a written question of this module")
                continue
            if maximum != known[grade_id]:
                errors.append(f"{where}: max_points is {number(maximum)} but the question is worth {number(known[grade_id])}")
                continue
        raw = (row["score"] or "").strip()
        if not raw:
            continue
        score = _number(raw)
        if score is None:
            errors.append(f"{where}: score {raw!r} is not a number")
        elif not 0 <= score <= maximum:
            errors.append(f"{where}: score {raw} is outside 0 to {number(maximum)}")
        else:
            found.setdefault(student, {})[grade_id] = score
    if errors:
        raise ReportError("manual scores:\n" + "\n".join(f"  {error}" for error in errors))
    return found


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def write_manual(results: Sequence[SubmissionResult], manifest: Mapping, folder: Path) -> list[Path]:
    """`folder/<grade_id>.html` for each question and `folder/scores.csv` (the template)."""
    pages = manual_grading_html(results, manifest)
    paths = [write_text(folder / f"{safe_name(grade_id, 'grade_id')}.html", page) for grade_id, page in pages.items()]
    paths.append(write_text(folder / "scores.csv", manual_scores_template_csv(results, manifest)))
    return paths
