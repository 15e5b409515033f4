"""nbgrader's side: `gradebook.db` plus the `source/` and `autograded/` notebooks formgrader shows.

The hidden suite, not the notebook, decides the auto-graded points, so the gradebook's notebook is one
tito writes: one locked, graded code cell per hidden test (its grade_id is the test's name, its points the
test's) and one graded markdown answer cell per written question of the release manifest (hand graded).
`nbgrader export` then reports each student's auto-graded total, and formgrader lets graders score the
written answers. The database is filled through `nbgrader.api.Gradebook`, the way nbgrader's own
`SaveCells` and `SaveAutoGrades` preprocessors fill it; manual scores already in it are kept.

Layout, with the output folder as nbgrader's course root (`nbgrader export` and formgrader run there):

    gradebook.db
    source/<assignment>/<notebook>.ipynb
    autograded/<student>/<assignment>/<notebook>.ipynb     (students who submitted)

nbgrader names folders after its student ids, so a student's id in the gradebook is `identity.file_name` of
their id: the id itself for plain lowercase ASCII ids. When the two differ, the real id is kept in the student's
`lms_user_id`, and in `first_name` too when no name is known, so that formgrader shows who it is.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tito.grading.reports.common import (
    Question,
    ReportError,
    by_student,
    check_tests_known,
    number,
    safe_name,
    write_text,
)
from tito.grading.identity import file_name
from tito.grading.result import ERROR, GRADER_ERROR, MISSING, TAMPERED, SubmissionResult

DB_NAME = "gradebook.db"
CONFIG_NAME = "nbgrader_config.py"
CONFIG_TEXT = """\
# Written by `tito grade`: this folder is an nbgrader course root (gradebook.db, source/, autograded/).
# Run `nbgrader export` or start formgrader here. tito never overwrites this file once it exists.
c = get_config()  # noqa: F821
"""
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
UNANSWERED = "YOUR ANSWER HERE"
_GRADE_ID = re.compile(r"[A-Za-z0-9_-]+")
_NOT_IN_GRADE_ID = re.compile(r"[^A-Za-z0-9_-]")   # what nbgrader leaves in a markdown answer cell of the student's copy


def _nbgrader_meta(grade_id: str, points: float, *, solution: bool) -> dict:
    return {
        "schema_version": 3, "grade": True, "solution": solution, "locked": not solution,
        "task": False, "grade_id": grade_id, "points": points,
    }


def _cell_id(text: str, index: int) -> str:
    return text if len(text) <= 64 else f"cell-{index}"


def _test_source(name: str, points: float) -> str:
    return f"# Hidden test `{name}` ({number(points)} points), run by `tito grade` in its sandbox."


def grading_notebook(module_title: str, tests: Mapping[str, float], questions: Sequence[Question],
                     answers: Mapping[str, str] | None = None) -> NotebookNode:
    """The notebook the gradebook describes: a cell per hidden test and per written question.

    Without `answers` it is the source version; with them (grade_id -> markdown), a student's copy.
    """
    from nbgrader.utils import compute_checksum

    _check_grade_ids(tests, questions)
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    cells = [nbformat.v4.new_markdown_cell(
        f"# {module_title}\n\nThe hidden tests `tito grade` ran (auto-graded) and the written answers (graded by hand)."
    )]
    cells[0].id = "header"
    for name, points in tests.items():
        cell = nbformat.v4.new_code_cell(_test_source(name, points))
        cell.metadata["nbgrader"] = _nbgrader_meta(grade_id_of_test(name), float(points), solution=False)
        cells.append(cell)
    for question in questions:
        prompt = nbformat.v4.new_markdown_cell(
            f"### Written answer `{question.grade_id}` ({number(question.max_points)} points, graded by hand)"
        )
        prompt.id = _cell_id(f"{question.grade_id}-prompt", len(cells))
        cells.append(prompt)
        text = UNANSWERED if answers is None else answers.get(question.grade_id, "") or UNANSWERED
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["nbgrader"] = _nbgrader_meta(question.grade_id, question.max_points, solution=True)
        cells.append(cell)
    for index, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader")
        if meta:
            cell.id = _cell_id(meta["grade_id"], index)
            # the checksum of the source version, as `nbgrader generate_assignment` records it
            source_cell = nbformat.from_dict({**cell, "source": UNANSWERED}) if meta["solution"] else cell
            meta["checksum"] = compute_checksum(source_cell)
    notebook.cells = cells
    return notebook


def autograded_notebook(result: SubmissionResult, module_title: str, tests: Mapping[str, float],
                        questions: Sequence[Question], source: NotebookNode | None = None) -> NotebookNode:
    """A student's copy for formgrader: each test cell shows its outcome as output, each answer cell holds
    the student's answer, and a report cell shows the status, the notes and the notebook's own output.

    `source` is `grading_notebook(module_title, tests, questions)`, passed in when writing many copies."""
    answers = {answer.grade_id: answer.answer for answer in result.written if answer.answered}
    notebook = copy.deepcopy(source if source is not None else grading_notebook(module_title, tests, questions))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "markdown" and grade_id in answers and answers[grade_id]:
            cell.source = answer_markdown(answers[grade_id])
    verdicts = {grade_id_of_test(verdict.name): verdict for verdict in result.tests}
    test_ids = {grade_id_of_test(name) for name in tests}
    not_run = f"not run: {result.problem}" if result.problem else f"not run (status {result.status})"
    for cell in notebook.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or name not in test_ids:
            continue
        verdict = verdicts.get(name)
        if verdict is None:
            text, stream = not_run, "stderr"
        elif verdict.passed:
            text, stream = f"passed: {number(verdict.points)} / {number(verdict.max_points)}", "stdout"
        else:
            text, stream = f"failed: {verdict.message}" if verdict.message else "failed", "stderr"
        cell.outputs = [_stream(stream, text + "\n")]
    report_lines = [f"status: {result.status}",
                    f"auto-graded: {number(result.score)} / {number(result.max_score)}"]
    if result.problem:
        report_lines.append(f"could not grade: {result.problem}")
    report_lines += [f"note: {note}" for note in result.notes]
    if result.output:
        report_lines += ["", "the notebook's output:", result.output]
    report = nbformat.from_dict({
        "cell_type": "code", "id": "tito-report", "metadata": {}, "execution_count": None,
        "source": "# What `tito grade` reported for this submission",
        "outputs": [_stream("stdout", "\n".join(report_lines) + "\n")],
    })
    notebook.cells.insert(1, report)
    return notebook


def answer_markdown(answer: str) -> str:
    """A written answer as markdown that shows the student's text and runs nothing: `&`, `<` and `>` become
    entities (no raw HTML, `<script>` or `<img onerror=...>`, and no `<javascript:...>` autolink) and so does `[`
    (no link or image, `[x](javascript:...)` included). Emphasis, lists and math still render as the student
    wrote them; a student's own entity shows as typed (`&amp;` stays `&amp;`)."""
    return answer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("[", "&#91;")


