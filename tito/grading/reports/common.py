"""Helpers every report shares: number formatting, safe file names and CSV cells, the tests and questions being
graded. (A student's files are named by `identity.file_name`, which makes any id safe; `safe_name` is for the
names the course gives: an assignment, a notebook, a grade_id.)"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tito.errors import TitoError
from tito.grading.result import ERROR, GRADED, MISSING, TAMPERED, SubmissionResult

STATUSES = (GRADED, TAMPERED, ERROR, MISSING)
_SAFE_ID = re.compile(r"[A-Za-z0-9._@-]+")
# what makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), and numbers, which it may start
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class ReportError(TitoError):
    """Results that cannot be written as asked: an unsafe student id, an unknown test, a bad scores file."""


@dataclass(frozen=True)
class Question:
    """A written answer cell of the release manifest, graded by hand."""

    grade_id: str
    max_points: float


def number(value: float) -> str:
    """A score as text, the same way everywhere: `4`, `2.5`, `0`."""
    return f"{value:g}"


def safe_name(name: str, what: str) -> str:
    """`name` itself, when it can name a file; anything else is refused, never rewritten."""
    if not _SAFE_ID.fullmatch(name or "") or set(name) == {"."}:
        raise ReportError(f"{what} {name!r} cannot name a file: only letters, digits and . _ @ - are allowed")
    return name


def by_student(results: Iterable[SubmissionResult]) -> list[SubmissionResult]:
    """The results sorted by student id; a student twice is an error."""
    ordered = sorted(results, key=lambda result: result.student)
    for first, second in itertools.pairwise(ordered):
        if first.student == second.student:
            raise ReportError(f"student {first.student!r} has more than one result")
    return ordered


def hidden_tests(results: Iterable[SubmissionResult]) -> dict[str, float]:
    """Every hidden test that appears in the results with its points, in first-seen order (students sorted).

    Use this only when the suite itself is not at hand: a test no submission ran is not found.
    """
    tests: dict[str, float] = {}
    for result in by_student(results):
        for verdict in result.tests:
            known = tests.setdefault(verdict.name, verdict.max_points)
            if known != verdict.max_points:
                raise ReportError(
                    f"test {verdict.name} is worth {number(known)} points in one result and "
                    f"{number(verdict.max_points)} in {result.student}'s"
                )
    return tests


def check_tests_known(results: Iterable[SubmissionResult], test_names: Sequence[str]) -> None:
    """Every test a result holds must be one of `test_names`, or a report would silently drop its points."""
    known = set(test_names)
    for result in results:
        for verdict in result.tests:
            if verdict.name not in known:
                raise ReportError(f"{result.student}'s result has test {verdict.name!r}, not in the suite's tests")


def written_questions(manifest: Mapping) -> list[Question]:
    """The written answers of a release manifest (cells of kind `written`), in notebook order."""
    cells = sorted(manifest.get("cells", []), key=lambda cell: cell.get("index", 0))
    return [
        Question(grade_id=str(cell["grade_id"]), max_points=float(cell.get("points", 0) or 0))
        for cell in cells
        if cell.get("kind") == "written"
    ]


def csv_cell(value):
    """`value` as a CSV cell no spreadsheet runs: text starting with = + - @, a tab or a carriage return (a plain
    number such as `-1.5` aside) gets a leading `'`, as OWASP recommends, and shows as the text it is. Text
    that starts with `'` before such a character gets one more, so `csv_value` can give back exactly what was
    written. Quotes inside a cell are the csv module's to escape. Anything but text is returned as it is."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_value(cell: str) -> str:
    """A cell of a CSV written with `csv_cell`, as it was before: exactly the quote `csv_cell` added is removed
    (and a cell a spreadsheet saved without that quote is returned as it is)."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell[1:]):
        return cell[1:]
    return cell


class SafeCsvWriter:
    """`csv.writer` with `\n` line ends whose every cell goes through `csv_cell`: use it for every CSV tito writes."""

    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **({"lineterminator": "\n"} | options))

    def writerow(self, row) -> None:
        self._writer.writerow([csv_cell(cell) for cell in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def one_line(text: str, limit: int = 160) -> str:
    """`text` on one line, cut to `limit` characters (for CSV cells and short lists)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def write_text(path: Path, text: str) -> Path:
    """Write `text` as UTF-8 with `\\n` line ends, creating the folder; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path
