"""Late work: how late a submission was, and what a stated policy takes off for it.

Where lateness comes from:
- the submission time the layout gives (Gradescope's `:created_at`, nbgrader's `timestamp.txt`, a file's time,
  which for a zip is the time its entry records), compared with `--due`;
- Canvas's `_LATE` marker in a download's file name (`login_LATE_userid_submissionid_file`): Canvas compared
  the time with its own due date. Without `--due` it is the only sign; with `--due` and a known time the time
  decides, and a marked submission whose time is unknown is charged one started unit of the policy.

A policy (`--late-penalty`) takes a percentage of the score, as nbgrader's late-submission plugins take points
off the score (nbgrader's own `LateSubmissionPlugin` has "none" and "zero"; its docs' example takes a share per
hour). Syntax, parts separated by commas:

    10%/day              10% per started day late (24 h), at most 100%
    2%/hour              2% per started hour late
    25%                  25% off for any lateness (100%: a late submission earns 0)
    10%/day,max=30%      per day, never more than 30% in all
    10%/day,cutoff=3d    per day, and 0 once more than 3 days late (also 36h, 1d12h)

The percentage applies to the whole score, auto-graded and hand-graded alike, in every output (grades.csv's
`score` beside `raw_score`, results.json, the feedback page, the gradebook's late_submission_penalty and
final_grades.csv after `tito grade manual`). It is never hidden: the feedback says "submitted 1 day 3 h late:
-20% per policy 10%/day".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from tito.errors import TitoError
from tito.grading.submissions import lms_marked_late, parse_time

def number(value: float) -> str:
    """A percentage or score as the reports write it (`20`, `2.5`): reports.common.number's format."""
    return f"{value:g}"


UNITS = {"hour": 3600.0, "day": 86400.0}
_UNIT_NAMES = {"h": "hour", "hour": "hour", "hours": "hour", "d": "day", "day": "day", "days": "day"}
_PERCENT = r"(\d+(?:\.\d+)?)\s*%"
_RATE = re.compile(rf"{_PERCENT}\s*(?:/\s*(\w+))?")
_MAX = re.compile(rf"max\s*=\s*{_PERCENT}")
_CUTOFF = re.compile(r"cutoff\s*=\s*(.+)")
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)\s*d(?:ays?)?)?\s*(?:(\d+(?:\.\d+)?)\s*h(?:ours?)?)?")
SYNTAX = "10%/day, 2%/hour, 25% (any lateness), with ,max=30% or ,cutoff=3d"


@dataclass(frozen=True)
class Penalty:
    """A late policy: `percent` per started `unit` (None: once, for any lateness), at most `cap` percent,
    and everything (100%) once more than `cutoff` seconds late."""

    text: str
    percent: float
    unit: str | None = None
    cap: float = 100.0
    cutoff: float | None = None

    @classmethod
    def parse(cls, text: str) -> Penalty:
        parts = [part.strip() for part in text.strip().lower().split(",")]
        rate = _RATE.fullmatch(parts[0]) if parts[0] else None
        if rate is None:
            raise TitoError(f"--late-penalty {text!r}: expected a percentage such as {SYNTAX}")
        percent, unit = float(rate[1]), rate[2]
        if unit is not None and unit not in _UNIT_NAMES:
            raise TitoError(f"--late-penalty {text!r}: the unit is per hour or per day (10%/day, 2%/hour), "
                            f"not {unit!r}")
        cap, cutoff = 100.0, None
        for part in parts[1:]:
            if (found := _MAX.fullmatch(part)) is not None:
                cap = float(found[1])
            elif (found := _CUTOFF.fullmatch(part)) is not None:
                cutoff = parse_duration(found[1], f"--late-penalty {text!r}")
            else:
                raise TitoError(f"--late-penalty {text!r}: {part!r} is neither max=P% nor cutoff=DURATION "
                                f"(examples: {SYNTAX})")
        if percent > 100 or cap > 100:
            raise TitoError(f"--late-penalty {text!r}: a penalty cannot take more than 100% of the score")
        return cls(" ".join(text.split()), percent, _UNIT_NAMES.get(unit) if unit else None, cap, cutoff)

    def percent_for(self, seconds: float | None) -> float:
        """The percentage taken off for `seconds` late (None: late by an unknown amount, charged one unit)."""
        if seconds is not None and seconds <= 0:
            return 0.0
        if seconds is not None and self.cutoff is not None and seconds > self.cutoff:
            return 100.0
        if self.unit is None:
            return min(self.percent, self.cap)
        units = 1 if seconds is None else math.ceil(seconds / UNITS[self.unit])
        return min(self.percent * units, self.cap, 100.0)


