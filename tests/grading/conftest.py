"""Fixtures for grading tests: the two-module test course, exported and released."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from tito.build.reference_fill import fill_with_reference
from tito.course import Course
from tito.grading.collect import suite_tests
from tito.package import export_reference
from tito.release import release_module

TEMPLATE = Path(__file__).resolve().parents[1] / "tito" / "course"


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory) -> Course:
    """The tests/tito/course template, exported and released once per session (read-only for tests)."""
    root = tmp_path_factory.mktemp("graded") / "course"
    shutil.copytree(TEMPLATE, root)
    course = Course.load(root)
    for info in course.modules:
        export_reference(course, info)
        release_module(course, info)
    return course


@pytest.fixture(scope="session")
def alpha_notebooks(graded_course):
    """(release notebook, reference-answered notebook) of the alpha module."""
    info = graded_course.module("alpha")
    release = nbformat.read(graded_course.paths.release / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(graded_course.paths.source / info.slug / info.notebook_name, as_version=4)
    return release, fill_with_reference(release, source)


class SuiteOutcomes:
    """A pytest plugin that records each hidden test's outcome and, for failures, the message a student reads."""

    def __init__(self):
        self.passed: set[str] = set()
        self.failed: dict[str, str] = {}

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.rsplit("::", 1)[-1]
        if report.failed or report.skipped:
            crash = getattr(report.longrepr, "reprcrash", None)
            self.failed.setdefault(name, crash.message if crash is not None else str(report.longrepr))
        elif report.when == "call":
            self.passed.add(name)


def _run_suite(suite, sandbox, files: dict[str, str]) -> SuiteOutcomes:
    """Run a whole hidden suite with `student` bound to a sandbox session of the package `files`."""
    import os

    from tito.grading import fixtures

    session = sandbox.session(files, suite.probes_source, list(suite.module.exports))
    assert session.load_error is None, f"the package did not load: {session.load_error}"
    outcomes = SuiteOutcomes()
    fixtures.activate(session)
    try:
        pytest.main(
            # no:unraisableexception: its two full garbage collections per run would double the time
            [str(suite.folder), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:warnings",
             "-p", "no:unraisableexception", "--import-mode=importlib", "-c", os.devnull,
             "--rootdir", str(suite.folder)],
            plugins=[outcomes],
        )
    finally:
        fixtures.deactivate()
        session.close()
    return outcomes


def _edited(files: dict[str, str], path: str, edits) -> dict[str, str]:
    """`files` with the file at `path` edited; each edited text must occur exactly once in it."""
    files = dict(files)
    text = files[path]
    for old, new in edits:
        assert text.count(old) == 1, f"the reference {path} no longer holds {old!r} exactly once: update this edit"
        text = text.replace(old, new)
    files[path] = text
    return files


@pytest.fixture(scope="module")
def sandbox():
    """A sandbox as grading makes one (test_sandbox.py makes its own)."""
    from tito.sandbox.client import Sandbox

    box = Sandbox()
    yield box
    box.close()


@pytest.fixture(scope="session")
def collected_tests():
    """`collected_tests(suite) -> [(test, points)]`: suite_tests(suite), collected once per module per session
    (collection is a full pytest run)."""
    collected: dict[str, list[tuple[str, float]]] = {}

    def collect(suite) -> list[tuple[str, float]]:
        if suite.module.name not in collected:
            collected[suite.module.name] = suite_tests(suite)
        return collected[suite.module.name]

    return collect


@pytest.fixture
def run_suite():
    """`run_suite(suite, sandbox, files) -> SuiteOutcomes`: a hidden suite run against a package."""
    return _run_suite


@pytest.fixture
def edited_package():
    """`edited_package(files, path, edits) -> files`: a package with one file edited, each edit matched once."""
    return _edited
