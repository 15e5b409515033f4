"""One damaged input is one student's problem: the rest of the class is still found, and only what belongs to no
student stops the run."""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from tito.errors import TitoError
from tito.grading import submissions as S
from tito.grading.roster import apply_roster, read_roster
from tito.grading.submissions import find_submissions

NB = "optimizers.ipynb"
CONTENT = b'{"cells": [], "nbformat": 4}' + b" " * 200


def touch(path: Path, data: bytes = CONTENT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in entries:
            bundle.writestr(name, data)
    return path


def corrupt(archive: Path, data: bytes) -> None:
    """Flip one byte of an entry's stored content, so that its CRC no longer matches."""
    raw = archive.read_bytes()
    assert raw.count(data) == 1
    at = raw.index(data) + len(data) // 2
    archive.write_bytes(raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:])


def found(location: Path, tmp_path: Path, **options) -> dict[str, tuple[str, str]]:
    """student -> (source, problem)"""
    return {s.student: (s.source, s.problem) for s in find_submissions(location, NB, tmp_path / "scratch", **options)}


# -- zips -----------------------------------------------------------------------------------------------------

def test_a_bad_crc_is_that_students_problem(tmp_path):
    """Is an entry whose data fails its CRC its student's problem, the others unpacked and found?"""
    bob = b'{"cells": [], "nbformat": 4, "who": "bob"}'
    archive = make_zip(tmp_path / "class.zip", [("alice.ipynb", CONTENT), ("bob.ipynb", bob), ("carol.ipynb", CONTENT)])
    corrupt(archive, bob)
    result = found(archive, tmp_path)
    assert result["alice"] == ("alice.ipynb", "") and result["carol"] == ("carol.ipynb", "")
    assert result["bob"][1].startswith("the zip entry 'bob.ipynb' is damaged (Bad CRC-32")


@pytest.mark.parametrize("entries, students", [
    ([("bob.ipynb", CONTENT), (f"bob.ipynb/{NB}", CONTENT)], {"bob": "", "bob.ipynb": "clashes"}),
    ([(f"bob.ipynb/{NB}", CONTENT), ("bob.ipynb", CONTENT)], {"bob.ipynb": "", "bob": "clashes"}),
    ([("bob", CONTENT), (f"bob/{NB}", CONTENT), ("alice.ipynb", CONTENT)], {"alice": "", "bob": "clashes"}),
    ([(f"bob/{NB}", CONTENT), ("bob", CONTENT), ("alice.ipynb", CONTENT)], {"alice": "", "bob": "clashes"}),
])
def test_a_file_and_a_folder_of_one_name_is_a_problem_not_a_traceback(tmp_path, entries, students):
    """Does a clash between a file and a folder of the same name give the clashing entry's student a problem
    (the student that entry would have been), and leave the others alone?"""
    archive = make_zip(tmp_path / "class.zip", entries + [("zed.ipynb", CONTENT)])
    result = found(archive, tmp_path)
    assert {student: ("clashes" if "clashes" in problem else problem) for student, (_, problem) in result.items()} == {
        **students, "zed": "",
    }


