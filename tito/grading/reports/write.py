"""`write_all`: every report of one grading run into one folder."""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tito.course import Course
from tito.grading.reports.common import (
    ReportError,
    by_student,
    check_tests_known,
    hidden_tests,
    one_line,
    write_text,
    written_questions,
)
from tito.grading.identity import file_name
from tito.grading.reports.csv_report import write_grades_csv
from tito.grading.reports.feedback import write_feedback
from tito.grading.reports.gradebook import DB_NAME, NbgraderCourseWriter
from tito.grading.reports.gradescope import write_gradescope_results
from tito.grading.reports.manual import write_manual
from tito.grading.reports.similarity import write_similarity
from tito.grading.reports.summary import summary_text, write_summary_png
from tito.grading.late import LatePolicy
from tito.grading.result import ERROR, SubmissionResult
from tito.grading.sanitize import clean_result
from tito.modules import ModuleInfo
from tito.release import load_manifest

if TYPE_CHECKING:
    from tito.grading.similarity import SimilarityReport
    from tito.grading.submissions import Skipped

NBGRADER_FOLDER = "nbgrader"


class ReportWriter:
    """Writes each student's reports as their result arrives (`add`), then the class-wide ones (`finish`).

    Per student: `results/<file>.json`, `feedback/<file>.html`, and their rows and notebook in the nbgrader
    course, where <file> is `identity.file_name` of their id. For the class: `grades.csv`, `summary.txt`,
    `summary.png`, `manual/`, and with a similarity report `similarity.csv` and `similarity.html`. `late` (--due,
    --late-penalty) is applied to each student's score in every file (tito.grading.late). Use it from one thread (the gradebook's SQLite connection stays in the thread
    that opened it).

    Every result is cleaned first (`sanitize.clean_result`, a no-op for a result cleaned already). A failure
    writing one student's files (an id that cannot name a file, a test outside the suite, a disk error) is
    that student's alone: it is kept in `failures`, their row in `grades.csv` says `error` with the reason,
    and every other student's files are written. A failure writing a class-wide file does not stop the
    others; `finish` raises it, naming each such file, once everything that could be written is.
    """

    def __init__(self, out_dir: Path, *, course: Course, module: ModuleInfo,
                 tests: Mapping[str, float] | Sequence[tuple[str, float]], manifest: Mapping | None = None,
                 late: LatePolicy | None = None):
        self.out_dir = Path(out_dir)
        self.module = module
        self.late = late or LatePolicy()
        self.tests = dict(tests)
        self.manifest = manifest if manifest is not None else load_manifest(course, module)
        notebook = Path(str(self.manifest.get("notebook") or module.notebook_name)).stem
        self._nbgrader = NbgraderCourseWriter(
            self.out_dir / NBGRADER_FOLDER, assignment=module.slug, notebook=notebook, module_title=module.title,
            tests=self.tests, questions=written_questions(self.manifest), due=self.late.due,
        )
        self._hand = _recorded_hand_grades(self.out_dir / NBGRADER_FOLDER, module.slug, notebook,
                                           written_questions(self.manifest))
        self._opened = False
        self._nbgrader_error: str | None = None
        self._added: set[str] = set()
        self._file_names: dict[str, str] = {}   # file name -> the student it was given to
        self._paths: list[Path] = []
        self.failures: dict[str, str] = {}   # student -> why their files could not all be written

    def add(self, result: SubmissionResult) -> None:
        result = clean_result(result)
        if result.student in self._added or result.student in self.failures:
            raise ReportError(f"student {result.student!r} has two results")
        self._open()
        try:
            student = file_name(result.student)
            owner = self._file_names.setdefault(student, result.student)
            if owner != result.student:
                raise ReportError(f"the file name {student!r} is {owner!r}'s already")
            check_tests_known([result], list(self.tests))
            hand = self._hand.get(student)  # a TA's scores and comments, kept across regrades
            lateness = self.late.assess(result.submitted_at, result.source)
            self._paths.append(write_gradescope_results(result, self.out_dir / "results" / f"{student}.json", hand,
                                                        lateness))
            self._paths.append(write_feedback(result, self.module.title, self.out_dir / "feedback" / f"{student}.html",
                                              hand, lateness))
            if self._nbgrader_error is None:
                self._nbgrader.add(result, lateness.percent)
        except Exception as error:  # noqa: BLE001 - this student's failure, reported in their row
            self.failures[result.student] = one_line(f"{type(error).__name__}: {error}", 300)
            return
        self._added.add(result.student)

    def finish(self, results: Sequence[SubmissionResult], skipped: Sequence[Skipped] = (),
               similarity: SimilarityReport | None = None) -> list[Path]:
        """Add the results not added yet, write the class-wide reports, and return every path written.
        `skipped`: what was found among the submissions and not graded, listed in summary.txt. `similarity`:
        the pairs to write to similarity.csv and similarity.html."""
        ordered = by_student([clean_result(result) for result in results])
        self._open()
        for result in ordered:
            if result.student not in self._added and result.student not in self.failures:
                self.add(result)
        rows = [self._failed(result) if result.student in self.failures else result for result in ordered]
        test_names = list(self.tests)
        failed: list[str] = [f"the nbgrader course ({self._nbgrader_error})"] if self._nbgrader_error else []
        paths: list[Path] = []
        class_wide = [
            ("grades.csv", lambda: [write_grades_csv(rows, test_names, self.out_dir / "grades.csv", self.late)]),
            ("summary.txt", lambda: [write_text(self.out_dir / "summary.txt",
                                                summary_text(rows, test_names, skipped, self.late, similarity))]),
            ("summary.png", lambda: [write_summary_png(rows, test_names, self.out_dir / "summary.png")]),
        ]
        if similarity is not None:
            class_wide.append(("similarity.csv and similarity.html", lambda: write_similarity(
                similarity.pairs, self.out_dir, module_title=self.module.title, threshold=similarity.threshold,
                students=similarity.compared)))
        for name, write in class_wide:
            paths += self._attempt(name, write, failed)
        paths += self._paths
        paths += self._attempt("manual/", lambda: write_manual(rows, self.manifest, self.out_dir / "manual"), failed)
        if self._nbgrader_error is None:
            paths += self._attempt("the nbgrader course", self._nbgrader.close, failed)
        if failed:
            raise ReportError("could not write " + "; ".join(failed))
        return paths

    def _open(self) -> None:
        """The nbgrader course, once; if it cannot be opened, the other reports are still written."""
        if self._opened:
            return
        self._opened = True
        try:
            self._nbgrader.open()
        except Exception as error:  # noqa: BLE001 - raised by finish(), after everything else is written
            self._nbgrader_error = one_line(f"{type(error).__name__}: {error}", 300)

    def _failed(self, result: SubmissionResult) -> SubmissionResult:
        """The row of a student whose files could not be written: status error, the reason first in the notes,
        and only the suite's tests (a test outside it would stop the class-wide reports)."""
        return dataclasses.replace(
            result, status=ERROR, notes=[f"reports not written: {self.failures[result.student]}", *result.notes],
            tests=[verdict for verdict in result.tests if verdict.name in self.tests],
        )

    @staticmethod
    def _attempt(name: str, write: Callable[[], list[Path]], failed: list[str]) -> list[Path]:
        try:
            return write()
        except Exception as error:  # noqa: BLE001 - collected and raised by finish()
            failed.append(f"{name} ({one_line(f'{type(error).__name__}: {error}', 300)})")
            return []


