"""`tito grade MODULE SUBMISSIONS`: grade a class with the module's hidden suite."""

from __future__ import annotations

import dataclasses
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
from tito.grading.executors import open_pool
from tito.grading.job import GradingConfig, GradingJob
from tito.grading.late import LatePolicy
from tito.grading.output_folder import OutputFolder
from tito.grading.result import ERROR, GRADER_ERROR, MISSING, SubmissionResult, TestVerdict
from tito.grading.sanitize import clean_result
from tito.grading.self_check import SelfCheckGate, self_check_jobs
from tito.grading.roster import apply_roster, read_roster
from tito.grading.similarity import DEFAULT_THRESHOLD, SimilarityReport, find_similar
from tito.grading.submissions import Skipped, Submission, find_class
from tito.grading.suite import HiddenSuite
from tito.modules import ModuleInfo
from tito.sandbox.limits import Limits


@dataclass
class GradeRun:
    module: ModuleInfo
    out_dir: Path
    tests: list[tuple[str, float]]
    results: list[SubmissionResult] = field(default_factory=list)
    regraded: int = 0
    reused: int = 0
    kept: int = 0                       # students of earlier runs kept by --merge
    removed: list[str] = field(default_factory=list)   # students of an earlier run of this class no longer submitted
    skipped: list[Skipped] = field(default_factory=list)  # found among the submissions, no submission, and why
    isolation: str = ""
    not_on_roster: list[str] = field(default_factory=list)  # submitters the roster does not list: graded, flagged
    late: LatePolicy = field(default_factory=LatePolicy)     # --due and --late-penalty of this run
    similarity: SimilarityReport | None = None  # pairs of this run's submissions alike enough to look at
    similarity_problem: str = ""                 # why there is no similarity report (the grades stand without it)

    @property
    def grader_errors(self) -> list[SubmissionResult]:
        """Submissions the grader failed on: not graded, and regraded by the next run."""
        return [result for result in self.results if result.status == GRADER_ERROR]


def grade_class(
    course: Course,
    module: ModuleInfo,
    submissions_path: Path,
    out_dir: Path,
    roster: Path | None = None,
    workers: int = 1,
    force: bool = False,
    merge: bool = False,
    duplicates: str = "latest",
    executor: str = "local",
    scheduler: str | None = None,
    limits: Limits | None = None,
    late: LatePolicy | None = None,
    similarity_threshold: float = DEFAULT_THRESHOLD,
    connect_timeout: float | None = None,
    on_start: Callable[[int, list[tuple[str, float]]], None] = lambda total, tests: None,
    on_result: Callable[[SubmissionResult], None] = lambda result: None,
) -> GradeRun:
    """Grade every submission under `submissions_path` into `out_dir`.

    `out_dir` belongs to one class (the submissions location it was first graded from): grading another
    location into it is refused unless `force` (start over: earlier outputs are deleted) or `merge` (add these
    students to the ones already there). Before the first student, the reference solution and the blank
    release notebook are graded through the same workers and sandbox; unless they earn full marks and nothing,
    the run stops with the cause and writes no grades. What was found and is no submission (see `find_class`)
    is in the run's `skipped`.

    With a `roster`, its students without a submission are missing and submitters it does not list are graded
    and flagged (`run.not_on_roster`, and a note in their results). `late` (--due, --late-penalty) is recorded
    in the folder and applied by the reports (see tito.grading.late). The submissions of this run are compared
    with each other (tito.grading.similarity): pairs at or above `similarity_threshold` are listed
    for a human to look at (`run.similarity`); no grade depends on them.
    """
    limits = limits or Limits()
    late = late or LatePolicy()
    if not 0 <= similarity_threshold <= 1:  # checked before minutes of grading, not after
        raise TitoError(f"--similarity-threshold is a share from 0 to 1 (e.g. 0.8), not {similarity_threshold}")
    suite = HiddenSuite.for_module(course, module)
    tests = suite_tests(suite)
    run = GradeRun(module=module, out_dir=out_dir, tests=tests, late=late)
    folder = OutputFolder(out_dir, module.name)
    source = submissions_path.resolve()
    folder.check_owner(source, force=force, merge=merge)
    scratch = Path(tempfile.mkdtemp(prefix="tito-grade-"))
    try:
        found = find_class(source, module.notebook_name, scratch, duplicates=duplicates)
        submissions, run.skipped = found.submissions, found.skipped
        if roster is not None:
            applied = apply_roster(submissions, read_roster(roster))
            submissions, run.not_on_roster = applied.submissions, applied.not_listed
        if not submissions:
            listed = "".join(f"; {entry.source} skipped: {entry.reason}" for entry in run.skipped[:10])
            raise TitoError(f"no submissions found in {submissions_path}{listed}")
        fingerprint = hashlib.sha256((suite.fingerprint() + json.dumps(limits.as_dict(), sort_keys=True)).encode()).hexdigest()
        to_grade: list[GradingJob] = []
        for submission in submissions:
            if submission.path is None and not submission.problem:
                run.results.append(clean_result(_missing(submission, tests)))
                continue
            if submission.problem:
                run.results.append(clean_result(_unusable(submission, tests)))
                continue
            key = _content_key(fingerprint, submission)
            cached = None if force else folder.cached(submission.student, key)
            if cached is not None:
                result = clean_result(_as_submitted(cached, submission))
                folder.store(result, found_notes=result.notes[:len(submission.notes)])
                run.results.append(result)
                run.reused += 1
            else:
                to_grade.append(GradingJob.for_submission(submission, key))
        config = GradingConfig(
            course_root=str(course.paths.root), module=module.name, limits=limits.as_dict(),
        )
        notes = {submission.student: submission.notes for submission in submissions}
        if to_grade:

            def collect(result: SubmissionResult) -> None:
                found = list(notes.get(result.student, ()))
                result = _complete(result, tests)
                # the border: every text a submission controls, made safe once
                result = clean_result(dataclasses.replace(result, notes=[*found, *result.notes]))
                if result.key and result.status != GRADER_ERROR:
                    folder.store(result, found_notes=result.notes[:len(found)])
                run.results.append(result)
                run.regraded += 1
                on_result(result)

            def trusted() -> None:  # once the self-check has passed, and before any result is kept
                folder.start(source, force=force, merge=merge, late=late.to_record())
                on_start(len(to_grade), tests)

            gate = SelfCheckGate(self_check_jobs(course, module, scratch), module, trusted, collect)
            pool = open_pool(config, workers, executor, scheduler, connect_timeout)
            try:
                # the self-check's two notebooks go first; students are graded meanwhile, and their results are
                # held back until it has passed (when it fails, the run stops and nothing is kept)
                pool.run([*gate.jobs, *to_grade], gate.receive)
            finally:
                pool.close()
            gate.ensure_passed()
        else:
            folder.start(source, force=force, merge=merge, late=late.to_record())
            on_start(0, tests)
        try:
            run.similarity = find_similar(
                [submission for submission in submissions if submission.path is not None and not submission.problem],
                course, module, threshold=similarity_threshold,
            )
        except Exception as error:  # noqa: BLE001 - a report for a human; the grades are written without it
            run.similarity_problem = f"{type(error).__name__}: {error}"[:300]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    present = {result.student for result in run.results}
    if merge:
        kept = [clean_result(result) for result in folder.earlier_results() if result.student not in present]
        run.results += kept
        run.kept = len(kept)
    run.removed = folder.finish({result.student for result in run.results})
    run.results.sort(key=lambda result: result.student)
    return run


