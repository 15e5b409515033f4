"""`write_all`: every report of one grading run into one folder."""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from tito.course import Course
from tito.grading.reports.common import (
    ReportError,
    by_student,
    check_tests_known,
    hidden_tests,
    safe_student_id,
    write_text,
    written_questions,
)
from tito.grading.reports.csv_report import write_grades_csv
from tito.grading.reports.feedback import write_feedback
from tito.grading.reports.gradebook import NbgraderCourseWriter
from tito.grading.reports.gradescope import write_gradescope_results
from tito.grading.reports.manual import write_manual
from tito.grading.reports.summary import summary_text, write_summary_png
from tito.grading.result import SubmissionResult
from tito.modules import ModuleInfo
from tito.release import load_manifest

NBGRADER_FOLDER = "nbgrader"


class ReportWriter:
    """Writes each student's reports as their result arrives (`add`), then the class-wide ones (`finish`).

    Per student: `results/<student>.json`, `feedback/<student>.html`, and their rows and notebook in the
    nbgrader course. For the class: `grades.csv`, `summary.txt`, `summary.png`, `manual/`. Use it from one
    thread (the gradebook's SQLite connection stays in the thread that opened it).
    """

    def __init__(self, out_dir: Path, *, course: Course, module: ModuleInfo,
                 tests: Mapping[str, float] | Sequence[tuple[str, float]], manifest: Mapping | None = None):
        self.out_dir = Path(out_dir)
        self.module = module
        self.tests = dict(tests)
        self.manifest = manifest if manifest is not None else load_manifest(course, module)
        notebook = Path(str(self.manifest.get("notebook") or module.notebook_name)).stem
        self._nbgrader = NbgraderCourseWriter(
            self.out_dir / NBGRADER_FOLDER, assignment=module.slug, notebook=notebook, module_title=module.title,
            tests=self.tests, questions=written_questions(self.manifest),
        )
        self._opened = False
        self._added: set[str] = set()
        self._paths: list[Path] = []

    def add(self, result: SubmissionResult) -> None:
        student = safe_student_id(result.student)
        if student in self._added:
            raise ReportError(f"student {student!r} has two results")
        check_tests_known([result], list(self.tests))
        if not self._opened:
            self._nbgrader.open()
            self._opened = True
        self._paths.append(write_gradescope_results(result, self.out_dir / "results" / f"{student}.json"))
        self._paths.append(write_feedback(result, self.module.title, self.out_dir / "feedback" / f"{student}.html"))
        self._nbgrader.add(result)
        self._added.add(student)

    def finish(self, results: Sequence[SubmissionResult]) -> list[Path]:
        """Add the results not added yet, write the class-wide reports, and return every path written."""
        ordered = by_student(results)
        for result in ordered:
            safe_student_id(result.student)
        test_names = list(self.tests)
        check_tests_known(ordered, test_names)
        if not self._opened:
            self._nbgrader.open()
            self._opened = True
        for result in ordered:
            if result.student not in self._added:
                self.add(result)
        paths = [
            write_grades_csv(ordered, test_names, self.out_dir / "grades.csv"),
            write_text(self.out_dir / "summary.txt", summary_text(ordered, test_names)),
            write_summary_png(ordered, test_names, self.out_dir / "summary.png"),
        ]
        paths += self._paths
        paths += write_manual(ordered, self.manifest, self.out_dir / "manual")
        return paths + self._nbgrader.close()


def write_all(
    results: Sequence[SubmissionResult],
    out_dir: Path,
    *,
    course: Course,
    module: ModuleInfo,
    tests: Mapping[str, float] | Sequence[tuple[str, float]] | None = None,
    manifest: Mapping | None = None,
) -> list[Path]:
    """Write, under `out_dir`, and return the paths in this order:

    - `grades.csv`, `summary.txt`, `summary.png`
    - `results/<student>.json` (Gradescope's results.json schema) and `feedback/<student>.html`
    - `manual/<grade_id>.html` per written question and `manual/scores.csv` (the hand-grading template)
    - nbgrader, with `out_dir/nbgrader` as the course root (so `nbgrader export` there writes its own
      grades.csv without touching ours): `nbgrader_config.py` (only if absent), `gradebook.db`,
      `source/<slug>/<notebook>.ipynb`, `autograded/<student>/<slug>/<notebook>.ipynb`

    `tests` are the hidden tests with their points, in suite order (a mapping or `(name, points)` pairs);
    without them they are read off the results. `manifest` defaults to the module's release manifest.
    Every student id is checked before anything is written; files of students not in `results` are left.
    """
    ordered = by_student(results)
    for result in ordered:
        safe_student_id(result.student)
    tests = dict(tests) if tests is not None else hidden_tests(ordered)
    check_tests_known(ordered, list(tests))
    writer = ReportWriter(out_dir, course=course, module=module, tests=tests, manifest=manifest)
    return writer.finish(ordered)


class BackgroundReports:
    """A ReportWriter in a thread of its own, fed results while grading goes on, so that writing reports
    overlaps with grading instead of following it."""

    _DONE = object()

    def __init__(self, out_dir: Path, *, course: Course, module: ModuleInfo,
                 tests: Mapping[str, float] | Sequence[tuple[str, float]]):
        self._arguments = (out_dir, course, module, dict(tests))
        self._queue: queue.Queue = queue.Queue()
        self._paths: list[Path] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tito-reports", daemon=True)
        self._thread.start()

    def add(self, result: SubmissionResult) -> None:
        self._queue.put(result)

    def finish(self, results: Sequence[SubmissionResult]) -> list[Path]:
        self._queue.put((self._DONE, list(results)))
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._paths

    def _run(self) -> None:
        out_dir, course, module, tests = self._arguments
        writer = None
        while True:
            item = self._queue.get()
            done = isinstance(item, tuple) and item[0] is self._DONE
            if self._error is None:
                try:
                    if writer is None:
                        writer = ReportWriter(out_dir, course=course, module=module, tests=tests)
                    if done:
                        self._paths = writer.finish(item[1])
                    else:
                        writer.add(item)
                except BaseException as error:  # noqa: BLE001 - handed to the caller of finish()
                    self._error = error
            if done:
                return