def test_a_symbolic_link_is_not_unpacked(tmp_path):
    """Is a symlink entry (which could point anywhere on the grading machine) refused, for its student only?"""
    link = zipfile.ZipInfo("bob.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "class.zip", [(link, b"/etc/passwd"), ("alice.ipynb", CONTENT)])
    result = found(archive, tmp_path)
    assert result == {"alice": ("alice.ipynb", ""), "bob": ("bob.ipynb", (
        "the zip entry 'bob.ipynb' is a symbolic link; it was not unpacked"))}
    assert not (tmp_path / "scratch" / "unzipped" / "bob.ipynb").is_symlink()


def test_an_entry_too_large_is_not_unpacked(tmp_path, monkeypatch):
    """Is an entry that declares more than the per-file cap refused before a byte is written?"""
    monkeypatch.setattr(S, "MAX_FILE_BYTES", 1000)
    archive = make_zip(tmp_path / "class.zip", [("bob.ipynb", b"x" * 2000), ("alice.ipynb", CONTENT)])
    result = found(archive, tmp_path)
    assert result["alice"] == ("alice.ipynb", "")
    assert result["bob"][1] == "the zip entry 'bob.ipynb' unpacks to 0 MB; over 0 MB is not unpacked"


def test_a_zip_bomb_is_not_unpacked(tmp_path):
    """Is an entry compressed far beyond what a notebook compresses refused, by its declared sizes?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("bob.ipynb", b"\0" * 4 * 1024**2)
        bundle.writestr("alice.ipynb", CONTENT)
    result = found(archive, tmp_path)
    assert result["alice"] == ("alice.ipynb", "")
    assert "like a zip bomb; it was not unpacked" in result["bob"][1]
    assert (tmp_path / "scratch" / "unzipped" / "bob.ipynb").stat().st_size == 0  # the stand-in


def test_an_entry_larger_than_it_declares_is_cut_at_its_declared_size(tmp_path):
    """When the sizes in the zip lie (say 100 bytes, hold 5000), is no more than 100 bytes written, and the
    entry its student's problem?"""
    data = b"y" * 5000
    archive = make_zip(tmp_path / "class.zip", [("bob.ipynb", data), ("alice.ipynb", CONTENT)])
    raw = bytearray(archive.read_bytes())
    local, central = raw.index(b"PK\x03\x04"), raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, 100)     # uncompressed size, in the local header
    struct.pack_into("<I", raw, central + 24, 100)   # and in the central directory
    archive.write_bytes(bytes(raw))
    result = found(archive, tmp_path)
    assert result["alice"] == ("alice.ipynb", "")
    assert result["bob"][1].startswith("the zip entry 'bob.ipynb' is damaged")
    assert (tmp_path / "scratch" / "unzipped" / "bob.ipynb").stat().st_size == 0


def test_an_impossible_entry_date_is_harmless(tmp_path):
    """Does an entry dated month 0, day 0 unpack (with the time it was unpacked)?"""
    odd = zipfile.ZipInfo("bob.ipynb", (1980, 0, 0, 0, 0, 0))
    assert found(make_zip(tmp_path / "class.zip", [(odd, CONTENT)]), tmp_path) == {"bob": ("bob.ipynb", "")}


def test_a_broken_zip_stops_the_run_saying_why(tmp_path):
    """Is a zip whose directory cannot be read a clear error for the whole run (no entry has an owner)?"""
    archive = tmp_path / "class.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 10)
    with pytest.raises(TitoError, match="no entry can be given to a student, so nothing was graded"):
        find_submissions(archive, NB, tmp_path / "scratch")


def test_a_zip_too_large_in_all_stops_the_run(tmp_path, monkeypatch):
    """Is a zip whose entries declare more than the total cap refused before anything is unpacked?"""
    monkeypatch.setattr(S, "MAX_ZIP_BYTES", 1000)
    archive = make_zip(tmp_path / "class.zip", [(f"s{n}.ipynb", b"z" * 400) for n in range(3)])
    with pytest.raises(TitoError, match="it is not unpacked, so nothing was graded"):
        find_submissions(archive, NB, tmp_path / "scratch")
    assert list((tmp_path / "scratch" / "unzipped").iterdir()) == []


def test_an_entry_that_names_no_file_stops_the_run(tmp_path):
    """Is a file entry whose name is only `..` (no student to give it to) an error for the whole run, while a
    folder entry `./` is merely skipped?"""
    assert found(make_zip(tmp_path / "ok.zip", [("./", b""), ("bob.ipynb", CONTENT)]), tmp_path) == {
        "bob": ("bob.ipynb", "")
    }
    with pytest.raises(TitoError, match="names no file, so it belongs to no student; nothing was graded"):
        find_submissions(make_zip(tmp_path / "bad.zip", [("..", CONTENT)]), NB, tmp_path / "scratch")


