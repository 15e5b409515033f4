"""`tito module reset`: the released notebook back, the student's copy moved aside, the package on the reference."""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

from tito.complete import complete_module
from tito.export import target_path
from tito.reset import reset_module, set_aside_path
from tito.workspace import notebook_path, package_root, start_module

sys.path.insert(0, str(Path(__file__).parent))
from students import QUIRKY_ALPHA, answer_with_reference, edit_solution, tito  # noqa: E402


def passed_quirky_alpha(course) -> Path:
    """Start alpha and beta, make alpha pass with code beta can tell apart, and return alpha's notebook."""
    for name in ("alpha", "beta"):
        start_module(course, course.module(name))
        answer_with_reference(course, name)
    edit_solution(course, "alpha", "add-one", QUIRKY_ALPHA)
    assert complete_module(course, course.module("alpha")).all_passed
    return notebook_path(course, course.module("alpha"))


def test_reset_moves_the_notebook_aside_and_copies_the_release_in(built_course):
    """Is the student's notebook kept, byte for byte, under a name with the time, and the released one put back?"""
    info = built_course.module("alpha")
    notebook = passed_quirky_alpha(built_course)
    before = notebook.read_bytes()
    done = reset_module(built_course, info)
    assert done.moved_to is not None and done.moved_to.read_bytes() == before
    assert done.moved_to.parent == notebook.parent
    assert re.fullmatch(r"alpha-before-reset-\d{4}-\d\d-\d\d-\d{6}\.ipynb", done.moved_to.name)
    release = built_course.paths.release / info.slug / info.notebook_name
    assert notebook.read_bytes() == release.read_bytes()


def test_reset_puts_the_package_back_on_the_reference(built_course):
    """After a reset, does the workspace package hold the reference module, and does the next module use it?"""
    passed_quirky_alpha(built_course)
    complete_module(built_course, built_course.module("beta"))  # on the student's alpha
    done = reset_module(built_course, built_course.module("alpha"))
    student_file = target_path(package_root(built_course), "core.alpha")
    assert done.reference_files == (student_file,)
    assert student_file.read_text() == target_path(built_course.paths.package_root, "core.alpha").read_text()
    report = complete_module(built_course, built_course.module("beta"))
    assert report.all_passed
    assert report.package.sources[0].line() == "alpha: reference (you have not run `tito module complete alpha`)"


def test_reset_keeps_the_old_record(built_course):
    """Is the module's record (its score and the code that passed) kept under set_aside, not deleted?"""
    passed_quirky_alpha(built_course)
    done = reset_module(built_course, built_course.module("alpha"))
    assert done.previous.passed is not None and done.previous.last.score == "15/15"
    record = json.loads(done.record.read_text())
    assert "alpha" not in record["modules"]
    [aside] = record["set_aside"]
    assert aside["module"] == "alpha" and aside["notebook_moved_to"] == f"workspace/01_alpha/{done.moved_to.name}"
    assert "x + 10" in aside["passed"]["code"]["core.alpha"]


def test_reset_without_a_notebook_copies_the_release(built_course):
    """With no workspace notebook (the folder deleted), does reset still put the release notebook in place?"""
    done = reset_module(built_course, built_course.module("alpha"))
    assert done.moved_to is None and done.notebook.exists()


def test_two_resets_in_one_second_keep_both_copies(tmp_path):
    """Does a second copy set aside at the same second get a name of its own?"""
    notebook = tmp_path / "alpha.ipynb"
    at = datetime.datetime(2026, 12, 2, 9, 10, 0)
    first = set_aside_path(notebook, at)
    first.write_text("first")
    assert first.name == "alpha-before-reset-2026-12-02-091000.ipynb"
    assert set_aside_path(notebook, at).name == "alpha-before-reset-2026-12-02-091000-2.ipynb"


def test_reset_through_the_cli_says_what_it_did(built_course):
    """Does `tito module reset` say where the old notebook went and that the reference is used from now on?"""
    passed_quirky_alpha(built_course)
    done = tito(built_course, "module", "reset", "alpha")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"Moved your notebook to workspace/01_alpha/alpha-before-reset-[\d-]+\.ipynb", lines[0])
    assert lines[1] == "Copied the released notebook to workspace/01_alpha/alpha.ipynb"
    assert lines[2] == "Your package uses the reference alpha from now on."
    assert re.fullmatch(r"Your code that passed [\d-]+ [\d:]+ is no longer used; it is kept under set_aside in "
                        r"workspace/progress\.json\.", lines[3])
