"""Fixtures for grading tests: the two-module test course, exported and released."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from tito.build.reference_fill import fill_with_reference
from tito.course import Course
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