def parse_duration(text: str, where: str) -> float:
    """Seconds in `3d`, `36h`, `1d12h`, `2 days`."""
    found = _DURATION.fullmatch(text.strip())
    if not text.strip() or found is None or not (found[1] or found[2]):
        raise TitoError(f"{where}: {text!r} is not a duration such as 3d, 36h or 1d12h")
    return float(found[1] or 0) * UNITS["day"] + float(found[2] or 0) * UNITS["hour"]


def parse_due(text: str) -> dt.datetime:
    """`--due` as naive UTC: an ISO date and time; without an offset it is UTC."""
    due = parse_time(text.strip())
    if due is None:
        raise TitoError(f"--due {text!r} is not a date and time; give e.g. 2026-03-01T23:59 (UTC) "
                        "or 2026-03-01T23:59-05:00")
    return due


@dataclass(frozen=True)
class Lateness:
    """How late one submission was and what the policy takes off."""

    late: bool
    seconds: float | None = None      # how late, when a time and a due date are known
    marked: bool = False              # the LMS marked it late (Canvas's _LATE)
    percent: float = 0.0              # taken off the score
    policy: str = ""                  # the policy's text, "" without one

    def apply(self, score: float) -> float:
        """`score` after the penalty (scores stay exact for whole percentages: 15 at 30% off is 10.5)."""
        return score * (100.0 - self.percent) / 100.0 if self.percent else score

    @property
    def column(self) -> str:
        """grades.csv's `late` cell: how late, "marked late by the LMS", or "" when not late."""
        if not self.late:
            return ""
        return duration_text(self.seconds) if self.seconds is not None else "marked late by the LMS"

    @property
    def penalty_column(self) -> str:
        return f"{number(self.percent)}%" if self.percent else ""

    def sentence(self) -> str:
        """What the student reads: "submitted 1 day 3 h late: -20% per policy 10%/day"."""
        if not self.late:
            return ""
        how = (f"submitted {duration_text(self.seconds)} late" if self.seconds is not None
               else "marked late by the LMS (no submission time to measure it by)")
        if not self.policy:
            return f"{how}; no late penalty was applied"
        if self.percent >= 100:
            return f"{how}: -100% (the score is 0) per policy {self.policy}"
        return f"{how}: -{number(self.percent)}% per policy {self.policy}"


ON_TIME = Lateness(False)


@dataclass(frozen=True)
class LatePolicy:
    """`--due` and `--late-penalty` of a run (either may be absent); `assess` a submission against them."""

    due: dt.datetime | None = None
    penalty: Penalty | None = None

    @classmethod
    def from_options(cls, due: str | None, penalty: str | None) -> LatePolicy:
        if penalty and not due:
            raise TitoError("--late-penalty needs --due: the time lateness is counted from")
        return cls(parse_due(due) if due else None, Penalty.parse(penalty) if penalty else None)

    def assess(self, submitted_at: str, source: str) -> Lateness:
        """The lateness of a submission made at `submitted_at` (a layout's time, "" when unknown) from the file
        `source` (its path relative to the submissions folder, which may carry Canvas's marker)."""
        marked = lms_marked_late(source)
        when = parse_time(submitted_at) if submitted_at else None
        policy = self.penalty.text if self.penalty else ""
        if self.due is not None and when is not None:
            seconds = (when - self.due).total_seconds()
            if seconds <= 0:
                return ON_TIME
            percent = self.penalty.percent_for(seconds) if self.penalty else 0.0
            return Lateness(True, seconds, marked, percent, policy)
        if marked:
            percent = self.penalty.percent_for(None) if self.penalty else 0.0
            return Lateness(True, None, True, percent, policy)
        return ON_TIME

    def to_record(self) -> dict:
        """What the output folder keeps, so that `tito grade manual` applies the same policy."""
        return {"due": self.due.isoformat() if self.due else None,
                "late_penalty": self.penalty.text if self.penalty else None}

    @classmethod
    def from_record(cls, record: dict | None) -> LatePolicy:
        if not isinstance(record, dict):
            return cls()
        due, penalty = record.get("due"), record.get("late_penalty")
        return cls.from_options(due if isinstance(due, str) else None, penalty if isinstance(penalty, str) else None)


def duration_text(seconds: float) -> str:
    """`1 day 3 h`, `2 days`, `5 h 10 min`, `12 min` (whole minutes, rounded up: 1 s late is `1 min`)."""
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"
