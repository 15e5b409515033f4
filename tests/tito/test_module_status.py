"""`tito module status`: the student's last score per module and whose code the package uses for it."""

from __future__ import annotations

import sys
from pathlib import Path

from tito.complete import complete_module
from tito.status import UP_TO_DATE, module_status
from tito.workspace import start_module

sys.path.insert(0, str(Path(__file__).parent))
from students import QUIRKY_ALPHA, answer_with_reference, edit_solution, tito  # noqa: E402


def test_a_module_never_completed_has_no_score(built_course):
    """Before any `tito module complete`, is there no score, and the reference in use?"""
    status = module_status(built_course, built_course.module("alpha"))
    assert (status.exported, status.built, status.started) == (UP_TO_DATE, UP_TO_DATE, False)
    assert status.last is None and not status.source.own


def test_the_last_score_and_the_code_used(built_course):
    """After a pass and then a failed run, is the failed run's score shown, with the code that passed in use?"""
    info = built_course.module("alpha")
    start_module(built_course, info)
    answer_with_reference(built_course, "alpha")
    complete_module(built_course, info)
    assert module_status(built_course, info).last.score == "15/15"
    edit_solution(built_course, "alpha", "add-one", QUIRKY_ALPHA.replace("class Doubler", "class Other"))
    complete_module(built_course, info)
    status = module_status(built_course, info)
    assert status.last.score == "10/15" and not status.last.passed
    assert status.source.own and "did not pass: 10/15" in status.source.why


def test_status_through_the_cli_fits_80_columns(built_course):
    """Does `tito module status` at 80 columns show each module's last score and code used, one row each?"""
    for name in ("alpha", "beta"):
        start_module(built_course, built_course.module(name))
    answer_with_reference(built_course, "alpha")
    complete_module(built_course, built_course.module("alpha"))
    complete_module(built_course, built_course.module("beta"))  # the released stub: fails
    done = tito(built_course, "module", "status", columns=80)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in lines if line.startswith("│")}
    assert rows["01_alpha"][:2] == [UP_TO_DATE, UP_TO_DATE] and rows["01_alpha"][3] == "your code"
    assert rows["01_alpha"][2].startswith("15/15, ")
    assert rows["02_beta"][2].startswith("0/4, ") and rows["02_beta"][3] == "reference"


def test_a_notebook_started_but_never_completed_says_started(built_course):
    """Is a started module with no run yet shown as started, and one never started as '-'?"""
    start_module(built_course, built_course.module("beta"))
    lines = tito(built_course, "module", "status", columns=80).stdout.splitlines()
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in lines if line.startswith("│")}
    assert rows["01_alpha"][2:] == ["-", "reference"] and rows["02_beta"][2:] == ["started", "reference"]
