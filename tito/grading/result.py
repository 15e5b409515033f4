"""What grading one submission produces: plain data, written to every output format from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

GRADED, TAMPERED, ERROR, MISSING = "graded", "tampered", "error", "missing"
# the grader failed on this submission (its sandbox, its worker, its own code): never a score from the student's
# code, never cached, listed at the end of the run, and regraded by the next run
GRADER_ERROR = "grader-error"


@dataclass(frozen=True)
class TestVerdict:
    name: str            # the hidden test's function name, e.g. test_sgd_momentum
    max_points: float
    points: float        # max_points when passed, else 0
    passed: bool
    message: str = ""    # what a student can act on; never the hidden test's source


@dataclass(frozen=True)
class WrittenAnswer:
    grade_id: str
    max_points: float
    answer: str          # the student's markdown ("" when unanswered)
    answered: bool


@dataclass
class SubmissionResult:
    student: str
    status: str                                   # graded | tampered | error | missing | grader-error
    max_score: float
    tests: list[TestVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)        # tampering, ignored exports, crashes, timeouts
    problem: str | None = None                    # why nothing could be graded (status error)
    output: str = ""                              # the submission's own stdout/stderr, capped, display only
    written: list[WrittenAnswer] = field(default_factory=list)
    name: str = ""                                # from the roster
    email: str = ""
    submitted_at: str = ""                        # from the submission's layout, when it says
    source: str = ""                              # the file graded, relative to the submissions folder
    key: str = ""                                 # content hash of notebook + suite, for resuming

    @property
    def score(self) -> float:
        return sum(test.points for test in self.tests)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"] = self.score
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
        data.pop("score", None)
        data["tests"] = [TestVerdict(**test) for test in data.get("tests", [])]
        data["written"] = [WrittenAnswer(**answer) for answer in data.get("written", [])]
        return cls(**data)
