"""Run a hidden suite for many submissions in one pytest session.

Collecting the suite and importing its modules happens once per worker; each submission then runs every
collected test through pytest's own run protocol, with `student` bound to that submission's sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import nbformat
import pytest
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol

from tito.cell_map import CellMaps
from tito.grading import fixtures
from tito.grading.job import GradingJob
from tito.grading.prepare import prepare_submission
from tito.grading.probes import SubmissionError, excerpt
from tito.grading.result import ERROR, GRADED, GRADER_ERROR, TAMPERED, SubmissionResult, TestVerdict
from tito.grading.suite import HiddenSuite
from tito.package import package_texts
from tito.release import load_manifest
from tito.sandbox.client import Sandbox, SandboxFault

# A test's message: the check's words around at most one SubmissionError (probes.ERROR_LIMIT), cut here, where it
# is made, below the border's own cut (sanitize.MESSAGE_LIMIT).
VERDICT_LIMIT = 3_600


def test_points(item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"hidden test {item.nodeid} has no @pytest.mark.points(n)")
    return float(marker.args[0])


class SuiteRunner:
    """A pytest plugin whose test loop grades each job in turn instead of running the tests once."""

    def __init__(self, suite: HiddenSuite, sandbox: Sandbox, jobs: Iterable[GradingJob],
                 emit: Callable[[SubmissionResult], None]):
        self.suite = suite
        self.sandbox = sandbox
        self.jobs = jobs
        self.emit = emit
        release = suite.course.paths.release / suite.module.slug
        self.release_nb = nbformat.read(release / suite.module.notebook_name, as_version=4)
        self.manifest = load_manifest(suite.course, suite.module)
        self.collection_failed = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed:
            self.collection_failed = True
            raise session.Interrupted("the hidden suite could not be collected")
        for item in session.items:
            test_points(item)
        for job in self.jobs:
            self.emit(self.grade_safely(session.items, job))
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """A plain report, without the formatted traceback pytest would build: the grader never shows it
        (students see the check's message), and formatting it for every failed test of every submission
        costs more than running the test."""
        if call.excinfo is not None and call.when == "call":
            item._tito_excinfo = call.excinfo
        if call.excinfo is None:
            outcome, longrepr = "passed", None
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            outcome, longrepr = "skipped", (str(item.path), 0, call.excinfo.exconly())
        else:
            outcome, longrepr = "failed", call.excinfo.exconly()
        return TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when, [], call.duration,
                          call.start, call.stop)

    # -- one submission --------------------------------------------------------------------------
    def grade_safely(self, items: list, job: GradingJob) -> SubmissionResult:
        """`grade`, with any fault of the grader's own (its sandbox, its code) recorded as `grader-error`:
        never a score, never blamed on the student's code."""
        try:
            return self.grade(items, job)
        except Exception as error:  # noqa: BLE001 - the sandbox's setup (SandboxFault) or a bug of the grader's
            cause = str(error)[:300] if isinstance(error, SandboxFault) else f"{type(error).__name__}: {str(error)[:300]}"
            problem = f"the grader failed on this submission, not your code ({cause}); a rerun regrades it"
        return SubmissionResult(
            student=job.student, status=GRADER_ERROR, max_score=sum(test_points(item) for item in items),
            tests=[TestVerdict(item.name, test_points(item), 0.0, False, "not graded: the grader failed")
                   for item in items],
            problem=problem, name=job.name, email=job.email, submitted_at=job.submitted_at, source=job.source,
        )

    def grade(self, items: list, job: GradingJob) -> SubmissionResult:
        result = SubmissionResult(
            student=job.student, status=GRADED, max_score=sum(test_points(item) for item in items),
            name=job.name, email=job.email, submitted_at=job.submitted_at, source=job.source, key=job.key,
        )
        try:
            data = Path(job.path).read_bytes()
        except OSError as error:
            return self._unusable(result, items, f"the submitted file could not be read ({error.strerror})")
        module = self.suite.module
        prepared = prepare_submission(data, self.release_nb, self.manifest, module.exports, f"{job.student}'s notebook")
        del data  # up to 20 MB, not needed while the sandbox runs
        result.written = prepared.written
        result.notes = list(prepared.tampering) + list(prepared.notes)
        if prepared.problem:
            return self._unusable(result, items, prepared.problem)
        files = package_texts(self.suite.course, module, prepared.exports)
        maps = prepared.cell_maps
        session = self.sandbox.session(files, self.suite.probes_source, list(module.exports), maps)
        try:
            if session.load_error is not None:  # one short message, the same string for every test
                loaded = maps.rewrite(str(session.load_error))
                message = excerpt(f"your code could not be loaded: {loaded}", VERDICT_LIMIT)
                result.tests = [TestVerdict(item.name, test_points(item), 0.0, False, message) for item in items]
                result.notes.append(message)
            else:
                fixtures.activate(session)
                result.tests = [self._run(item, session, maps) for item in items]
        finally:
            fixtures.deactivate()
            session.close()
            result.output = session.output()
        result.notes += session.events
        result.status = TAMPERED if prepared.tampering else GRADED
        return result

    def _unusable(self, result: SubmissionResult, items: list, problem: str) -> SubmissionResult:
        result.status = ERROR
        result.problem = problem
        result.tests = [TestVerdict(item.name, test_points(item), 0.0, False, problem) for item in items]
        return result

    def _run(self, item, session=None, maps: CellMaps | None = None) -> TestVerdict:
        if session is not None:
            session.test_name = item.name
        item._tito_excinfo = None
        item._initrequest()
        reports = runtestprotocol(item, nextitem=None, log=False)
        excinfo = getattr(item, "_tito_excinfo", None)
        if excinfo is not None and isinstance(excinfo.value, SandboxFault):
            raise excinfo.value  # the sandbox failed, not the submission: the whole submission is a grader error
        points = test_points(item)
        passed = all(report.passed for report in reports) and any(report.when == "call" for report in reports)
        message = "" if passed else _message(item, reports)
        message = excerpt(message, VERDICT_LIMIT)
        message = excerpt(maps.rewrite(message), VERDICT_LIMIT) if maps is not None else message
        # the failure's traceback holds the test's locals (the values the submission sent): let it go now, not
        # when this test runs for the next submission, so that the worker never holds one per test
        item._tito_excinfo = None
        return TestVerdict(item.name, points, points if passed else 0.0, passed, message)


def _message(item, reports) -> str:
    """What the student reads: the check's own message, never the hidden test's source."""
    if any(report.skipped for report in reports):
        return "this check was skipped, which counts as failed"
    excinfo = getattr(item, "_tito_excinfo", None)
    if excinfo is None:
        failed = next((report for report in reports if report.failed), None)
        when = failed.when if failed is not None else "?"
        return f"the grader could not run this check (failure during {when}); please tell your instructor"
    error = excinfo.value
    if isinstance(error, SubmissionError):
        return str(error)
    if isinstance(error, AssertionError):
        text = str(error).split("\nassert ")[0].strip()
        return text if text and not text.startswith("assert ") else "a hidden check failed"
    return f"the check could not complete: {type(error).__name__}: {error}"