@pytest.mark.parametrize("layout, entries, damaged, student", [
    ("nbgrader", ["course/submitted/alice/03/optimizers.ipynb", "course/submitted/bob/03/optimizers.ipynb"],
     "course/submitted/bob/03/optimizers.ipynb", "bob"),
    ("nbgrader", ["course/submitted/alice/03/optimizers.ipynb", "course/submitted/bob/03/optimizers.ipynb",
                  "course/submitted/bob/03/timestamp.txt"], "course/submitted/bob/03/timestamp.txt", "bob"),
    ("lms", ["alice_1_2_optimizers.ipynb", "bob_LATE_3_4_optimizers.ipynb"], "bob_LATE_3_4_optimizers.ipynb", "bob"),
    ("folders", ["class/alice/optimizers.ipynb", "class/bob/optimizers.ipynb"], "class/bob/optimizers.ipynb", "bob"),
    ("gradescope", ["submission_1/optimizers.ipynb", "submission_2/optimizers.ipynb"],
     "submission_2/optimizers.ipynb", "b200"),
])
def test_a_damaged_entry_belongs_to_the_student_its_path_names(tmp_path, layout, entries, damaged, student):
    """In each layout, is a damaged entry the problem of the student it would have been graded for?"""
    contents = {name: CONTENT.replace(b"}", f', "entry": "{name}"}}'.encode()) for name in entries}
    if layout == "gradescope":
        contents["submission_metadata.yml"] = (
            b"submission_1:\n  :submitters:\n  - :sid: a100\nsubmission_2:\n  :submitters:\n  - :sid: b200\n"
        )
    archive = make_zip(tmp_path / "class.zip", list(contents.items()))
    corrupt(archive, contents[damaged])
    submissions = find_submissions(archive, NB, tmp_path / "scratch")
    problems = {s.student: s.problem for s in submissions}
    assert len(problems) == 2
    assert problems.pop(student).startswith(f"the zip entry {damaged!r} is damaged")
    assert list(problems.values()) == [""]


def test_damaged_gradescope_metadata_stops_the_run(tmp_path):
    """Is a damaged submission_metadata.yml (which names every student) an error for the whole run?"""
    metadata = b"submission_1:\n  :submitters:\n  - :sid: a100\n"
    archive = make_zip(tmp_path / "class.zip", [("submission_metadata.yml", metadata), ("submission_1/x.ipynb", CONTENT)])
    corrupt(archive, metadata)
    with pytest.raises(TitoError, match="it names every student, so nothing was graded"):
        find_submissions(archive, NB, tmp_path / "scratch")


# -- timestamps -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stamp, problem", [
    (b"\xff\xfe2\x000\x002\x006\x00", "its timestamp.txt is not UTF-8 text"),
    (b'=HYPERLINK("http://x.example","open")', "its timestamp.txt starts with '=', like a spreadsheet formula"),
    (b"+cmd|' /C calc'!A0", "its timestamp.txt starts with '+', like a spreadsheet formula"),
    (b"@SUM(1+1)", "its timestamp.txt starts with '@'"),
    (b"-1+2", "its timestamp.txt starts with '-'"),
    (b"yesterday at noon", "its timestamp.txt does not hold a time ('yesterday at noon')"),
    (b"2026-13-45 99:00:00", "its timestamp.txt does not hold a time"),
    (b"2026-11-20 10:00:00" + b" " * 200, "its timestamp.txt is too long to hold a time"),
])
def test_a_bad_nbgrader_timestamp_is_that_students_problem(tmp_path, stamp, problem):
    """Is a timestamp.txt that is not UTF-8, looks like a formula or is not a time its student's problem only?"""
    course = tmp_path / "course"
    touch(course / "submitted" / "alice" / "03" / NB)
    touch(course / "submitted" / "alice" / "03" / "timestamp.txt", b"2026-11-20 10:00:00.123456 UTC")
    touch(course / "submitted" / "bob" / "03" / NB)
    touch(course / "submitted" / "bob" / "03" / "timestamp.txt", stamp)
    alice, bob = find_submissions(course, NB, tmp_path / "scratch")
    assert (alice.submitted_at, alice.problem) == ("2026-11-20 10:00:00.123456 UTC", "")
    assert bob.problem.startswith(problem) and bob.path is None and bob.submitted_at == ""


def test_a_formula_in_gradescope_created_at_is_that_students_problem(tmp_path):
    """Is a Gradescope :created_at that is a spreadsheet formula its student's problem only?"""
    export = tmp_path / "export"
    touch(export / "submission_1" / NB)
    touch(export / "submission_2" / NB)
    touch(export / "submission_metadata.yml", (
        b"submission_1:\n  :submitters:\n  - :sid: a100\n  :created_at: 2026-11-20 10:00:00.123456000 -08:00\n"
        b"submission_2:\n  :submitters:\n  - :sid: b200\n  :created_at: '=1+2'\n"
    ))
    a100, b200 = find_submissions(export, NB, tmp_path / "scratch")
    assert (a100.submitted_at, a100.problem) == ("2026-11-20 10:00:00.123456-08:00", "")  # as YAML read it
    assert b200.problem == "its :created_at in submission_metadata.yml starts with '=', like a spreadsheet formula, not a time"