def _stream(name: str, text: str) -> NotebookNode:
    """A stream output, built directly (nbformat's constructors validate every node, which adds up)."""
    return nbformat.from_dict({"output_type": "stream", "name": name, "text": text})


def grade_id_of_test(test_name: str) -> str:
    """The grade_id of a hidden test's cell: its name, with what nbgrader does not allow in a grade_id
    (a parametrized test's `[a-0.5]`) turned into `_`."""
    return _NOT_IN_GRADE_ID.sub("_", test_name)


def _check_grade_ids(tests: Mapping[str, float], questions: Sequence[Question]) -> None:
    names = [grade_id_of_test(name) for name in tests] + [question.grade_id for question in questions]
    for name in names:
        if not _GRADE_ID.fullmatch(name):
            raise ReportError(f"{name!r} cannot be an nbgrader grade_id: only letters, digits, _ and - are allowed")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ReportError(f"grade_id(s) used twice in the gradebook notebook: {', '.join(duplicates)}")


@contextlib.contextmanager
def _alembic_on_path():
    """nbgrader runs `alembic` to stamp a new database; find it next to this interpreter when PATH does not."""
    if shutil.which("alembic"):
        yield
        return
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        yield
    finally:
        os.environ["PATH"] = saved


def _split_name(name: str) -> dict[str, str]:
    parts = name.strip().rsplit(" ", 1)
    if not parts[0]:
        return {}
    return {"first_name": parts[0], "last_name": parts[1]} if len(parts) == 2 else {"first_name": parts[0]}


def _student_details(result: SubmissionResult) -> dict[str, str]:
    """The gradebook's fields of a student: their name, email, and their real id where the gradebook's id
    (a file name) is not it."""
    details = _split_name(result.name) | ({"email": result.email} if result.email else {})
    if file_name(result.student) != result.student:
        details["lms_user_id"] = result.student
        if not result.name.strip():
            details["first_name"] = result.student
    return details


def _timestamp(text: str):
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


