"""The roster: duplicate ids refused with both lines named; submitters it does not list graded and flagged."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

from tito.errors import TitoError
from tito.grading.roster import apply_roster, read_roster
from tito.grading.submissions import Submission


def roster_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_student_listed_twice_is_an_error_naming_both_lines(tmp_path):
    """Is an id on two rows refused, the message naming the line each starts on (a quoted name spanning two
    lines counted as two)?"""
    path = roster_file(tmp_path, 'id,name\nalice,"Alice\nA."\nbob,Bob\n\nalice,Alice again\n')
    with pytest.raises(TitoError, match=r"lists student 'alice' twice: line 2 and line 6"):
        read_roster(path)


def test_one_name_in_two_unicode_forms_is_one_student_listed_twice(tmp_path):
    """Are `Renée` in NFC and in NFD (one student id) a duplicate of the roster?"""
    nfc, nfd = unicodedata.normalize("NFC", "Renée"), unicodedata.normalize("NFD", "Renée")
    path = roster_file(tmp_path, f"sid\n{nfc}\n{nfd}\n")
    with pytest.raises(TitoError, match="twice: line 2 and line 3"):
        read_roster(path)


def test_an_empty_id_names_its_line(tmp_path):
    """Is a row without an id refused with its line?"""
    with pytest.raises(TitoError, match=r"roster.csv:3: empty student id"):
        read_roster(roster_file(tmp_path, "id,email\nalice,a@x.edu\n ,b@x.edu\n"))


def test_a_submitter_not_on_the_roster_is_kept_and_flagged(tmp_path):
    """Is a submission whose student the roster does not list kept (to be graded), with a note saying so, while
    listed students get their names and an unsubmitted one becomes missing?"""
    roster = read_roster(roster_file(tmp_path, "id,name,email\nalice,Alice A,a@x.edu\nzoe,Zoe Z,z@x.edu\n"))
    found = [Submission("alice", tmp_path / "alice.ipynb"), Submission("mallory", tmp_path / "m.ipynb", notes=("x",))]
    applied = apply_roster(found, roster)
    by_student = {submission.student: submission for submission in applied.submissions}
    assert applied.not_listed == ["mallory"]
    assert by_student["mallory"].path == tmp_path / "m.ipynb"
    assert by_student["mallory"].notes == ("not on the roster (roster.csv): graded, but check who this is", "x")
    assert by_student["alice"].notes == () and by_student["alice"].name == "Alice A"
    assert by_student["zoe"].path is None and by_student["zoe"].email == "z@x.edu"


def test_the_cli_grades_and_flags_a_submitter_not_on_the_roster(graded_course, alpha_notebooks, tmp_path):
    """Does `tito grade --roster` grade a student the roster does not list, print them on the terminal and put
    the note in their feedback, results and grades.csv row?"""
    release, answered = alpha_notebooks
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(answered, folder / "alice.ipynb")
    nbformat.write(answered, folder / "mallory.ipynb")
    roster = roster_file(tmp_path, "id,name\nalice,Alice\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "alpha", str(folder),
         "--out", str(out), "--roster", str(roster), "--jobs", "1", "--test-timeout", "5"],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 submitter(s) not on the roster, graded and flagged in their feedback: mallory" in done.stdout
    note = "not on the roster (roster.csv): graded, but check who this is"
    assert note in (out / "feedback" / "mallory.html").read_text()
    assert note in (out / "results" / "mallory.json").read_text()
    rows = {line.split(",")[0]: line for line in (out / "grades.csv").read_text().splitlines()}
    assert rows["mallory"].startswith("mallory,,,graded,15,15,15,") and note in rows["mallory"]
    assert note not in rows["alice"] and note not in (out / "feedback" / "alice.html").read_text()


def test_a_reused_result_takes_this_runs_roster_note(graded_course, alpha_notebooks, tmp_path):
    """Once the roster lists a student, does their unchanged (reused) result lose the "not on the roster" note,
    in the run and in what `tito grade manual` reads back?"""
    from tito.grading.grade import grade_class
    from tito.grading.output_folder import OutputFolder
    from tito.sandbox.limits import Limits

    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(alpha_notebooks[1], folder / "mallory.ipynb")
    module, out = graded_course.module("alpha"), tmp_path / "out"
    limits = Limits(call_seconds=5, submission_seconds=20)
    first = grade_class(graded_course, module, folder, out, limits=limits,
                        roster=roster_file(tmp_path, "id\nalice\n"))
    assert first.not_on_roster == ["mallory"] and first.results[1].notes[0].startswith("not on the roster")
    second = grade_class(graded_course, module, folder, out, limits=limits,
                         roster=roster_file(tmp_path, "id\nalice\nmallory\n"))
    assert second.reused == 1 and second.not_on_roster == []
    mallory = next(result for result in second.results if result.student == "mallory")
    assert not any(note.startswith("not on the roster") for note in mallory.notes)
    assert OutputFolder(out, "alpha").stored("mallory").notes == mallory.notes
