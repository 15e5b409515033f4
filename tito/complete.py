"""`tito module complete`: export a student's notebook into their package and run the visible tests on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from tito.cell_map import build_maps, syntax_problem
from tito.checkup import TestOutcome
from tito.course import Course
from tito.grading.prepare import written_answers
from tito.grading.result import WrittenAnswer
from tito.modules import ModuleInfo
from tito.progress import Attempt, Progress, now, prerequisite_sources, when
from tito.pytest_runner import PASSED, TestResult, failure_summary, run_tests, timed_out
from tito.release import load_manifest
from tito.workspace import (
    NotebookCopy,
    StudentPackage,
    build_student_package,
    choose_notebook,
    read_student_notebook,
    student_exports,
)

DEFAULT_TIMEOUT = 600.0


@dataclass
class CompletionReport:
    module: ModuleInfo
    notebook: Path
    package: StudentPackage
    tests: list[TestOutcome] = field(default_factory=list)
    written: list[WrittenAnswer] = field(default_factory=list)
    problem: str | None = None
    # copies of the notebook holding answers saved after the one checked (see workspace.choose_notebook)
    newer_copies: tuple[NotebookCopy, ...] = ()
    # this run as recorded in workspace/progress.json, and the module's last run that passed (maybe this one)
    attempt: Attempt | None = None
    passed_before: Attempt | None = None

    @property
    def earned(self) -> float:
        return sum(test.earned for test in self.tests)

    @property
    def possible(self) -> float:
        return sum(test.points for test in self.tests)

    @property
    def all_passed(self) -> bool:
        return self.problem is None and all(test.outcome == PASSED for test in self.tests)


def complete_module(course: Course, info: ModuleInfo, timeout: float = DEFAULT_TIMEOUT) -> CompletionReport:
    manifest = load_manifest(course, info)
    chosen = choose_notebook(course, info, manifest)
    path = chosen.path
    notebook = read_student_notebook(path)
    exports = student_exports(notebook, info, course.relative(path))
    progress = Progress.load(course)
    passed_before = progress.of(info).passed
    package = build_student_package(course, info, exports, prerequisite_sources(course, progress, info))
    report = CompletionReport(module=info, notebook=path, package=package, newer_copies=chosen.newer)
    report.written = written_answers(notebook, manifest)
    problem = _compile_problem(exports, notebook)
    if problem is None:
        run = run_tests(
            [course.paths.release / info.slug / info.test_file_name], [package.root], timeout
        )
        results = {result.name: result for result in run.results}
        if run.timed_out:
            problem = f"the tests did not finish within {timeout:g} s: is there an endless loop?"
        elif not run.results:
            problem = "pytest ran no tests:\n" + run.output[-2000:]
        else:
            problem = _collection_problem(run.results, notebook, exports)
    else:
        results = {}
    report.problem = problem
    for cell in manifest["cells"]:
        if cell["kind"] != "test":
            continue
        result = results.get(cell["test"])
        if result is None:
            outcome, message = "not run", problem or "this test did not run"
        else:
            outcome, message = result.outcome, _short(result, notebook, exports)
        report.tests.append(TestOutcome(cell["test"], cell["grade_id"], cell["points"], outcome, message))
    report.passed_before = passed_before.attempt if passed_before else None
    report.attempt = Attempt(
        at=now(), notebook=course.relative(path), earned=report.earned, possible=report.possible,
        passed_tests=sum(test.outcome == PASSED for test in report.tests), tests=len(report.tests),
        passed=report.all_passed,
    )
    progress.record(info, report.attempt, exports)
    progress.save()
    return report


def module_outcome(report: CompletionReport) -> str:
    """What this run means for the modules built on this one, in words for the student."""
    name = report.module.name
    if report.all_passed:
        return f"{name} passed: later modules now use your {name}."
    if report.passed_before is not None:
        return (f"{name} did not pass: later modules keep your code that passed {when(report.passed_before.at)} "
                f"(`tito module reset {name}` goes back to the reference).")
    return f"{name} did not pass: later modules use the reference {name} until it passes."


def _compile_problem(exports: dict[str, str], notebook: NotebookNode) -> str | None:
    """Why the exported code does not compile, naming the notebook cell and its line; None if it compiles."""
    return syntax_problem(exports, build_maps(notebook.cells, exports))


def _collection_problem(results: list[TestResult], notebook: NotebookNode | None = None,
                        exports: dict[str, str] | None = None) -> str | None:
    """What went wrong with the run as a whole: the test file could not import the student's code (pytest
    reports that as an error case named after the file, `test_alpha`, with the message "collection failure"),
    or a test ran out of time (its function is named; the tests after it ran)."""
    for result in results:
        collection = result.outcome == "error" and result.message == "collection failure"
        if collection or (not result.name.startswith("test_") and result.outcome != PASSED):
            return f"the tests could not import your code: {_short(result, notebook, exports)}"
    for result in results:
        if timed_out(result):
            return f"{_short(result).splitlines()[0]}: is there an endless loop?"
    return None


def _short(result: TestResult, notebook: NotebookNode | None = None, exports: dict[str, str] | None = None) -> str:
    """A test's outcome in a few lines: the failure's own message and the notebook cell where the student's
    code raised it (pytest_runner.failure_summary)."""
    if result.outcome == PASSED:
        return ""
    if result.outcome == "skipped":
        return f"skipped (a skipped test earns no points): {result.message}"
    maps = build_maps(notebook.cells, exports) if notebook is not None and exports else None
    return failure_summary(result, maps, exports)
