"""The instructor's first commands on this checkout, through the real CLI."""

from __future__ import annotations

import subprocess
import sys


def tito(course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(course.paths.root), *args],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_module_list_shows_every_module_with_its_points(course):
    """Does `tito module list` show each module, its title and its points?"""
    done = tito(course, "module", "list")
    assert done.returncode == 0, done.stderr
    for info in course.modules:
        line = next(line for line in done.stdout.splitlines() if info.slug in line)
        assert info.title in line and f"{info.auto_points:g}" in line


def test_module_status_says_everything_is_built(course):
    """Does `tito module status` report every module's package and notebooks up to date?"""
    done = tito(course, "module", "status")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if any(info.slug in line for info in course.modules)]
    assert len(rows) == len(course.modules)
    assert all(row.count("up to date") == 2 for row in rows), done.stdout


def test_an_unknown_module_lists_the_known_ones(course):
    """Does a typo exit non-zero and list every module?"""
    done = tito(course, "export", "optimisers")
    assert done.returncode == 2
    assert "unknown module 'optimisers'" in done.stdout
    assert all(info.slug in done.stdout.replace("\n", "") for info in course.modules)
