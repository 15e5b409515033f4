"""Running a hidden suite the ways the suite tests need: against the untouched release notebook, and with a
`student` that is not a sandbox (a forger of probe reports)."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from tito.grading import fixtures
from tito.grading.prepare import prepare_submission
from tito.package import package_texts


def release_package(suite) -> dict[str, str]:
    """The package a student hands in with the release notebook untouched: `relative path -> text`."""
    release = suite.course.paths.release / suite.module.slug
    notebook = release / suite.module.notebook_name
    prepared = prepare_submission(notebook.read_bytes(), nbformat.read(notebook, as_version=4),
                                  json.loads((release / "manifest.json").read_text()), suite.module.exports,
                                  "the release notebook")
    assert prepared.problem is None, prepared.problem
    return package_texts(suite.course, suite.module, prepared.exports)


class Outcomes:
    """A pytest plugin recording which tests ran and which passed; `code` is pytest's exit code."""

    def __init__(self):
        self.passed: set[str] = set()
        self.ran: set[str] = set()
        self.code = None

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.ran.add(report.nodeid.rsplit("::", 1)[-1])
            if report.passed:
                self.passed.add(report.nodeid.rsplit("::", 1)[-1])


def run_with(suite, student) -> Outcomes:
    """The whole suite run in this process with the `student` fixture bound to `student`."""
    fixtures.activate(student)
    outcomes = Outcomes()
    try:
        outcomes.code = pytest.main(
            [str(suite.folder), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:warnings",
             "--import-mode=importlib", "-c", os.devnull, "--rootdir", str(suite.folder)], plugins=[outcomes])
    finally:
        fixtures.deactivate()
    return outcomes
