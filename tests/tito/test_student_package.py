"""The student's package: a module is the student's own only once its `tito module complete` passes."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tito.complete import complete_module, module_outcome
from tito.errors import TitoError
from tito.export import target_path
from tito.progress import Progress, prerequisite_sources
from tito.workspace import notebook_path, package_root, start_module

sys.path.insert(0, str(Path(__file__).parent))
from students import QUIRKY_ALPHA, answer_with_reference, edit_solution, tito  # noqa: E402

STUB_ALPHA = "#| export\ndef add_one(x):\n    raise NotImplementedError('add_one')\n\n\nclass Doubler:\n    pass"


def start_both(course) -> None:
    for name in ("alpha", "beta"):
        start_module(course, course.module(name))
    answer_with_reference(course, "beta")


def test_a_failed_complete_leaves_the_module_to_the_reference(built_course):
    """The issue's reproduction: after `complete` on an untouched module 1, does a finished module 2 still earn
    every point, on the reference module 1, and say why?"""
    start_both(built_course)
    first = complete_module(built_course, built_course.module("alpha"))
    assert not first.all_passed and first.earned == 0
    report = complete_module(built_course, built_course.module("beta"))
    assert report.all_passed and report.earned == report.possible == 4
    [alpha] = report.package.sources
    assert not alpha.own and alpha.why.startswith("your notebook has not passed yet: 0/15 on ")
    assert report.package.reference_targets == ("core.alpha",)
    reference = target_path(built_course.paths.package_root, "core.alpha").read_text()
    assert target_path(package_root(built_course), "core.alpha").read_text() == reference


def test_the_reproduction_through_the_cli(built_course):
    """Does `tito module complete` say, above the table, that alpha is the reference and why, and what the
    failed alpha means for the modules built on it?"""
    start_both(built_course)
    failed = tito(built_course, "module", "complete", "alpha")
    assert failed.returncode == 1
    assert "alpha did not pass: later modules use the reference alpha until it passes." in failed.stdout
    done = tito(built_course, "module", "complete", "beta")
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[1] == "Code used for the modules beta builds on:"
    assert lines[2].startswith("  alpha: reference (your notebook has not passed yet: 0/15 on ")
    assert "Auto-graded: 4/4 points (1 of 1 tests passed)" in done.stdout


def test_a_passed_module_becomes_the_students_own(built_course):
    """Once module 1 passes, does module 2 run on the student's module 1, and does the header say since when?"""
    start_both(built_course)
    answer_with_reference(built_course, "alpha")
    edit_solution(built_course, "alpha", "add-one", QUIRKY_ALPHA)
    first = complete_module(built_course, built_course.module("alpha"))
    assert first.all_passed
    assert module_outcome(first) == "alpha passed: later modules now use your alpha."
    report = complete_module(built_course, built_course.module("beta"))
    [alpha] = report.package.sources
    assert alpha.own and alpha.line().startswith("alpha: your code (complete passed ")
    assert report.tests[0].outcome == "failed" and "expected 3, got 21" in report.tests[0].message


def test_a_failed_complete_after_a_pass_keeps_the_code_that_passed(built_course):
    """If module 1 passed once and then fails, do later modules keep the code that passed, and is it said both
    when module 1 fails and when module 2 runs?"""
    start_both(built_course)
    answer_with_reference(built_course, "alpha")
    edit_solution(built_course, "alpha", "add-one", QUIRKY_ALPHA)
    assert complete_module(built_course, built_course.module("alpha")).all_passed
    edit_solution(built_course, "alpha", "add-one", STUB_ALPHA)
    broken = complete_module(built_course, built_course.module("alpha"))
    assert not broken.all_passed
    assert module_outcome(broken).startswith("alpha did not pass: later modules keep your code that passed ")
    assert "`tito module reset alpha` goes back to the reference" in module_outcome(broken)
    report = complete_module(built_course, built_course.module("beta"))
    [alpha] = report.package.sources
    assert alpha.own and "your last complete" in alpha.why and "did not pass: 0/15" in alpha.why
    assert "expected 3, got 21" in report.tests[0].message  # the quirky code that passed, not the stub
    lines = tito(built_course, "module", "complete", "beta", columns=80).stdout.splitlines()
    header = lines.index("Code used for the modules beta builds on:")
    assert lines[header + 1].startswith("  alpha: your code (complete passed ")
    assert lines[header + 2].startswith("    ") and lines[header + 2].endswith("did not pass: 0/15)")


