"""Where a student stands on a module: the table of tests, points and written answers.

`tito module complete` prints it in the terminal. The check-up cell that ends every release notebook prints it
in the notebook: it calls `check_up`, which runs the visible tests defined in the student's kernel and reads the
written answers from the notebook as last saved.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from rich.console import Console, ConsoleOptions, Group, RenderResult
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


# Below this many columns for "what happened", the messages go under the table instead (an 80-column terminal).
MESSAGE_COLUMN_MIN = 40


def report(
    tests: Sequence[TestOutcome],
    written: Sequence[WrittenState],
    problem: Optional[str] = None,
) -> "Report":
    """The table of tests, the problem if any, the auto-graded total and one line per written answer."""
    return Report(tuple(tests), tuple(written), problem)


@dataclass(frozen=True)
class Report:
    """The report as rich renders it, laid out for the width it is given: each test's message in the table
    when the table leaves it MESSAGE_COLUMN_MIN columns, otherwise under the table, once per run of tests
    that failed with the same message."""

    tests: tuple[TestOutcome, ...]
    written: tuple[WrittenState, ...]
    problem: Optional[str] = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        inline = self.messages_fit(options.max_width)
        table = Table("test", "result", "points", *(["what happened"] if inline else []))
        table.columns[0].overflow = "fold"  # a long test name breaks across lines, never loses its end
        for test in self.tests:
            mark = Text("pass", "green") if test.outcome == PASSED else Text(test.outcome, "red")
            message = [Text(test.message)] if inline else []
            table.add_row(test.name, mark, f"{test.earned:g}/{test.points:g}", *message)
        yield table
        if not inline:
            yield from self._messages_below(options.max_width)
        if self.problem:
            yield Text.assemble(("problem:", "red"), " ", self.problem)
        earned = sum(test.earned for test in self.tests)
        possible = sum(test.points for test in self.tests)
        passed = sum(test.outcome == PASSED for test in self.tests)
        yield Text(f"Auto-graded: {earned:g}/{possible:g} points ({passed} of {len(self.tests)} tests passed)")
        for answer in self.written:
            yield Text(f"Written answer {answer.grade_id} ({answer.points:g} points, graded by hand): {answer.state}")

    def messages_fit(self, width: int) -> bool:
        """Whether a table `width` columns wide leaves the messages MESSAGE_COLUMN_MIN columns."""
        name = max((len(test.name) for test in self.tests), default=0)
        result = max((len(test.outcome) for test in self.tests), default=0)
        points = max((len(f"{test.earned:g}/{test.points:g}") for test in self.tests), default=0)
        # 4 columns: 5 rules and one space of padding either side of each
        used = max(name, len("test")) + max(result, len("result")) + max(points, len("points")) + 5 + 8
        return width - used >= MESSAGE_COLUMN_MIN

    def _messages_below(self, width: int) -> RenderResult:
        failed = [test for test in self.tests if test.message]
        if not failed:
            return
        yield Text("What happened:")
        groups: list[tuple[list[str], str]] = []
        for test in failed:
            if groups and groups[-1][1] == test.message:
                groups[-1][0].append(test.name)
            else:
                groups.append(([test.name], test.message))
        for names, message in groups:
            heading = f"all {len(names)} tests" if len(names) == len(self.tests) > 1 else ", ".join(names)
            yield Text(_indented(heading + ":", 2, width), "bold")
            yield Text(_indented(message, 4, width))


def _indented(text: str, indent: int, width: int) -> str:
    """`text` wrapped to `width` columns, every line indented; its own line breaks and indents are kept."""
    pad = " " * indent
    return "\n".join(
        textwrap.fill(line.strip(), width, initial_indent=pad + _leading(line), subsequent_indent=pad + _leading(line))
        for line in text.splitlines()
    )


def _leading(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


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
    """What `tito module complete` shows for the same failure: an assertion's own message alone, else the
    exception's type and message."""
    message = str(error).strip()
    if isinstance(error, AssertionError) and message:
        return message
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
