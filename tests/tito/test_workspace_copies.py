"""Which copy of a notebook `tito module complete` checks when the student edited another one."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat

from tito.build.reference_fill import fill_with_reference
from tito.complete import complete_module
from tito.release import load_manifest
from tito.workspace import choose_notebook, notebook_path, start_module


def tito(course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(course.paths.root), *args],
        capture_output=True, text=True, env={"PATH": ""},
    )


def answer(course, path, saved_at: float) -> None:
    """Write the reference answers into `path` and date it `saved_at`."""
    info = course.module("alpha")
    release = nbformat.read(course.paths.release / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / info.slug / info.notebook_name, as_version=4)
    nbformat.write(fill_with_reference(release, source), path)
    os.utime(path, (saved_at, saved_at))


def test_an_answered_release_copy_saved_later_is_named(built_course):
    """When the release copy holds answers saved after the workspace copy, does `complete` check the workspace
    copy and say plainly that the release copy was saved later, and how to use it?"""
    info = built_course.module("alpha")
    workspace, _ = start_module(built_course, info)
    os.utime(workspace, (time.time() - 3600, time.time() - 3600))
    release = built_course.paths.release / info.slug / info.notebook_name
    answer(built_course, release, time.time())
    done = tito(built_course, "module", "complete", "alpha")
    out = " ".join(done.stdout.split())
    assert done.returncode == 1  # the workspace copy, still blank, was checked
    assert "Checked workspace/01_alpha/alpha.ipynb" in out
    assert ("warning: release/01_alpha/alpha.ipynb has 2 answer cell(s) of its own and was saved after "
            "workspace/01_alpha/alpha.ipynb") in out
    assert "cp release/01_alpha/alpha.ipynb workspace/01_alpha/alpha.ipynb" in out


def test_a_copy_saved_before_the_workspace_notebook_is_not_mentioned(built_course):
    """Is an older copy with answers (or the untouched release notebook) left unmentioned?"""
    info = built_course.module("alpha")
    workspace, _ = start_module(built_course, info)
    answer(built_course, workspace, time.time())
    answer(built_course, workspace.with_name("alpha-Copy1.ipynb"), time.time() - 3600)
    report = complete_module(built_course, info)
    assert report.notebook == workspace and report.newer_copies == ()
    assert report.all_passed


def test_a_copy_in_the_workspace_folder_counts_too(built_course):
    """Is a second notebook saved later in the module's workspace folder (a 'Copy1') named?"""
    info = built_course.module("alpha")
    workspace, _ = start_module(built_course, info)
    os.utime(workspace, (time.time() - 60, time.time() - 60))
    copy = workspace.with_name("alpha-Copy1.ipynb")
    answer(built_course, copy, time.time())
    (workspace.parent / "notes.ipynb").write_text("not a notebook")
    chosen = choose_notebook(built_course, info, load_manifest(built_course, info))
    assert chosen.path == workspace
    assert [(other.path, other.answers) for other in chosen.newer] == [(copy, 2)]


def test_without_a_workspace_notebook_the_answered_copy_is_checked(built_course):
    """With no workspace notebook, does `complete` check the copy with answers, saying which and why?"""
    info = built_course.module("alpha")
    release = built_course.paths.release / info.slug / info.notebook_name
    answer(built_course, release, time.time())
    done = tito(built_course, "module", "complete", "alpha")
    out = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checked release/01_alpha/alpha.ipynb" in out
    assert "workspace/01_alpha/alpha.ipynb does not exist, so tito checked release/01_alpha/alpha.ipynb" in out
    assert "Auto-graded: 15/15 points" in out
    assert not notebook_path(built_course, info).exists()


def test_without_any_edited_copy_complete_says_to_start(built_course):
    """With no workspace notebook and an untouched release, is the answer still `tito module start`?"""
    done = tito(built_course, "module", "complete", "alpha")
    assert done.returncode == 2
    assert "run `tito module start alpha` first" in done.stdout