def test_the_record_keeps_each_modules_last_score(built_course):
    """Is every run recorded in workspace/progress.json with its score, time and notebook, and the code of the
    last run that passed kept with it?"""
    start_both(built_course)
    complete_module(built_course, built_course.module("alpha"))
    answer_with_reference(built_course, "alpha")
    complete_module(built_course, built_course.module("alpha"))
    record = json.loads((built_course.paths.workspace / "progress.json").read_text())["modules"]["alpha"]
    assert record["last"]["earned"] == 15 and record["last"]["passed"] is True
    assert record["last"]["notebook"] == "workspace/01_alpha/alpha.ipynb"
    assert record["passed"]["attempt"] == record["last"]
    assert "return np.asarray(x) + 1" in record["passed"]["code"]["core.alpha"]
    progress = Progress.load(built_course)
    assert progress.of(built_course.module("alpha")).last.score == "15/15"


def test_deleting_a_modules_workspace_folder_changes_nothing(built_course):
    """With module 1's folder deleted, does the package still follow the record: the reference after a failed
    run, the student's code after a passed one, each said in the header?"""
    start_both(built_course)
    complete_module(built_course, built_course.module("alpha"))
    shutil.rmtree(notebook_path(built_course, built_course.module("alpha")).parent)
    [alpha] = complete_module(built_course, built_course.module("beta")).package.sources
    assert not alpha.own and "has not passed yet" in alpha.why

    start_module(built_course, built_course.module("alpha"))
    answer_with_reference(built_course, "alpha")
    edit_solution(built_course, "alpha", "add-one", QUIRKY_ALPHA)
    complete_module(built_course, built_course.module("alpha"))
    shutil.rmtree(notebook_path(built_course, built_course.module("alpha")).parent)
    report = complete_module(built_course, built_course.module("beta"))
    assert report.package.sources[0].own and "expected 3, got 21" in report.tests[0].message


def test_the_package_holds_only_what_the_record_explains(built_course):
    """Is a file an earlier check (or anyone) left in workspace/package/ gone after the next check?"""
    start_both(built_course)
    stray = package_root(built_course) / "tinytorch" / "core" / "stray.py"
    stray.parent.mkdir(parents=True)
    stray.write_text("x = 1\n")
    (package_root(built_course) / "provenance.json").write_text('{"core.alpha": "student"}')
    complete_module(built_course, built_course.module("beta"))
    assert not stray.exists() and not (package_root(built_course) / "provenance.json").exists()
    files = sorted(path.relative_to(package_root(built_course)).as_posix()
                   for path in package_root(built_course).rglob("*.py") if "__pycache__" not in path.parts)
    assert files == ["tinytorch/__init__.py", "tinytorch/core/__init__.py", "tinytorch/core/alpha.py",
                     "tinytorch/core/beta.py"]


def test_a_module_never_run_is_named_with_the_command(built_course):
    """Does a module built on one never completed say which command would make it the student's?"""
    [alpha] = prerequisite_sources(built_course, Progress.load(built_course), built_course.module("beta"))
    assert alpha.line() == "alpha: reference (you have not run `tito module complete alpha`)"


def test_an_unreadable_record_is_a_clear_error(built_course):
    """Is a damaged progress.json an error that names the file and what to do, not a traceback?"""
    start_both(built_course)
    (built_course.paths.workspace / "progress.json").write_text("{ not json")
    with pytest.raises(TitoError, match="progress.json is not a progress record tito can read"):
        complete_module(built_course, built_course.module("beta"))


def test_code_that_passed_before_the_module_changed_is_not_used(built_course):
    """If the code recorded as passing lacks a file the module now exports, is the reference used, and why said?"""
    start_both(built_course)
    answer_with_reference(built_course, "alpha")
    complete_module(built_course, built_course.module("alpha"))
    path = built_course.paths.workspace / "progress.json"
    record = json.loads(path.read_text())
    record["modules"]["alpha"]["passed"]["code"] = {"core.alpha_old": "x = 1\n"}
    path.write_text(json.dumps(record))
    [alpha] = complete_module(built_course, built_course.module("beta")).package.sources
    assert not alpha.own
    assert alpha.why.endswith("has no core.alpha: run `tito module complete alpha` again")


def test_starting_again_after_deleting_the_folder_says_the_code_that_passed_is_used(built_course):
    """After a pass, the module's folder deleted, does `tito module start` say later modules still use the code
    that passed, and how to go back to the reference?"""
    start_module(built_course, built_course.module("alpha"))
    answer_with_reference(built_course, "alpha")
    assert complete_module(built_course, built_course.module("alpha")).all_passed
    shutil.rmtree(notebook_path(built_course, built_course.module("alpha")).parent)
    done = tito(built_course, "module", "start", "alpha")
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "Later modules use your alpha (complete passed " in said
    assert "until this notebook passes; `tito module reset alpha` goes back to the reference." in said
    assert "Later modules" not in tito(built_course, "module", "start", "beta").stdout
