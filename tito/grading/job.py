"""One unit of grading work, as plain data that can cross to another process or machine."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tito.grading.submissions import Submission


@dataclass(frozen=True)
class GradingJob:
    student: str
    path: str             # absolute path of the submitted file
    source: str = ""
    submitted_at: str = ""
    name: str = ""
    email: str = ""
    key: str = ""

    @classmethod
    def for_submission(cls, submission: Submission, key: str) -> "GradingJob":
        return cls(
            student=submission.student, path=str(submission.path), source=submission.source,
            submitted_at=submission.submitted_at, name=submission.name, email=submission.email, key=key,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GradingConfig:
    """What every worker needs to know, wherever it runs."""

    course_root: str
    module: str
    limits: dict

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GradingConfig":
        return cls(data["course_root"], data["module"], data["limits"])