class GradebookImport:
    """Fill `gradebook.db` one student at a time: `open()`, `add(result)` for each, `close()`.

    Everything happens in the thread that calls `open()` (SQLite connections stay in their thread).
    """

    def __init__(self, db_path: Path, *, assignment: str, notebook: str, tests: Mapping[str, float],
                 questions: Sequence[Question], due=None):
        _check_grade_ids(tests, questions)
        self.due = due   # --due (naive UTC), the assignment's duedate, or None
        self.db_path = db_path
        self.assignment = assignment
        self.notebook = notebook
        self.tests = dict(tests)
        self.questions = list(questions)
        self._gradebook = None
        self._context = contextlib.ExitStack()

    def open(self) -> None:
        """The assignment and its notebook's cells; refuses a gradebook that grades other cells already."""
        from nbgrader.api import Gradebook, MissingEntry
        from sqlalchemy import text

        wanted_grades = {grade_id_of_test(name): ("code", float(points)) for name, points in self.tests.items()}
        wanted_grades |= {q.grade_id: ("markdown", q.max_points) for q in self.questions}
        wanted_solutions = {q.grade_id for q in self.questions}
        source = grading_notebook("", self.tests, self.questions)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        if not self.db_path.exists():
            _create_database(self.db_path)
        self._context.enter_context(_alembic_on_path())
        self._context.enter_context(warnings.catch_warnings())
        # nbgrader's add_submission builds rows before adding them; SQLAlchemy 2 warns, harmlessly
        warnings.filterwarnings("ignore", message=".*not in session, add operation along.*")
        gradebook = self._gradebook = self._context.enter_context(Gradebook(f"sqlite:///{self.db_path.resolve()}"))
        # nbgrader commits after every row it creates; the file is rebuilt from the results on any rerun,
        # so it need not be flushed to disk at each of those commits
        gradebook.db.execute(text("PRAGMA synchronous = OFF"))
        assignment, notebook = self.assignment, self.notebook
        gradebook.update_or_create_assignment(assignment, duedate=self.due)   # this run's --due, or none
        try:
            existing = gradebook.find_notebook(notebook, assignment)
        except MissingEntry:
            existing = None
        if existing is not None:
            same = ({cell.name for cell in existing.grade_cells} == set(wanted_grades)
                    and {cell.name for cell in existing.solution_cells} == wanted_solutions)
            if not same:
                if existing.submissions:
                    self._context.close()
                    raise ReportError(
                        f"{self.db_path} already grades {assignment}/{notebook} with other cells and has "
                        "submissions; move it away to start a new gradebook"
                    )
                gradebook.remove_notebook(notebook, assignment)
                existing = None
        if existing is None:
            gradebook.add_notebook(notebook, assignment, kernelspec=json.dumps(KERNELSPEC))
        for name, (cell_type, points) in wanted_grades.items():
            gradebook.update_or_create_grade_cell(name, notebook, assignment, max_score=points, cell_type=cell_type)
        for name in wanted_solutions:
            gradebook.update_or_create_solution_cell(name, notebook, assignment)
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader")
            if meta:
                gradebook.update_or_create_source_cell(
                    meta["grade_id"], notebook, assignment, cell_type=cell.cell_type,
                    locked=meta["locked"], source=cell.source, checksum=meta["checksum"],
                )

    def add(self, result: SubmissionResult, late_percent: float = 0.0) -> None:
        """The student, their submission and the auto score of every hidden test (0 for tests that did not
        run); written answers wait for a grader, whose scores are kept on later imports. Committed per student:
        if anything fails, that student's changes are rolled back and the others' are kept.

        `late_percent` of the late policy becomes the notebook's late_submission_penalty, in points of its
        score (auto-graded and the hand scores recorded so far), as nbgrader's late-submission plugins record it."""
        try:
            self._add(result)
            self._penalise(result, late_percent)
            self._gradebook.db.commit()
        except BaseException:
            self._gradebook.db.rollback()
            raise

    def _add(self, result: SubmissionResult) -> None:
        check_tests_known([result], list(self.tests))
        gradebook, assignment, notebook = self._gradebook, self.assignment, self.notebook
        student = file_name(result.student)
        gradebook.update_or_create_student(student, **_student_details(result))
        if result.status in (MISSING, GRADER_ERROR):  # nothing submitted, or nothing graded: no scores to record
            return
        stamp = _timestamp(result.submitted_at)
        gradebook.update_or_create_submission(assignment, student, **({"timestamp": stamp} if stamp else {}))
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        grades = {grade.name: grade for grade in submitted.grades}
        comments = {comment.name: comment for comment in submitted.comments}
        earned = {verdict.name: float(verdict.points) for verdict in result.tests}
        for name in self.tests:
            grade = grades[grade_id_of_test(name)]
            grade.auto_score = earned.get(name, 0.0)
            grade.needs_manual_grade = grade.manual_score is not None
        answered = {answer.grade_id for answer in result.written if answer.answered}
        for question in self.questions:
            grade = grades[question.grade_id]
            grade.auto_score = None
            grade.needs_manual_grade = grade.manual_score is None
            comments[question.grade_id].auto_comment = None if question.grade_id in answered else "No response."
        if result.status in (TAMPERED, ERROR):
            submitted.flagged = True

    def _penalise(self, result: SubmissionResult, late_percent: float) -> None:
        """The late_submission_penalty of a submitted notebook: `late_percent` of its auto-graded and hand scores."""
        if result.status in (MISSING, GRADER_ERROR):
            return
        submitted = self._gradebook.find_submission_notebook(self.notebook, self.assignment, file_name(result.student))
        grades = {grade.name: grade for grade in submitted.grades}
        hand = sum(grades[q.grade_id].manual_score or 0.0 for q in self.questions if q.grade_id in grades)
        submitted.late_submission_penalty = late_percent_points(result.score + hand, late_percent)

    def close(self) -> Path:
        """Commit everything and close the database."""
        try:
            if self._gradebook is not None:
                self._gradebook.db.commit()
        finally:
            self._context.close()
        return self.db_path


