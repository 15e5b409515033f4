"""A small graded class, built by hand: every status, a perfect score, and markup where text is shown."""

from __future__ import annotations

import json

import pytest

from tito.course import Course
from tito.grading.result import SubmissionResult, TestVerdict, WrittenAnswer
from tito.modules import ModuleInfo
from tito.paths import CoursePaths

TESTS = {"test_sgd": 4.0, "test_adam": 6.0, "test_clipping": 2.5}
MAX = sum(TESTS.values())
SCRIPT = "<script>alert('x')</script>"

MANIFEST = {
    "module": "03_optimizers",
    "notebook": "optimizers.ipynb",
    "cells": [
        {"grade_id": "sgd-class", "index": 3, "kind": "solution", "points": 0.0, "cell_type": "code"},
        {"grade_id": "test-sgd", "index": 4, "kind": "test", "points": 10.0, "cell_type": "code", "test": "test_sgd"},
        {"grade_id": "question-plateau", "index": 9, "kind": "written", "points": 5.0, "cell_type": "markdown"},
        {"grade_id": "question-memory", "index": 7, "kind": "written", "points": 10.0, "cell_type": "markdown"},
    ],
}


def verdict(name: str, passed: bool, message: str = "") -> TestVerdict:
    points = TESTS[name]
    return TestVerdict(name=name, max_points=points, points=points if passed else 0.0, passed=passed, message=message)


def answers(memory: str = "", plateau: str = "") -> list[WrittenAnswer]:
    return [
        WrittenAnswer("question-memory", 10.0, memory, bool(memory)),
        WrittenAnswer("question-plateau", 5.0, plateau, bool(plateau)),
    ]


def make_class() -> list[SubmissionResult]:
    return [
        SubmissionResult(
            student="ada", status="graded", max_score=MAX, name="Ada Lovelace", email="ada@example.org",
            submitted_at="2024-03-01T12:00:00+00:00",
            tests=[verdict("test_sgd", True), verdict("test_adam", True), verdict("test_clipping", True)],
            written=answers("Adam keeps two buffers per parameter.", "Lower the rate when the loss stalls."),
        ),
        SubmissionResult(
            student="bob", status="graded", max_score=MAX, name="Bob",
            tests=[verdict("test_sgd", True), verdict("test_adam", False, "Adam, 3 steps: expected 0.5, got 0.25"),
                   verdict("test_clipping", False, "clip_grad_norm raised ValueError: bad norm")],
            notes=["the probe timed out after 20 s in test_clipping"],
            written=answers("Two buffers."),
        ),
        SubmissionResult(
            student="eve@example.com", status="tampered", max_score=MAX,
            tests=[verdict("test_sgd", False, "not graded: tampered"), verdict("test_adam", True),
                   verdict("test_clipping", False, "not graded: tampered")],
            notes=["cell test-sgd was changed (checksum differs)", "export of cell 12 was ignored"],
        ),
        SubmissionResult(
            student="mallory", status="graded", max_score=MAX, name=f"Mal {SCRIPT}", email="m@example.org",
            tests=[verdict("test_sgd", True), verdict("test_adam", False, f"expected <b>1</b>, got {SCRIPT}"),
                   verdict("test_clipping", True)],
            notes=[f"printed {SCRIPT} & more"],
            output=f"<img src=x onerror=alert(1)>\n{SCRIPT}",
            written=answers(f"My answer {SCRIPT}", "plain"),
        ),
        SubmissionResult(
            student="carl", status="error", max_score=MAX,
            problem="the notebook does not run: SyntaxError in cell 7", output="Traceback ...",
        ),
        # as the engine lists a missing student: every test failed with "no submission"
        SubmissionResult(student="dan", status="missing", max_score=MAX, name="Dan Missing",
                         tests=[verdict(name, False, "no submission") for name in TESTS]),
    ]


@pytest.fixture
def graded_class() -> list[SubmissionResult]:
    return make_class()


@pytest.fixture
def by_id(graded_class) -> dict[str, SubmissionResult]:
    return {result.student: result for result in graded_class}


@pytest.fixture(scope="session")
def class_factory():
    """`make_class`, for fixtures broader than one test: each call builds the class afresh."""
    return make_class


@pytest.fixture(scope="session")
def tests() -> dict[str, float]:
    """The hidden tests of the class above with their points, in suite order."""
    return dict(TESTS)


@pytest.fixture(scope="session")
def manifest() -> dict:
    """A release manifest with two written questions (listed out of notebook order)."""
    return MANIFEST


@pytest.fixture(scope="session")
def report_course(tmp_path_factory, manifest):
    """`(course, module)`: a course checkout holding only module 03_optimizers and its release manifest."""
    root = tmp_path_factory.mktemp("course")
    folder = root / "modules" / "03_optimizers"
    folder.mkdir(parents=True)
    (root / "release" / "03_optimizers").mkdir(parents=True)
    (root / "release" / "03_optimizers" / "manifest.json").write_text(json.dumps(manifest))
    module = ModuleInfo(name="optimizers", number=3, title="Optimizers", summary="", prerequisites=(),
                        exports=(), auto_points=MAX, manual_points=15.0, folder=folder)
    return Course(paths=CoursePaths(root=root, workspace=root / "workspace"), modules=[module]), module


@pytest.fixture(scope="session")
def written_course(tmp_path_factory, class_factory, tests, report_course):
    """`write_all` run once on the class (a new gradebook costs nbgrader a few seconds): `(folder, paths)`."""
    from tito.grading.reports import write_all

    course, module = report_course
    out = tmp_path_factory.mktemp("grades")
    paths = write_all(class_factory(), out, course=course, module=module, tests=list(tests.items()))
    return out, paths
