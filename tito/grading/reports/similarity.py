"""`similarity.csv` and `similarity.html`: pairs of submissions alike enough for a human to look at.

They flag, nothing more: no grade depends on them. Every text is escaped (HTML) or made safe (CSV).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape
from pathlib import Path

from tito.grading.reports.common import SafeCsvWriter, write_text
from tito.grading.sanitize import clean_block, clean_line
from tito.grading.similarity import CODE, SimilarPair

COLUMNS = ("student_a", "student_b", "kind", "part", "similarity", "shared_fingerprints", "a_share", "b_share")

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top; }
pre { white-space: pre-wrap; margin: 0; font-size: .85em; background: #f6f6f6; padding: .4rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
"""


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def similarity_csv(pairs: Sequence[SimilarPair]) -> str:
    """One row per pair and part compared (the code, or one written question), most alike first."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow(COLUMNS)
    for pair in pairs:
        writer.writerow([clean_line(pair.student_a), clean_line(pair.student_b), pair.kind, pair.part,
                         _percent(pair.similarity), pair.shared, _percent(pair.a_share), _percent(pair.b_share)])
    return buffer.getvalue()


def similarity_html(pairs: Sequence[SimilarPair], module_title: str, threshold: float, students: int) -> str:
    """The pairs as a page: a table, then each pair's matched code (or both written answers) side by side."""
    def e(text: object) -> str:
        return escape(str(text), quote=True)

    title = f"{module_title}: similar submissions"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', f"<title>{e(title)}</title>",
        f"<style>{_STYLE}</style>", "</head>", "<body>", f"<h1>{e(title)}</h1>",
        (f"<p>{len(pairs)} pair(s) of the {students} submission(s) compared are at least {_percent(threshold)} alike "
         "(the share of the smaller one's fingerprints found in the other; code the release gives and code most "
         "of the class shares are left out). This flags for a human to look at; it changes no grade.</p>"),
    ]
    if pairs:
        parts += ["<table>", "<tr><th>#</th><th>students</th><th>what</th><th>similarity</th>"
                  "<th>shared fingerprints</th></tr>"]
        for number, pair in enumerate(pairs, start=1):
            what = "code (answer cells)" if pair.kind == CODE else f"written answer {pair.part}"
            parts.append(
                f'<tr><td><a href="#pair-{number}">{number}</a></td><td>{e(clean_line(pair.student_a))} and '
                f"{e(clean_line(pair.student_b))}</td><td>{e(what)}</td><td>{_percent(pair.similarity)}</td>"
                f"<td>{pair.shared} ({_percent(pair.a_share)} of the first's, {_percent(pair.b_share)} of the "
                "second's)</td></tr>"
            )
        parts.append("</table>")
        for number, pair in enumerate(pairs, start=1):
            shown = "the lines their shared fingerprints come from" if pair.kind == CODE else "the answers"
            parts += [
                f'<h2 id="pair-{number}">{number}. {e(clean_line(pair.student_a))} and {e(clean_line(pair.student_b))}:'
                f" {e(pair.part)}, {_percent(pair.similarity)}</h2>",
                f"<p>{shown}:</p>",
                '<div class="pair">',
                f"<div><h3>{e(clean_line(pair.student_a))}</h3><pre>{e(clean_block(pair.a_excerpt))}</pre></div>",
                f"<div><h3>{e(clean_line(pair.student_b))}</h3><pre>{e(clean_block(pair.b_excerpt))}</pre></div>",
                "</div>",
            ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_similarity(pairs: Sequence[SimilarPair], folder: Path, *, module_title: str, threshold: float,
                     students: int) -> list[Path]:
    return [
        write_text(folder / "similarity.csv", similarity_csv(pairs)),
        write_text(folder / "similarity.html", similarity_html(pairs, module_title, threshold, students)),
    ]