def late_percent_points(score: float, percent: float) -> float:
    """The points `percent` takes off `score`: the gradebook's late_submission_penalty."""
    return score - score * (100.0 - percent) / 100.0 if percent else 0.0


def import_gradebook(results: Sequence[SubmissionResult], db_path: Path, *, assignment: str, notebook: str,
                     tests: Mapping[str, float], questions: Sequence[Question]) -> Path:
    """Create or update `db_path`: the assignment, its notebook's grade cells, the students, a submission for
    each student who submitted, and the auto score of every hidden test (0 for tests that did not run).
    Written answers get no score; they wait for a grader, whose scores are kept on later imports."""
    check_tests_known(results, list(tests))
    importer = GradebookImport(db_path, assignment=assignment, notebook=notebook, tests=tests, questions=questions)
    importer.open()
    try:
        for result in by_student(results):
            importer.add(result)
    finally:
        importer.close()
    return db_path


def _create_database(db_path: Path) -> None:
    """An empty gradebook, made the way `nbgrader.api.Gradebook` makes one (its tables, then the alembic
    version), but reading the alembic head in this process instead of running the `alembic` command."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.api import Base
    from nbgrader.dbutil import _temp_alembic_ini
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{db_path.resolve()}"
    with _temp_alembic_ini(url) as alembic_ini:
        head = ScriptDirectory.from_config(Config(alembic_ini)).get_current_head()
    engine = create_engine(url, future=True)
    try:
        Base.metadata.create_all(bind=engine)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
    finally:
        engine.dispose()


class NbgraderCourseWriter:
    """The nbgrader course folder, a student at a time: `open()`, `add(result)`, `close()` -> paths."""

    def __init__(self, course_dir: Path, *, assignment: str, notebook: str, module_title: str,
                 tests: Mapping[str, float], questions: Sequence[Question], due=None):
        safe_name(assignment, "assignment")
        safe_name(notebook, "notebook name")
        self.course_dir = course_dir
        self.assignment = assignment
        self.notebook = notebook
        self.module_title = module_title
        self.tests = dict(tests)
        self.questions = list(questions)
        self._source = grading_notebook(module_title, self.tests, self.questions)
        self._gradebook = GradebookImport(course_dir / DB_NAME, assignment=assignment, notebook=notebook,
                                          tests=self.tests, questions=self.questions, due=due)
        self.paths: list[Path] = []

    def open(self) -> None:
        config = self.course_dir / CONFIG_NAME
        if not config.exists():
            write_text(config, CONFIG_TEXT)
        self.paths.append(config)
        self._gradebook.open()
        source_path = self.course_dir / "source" / self.assignment / f"{self.notebook}.ipynb"
        self.paths.append(write_text(source_path, nbformat.writes(self._source) + "\n"))

    def add(self, result: SubmissionResult, late_percent: float = 0.0) -> None:
        self._gradebook.add(result, late_percent)
        if result.status in (MISSING, GRADER_ERROR):
            return
        graded = autograded_notebook(result, self.module_title, self.tests, self.questions, self._source)
        path = (self.course_dir / "autograded" / file_name(result.student) / self.assignment
                / f"{self.notebook}.ipynb")
        self.paths.append(write_text(path, nbformat.writes(graded) + "\n"))

    def close(self) -> list[Path]:
        self.paths.insert(1, self._gradebook.close())
        return self.paths