def test_unreadable_gradescope_metadata_stops_the_run(tmp_path):
    """Is a submission_metadata.yml that is not YAML a clear error for the whole run, not a traceback?"""
    export = tmp_path / "export"
    touch(export / "submission_1" / NB)
    touch(export / "submission_metadata.yml", b"submission_1: [unclosed\n")
    with pytest.raises(TitoError, match="it names every student, so nothing was graded"):
        find_submissions(export, NB, tmp_path / "scratch")


# -- several submissions from one student ---------------------------------------------------------------------

def test_the_latest_lms_entry_is_graded(tmp_path):
    """In an LMS zip, is the entry with the later time graded, whatever the order of the file names?"""
    archive = make_zip(tmp_path / "class.zip", [
        (zipfile.ZipInfo("bob_7_90_optimizers.ipynb", (2026, 3, 1, 10, 0, 0)), CONTENT),
        (zipfile.ZipInfo("bob_7_12_optimizers-1.ipynb", (2026, 3, 2, 9, 0, 0)), CONTENT),
    ])
    [bob] = find_submissions(archive, NB, tmp_path / "scratch")
    assert bob.source == "bob_7_12_optimizers-1.ipynb"
    assert bob.notes == ("2 submissions found: graded bob_7_12_optimizers-1.ipynb (2026-03-02 09:00:00 UTC), "
                         "ignored bob_7_90_optimizers.ipynb (2026-03-01 10:00:00 UTC)",)


def test_without_a_time_to_tell_the_file_names_decide(tmp_path):
    """With equal times, is the last file in natural name order graded (bob_10 after bob_9)?"""
    when = (2026, 3, 1, 10, 0, 0)
    archive = make_zip(tmp_path / "class.zip", [
        (zipfile.ZipInfo(f"bob_1_{n}_optimizers.ipynb", when), CONTENT) for n in (10, 9, 2)
    ])
    [bob] = find_submissions(archive, NB, tmp_path / "scratch")
    assert bob.source == "bob_1_10_optimizers.ipynb"
    assert "ignored bob_1_9_optimizers.ipynb (2026-03-01 10:00:00 UTC), bob_1_2_optimizers.ipynb" in bob.notes[0]


def test_the_latest_gradescope_submission_is_graded(tmp_path):
    """Of two Gradescope submissions of one student, is the later :created_at graded and the time shown?"""
    export = tmp_path / "export"
    touch(export / "submission_1" / NB)
    touch(export / "submission_2" / NB)
    touch(export / "submission_metadata.yml", (
        b"submission_1:\n  :submitters:\n  - :sid: b200\n  :created_at: '2026-03-02 09:00:00'\n"
        b"submission_2:\n  :submitters:\n  - :sid: b200\n  :created_at: '2026-03-01 10:00:00'\n"
    ))
    [b200] = find_submissions(export, NB, tmp_path / "scratch")
    assert b200.source == f"submission_1/{NB}"
    assert b200.notes == (f"2 submissions found: graded submission_1/{NB} (2026-03-02 09:00:00), "
                          f"ignored submission_2/{NB} (2026-03-01 10:00:00)",)


def test_duplicates_must_be_latest_or_error(tmp_path):
    """Is an unknown duplicates policy refused?"""
    touch(tmp_path / "class" / "a.ipynb")
    with pytest.raises(TitoError, match="duplicates must be one of latest, error"):
        find_submissions(tmp_path / "class", NB, tmp_path / "scratch", duplicates="first")


def test_the_roster_keeps_problems_and_notes(tmp_path):
    """Does adding names from a roster keep a submission's problem and notes?"""
    folder = tmp_path / "class"
    touch(folder / "bob.ipynb")
    touch(folder / "bob_1_2_optimizers.ipynb")
    roster = touch(tmp_path / "roster.csv", b"id,name\nbob,Bob B\n")
    [bob] = apply_roster(find_submissions(folder, NB, tmp_path / "s"), read_roster(roster)).submissions
    assert bob.name == "Bob B" and len(bob.notes) == 1
    [bob] = apply_roster(find_submissions(folder, NB, tmp_path / "s", duplicates="error"), read_roster(roster)).submissions
    assert bob.name == "Bob B" and bob.problem.startswith("2 submissions found")
