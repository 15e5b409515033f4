"""Run pytest in a child process and read back what happened to each test (JUnit XML)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
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
) -> TestRun:
    """Run `test_files` with pytest in a fresh interpreter whose imports see `pythonpath` first.

    The run happens in a scratch folder with its own pytest.ini, so no project configuration
    or conftest.py near the tests changes what runs.
    """
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
            *extra_args,
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in pythonpath)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("MPLBACKEND", "Agg")
        try:
            completed = subprocess.run(
                command, cwd=scratch_dir, env=env, capture_output=True, text=True, timeout=timeout
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
