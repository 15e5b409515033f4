"""The class roster: who should have submitted, with their names and emails.

A roster is a CSV with an id column (`id`, `student_id`, `sid`, `student`, or `Identifier` as in Moodle's
grading worksheet, whose ids are `Participant N` like its downloads) and optional `name` (or `Full name`) and
`email` (or `Email address`) columns. Each id becomes a student id the way a submission's name does (`identity.student_id`), so `José` in
the roster and in a file name are one student. A roster that lists a student twice is refused, naming both
lines. Against the submissions found:

- a roster student without a submission is `missing` (0 points);
- a submitter the roster does not list is graded all the same, and flagged: a note in their results and
  feedback, and a line on the terminal (`Roster.not_listed`), so a typo in a file name or a student who
  joined late is seen, never dropped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

from tito.errors import TitoError
from tito.grading.identity import student_id
from tito.grading.submissions import Submission

ID_COLUMNS = ("id", "student_id", "sid", "student", "identifier")   # identifier: Moodle's grading worksheet
NAME_COLUMNS = ("name", "full name")
EMAIL_COLUMNS = ("email", "email address")
MAX_ROSTER_BYTES = 20 * 1024**2


@dataclass(frozen=True)
class RosterEntry:
    student: str
    name: str = ""
    email: str = ""
    line: int = 0        # the line of the roster file the row starts on (the header is line 1)


@dataclass(frozen=True)
class Roster:
    path: Path
    entries: tuple[RosterEntry, ...]

    def note(self) -> str:
        """The note given to a submitter the roster does not list."""
        return f"not on the roster ({self.path.name}): graded, but check who this is"


@dataclass(frozen=True)
class RosterApplied:
    submissions: list[Submission]   # one per student, sorted: the roster's missing students added
    not_listed: list[str]           # submitters the roster does not list (graded, and flagged)


def read_roster(path: Path) -> Roster:
    """The roster at `path`; a TitoError naming the line for an empty id, and both lines for an id listed twice."""
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise TitoError(f"the roster {path} is over {MAX_ROSTER_BYTES // 1024**2} MB; is it a roster?")
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise TitoError(f"cannot read the roster {path}: {error.strerror or error}") from None
    entries: list[RosterEntry] = []
    first_line: dict[str, int] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if not header:
                raise TitoError(f"the roster {path} is empty")
            columns = {name.strip().lower(): index for index, name in enumerate(header)}
            id_index = _column(columns, ID_COLUMNS)
            if id_index is None:
                raise TitoError(f"the roster {path} needs an id column ({', '.join(ID_COLUMNS)}); "
                                f"its header is {', '.join(header)[:200]}")
            line = reader.line_num + 1
            for row in reader:
                start, line = line, reader.line_num + 1
                if not any(cell.strip() for cell in row):
                    continue
                raw = _cell(row, id_index)
                if not raw:
                    raise TitoError(f"{path}:{start}: empty student id")
                student = student_id(raw)
                if student in first_line:
                    raise TitoError(f"the roster {path} lists student {student!r} twice: "
                                    f"line {first_line[student]} and line {start}")
                first_line[student] = start
                entries.append(RosterEntry(student, _cell(row, _column(columns, NAME_COLUMNS)),
                                           _cell(row, _column(columns, EMAIL_COLUMNS)), start))
        except (csv.Error, UnicodeDecodeError) as error:
            raise TitoError(f"the roster {path} is not a readable CSV (line {reader.line_num}: {error})") from None
    if not entries:
        raise TitoError(f"the roster {path} has no rows")
    return Roster(path, tuple(entries))


def _column(columns: dict[str, int], names: tuple[str, ...]) -> int | None:
    return next((columns[name] for name in names if name in columns), None)


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def apply_roster(submissions: list[Submission], roster: Roster) -> RosterApplied:
    """Names and emails from the roster; a roster student without a submission becomes a missing one; a
    submitter the roster does not list keeps their submission, with `Roster.note` among its notes."""
    by_student = {submission.student: submission for submission in submissions}
    listed = {entry.student for entry in roster.entries}
    not_listed = sorted(student for student in by_student if student not in listed)
    for student in not_listed:
        found = by_student[student]
        by_student[student] = replace(found, notes=(roster.note(), *found.notes))
    for entry in roster.entries:
        found = by_student.get(entry.student)
        if found is None:
            by_student[entry.student] = Submission(entry.student, None, name=entry.name, email=entry.email)
        else:
            by_student[entry.student] = replace(found, name=entry.name or found.name, email=entry.email or found.email)
    return RosterApplied([by_student[student] for student in sorted(by_student)], not_listed)
