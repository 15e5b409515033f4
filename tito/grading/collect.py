"""The hidden tests of a suite and their points, found by pytest's own collection."""

from __future__ import annotations

import os

import pytest

from tito.errors import TitoError
from tito.grading.suite import HiddenSuite


class _Collector:
    def __init__(self):
        self.items = []

    def pytest_collection_finish(self, session):
        self.items = list(session.items)


def suite_tests(suite: HiddenSuite) -> list[tuple[str, float]]:
    """`(test name, points)` for every hidden test, in the order they run; a test without points is an error."""
    collector = _Collector()
    status = pytest.main(
        [str(suite.folder), "--collect-only", "-p", "no:cacheprovider", "-p", "no:terminal",
         "-p", "no:warnings", "-c", os.devnull, "--rootdir", str(suite.folder),
         # collected in the grader's own process: suites of other courses with the same file names must not clash
         "--import-mode=importlib"],
        plugins=[collector],
    )
    if status not in (0, 5) or not collector.items:
        raise TitoError(f"the hidden suite {suite.folder} could not be collected (pytest status {status})")
    tests = []
    for item in collector.items:
        marker = item.get_closest_marker("points")
        if marker is None or not marker.args:
            raise TitoError(f"hidden test {item.nodeid} has no @pytest.mark.points(n)")
        tests.append((item.name, float(marker.args[0])))
    names = [name for name, _ in tests]
    if len(set(names)) != len(names):
        raise TitoError(f"two hidden tests share a name in {suite.folder}; names must be unique")
    return tests
