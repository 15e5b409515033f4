"""A student's `tito` output piped into a file or another program: lines are not wrapped at 80 columns."""

from __future__ import annotations

import subprocess
import sys

from tito.workspace import start_module


def piped(course, *args: str, **env: str) -> str:
    """tito's standard output through a pipe, with no COLUMNS unless given."""
    done = subprocess.run([sys.executable, "-m", "tito.cli", "--root", str(course.paths.root), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={"PATH": "", **env})
    return done.stdout


def test_an_error_message_stays_on_one_line(built_course):
    """Is a long error message printed as one line when piped?"""
    lines = piped(built_course, "module", "complete", "alpha").splitlines()
    assert "error: workspace/01_alpha/alpha.ipynb does not exist; run `tito module start alpha` first" in lines


def test_the_report_table_keeps_each_test_on_one_line(built_course):
    """Is each test's row, with its whole message, one line of the piped report?"""
    start_module(built_course, built_course.module("alpha"))
    lines = piped(built_course, "module", "complete", "alpha").splitlines()
    rows = [line for line in lines if "test_doubler" in line]
    assert len(rows) == 1 and "Doubler.double: write this method (its docstring is the spec)" in rows[0], lines
    assert max(map(len, lines)) > 80


def test_columns_still_sets_the_width(built_course):
    """Does an explicit COLUMNS still wrap piped output at that width?"""
    lines = piped(built_course, "module", "complete", "alpha", COLUMNS="60").splitlines()
    assert max(map(len, lines)) <= 60
