"""Where a student stands on a module: the table of tests, points and written answers.

`tito module complete` prints it in the terminal. The check-up cell that ends every release notebook prints it
in the notebook: it calls `check_up`, which runs the visible tests defined in the student's kernel and reads the
written answers from the notebook as last saved.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tito.pytest_runner import FAILED, PASSED

NOT_RUN = "not run"
ANSWERED, NOT_ANSWERED = "answered", "not answered yet"
# What nbgrader's ClearSolutions leaves in a written-answer cell of the student notebook.
ANSWER_STUB = "YOUR ANSWER HERE"


@dataclass(frozen=True)
class TestOutcome:
    name: str
    grade_id: str
    points: float
    outcome: str
    message: str

    @property
    def earned(self) -> float:
        return self.points if self.outcome == PASSED else 0.0


@dataclass(frozen=True)
class WrittenState:
    """A written answer as the report shows it: `state` is ANSWERED, NOT_ANSWERED or why it cannot tell."""

    grade_id: str
    points: float
    state: str


def report(
    tests: Sequence[TestOutcome],
    written: Sequence[WrittenState],
    problem: Optional[str] = None,
) -> Group:
    """The table of tests, the problem if any, the auto-graded total and one line per written answer."""
    table = Table("test", "result", "points", "what happened")
    for test in tests:
        mark = Text("pass", "green") if test.outcome == PASSED else Text(test.outcome, "red")
        table.add_row(test.name, mark, f"{test.earned:g}/{test.points:g}", Text(test.message))
    parts: list = [table]
    if problem:
        parts.append(Text.assemble(("problem:", "red"), " ", problem))
    earned = sum(test.earned for test in tests)
    possible = sum(test.points for test in tests)
    passed = sum(test.outcome == PASSED for test in tests)
    parts.append(Text(f"Auto-graded: {earned:g}/{possible:g} points ({passed} of {len(tests)} tests passed)"))
    parts += [
        Text(f"Written answer {answer.grade_id} ({answer.points:g} points, graded by hand): {answer.state}")
        for answer in written
    ]
    return Group(*parts)


def print_report(
    console: Console,
    tests: Sequence[TestOutcome],
    written: Sequence[WrittenState],
    problem: Optional[str] = None,
) -> None:
    console.print(report(tests, written, problem))


def check_up(
    namespace: Mapping[str, object],
    module: str,
    notebook: str,
    tests: Mapping[str, float],
    written: Mapping[str, float],
    console: Optional[Console] = None,
) -> None:
    """Run each visible test found in `namespace` (the notebook's globals) and print the report.

    `tests` maps each visible test function to its points and `written` each written answer's grade_id to its
    points, in notebook order; the release build writes both into the check-up cell.
    """
    outcomes = [run_visible_test(namespace, name, points) for name, points in tests.items()]
    path = saved_notebook(namespace, notebook)
    parts: list = [
        Text(f"Check-up of {module}: its visible tests, run just now in this kernel (hidden tests run when graded)"),
        report(outcomes, written_states(path, written)),
    ]
    if written and path is not None:
        parts.append(Text(f"Written answers are read from {path.name} as last saved."))
    (console or Console()).print(Group(*parts))


def run_visible_test(namespace: Mapping[str, object], name: str, points: float) -> TestOutcome:
    """Call the test function `name` defined in the kernel; whatever it prints is not shown again."""
    test = namespace.get(name)
    if not callable(test):
        return TestOutcome(name, "", points, NOT_RUN, "not defined in this kernel yet: run the cells above first")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            test()
    except Exception as error:  # a failing test is reported, as pytest reports it, and the check-up goes on
        return TestOutcome(name, "", points, FAILED, describe_error(error))
    return TestOutcome(name, "", points, PASSED, "")


def describe_error(error: BaseException) -> str:
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def saved_notebook(namespace: Mapping[str, object], name: str) -> Optional[Path]:
    """The notebook file this kernel runs: Jupyter's `__session__` path, else `name` in the current folder."""
    session = namespace.get("__session__")
    candidates = [Path(session)] if isinstance(session, str) and session.endswith(".ipynb") else []
    candidates.append(Path.cwd() / name)
    return next((path for path in candidates if path.is_file()), None)


def written_states(path: Optional[Path], written: Mapping[str, float]) -> list[WrittenState]:
    """Whether each written answer is answered in the notebook file at `path`."""
    if not written:
        return []
    cells = _cells_by_grade_id(path) if path is not None else None
    if cells is None:
        why = "cannot tell (the notebook file was not found: save it, then run the check-up again)"
        return [WrittenState(grade_id, points, why) for grade_id, points in written.items()]
    states = []
    for grade_id, points in written.items():
        text = cells.get(grade_id, "").strip()
        state = ANSWERED if text and text != ANSWER_STUB else NOT_ANSWERED
        states.append(WrittenState(grade_id, points, state))
    return states


def _cells_by_grade_id(path: Path) -> Optional[dict[str, str]]:
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable file: the report says it cannot tell
        return None
    by_id = {}
    for cell in notebook.cells:
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        if isinstance(grade_id, str):
            by_id[grade_id] = cell.get("source", "")
    return by_id
