"""Every real module, as a student meets it: released stubs fail, reference answers earn every point."""

from __future__ import annotations

import nbformat
import pytest

from tito.build.reference_fill import fill_with_reference
from tito.complete import complete_module
from tito.course import Course
from tito.workspace import notebook_path, start_module


@pytest.fixture
def student_course(course, tmp_path) -> Course:
    """The course checkout with a private, empty workspace."""
    return Course.load(course.paths.root, workspace=tmp_path / "workspace")


def test_the_released_notebook_fails_with_the_stub_messages(student_course, module):
    """Does an untouched release notebook fail every visible test with a NotImplementedError naming the function?"""
    start_module(student_course, module)
    report = complete_module(student_course, module, timeout=300)
    assert not report.all_passed and report.earned == 0
    for test in report.tests:
        assert test.outcome != "passed"
        assert "NotImplementedError" in test.message and "write this" in test.message, test


def test_the_reference_answers_earn_every_point(student_course, module):
    """Does the release notebook, filled in with the reference solutions, pass `tito module complete`?"""
    start_module(student_course, module)
    release = nbformat.read(student_course.paths.release / module.slug / module.notebook_name, as_version=4)
    source = nbformat.read(student_course.paths.source / module.slug / module.notebook_name, as_version=4)
    nbformat.write(fill_with_reference(release, source), notebook_path(student_course, module))
    report = complete_module(student_course, module, timeout=300)
    failures = [(test.name, test.message) for test in report.tests if test.outcome != "passed"]
    assert report.problem is None and not failures, failures
    assert report.earned == report.possible == module.auto_points
    assert all(answer.answered for answer in report.written)