def write_all(
    results: Sequence[SubmissionResult],
    out_dir: Path,
    *,
    course: Course,
    module: ModuleInfo,
    tests: Mapping[str, float] | Sequence[tuple[str, float]] | None = None,
    manifest: Mapping | None = None,
    skipped: Sequence[Skipped] = (),
    late: LatePolicy | None = None,
    similarity: SimilarityReport | None = None,
) -> list[Path]:
    """Write, under `out_dir`, and return the paths in this order:

    - `grades.csv`, `summary.txt` (listing `skipped` too), `summary.png`
    - `results/<file>.json` (Gradescope's results.json schema) and `feedback/<file>.html`, <file> being
      `identity.file_name` of the student's id
    - `manual/<grade_id>.html` per written question and `manual/scores.csv` (the hand-grading template)
    - nbgrader, with `out_dir/nbgrader` as the course root (so `nbgrader export` there writes its own
      grades.csv without touching ours): `nbgrader_config.py` (only if absent), `gradebook.db`,
      `source/<slug>/<notebook>.ipynb`, `autograded/<file>/<slug>/<notebook>.ipynb`

    `tests` are the hidden tests with their points, in suite order (a mapping or `(name, points)` pairs);
    without them they are read off the results. `manifest` defaults to the module's release manifest.
    `late` applies a late policy; `similarity` adds `similarity.csv` and `similarity.html`.
    A student whose files cannot be written is an `error` row in grades.csv (see ReportWriter); files of
    students not in `results` are left.
    """
    ordered = by_student(results)
    tests = dict(tests) if tests is not None else hidden_tests(ordered)
    writer = ReportWriter(out_dir, course=course, module=module, tests=tests, manifest=manifest, late=late)
    return writer.finish(ordered, skipped, similarity)


def _recorded_hand_grades(nbgrader_folder: Path, assignment: str, notebook: str, questions) -> dict:
    """`gradebook student id (file_name) -> HandGrades` for the students a TA has scored or commented on in the
    existing gradebook."""
    from tito.grading.manual_scores import read_hand_grades  # manual_scores builds on this module

    database = nbgrader_folder / DB_NAME
    if not questions or not database.is_file():
        return {}
    hand = read_hand_grades(database, assignment, notebook, questions)
    return {student: grades for student, grades in hand.items() if grades.recorded}


class BackgroundReports:
    """A ReportWriter in a thread of its own, fed results while grading goes on, so that writing reports
    overlaps with grading instead of following it."""

    _DONE = object()

    def __init__(self, out_dir: Path, *, course: Course, module: ModuleInfo,
                 tests: Mapping[str, float] | Sequence[tuple[str, float]], late: LatePolicy | None = None):
        self._arguments = (out_dir, course, module, dict(tests), late)
        self._queue: queue.Queue = queue.Queue()
        self._paths: list[Path] = []
        self._error: BaseException | None = None
        self.failures: dict[str, str] = {}   # the writer's: student -> why their files could not all be written
        self._thread = threading.Thread(target=self._run, name="tito-reports", daemon=True)
        self._thread.start()

    def add(self, result: SubmissionResult) -> None:
        self._queue.put(result)

    def finish(self, results: Sequence[SubmissionResult], skipped: Sequence[Skipped] = (),
               similarity: SimilarityReport | None = None) -> list[Path]:
        self._queue.put((self._DONE, list(results), list(skipped), similarity))
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._paths

    def _run(self) -> None:
        out_dir, course, module, tests, late = self._arguments
        writer = None
        while True:
            item = self._queue.get()
            done = isinstance(item, tuple) and item[0] is self._DONE
            if self._error is None:
                try:
                    if writer is None:
                        writer = ReportWriter(out_dir, course=course, module=module, tests=tests, late=late)
                        self.failures = writer.failures
                    if done:
                        self._paths = writer.finish(item[1], item[2], item[3])
                    else:
                        writer.add(item)
                except BaseException as error:  # noqa: BLE001 - handed to the caller of finish()
                    self._error = error
            if done:
                return
