"""One student's feedback page: self-contained HTML built from their result alone, every text escaped."""

from __future__ import annotations

from html import escape
from pathlib import Path

from tito.grading.reports.common import number, write_text
from tito.grading.result import ERROR, GRADED, MISSING, TAMPERED, SubmissionResult

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
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def feedback_html(result: SubmissionResult, module_title: str) -> str:
    """The page: status, total, each hidden test (pass/fail, points, message), notes, the notebook's output
    and the written answers, which are graded by hand."""
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
    if result.written:
        parts += ["<h2>Written answers</h2>", "<p>These are graded by hand; their points are not in the total above.</p>", "<ul>"]
        for answer in result.written:
            state = "answered" if answer.answered else "not answered"
            parts.append(
                f"<li><code>{_e(answer.grade_id)}</code> ({number(answer.max_points)} points): {state}, graded by hand"
                + (f"<details><summary>your answer</summary><pre>{_e(answer.answer)}</pre></details>" if answer.answer else "")
                + "</li>"
            )
        parts.append("</ul>")
    if result.output:
        parts += ["<h2>Output</h2>",
                  f"<details><summary>what your notebook printed</summary><pre>{_e(result.output)}</pre></details>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_feedback(result: SubmissionResult, module_title: str, path: Path) -> Path:
    return write_text(path, feedback_html(result, module_title))
