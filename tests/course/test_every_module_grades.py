"""Every module with a hidden suite can be graded by `tito grade`: the reference earns everything."""

from __future__ import annotations

import nbformat
import pytest

from tito.build.reference_fill import fill_with_reference
from tito.grading.grade import grade_class
from tito.sandbox.limits import Limits


def test_tito_grade_gives_the_reference_full_marks_and_the_blank_notebook_nothing(course, module, tmp_path):
    """Graded through the whole pipeline (sandbox included), does the reference score the module's points,
    and does the untouched student notebook score nothing (points go only to code students write)?"""
    if not (course.paths.autograder / module.slug).is_dir():
        pytest.fail(f"{module.slug} has no hidden suite in autograder/")
    release = nbformat.read(course.paths.release / module.slug / module.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(fill_with_reference(release, source), folder / "reference.ipynb")
    nbformat.write(release, folder / "blank.ipynb")
    run = grade_class(course, module, folder, tmp_path / "out", limits=Limits(call_seconds=30))
    results = {result.student: result for result in run.results}
    reference = results["reference"]
    assert reference.status == "graded" and reference.notes == []
    failed = [(test.name, test.message) for test in reference.tests if not test.passed]
    assert not failed, failed
    assert reference.score == reference.max_score == module.auto_points
    assert results["blank"].score == 0, [test.name for test in results["blank"].tests if test.passed]
