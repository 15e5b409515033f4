"""`--executor dask` with a scheduler that cannot be reached: one line saying so, exit code 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tito.errors import TitoError
from tito.grading.executors import open_pool
from tito.grading.job import GradingConfig

pytest.importorskip("distributed")


def refused_address() -> str:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def test_an_unreachable_scheduler_is_a_tito_error_naming_it():
    """Is a scheduler that refuses connections, or an address that is none, a TitoError naming the address?"""
    config = GradingConfig(course_root="/nowhere", module="alpha", limits={})
    address = refused_address()
    with pytest.raises(TitoError, match=f"^cannot reach the Dask scheduler at {address}: "):
        open_pool(config, 1, "dask", address, connect_timeout=2)
    with pytest.raises(TitoError, match="^cannot reach the Dask scheduler at nowhere://x: "):
        open_pool(config, 1, "dask", "nowhere://x", connect_timeout=2)


def test_the_cli_says_it_in_one_line_and_exits_2(graded_course, alpha_notebooks, tmp_path):
    """Does `tito grade --executor dask --scheduler ADDRESS` print one error line (no traceback, nothing on stderr)
    and exit with code 2, writing no grades?"""
    import nbformat

    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(alpha_notebooks[1], folder / "alice.ipynb")
    address = refused_address()
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "alpha", str(folder),
         "--out", str(tmp_path / "out"), "--executor", "dask", "--scheduler", address],
        capture_output=True, text=True,
        env={"COLUMNS": "300", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: cannot reach the Dask scheduler at {address}: ")
    assert "Traceback" not in done.stdout + done.stderr and done.stderr.strip() == ""
    assert [line for line in done.stdout.splitlines() if line.strip()][-1] == errors[0]
    assert not (tmp_path / "out" / "grades.csv").exists()
