"""Finding submissions in the layouts instructors get them in."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tito.errors import TitoError
from tito.grading.identity import student_id
from tito.grading.roster import apply_roster, read_roster
from tito.grading.submissions import find_submissions

NB = "optimizers.ipynb"


def touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(location: Path, tmp_path: Path) -> list[tuple[str, str]]:
    return [(s.student, s.source) for s in find_submissions(location, NB, tmp_path / "scratch")]


def test_a_folder_of_notebooks(tmp_path):
    """Is each `<student>.ipynb` one student, including files that are not notebooks?"""
    folder = tmp_path / "class"
    touch(folder / "alice.ipynb")
    touch(folder / "bob.ipynb")
    touch(folder / "carol.txt")
    touch(folder / ".DS_Store")
    assert found(folder, tmp_path) == [("alice", "alice.ipynb"), ("bob", "bob.ipynb"), ("carol", "carol.txt")]


def test_a_folder_of_folders(tmp_path):
    """Does a student's folder yield the module's notebook even when other notebooks are there?"""
    folder = tmp_path / "class"
    touch(folder / "alice" / "scratch.ipynb")
    touch(folder / "alice" / NB)
    touch(folder / "bob" / "work" / "mine.ipynb")
    assert found(folder, tmp_path) == [("alice", f"alice/{NB}"), ("bob", "bob/work/mine.ipynb")]


def test_an_nbgrader_course(tmp_path):
    """Is nbgrader's submitted/<student>/<assignment>/<notebook> layout read, with its timestamps?"""
    course = tmp_path / "course"
    touch(course / "submitted" / "alice" / "03_optimizers" / NB)
    touch(course / "submitted" / "alice" / "03_optimizers" / "timestamp.txt", "2026-11-20 10:00:00 UTC")
    touch(course / "submitted" / "bob" / "03_optimizers" / NB)
    submissions = find_submissions(course, NB, tmp_path / "scratch")
    assert [(s.student, s.submitted_at) for s in submissions] == [("alice", "2026-11-20 10:00:00 UTC"), ("bob", "")]


def test_an_lms_zip(tmp_path):
    """Does a Canvas-style bulk zip give the login as student id, and keep the zip's entry time?"""
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo("alice_123_456_optimizers.ipynb", (2026, 11, 20, 9, 30, 0)), "{}")
        bundle.writestr(zipfile.ZipInfo("bob_LATE_124_457_optimizers-1.ipynb", (2026, 11, 21, 9, 30, 0)), "{}")
    submissions = find_submissions(archive, NB, tmp_path / "scratch")
    assert [(s.student, s.submitted_at) for s in submissions] == [
        ("alice", "2026-11-20 09:30:00 UTC"), ("bob", "2026-11-21 09:30:00 UTC")
    ]


def test_a_gradescope_export(tmp_path):
    """Are Gradescope's submission folders mapped to students through submission_metadata.yml?"""
    export = tmp_path / "export"
    touch(export / "submission_1" / NB)
    touch(export / "submission_2" / NB)
    touch(export / "submission_metadata.yml", (
        "submission_1:\n  :submitters:\n  - :name: Alice A\n    :sid: a100\n    :email: a@x.edu\n"
        "  :created_at: 2026-11-20 10:00:00\n"
        "submission_2:\n  :submitters:\n  - :name: Bob B\n    :sid: b200\n    :email: b@x.edu\n"
    ))
    submissions = find_submissions(export, NB, tmp_path / "scratch")
    assert [(s.student, s.name, s.email) for s in submissions] == [("a100", "Alice A", "a@x.edu"), ("b200", "Bob B", "b@x.edu")]


