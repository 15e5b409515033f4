"""`tito grade MODULE SUBMISSIONS`: grade a class with the module's hidden suite."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tito.course import Course
from tito.errors import TitoError
from tito.grading.collect import suite_tests
from tito.grading.executors import run_jobs
from tito.grading.job import GradingConfig, GradingJob
from tito.grading.result import ERROR, MISSING, SubmissionResult, TestVerdict
from tito.grading.submissions import Submission, apply_roster, find_submissions, read_roster
from tito.grading.suite import HiddenSuite
from tito.modules import ModuleInfo
from tito.sandbox.limits import Limits

CACHE_FOLDER = ".cache"


@dataclass
class GradeRun:
    module: ModuleInfo
    out_dir: Path
    tests: list[tuple[str, float]]
    results: list[SubmissionResult] = field(default_factory=list)
    regraded: int = 0
    reused: int = 0
    isolation: str = ""


def grade_class(
    course: Course,
    module: ModuleInfo,
    submissions_path: Path,
    out_dir: Path,
    roster: Path | None = None,
    workers: int = 1,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    limits: Limits | None = None,
    on_start: Callable[[int, list[tuple[str, float]]], None] = lambda total, tests: None,
    on_result: Callable[[SubmissionResult], None] = lambda result: None,
) -> GradeRun:
    limits = limits or Limits()
    suite = HiddenSuite.for_module(course, module)
    tests = suite_tests(suite)
    run = GradeRun(module=module, out_dir=out_dir, tests=tests)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = out_dir / CACHE_FOLDER
    cache.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="tito-grade-"))
    try:
        submissions = find_submissions(submissions_path.resolve(), module.notebook_name, scratch)
        if roster is not None:
            submissions = apply_roster(submissions, read_roster(roster))
        if not submissions:
            raise TitoError(f"no submissions found in {submissions_path}")
        fingerprint = hashlib.sha256((suite.fingerprint() + json.dumps(limits.as_dict(), sort_keys=True)).encode()).hexdigest()
        to_grade: list[GradingJob] = []
        for submission in submissions:
            if submission.path is None:
                run.results.append(_missing(submission, tests))
                continue
            key = _content_key(fingerprint, submission)
            cached = None if force else _cached(cache, submission.student, key)
            if cached is not None:
                run.results.append(cached)
                run.reused += 1
            else:
                to_grade.append(GradingJob.for_submission(submission, key))
        on_start(len(to_grade), tests)
        config = GradingConfig(
            course_root=str(course.paths.root), module=module.name, limits=limits.as_dict(),
            hide=tuple(str(p) for p in {submissions_path.resolve(), out_dir.resolve(), scratch}),
        )

        def collect(result: SubmissionResult) -> None:
            result = _complete(result, tests)
            if result.key:
                (cache / f"{result.student}.json").write_text(json.dumps(result.to_dict(), sort_keys=True))
            run.results.append(result)
            run.regraded += 1
            on_result(result)

        run_jobs(config, to_grade, workers, executor, scheduler, collect)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run.results.sort(key=lambda result: result.student)
    return run


def _content_key(fingerprint: str, submission: Submission) -> str:
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(submission.student.encode() + b"\0")
    digest.update(submission.path.read_bytes() if submission.path.is_file() else b"<unreadable>")
    return digest.hexdigest()


def _cached(cache: Path, student: str, key: str) -> SubmissionResult | None:
    path = cache / f"{student}.json"
    if not path.is_file():
        return None
    try:
        result = SubmissionResult.from_dict(json.loads(path.read_text()))
    except (ValueError, TypeError, KeyError):
        return None
    return result if result.key == key else None


def _missing(submission: Submission, tests: list[tuple[str, float]]) -> SubmissionResult:
    return SubmissionResult(
        student=submission.student, status=MISSING, max_score=sum(points for _, points in tests),
        tests=[TestVerdict(name, points, 0.0, False, "no submission") for name, points in tests],
        problem="no submission", name=submission.name, email=submission.email,
    )


def _complete(result: SubmissionResult, tests: list[tuple[str, float]]) -> SubmissionResult:
    """A result the worker could not produce still lists every test, at zero."""
    if result.status == ERROR and not result.tests:
        result.max_score = sum(points for _, points in tests)
        result.tests = [TestVerdict(name, points, 0.0, False, result.problem or "not graded") for name, points in tests]
    return result
