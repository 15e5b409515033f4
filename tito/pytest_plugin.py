"""tito's pytest plugin: the `points` marker every course test file uses."""

from __future__ import annotations


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "points(n, grade_id=None): the points a test is worth when graded")
