"""The result table of `tito module complete` (and of the notebook's check-up) in an 80-column terminal."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console

from tito.checkup import WrittenState, report
from tito.checkup import TestOutcome as Outcome  # a name pytest does not try to collect
from tito.workspace import start_module

sys.path.insert(0, str(Path(__file__).parent))
from students import tito  # noqa: E402

LONG_NAME = "test_train_simple_model_with_a_scheduler"
LONG_MESSAGE = (
    "AssertionError: after 3 steps of StepLR(step_size=2, gamma=0.5) the learning rate should be 0.05, got 0.1: "
    "does the scheduler count its first step?\nassert 0.1 == 0.05"
)


def rendered(renderable, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return out.getvalue().splitlines()


def outcomes() -> list[Outcome]:
    return [
        Outcome("test_sgd", "sgd", 10, "passed", ""),
        Outcome(LONG_NAME, "train", 8, "failed", LONG_MESSAGE),
        Outcome("test_adam", "adam", 15, "error", "NotImplementedError: Adam.update: write this method"),
    ]


def test_at_80_columns_every_line_fits_and_messages_go_below():
    """At 80 columns, does every line fit, with each test on one row and each message whole under the table?"""
    lines = rendered(report(outcomes(), [WrittenState("why-adam", 10, "answered")]), 80)
    assert max(map(len, lines)) <= 80
    assert lines[1].split("┃")[1:-1] == [" test                                     ", " result ", " points "]
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["test_sgd", LONG_NAME, "test_adam"]
    below = lines[lines.index("What happened:") + 1:]
    assert below[0] == f"  {LONG_NAME}:"
    assert " ".join(line.strip() for line in below[1:3]) == LONG_MESSAGE.splitlines()[0]
    assert below[3:6] == [
        "    assert 0.1 == 0.05", "  test_adam:", "    NotImplementedError: Adam.update: write this method",
    ]
    assert below[6:] == ["Auto-graded: 10/33 points (1 of 3 tests passed)",
                         "Written answer why-adam (10 points, graded by hand): answered"]


def test_on_a_wide_terminal_each_message_stays_in_its_row():
    """With room for the messages, is each one in the table, on its test's row?"""
    lines = rendered(report(outcomes(), []), 200)
    [adam] = [line for line in lines if "test_adam" in line]
    assert adam.split("│")[4].strip() == "NotImplementedError: Adam.update: write this method"
    assert "What happened:" not in lines


def test_tests_failing_with_the_same_message_are_listed_once():
    """When every test fails with one message (an unwritten constructor), is it printed once, not per test?"""
    stub = "NotImplementedError: Tensor.__init__: write this method (its docstring is the spec)"
    tests = [Outcome(f"test_tensor_{name}", name, 4, "failed", stub) for name in ("creation", "transpose", "sum")]
    lines = rendered(report(tests, []), 80)
    assert lines[lines.index("What happened:") + 1:][:3] == [
        "  all 3 tests:", "    NotImplementedError: Tensor.__init__: write this method (its docstring is",
        "    the spec)",
    ]
    assert sum(stub.split()[0] in line for line in lines) == 1


def test_a_name_wider_than_the_terminal_is_folded_not_cut():
    """Is a test name too long for the terminal broken across lines with none of it lost?"""
    name = "test_" + "a_very_long_name_" * 6
    lines = rendered(report([Outcome(name, "x", 1, "failed", "boom")], []), 60)
    assert max(map(len, lines)) <= 60 and "…" not in "".join(lines)
    cells = "".join(line.split("│")[1].strip() for line in lines if line.startswith("│"))
    assert cells == name


def test_tito_module_complete_at_80_columns(built_course):
    """Does `tito module complete` on an untouched notebook print lines of at most 80 columns, with its header
    and each message whole?"""
    start_module(built_course, built_course.module("beta"))
    done = tito(built_course, "module", "complete", "beta", columns=80)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80, done.stdout
    assert "  alpha: reference (you have not run `tito module complete alpha`)" in lines
    message = " ".join(line.split("│")[4].strip() for line in lines if line.startswith("│"))
    assert message.startswith("NotImplementedError: add_two: write this function (its docstring is the spec)")


def test_a_messages_own_indented_lines_stay_indented_when_wrapped():
    """Does a message line that starts indented (where in the notebook the error was raised) keep its indent on
    every line it wraps to?"""
    message = ("NotImplementedError: Tensor.__init__: write this method\n"
               "  in Tensor.__init__: cell `tensor-class` (cell 6), line 19: "
               "`raise NotImplementedError('Tensor.__init__: write this method (its docstring is the spec)')`")
    lines = rendered(report([Outcome("test_tensor_creation_and_dtype", "t", 6, "failed", message)], []), 80)
    below = lines[lines.index("What happened:") + 2:lines.index("Auto-graded: 0/6 points (0 of 1 tests passed)")]
    assert below[0] == "    NotImplementedError: Tensor.__init__: write this method"
    assert len(below) > 2 and all(line.startswith("      ") and line[6] != " " for line in below[1:])
    assert " ".join(line.strip() for line in below[1:]) == message.splitlines()[1].strip()