def _content_key(fingerprint: str, submission: Submission) -> str:
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(submission.student.encode() + b"\0")
    digest.update(submission.path.read_bytes() if submission.path.is_file() else b"<unreadable>")
    return digest.hexdigest()


def _missing(submission: Submission, tests: list[tuple[str, float]]) -> SubmissionResult:
    return SubmissionResult(
        student=submission.student, status=MISSING, max_score=sum(points for _, points in tests),
        tests=[TestVerdict(name, points, 0.0, False, "no submission") for name, points in tests],
        problem="no submission", name=submission.name, email=submission.email,
    )


def _unusable(submission: Submission, tests: list[tuple[str, float]]) -> SubmissionResult:
    """A submission found but not gradable (a broken zip entry, a bad timestamp, duplicates refused)."""
    return SubmissionResult(
        student=submission.student, status=ERROR, max_score=sum(points for _, points in tests),
        tests=[TestVerdict(name, points, 0.0, False, submission.problem) for name, points in tests],
        problem=submission.problem, notes=list(submission.notes), name=submission.name, email=submission.email,
        submitted_at=submission.submitted_at, source=submission.source,
    )


def _as_submitted(result: SubmissionResult, submission: Submission) -> SubmissionResult:
    """A stored result of the same content, with what this run knows of the submission: its file, time,
    name and email (a file renamed or resubmitted unchanged may be late now, or a roster may name it), and the
    notes of how it was found (which file of several, not on the roster), which are stored without them."""
    return dataclasses.replace(
        result, notes=[*submission.notes, *(note for note in result.notes if note not in submission.notes)],
        source=submission.source,
        submitted_at=submission.submitted_at,
        name=submission.name or result.name, email=submission.email or result.email,
    )


def _complete(result: SubmissionResult, tests: list[tuple[str, float]]) -> SubmissionResult:
    """A result the worker could not produce still lists every test, at zero."""
    if result.status in (ERROR, GRADER_ERROR) and not result.tests:
        result.max_score = sum(points for _, points in tests)
        result.tests = [TestVerdict(name, points, 0.0, False, result.problem or "not graded") for name, points in tests]
    return result
