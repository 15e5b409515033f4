"""Fixtures for tests that check the real course in this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tito.course import Course

ROOT = Path(__file__).resolve().parents[2]
COURSE = Course.load(ROOT)


def pytest_generate_tests(metafunc):
    """A test that takes `module` runs once per course module."""
    if "module" in metafunc.fixturenames:
        metafunc.parametrize("module", COURSE.modules, ids=[info.slug for info in COURSE.modules])


@pytest.fixture(scope="session")
def course() -> Course:
    return COURSE
