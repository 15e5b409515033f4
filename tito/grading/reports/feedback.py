"""One student's feedback page: self-contained HTML built from their result (and, once a grader has scored
their written answers, their hand grades), every text escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from tito.grading.reports.common import number, write_text
from tito.grading.result import ERROR, GRADED, MISSING, TAMPERED, SubmissionResult

if TYPE_CHECKING:
    from tito.grading.late import Lateness
    from tito.grading.manual_scores import HandGrades

_STATUS_TEXT = {
    GRADED: "graded",
    TAMPERED: "graded, but the submission changed what it must not (see the notes)",
    ERROR: "could not be graded",
    MISSING: "no submission found",
}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top; }
pre { white-space: pre-wrap; margin: 0; font-size: .9em; }
.passed { color: #176b2c; font-weight: bold; }
.failed { color: #a3161d; font-weight: bold; }
.status-tampered, .status-error, .status-missing { color: #a3161d; }
.late { color: #a3161d; }
.comment { border-left: 3px solid #999; margin: .3rem 0 .3rem 1rem; padding-left: .6rem; }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def feedback_html(result: SubmissionResult, module_title: str, hand: HandGrades | None = None,
                  lateness: Lateness | None = None) -> str:
    """The page: status, total, each hidden test (pass/fail, points, message), notes, the notebook's output
    and the written answers, which are graded by hand.

    `hand` is what graders recorded for the written answers (scores, comments); once it holds anything, the
    page shows each score and comment and the total with them. Without it the page is the auto-graded one.
    `lateness` (tito.grading.late) says how late it was and what the policy took off the total."""
    hand = hand if hand is not None and hand.recorded else None
    title = f"{module_title}: feedback for {result.student}"
    who = f"{result.name} ({result.student})" if result.name else result.student
    passed = sum(verdict.passed for verdict in result.tests)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(module_title)}</h1>",
        f"<p>Feedback for <strong>{_e(who)}</strong></p>",
        f'<p>Status: <span class="status-{_e(result.status)}">{_e(_STATUS_TEXT.get(result.status, result.status))}</span></p>',
        (f"<p>Auto-graded total: <strong>{number(result.score)} / {number(result.max_score)}</strong>"
         f" ({passed} of {len(result.tests)} hidden tests passed)</p>"),
    ]
    if hand is not None:
        questions = len(hand.grades)
        so_far = "" if hand.graded == questions else f", {hand.graded} of {questions} graded so far"
        parts += [
            (f"<p>Written answers, graded by hand: <strong>{number(hand.score)} / {number(hand.max_points)}</strong>"
             f"{so_far}</p>"),
            (f"<p>Total: <strong>{number(result.score + hand.score)} / "
             f"{number(result.max_score + hand.max_points)}</strong></p>"),
        ]
    if lateness is not None and lateness.late:
        total, maximum = result.score + (hand.score if hand else 0), result.max_score + (hand.max_points if hand else 0)
        after = (f" Total after the penalty: <strong>{number(lateness.apply(total))} / {number(maximum)}</strong>"
                 f" (before: {number(total)})." if lateness.percent else "")
        parts.append(f'<p class="late">Late: {_e(lateness.sentence())}.{after}</p>')
    if result.submitted_at:
        parts.append(f"<p>Submitted: {_e(result.submitted_at)}</p>")
    if result.problem or result.notes:
        parts.append('<h2>Notes</h2>\n<ul class="notes">')
        if result.problem:
            parts.append(f"<li>Could not grade: {_e(result.problem)}</li>")
        parts += [f"<li>{_e(note)}</li>" for note in result.notes]
        parts.append("</ul>")
    if result.tests:
        parts += ["<h2>Hidden tests</h2>", "<table>",
                  "<tr><th>test</th><th>result</th><th>points</th><th>message</th></tr>"]
        for verdict in result.tests:
            outcome = "passed" if verdict.passed else "failed"
            parts.append(
                f'<tr><td><code>{_e(verdict.name)}</code></td><td class="{outcome}">{outcome}</td>'
                f"<td>{number(verdict.points)} / {number(verdict.max_points)}</td>"
                f"<td><pre>{_e(verdict.message)}</pre></td></tr>"
            )
        parts.append("</table>")
    if result.written or hand is not None:
        parts += _written_answers(result, hand)
    if result.output:
        parts += ["<h2>Output</h2>",
                  f"<details><summary>what your notebook printed</summary><pre>{_e(result.output)}</pre></details>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


@dataclass(frozen=True)
class WrittenRow:
    """A written answer as a student is told about it, in the feedback page and in results.json."""

    grade_id: str
    max_points: float
    state: str                 # answered | not answered | no answer found in the submission
    answer: str
    score: float | None        # the hand score; None until graded (or when no hand grades are shown)
    comment: str               # the grader's comment; "" when none
    pending: bool              # hand grades are shown and this answer is not graded yet

    @property
    def verdict(self) -> str:
        if self.score is not None:
            return f"graded by hand: {number(self.score)} / {number(self.max_points)}"
        return "graded by hand, not graded yet" if self.pending else "graded by hand"


def written_rows(result: SubmissionResult, hand: HandGrades | None) -> list[WrittenRow]:
    """The submission's written answers, each with its hand grade from `hand` (None: none shown), then the
    questions `hand` grades that the submission holds no answer cell for."""
    rows = []
    for answer in result.written:
        grade = hand.get(answer.grade_id) if hand is not None else None
        rows.append(WrittenRow(
            answer.grade_id, answer.max_points, "answered" if answer.answered else "not answered", answer.answer,
            grade.score if grade else None, grade.comment if grade else "", hand is not None,
        ))
    answered = {answer.grade_id for answer in result.written}
    for grade in hand.grades if hand is not None else ():
        if grade.grade_id not in answered:
            rows.append(WrittenRow(grade.grade_id, grade.max_points, "no answer found in the submission", "",
                                   grade.score, grade.comment, True))
    return rows


def _written_answers(result: SubmissionResult, hand: HandGrades | None) -> list[str]:
    """The written answers section: each answer and, with `hand`, its score and the grader's comment."""
    if hand is None:
        intro = "These are graded by hand; their points are not in the total above."
    else:
        intro = "These are graded by hand; their points are in the total above once graded."
    parts = ["<h2>Written answers</h2>", f"<p>{intro}</p>", "<ul>"]
    for row in written_rows(result, hand):
        verdict = _e(row.verdict)
        if row.score is not None:
            verdict = f"graded by hand: <strong>{number(row.score)} / {number(row.max_points)}</strong>"
        item = f"<li><code>{_e(row.grade_id)}</code> ({number(row.max_points)} points): {_e(row.state)}, {verdict}"
        if row.comment:
            item += f'<div class="comment">Grader&#x27;s comment:<pre>{_e(row.comment)}</pre></div>'
        if row.answer:
            item += f"<details><summary>your answer</summary><pre>{_e(row.answer)}</pre></details>"
        parts.append(item + "</li>")
    parts.append("</ul>")
    return parts


def write_feedback(result: SubmissionResult, module_title: str, path: Path, hand: HandGrades | None = None,
                   lateness: Lateness | None = None) -> Path:
    return write_text(path, feedback_html(result, module_title, hand, lateness))
