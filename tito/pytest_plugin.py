"""tito's pytest plugin (registered through the `pytest11` entry point).

- the `points` marker every course test file uses;
- the `student` and `reference` fixtures of hidden suites (docs/hidden-suites.md). Outside a grading run,
  `student` is the reference package loaded in a real sandbox, so `tito test` exercises the grading path.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "points(n, grade_id=None): the points a test is worth when graded")


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