def test_a_zip_wrapping_one_folder(tmp_path):
    """Is a zip whose content sits in one top folder looked into?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("class/alice.ipynb", "{}")
        bundle.writestr("class/bob.ipynb", "{}")
    assert [s for s, _ in found(archive, tmp_path)] == ["alice", "bob"]


@pytest.mark.parametrize("name, student", [("../evil.ipynb", "evil"), ("/evil/optimizers.ipynb", "evil")])
def test_unsafe_zip_entries_are_refused(tmp_path, name, student):
    """Is a zip entry that would write outside its folder left unpacked, and the problem of the student it
    names once its `..` and leading `/` are dropped (only theirs)?"""
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(name, "{}")
        bundle.writestr("bob.ipynb", "{}")
    submissions = find_submissions(archive, NB, tmp_path / "scratch")
    assert [(s.student, s.problem) for s in submissions] == [
        ("bob", ""), (student, f"the zip entry {name!r} points outside its folder; it was not unpacked"),
    ]
    assert not (tmp_path / "evil.ipynb").exists() and not (tmp_path / "scratch" / "evil.ipynb").exists()


def test_two_submissions_for_one_student_grade_the_latest(tmp_path):
    """Of two files that map to the same student id, is the latest graded and the other named in a note?"""
    folder = tmp_path / "class"
    os.utime(touch(folder / "alice_1_9_optimizers.ipynb"), (1_700_000_000, 1_700_000_000))
    os.utime(touch(folder / "alice.ipynb"), (1_600_000_000, 1_600_000_000))
    touch(folder / "bob.ipynb")
    alice, bob = find_submissions(folder, NB, tmp_path / "scratch")
    assert (alice.source, alice.problem, alice.notes) == ("alice_1_9_optimizers.ipynb", "", (
        "2 submissions found: graded alice_1_9_optimizers.ipynb (2023-11-14 22:13:20 UTC), "
        "ignored alice.ipynb (2020-09-13 12:26:40 UTC)",
    ))
    assert (bob.source, bob.notes) == ("bob.ipynb", ())


def test_two_submissions_for_one_student_can_be_an_error(tmp_path):
    """With duplicates="error", is that student an error listing the files, and the rest of the class found?"""
    folder = tmp_path / "class"
    touch(folder / "alice.ipynb")
    touch(folder / "alice_1_2_optimizers.ipynb")
    touch(folder / "bob.ipynb")
    alice, bob = find_submissions(folder, NB, tmp_path / "scratch", duplicates="error")
    assert alice.path is None and alice.problem.startswith("2 submissions found (alice")
    assert "alice.ipynb" in alice.problem and "alice_1_2_optimizers.ipynb" in alice.problem
    assert (bob.source, bob.problem) == ("bob.ipynb", "")


def test_ids_keep_the_name_as_written():
    """Is an id the name as written (NFC, trimmed, without control characters), never rewritten into another?
    (File names are identity.file_name's job: tests/grading/test_identities.py.)"""
    assert student_id("  Ana María, 3 ") == "Ana María, 3"
    assert student_id("../../etc/passwd") == "../../etc/passwd"
    assert student_id("Jose\u0301") == "José" == student_id("Jos\u00e9")
    assert student_id("\x1b[31mmallory\x07") == "[31mmallory"
    assert student_id("") != student_id(" ") and student_id("").startswith("unnamed-")


def test_the_roster_adds_names_and_missing_students(tmp_path):
    """Does the roster fill in names/emails and mark students who submitted nothing?"""
    folder = tmp_path / "class"
    touch(folder / "alice.ipynb")
    roster = touch(tmp_path / "roster.csv", "Student_ID,Name,Email\nalice,Alice A,a@x.edu\nzoe,Zoe Z,z@x.edu\n")
    submissions = apply_roster(find_submissions(folder, NB, tmp_path / "s"), read_roster(roster)).submissions
    assert [(s.student, s.name, s.path is None) for s in submissions] == [("alice", "Alice A", False), ("zoe", "Zoe Z", True)]


def test_a_roster_without_ids_is_an_error(tmp_path):
    """Is a roster with no id column rejected with the accepted names listed?"""
    roster = touch(tmp_path / "roster.csv", "name,email\nA,a@x\n")
    with pytest.raises(TitoError, match="needs an id column"):
        read_roster(roster)
