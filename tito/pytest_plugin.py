"""tito's pytest plugin (registered through the `pytest11` entry point).

- the `points` marker every course test file uses;
- the `student` and `reference` fixtures of hidden suites (docs/hidden-suites.md). Outside a grading run,
  `student` is the reference package loaded in a real sandbox, so `tito test` exercises the grading path;
- with `--tito-test-timeout=SECONDS` (`tito module complete` passes it), a time limit per test: a test that
  runs longer fails, naming the function of the package it was stuck in, and that function is stopped (it
  raises at once when a later test calls it), so code that never ends costs one limit, not one per test.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "points(n, grade_id=None): the points a test is worth when graded")


def pytest_addoption(parser) -> None:
    group = parser.getgroup("tito")
    group.addoption("--tito-test-timeout", type=float, default=0.0, metavar="SECONDS",
                    help="fail a test that runs longer, naming the package function it was stuck in (0: no limit)")
    group.addoption("--tito-package", default="", metavar="FOLDERS",
                    help="the folders (separated like PYTHONPATH) holding the tinytorch package under test")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    seconds = item.config.getoption("tito_test_timeout", 0.0) or 0.0
    if seconds <= 0:
        yield
        return
    from tito.pytest_time_limit import TimeLimit

    with TimeLimit(item.name, seconds, item.config.getoption("tito_package", "")):
        yield


@pytest.fixture
def student(request):
    """The submission under test, reached through its sandbox: `student.some_probe(**kwargs)`."""
    from tito.grading import fixtures

    return fixtures.student_for(Path(str(request.path)).parent)


@pytest.fixture
def reference(request):
    """The same probes run on the reference package in this process (cached)."""
    from tito.grading import fixtures

    return fixtures.reference_for(Path(str(request.path)).parent)


def pytest_sessionfinish(session, exitstatus) -> None:
    import sys

    fixtures = sys.modules.get("tito.grading.fixtures")
    if fixtures is not None:
        fixtures.close_all()
