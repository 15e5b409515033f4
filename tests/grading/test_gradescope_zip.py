"""The Gradescope zip of the course's own optimizers module holds what grading it needs and nothing else."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.reports.gradescope import build_autograder_zip

ROOT = Path(__file__).resolve().parents[2]

# Everything the zip may hold, as patterns over its entries: tito and what pip needs to install it, the
# module.yaml of optimizers and its prerequisites, the optimizers suite and release, and the reference files
# of tensor, autograd and optimizers.
ALLOWED = [
    r"setup\.sh", r"run_autograder",
    r"course/pyproject\.toml", r"course/README\.md",
    r"course/tito/(.+/)?[A-Za-z0-9_]+\.py",
    r"course/modules/0[123]_(tensor|autograd|optimizers)/module\.yaml",
    r"course/autograder/03_optimizers/(probes|test_[a-z_]+|[a-z_]+_checks)\.py",
    r"course/release/03_optimizers/(manifest\.json|optimizers\.ipynb)",
    r"course/source/03_optimizers/optimizers\.ipynb",
    r"course/tinytorch/(core/)?__init__\.py",
    r"course/tinytorch/core/(tensor|autograd|optimizers)\.py",
]


@pytest.fixture(scope="module")
def names(tmp_path_factory) -> list[str]:
    course = Course.load(ROOT)
    bundle = build_autograder_zip(course, course.module("optimizers"), tmp_path_factory.mktemp("zip") / "ag.zip")
    with zipfile.ZipFile(bundle) as archive:
        return archive.namelist()


def test_no_module_source_is_shipped(names):
    """Is no `*_dev.py` (a module's source, with its solutions) in the zip?"""
    assert [name for name in names if name.endswith("_dev.py")] == []


def test_no_other_modules_suite_or_release_is_shipped(names):
    """Are the only hidden suite and release folder in the zip those of optimizers?"""
    suites = {name.split("/")[2] for name in names if name.startswith("course/autograder/")}
    releases = {name.split("/")[2] for name in names if name.startswith("course/release/")}
    assert suites == {"03_optimizers"} and releases == {"03_optimizers"}


def test_every_file_is_one_grading_needs(names):
    """Does every entry match what grading optimizers reads, and is each needed piece there?"""
    unexpected = [name for name in names if not any(re.fullmatch(pattern, name) for pattern in ALLOWED)]
    assert unexpected == []
    for pattern in ALLOWED:
        assert any(re.fullmatch(pattern, name) for name in names), pattern
    needed = {"course/autograder/03_optimizers/probes.py", "course/tinytorch/core/optimizers.py",
              "course/tinytorch/core/tensor.py", "course/tinytorch/core/autograd.py",
              "course/release/03_optimizers/manifest.json", "course/tito/cli.py"}
    assert needed <= set(names)
