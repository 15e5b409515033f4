"""Before the first student: grade the reference solution and the blank release notebook the same way.

A grading run is trusted only if, through the same workers and sandbox, the reference earns every point and
the untouched student notebook earns none. Otherwise the fault is the grader's (an environment the sandbox
cannot read, a broken suite, a stale build) and grading students would write that fault down as their scores.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from tito.build.reference_fill import fill_with_reference
from tito.course import Course
from tito.errors import TitoError
from tito.grading.job import GradingJob
from tito.grading.result import SubmissionResult
from tito.modules import ModuleInfo

REFERENCE, BLANK = "(reference solution)", "(blank release notebook)"


class SelfCheckFailed(TitoError):
    """The grader cannot be trusted on this machine or course; no grades were written."""


def self_check_jobs(course: Course, module: ModuleInfo, scratch: Path) -> list[GradingJob]:
    """The reference-answered and the untouched release notebook, written into `scratch`, as two jobs."""
    release = nbformat.read(course.paths.release / module.slug / module.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    folder = scratch / "self-check"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for student, notebook in ((REFERENCE, fill_with_reference(release, source)), (BLANK, release)):
        path = folder / f"{'reference' if student == REFERENCE else 'blank'}.ipynb"
        nbformat.write(notebook, path)
        jobs.append(GradingJob(student=student, path=str(path), source=path.name))
    return jobs


def verify_self_check(results: list[SubmissionResult], module: ModuleInfo) -> None:
    """Raise SelfCheckFailed, naming the cause, unless the reference earned all and the blank notebook nothing."""
    by_student = {result.student: result for result in results}
    reference, blank = by_student.get(REFERENCE), by_student.get(BLANK)
    if reference is None or blank is None:
        raise SelfCheckFailed("the grader's self-check did not complete; no grades were written")
    if reference.problem or reference.max_score == 0 or reference.score != reference.max_score:
        raise SelfCheckFailed(
            f"the reference solution of {module.name}, graded through the sandbox, earned "
            f"{reference.score:g} of {reference.max_score:g} points, so this grader cannot be trusted here and "
            f"no grades were written. Cause: {_cause(reference)}"
        )
    if blank.score != 0:
        earned = ", ".join(test.name for test in blank.tests if test.passed)
        raise SelfCheckFailed(
            f"the blank release notebook of {module.name} earned {blank.score:g} points ({earned}): the hidden "
            "suite gives points for code students do not write; fix the suite before grading (no grades were written)"
        )


def _cause(result: SubmissionResult) -> str:
    if result.problem:
        return result.problem
    failed = [test for test in result.tests if not test.passed]
    if not failed:
        return "no hidden test passed"
    first = failed[0]
    more = f" (and {len(failed) - 1} more failed tests)" if len(failed) > 1 else ""
    return f"{first.name}: {first.message}{more}"


class SelfCheckGate:
    """Lets students' results through only once the self-check has passed.

    The self-check's jobs go to the workers first and the students' right after them, so no worker waits;
    `receive` takes every result in the order they come. Students' results that arrive before both
    self-check results are held; when the self-check passes, `trusted()` is called and the held results are
    passed on to `collect`, then every later one as it comes. When it fails, `receive` raises
    SelfCheckFailed, which stops the run, and nothing held was ever passed on.
    """

    def __init__(self, jobs: list[GradingJob], module: ModuleInfo, trusted, collect):
        self.jobs = jobs
        self._module = module
        self._trusted = trusted
        self._collect = collect
        self._checks: list[SubmissionResult] = []
        self._held: list[SubmissionResult] = []
        self.passed = False

    def receive(self, result: SubmissionResult) -> None:
        if self.passed:
            self._collect(result)
            return
        if result.student in (REFERENCE, BLANK) and result.source in {job.source for job in self.jobs}:
            self._checks.append(result)
        else:
            self._held.append(result)
        if len(self._checks) == len(self.jobs):
            verify_self_check(self._checks, self._module)
            self.passed = True
            self._trusted()
            held, self._held = self._held, []
            for waiting in held:
                self._collect(waiting)

    def ensure_passed(self) -> None:
        if not self.passed:
            verify_self_check(self._checks, self._module)  # raises: the self-check did not complete
