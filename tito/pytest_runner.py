"""Run pytest in a child process and read back what happened to each test (JUnit XML)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tito.cell_map import CellMaps, qualified_name

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
TEST_SECONDS = 30.0   # the longest one visible test may run (the slowest of the course takes about 2 s)
_INI = "[pytest]\nmarkers =\n    points(n, grade_id): points a test is worth\n"


@dataclass(frozen=True)
class TestResult:
    name: str
    outcome: str
    message: str = ""
    details: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED


@dataclass
class TestRun:
    results: list[TestResult] = field(default_factory=list)
    exit_code: int = 0
    output: str = ""
    timed_out: bool = False


def run_tests(
    test_files: list[Path],
    pythonpath: list[Path],
    timeout: float,
    extra_args: tuple[str, ...] = (),
    test_timeout: float | None = None,
) -> TestRun:
    """Run `test_files` with pytest in a fresh interpreter whose imports see `pythonpath` first.

    Each test may run `test_timeout` seconds (default: `timeout`, at most TEST_SECONDS): one that runs longer
    fails naming the function of the package in `pythonpath` it was stuck in, which is then stopped for the
    later tests (tito.pytest_time_limit). The run as a whole is stopped after `timeout` plus that limit.
    The run happens in a scratch folder with its own pytest.ini, so no project configuration
    or conftest.py near the tests changes what runs.
    """
    test_timeout = min(timeout, TEST_SECONDS) if test_timeout is None else test_timeout
    with tempfile.TemporaryDirectory(prefix="tito-pytest-") as scratch:
        scratch_dir = Path(scratch)
        (scratch_dir / "pytest.ini").write_text(_INI)
        report = scratch_dir / "report.xml"
        copies = []
        for test_file in test_files:
            copy = scratch_dir / test_file.name
            copy.write_bytes(test_file.read_bytes())
            copies.append(str(copy))
        command = [
            sys.executable, "-m", "pytest", *copies,
            "-c", str(scratch_dir / "pytest.ini"), "--rootdir", str(scratch_dir),
            "-p", "no:cacheprovider", "-q", "--tb=short", "-rN", f"--junitxml={report}",
            f"--tito-test-timeout={test_timeout:g}",
            f"--tito-package={os.pathsep.join(str(Path(path).resolve()) for path in pythonpath)}",
            *extra_args,
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in pythonpath)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("MPLBACKEND", "Agg")
        try:
            completed = subprocess.run(
                command, cwd=scratch_dir, env=env, capture_output=True, text=True, timeout=timeout + test_timeout
            )
        except subprocess.TimeoutExpired as expired:
            output = expired.stdout if isinstance(expired.stdout, str) else ""
            return TestRun(results=[], exit_code=-1, output=output, timed_out=True)
        results = read_junit(report) if report.exists() else []
        return TestRun(results=results, exit_code=completed.returncode, output=completed.stdout + completed.stderr)


def read_junit(report: Path) -> list[TestResult]:
    results = []
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome, message, details = PASSED, "", ""
        for tag, tag_outcome in (("failure", FAILED), ("error", ERROR), ("skipped", SKIPPED)):
            element = case.find(tag)
            if element is not None:
                outcome = tag_outcome
                message = element.get("message", "")
                details = element.text or ""
                break
        results.append(TestResult(case.get("name", "?"), outcome, message, details))
    return results


# -- what a failed test says, for a student ------------------------------------------------------------------
_FRAME = re.compile(r"^(?P<file>\S.*?):(?P<line>\d{1,9}): in (?P<name>\S+)$")
_ERROR_LINE = re.compile(r"^E(?: {1,3}|$)(?P<text>.*)$")
_TIME_LIMIT = re.compile(r"^(?:[\w.]+\.)?(?:CallTimedOut|LeashExpired|StoppedAfterTimeout): ")   # tito.sandbox.stopping
_JUNIT_CUT = re.compile(r"\n\[(?:\+\d+ more lines?|truncated); full report in element text\]$")
MESSAGE_LINES = 6       # the most lines of an exception's text a message keeps
MESSAGE_CHARS = 600


def timed_out(result: TestResult) -> bool:
    """Whether a test failed because it ran out of its whole time limit (not of a leash: that came later)."""
    return "CallTimedOut: " in result.details or "CallTimedOut: " in result.message


def failure_summary(result: TestResult, maps: CellMaps | None = None, files: dict[str, str] | None = None) -> str:
    """A failed test as a student reads it: the assertion's own message (else the comparison pytest shows,
    without its reprs of functions), or the exception raised, and where in the notebook the student's code
    raised it (`maps`: the cells of the exported files; `files`: their text, target -> text, to name a
    method by its class). Nothing of pytest's own: no `+ where <function allclose at 0x...>`, no junit
    notes."""
    frames, error_lines = _read_details(result.details)
    text = "\n".join(error_lines).strip() if error_lines else _JUNIT_CUT.sub("", result.message).strip()
    message = _exception_text(text)
    where = _student_frame(frames, maps, files or {})
    return message + (f"\n  {where}" if where else "")


def _read_details(details: str) -> tuple[list[tuple[str, int, str]], list[str]]:
    """(file, line, function) of each frame of a --tb=short traceback, outermost first, and its `E` lines."""
    frames, errors = [], []
    for line in details.splitlines():
        frame = _FRAME.match(line)
        if frame:
            frames.append((frame["file"], int(frame["line"]), frame["name"]))
            continue
        error = _ERROR_LINE.match(line)
        if error:
            errors.append(error["text"])
    return frames, errors


def _exception_text(text: str) -> str:
    """The exception's own words: an assertion's message alone; a bare assert's comparison with the values
    pytest found, minus the lines that show functions as `<function ... at 0x...>`; a time limit's message
    alone."""
    text = _TIME_LIMIT.sub("", text, count=1)
    if text.startswith("AssertionError: ") and "\nassert " in text:
        text = text.split("\nassert ", 1)[0][len("AssertionError: "):]
    elif text.startswith("AssertionError: assert ") or text.startswith("assert "):
        text = text.removeprefix("AssertionError: ")
        kept = [line for line in text.splitlines() if " at 0x" not in line]
        text = "\n".join(line.strip() if line.lstrip().startswith("+") else line for line in kept)
    lines = text.strip().splitlines()
    if len(lines) > MESSAGE_LINES:
        lines = [*lines[:MESSAGE_LINES], f"[... {len(lines) - MESSAGE_LINES} more lines]"]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 3] + "..."


def _student_frame(frames: list[tuple[str, int, str]], maps: CellMaps | None, files: dict[str, str]) -> str:
    """`in Adam.step: cell `adam` (cell 27), line 12: `...`` for the innermost frame of the student's package
    below the test's own frames; "" when the error is the test's (an assertion) or the map knows no frame."""
    if maps is None:
        return ""
    last_test = max((index for index, (file, _, _) in enumerate(frames) if "/tinytorch/" not in file
                     and file.replace("\\", "/").rsplit("/", 1)[-1].startswith("test_")), default=-1)
    for file, line, name in reversed(frames[last_test + 1:]):
        origin = maps.locate(file, line)
        if origin is None:
            continue
        if name == "<module>":
            return f"at {origin.describe()}"
        cell_map = maps.for_file(file)
        text = files.get(cell_map.target, "") if cell_map is not None else ""
        return f"in {qualified_name(text, line, name)}: {origin.describe()}"
    return ""
