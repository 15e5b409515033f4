"""LMS downloads whose names carry lateness: Blackboard's attempt time (late against --due) and Canvas's _LATE."""

from __future__ import annotations

import zipfile

from tito.grading.late import LatePolicy
from tito.grading.submissions import find_class

NB = "optimizers.ipynb"


def test_a_blackboard_download_gives_usernames_attempt_times_and_lateness(tmp_path):
    """In a Blackboard zip, is each username one student whose latest attempt is graded, its time taken from the
    name (late against --due), and the receipt beside each attempt listed as no submission?"""
    archive = tmp_path / "gradebook.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ("HW 3_optim_ada_attempt_2026-03-01-09-00-00_optimizers.ipynb",
                     "HW 3_optim_ada_attempt_2026-03-01-09-00-00.txt",
                     "HW 3_optim_ada_attempt_2026-03-02-10-00-00_my notebook.ipynb",
                     "HW 3_optim_ada_attempt_2026-03-02-10-00-00.txt",
                     "HW 3_optim_bob_attempt_2026-03-01-20-15-00_optimizers.ipynb"):
            bundle.writestr(name, "{}" if name.endswith(".ipynb") else "Name: someone\n")
    found = find_class(archive, NB, tmp_path / "scratch")
    by_student = {submission.student: submission for submission in found.submissions}
    assert sorted(by_student) == ["ada", "bob"]
    ada = by_student["ada"]
    assert (ada.source, ada.submitted_at) == ("HW 3_optim_ada_attempt_2026-03-02-10-00-00_my notebook.ipynb",
                                              "2026-03-02 10:00:00")
    assert ada.notes[0].startswith("2 submissions found: graded HW 3_optim_ada_attempt_2026-03-02-10-00-00_my")
    assert [entry.reason for entry in found.skipped] == [
        "Blackboard's submission receipt (the attempt's time is in its name), not a submission"] * 2
    policy = LatePolicy.from_options("2026-03-01T23:59", "10%/day")
    late = policy.assess(ada.submitted_at, ada.source)
    assert (late.column, late.percent) == ("10 h 1 min", 10)
    assert not policy.assess(by_student["bob"].submitted_at, by_student["bob"].source).late


def test_canvas_late_marker_and_a_notebook_beside_other_files(tmp_path):
    """In a Canvas folder, is the `_LATE` file the student's (its login), marked late, and is a student's notebook
    graded rather than a later non-notebook file of theirs?"""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "bob_LATE_12_34_optimizers.ipynb").write_text("{}")
    (folder / "bob_12_35_notes.txt").write_text("my notes")
    found = find_class(folder, NB, tmp_path / "scratch")
    [bob] = found.submissions
    assert (bob.student, bob.source) == ("bob", "bob_LATE_12_34_optimizers.ipynb")
    late = LatePolicy().assess(bob.submitted_at, bob.source)
    assert (late.late, late.column) == (True, "marked late by the LMS")
