"""Fixtures for the tito tests: a small throwaway course built from tests/tito/course."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tito.course import Course
from tito.package import export_reference
from tito.release import release_module

COURSE_TEMPLATE = Path(__file__).parent / "course"
collect_ignore = ["course"]  # a course template, collected only inside the copies the tests make


@pytest.fixture
def mini_course(tmp_path: Path) -> Course:
    """A fresh copy of the two-module test course (alpha, beta), not yet exported or built."""
    root = tmp_path / "course"
    shutil.copytree(COURSE_TEMPLATE, root)
    return Course.load(root)


@pytest.fixture
def write_source():
    """A function that replaces a module's `_dev.py` with some text and returns its path."""

    def write(course: Course, name: str, text: str) -> Path:
        path = course.module(name).dev_path
        path.write_text(text)
        return path

    return write


@pytest.fixture
def built_course(mini_course):
    """The mini course exported and released, as an instructor leaves it."""
    for info in mini_course.modules:
        export_reference(mini_course, info)
        release_module(mini_course, info)
    return mini_course
