"""Every student graded and named as they are: ids kept as written, file names that keep students apart, nothing
found dropped without a word, and no name read as anything but text on a terminal (issue 14)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from tito.grading.identity import FILE_NAME_BYTES, MAX_ID_CHARS, file_name, student_id
from tito.grading.reports.common import csv_value
from tito.grading.sanitize import clean_line
from tito.grading.submissions import find_class

NB = "optimizers.ipynb"
ANSWERED, BLANK, CLASH = 15.0, 0.0, None   # what each student's notebook earns; CLASH: could not be unpacked

# Two different names whose UTF-8 is 250 bytes each, alike but for their last letter.
LONG_A = "ó" * 120 + "przyklad-a"
LONG_B = "ó" * 120 + "przyklad-b"
HIDDEN = ".[bold red]sneaky\x1b[31m.ipynb"


# -- ids and file names -----------------------------------------------------------------------------------------

def test_nfc_and_nfd_spellings_are_one_id():
    """Is a name one id whichever Unicode normal form it came in, and is that id NFC?"""
    nfd = unicodedata.normalize("NFD", "José Ñúñez")
    assert nfd != "José Ñúñez" and student_id(nfd) == student_id("José Ñúñez") == "José Ñúñez"
    assert unicodedata.is_normalized("NFC", student_id(nfd))


@pytest.mark.parametrize("first, second", [
    ("王芳", "李娜"), ("o'brien", "obrien"), ("Ann", "ann"), (LONG_A, LONG_B), ("a.b", "a_b"), ("ana maría", "ana_maría"),
    ("x" * 300 + "1", "x" * 300 + "2"), ("\x1b", "\x1b\x1b"), (b"\xff".decode(errors="surrogateescape"), "\ufffd"),
])
def test_two_names_are_two_ids_and_two_file_names(first, second):
    """Are two different names never one id, nor one file name, even where case is not told apart?"""
    assert student_id(first) != student_id(second)
    names = {file_name(student_id(first)), file_name(student_id(second))}
    assert len({name.casefold() for name in names}) == 2


@pytest.mark.parametrize("student", [
    "王芳", "محمد", "José", LONG_A, "x" * 300, "Ann", "CON", "con.txt", "lpt1", ".hidden", "..", "a/b", "a\\b", 'a:b*c?"<>|',
    "trailing.", "alice-0123abcd", "[bold red]ruby", "\x1b[31mmallory", "Zoe\u0308", "",
])
def test_every_id_gets_a_safe_and_stable_file_name(student):
    """Is every file name short, without a separator, a leading dot, a character Windows refuses or a reserved
    name, and the same each time it is asked for?"""
    name = file_name(student_id(student))
    assert name == file_name(student_id(student))
    assert len(name.encode()) <= FILE_NAME_BYTES and name not in ("", ".", "..") and not name.startswith(".")
    assert not set(name) & set('/\\:*?"<>|') and not any(unicodedata.category(char)[0] == "C" for char in name)
    assert name.split(".")[0].lower() not in {"con", "prn", "aux", "nul", "com1", "lpt1"} and not name.endswith(".")


def test_plain_lowercase_ids_keep_their_file_names():
    """Do the ids outputs were named by before (plain lowercase ASCII) keep exactly that file name?"""
    for student in ("alice", "a100", "bob_2", "jane.doe@x.edu", "ann-lee"):
        assert file_name(student) == student
    assert file_name("Ann") != "Ann" and file_name("Ann").startswith("Ann-")


def test_ids_are_capped_and_already_clean():
    """Is an id never longer than a clean result allows, so that cleaning it (as every result is) changes
    nothing, and are control characters and surrounding whitespace gone?"""
    for raw in ["x" * 500, " \t王芳\n", "\x1b[31mmallory\x07", "a\u202eb", "line\u2028two", LONG_A]:
        student = student_id(raw)
        assert len(student) <= MAX_ID_CHARS and clean_line(student) == student
    assert student_id(" \t王芳\n") == "王芳" and student_id("\x1b[31mmallory") == "[31mmallory"


# -- finding the class ------------------------------------------------------------------------------------------

def touch(path: Path, data: bytes = b"{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_the_same_name_in_nfc_and_nfd_is_one_student_with_two_submissions(tmp_path):
    """Are `Renée.ipynb` in NFC and in NFD two submissions of one student, handled by the duplicates policy?"""
    folder = tmp_path / "class"
    os.utime(touch(folder / "Ren\u00e9e.ipynb"), (1_600_000_000, 1_600_000_000))
    os.utime(touch(folder / "Rene\u0301e.ipynb"), (1_700_000_000, 1_700_000_000))
    (latest,) = find_class(folder, NB, tmp_path / "scratch").submissions
    assert latest.student == "Ren\u00e9e" and latest.source == "Rene\u0301e.ipynb" and "2 submissions found" in latest.notes[0]
    (refused,) = find_class(folder, NB, tmp_path / "scratch", duplicates="error").submissions
    assert refused.path is None and refused.problem.startswith("2 submissions found")


def test_what_is_not_a_submission_is_listed_with_its_reason(tmp_path):
    """Is every entry that is no submission (a Mac zip's metadata, Jupyter's checkpoints, a hidden file, another
    notebook in a student's folder) listed with its reason instead of vanishing?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ["class/alice.ipynb", "class/.bob.ipynb", "class/.DS_Store", "class/carol/optimizers.ipynb",
                     "class/carol/scratch.ipynb", "class/carol/.ipynb_checkpoints/optimizers-checkpoint.ipynb",
                     "__MACOSX/class/._alice.ipynb"]:
            bundle.writestr(name, "{}")
    found = find_class(archive, NB, tmp_path / "scratch")
    assert [(s.student, s.source) for s in found.submissions] == [("alice", "alice.ipynb"), ("carol", f"carol/{NB}")]
    assert found.submissions[1].notes == ("one notebook is graded per student; also found, not graded: carol/scratch.ipynb",)
    reasons = {entry.source: entry.reason for entry in found.skipped}
    assert set(reasons) == {"__MACOSX/", "class/.bob.ipynb", "class/.DS_Store", "class/carol/.ipynb_checkpoints/"}
    assert reasons["class/.bob.ipynb"].startswith("a hidden file (its name starts with a dot)")
    assert "macOS" in reasons["__MACOSX/"] and "Jupyter" in reasons["class/carol/.ipynb_checkpoints/"]


def test_a_gradescope_folder_no_one_submitted_is_listed(tmp_path):
    """Is a folder of a Gradescope export that its metadata does not name listed, not silently left out?"""
    export = tmp_path / "export"
    touch(export / "submission_1" / NB)
    touch(export / "submission_9" / NB)
    touch(export / "submission_metadata.yml", b"submission_1:\n  :submitters:\n  - :sid: '\xe7\x8e\x8b01'\n")
    found = find_class(export, NB, tmp_path / "scratch")
    assert [s.student for s in found.submissions] == ["王01"]
    assert [(entry.source, entry.reason) for entry in found.skipped] == [
        ("submission_9/", "not named in submission_metadata.yml, so it is no one's submission"),
    ]


def test_a_damaged_entry_of_no_student_is_listed(tmp_path):
    """Is a zip entry that could not be unpacked and lies where no submission is looked for listed with its reason,
    where before it vanished?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("alice.ipynb", "{}")
        link = zipfile.ZipInfo("__MACOSX/._alice.ipynb")
        link.external_attr = 0o120777 << 16   # a symbolic link: never unpacked
        bundle.writestr(link, "/etc/passwd")
    found = find_class(archive, NB, tmp_path / "scratch")
    assert [s.student for s in found.submissions] == ["alice"]
    assert ("__MACOSX/._alice.ipynb", "the zip entry '__MACOSX/._alice.ipynb' is a symbolic link; it was not unpacked; "
            "it belongs to no student") in [(entry.source, entry.reason) for entry in found.skipped]


# -- a class from a real roster, graded in one run ---------------------------------------------------------------

# file in the zip -> (student id, what their notebook earns)
CLASS = {
    "王芳_101_1_hw.ipynb": ("王芳", ANSWERED),
    "李娜.ipynb": ("李娜", BLANK),
    "محمد.ipynb": ("محمد", ANSWERED),
    "José.ipynb": ("José", ANSWERED),
    unicodedata.normalize("NFD", "Zoë.ipynb"): ("Zoë", BLANK),
    "o'brien.ipynb": ("o'brien", ANSWERED),
    "obrien.ipynb": ("obrien", BLANK),
    f"{LONG_A}/{NB}": (LONG_A, ANSWERED),
    f"{LONG_B}/{NB}": (LONG_B, BLANK),
    "Ann.ipynb": ("Ann", ANSWERED),
    "ann.ipynb": ("ann", BLANK),
    "\x1b[31mmallory.ipynb": ("[31mmallory", ANSWERED),
    "[bold red]ruby.ipynb": ("[bold red]ruby", BLANK),
    "dana": ("dana", CLASH),                     # a file, then a folder of the same name: the folder cannot be made
    f"dana/{NB}": ("dana", CLASH),
    HIDDEN: (None, ANSWERED),                     # skipped, and said so
    "__MACOSX/._José.ipynb": (None, BLANK),
}
STUDENTS = {student: points for student, points in CLASS.values() if student is not None}


def write_class_zip(path: Path, notebooks, leave_out=()) -> Path:
    release, answered = notebooks
    text = {ANSWERED: nbformat.writes(answered), BLANK: nbformat.writes(release), CLASH: nbformat.writes(answered)}
    with zipfile.ZipFile(path, "w") as bundle:
        for name, (student, points) in CLASS.items():
            if student not in leave_out:
                bundle.writestr(zipfile.ZipInfo(name, (2026, 3, 1, 9, 0, 0)), text[points])
    return path


@pytest.fixture(scope="module")
def class_run(graded_course, alpha_notebooks, tmp_path_factory):
    """The class graded once through `tito grade` on a terminal (a forced-terminal console), and graded again
    without two of its students; (output folder of the first run, terminal text of both runs)."""
    import tito.cli as cli

    folder = tmp_path_factory.mktemp("identities")
    archive = write_class_zip(folder / "class.zip", alpha_notebooks)
    out = folder / "out"
    terminal = io.StringIO()
    saved_console, saved_options = cli.console, dict(cli._options)
    cli.console = Console(force_terminal=True, color_system="truecolor", file=terminal, width=200)
    cli._options.update(root=graded_course.paths.root, workspace=None)
    options = dict(out=out, roster=None, jobs=2, force=False, merge=False, duplicates="latest", executor="local",
                   scheduler=None, test_timeout=3.0, submission_timeout=20.0, due=None, late_penalty=None,
                   similarity_threshold=0.8)
    try:
        cli.grade_run("alpha", archive, **options)
        first = folder / "first"
        shutil.copytree(out, first)
        write_class_zip(archive, alpha_notebooks, leave_out={"[31mmallory", "[bold red]ruby"})
        cli.grade_run("alpha", archive, **options)
    finally:
        cli.console, cli._options = saved_console, saved_options
    return first, terminal.getvalue()


def grade_rows(out: Path) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))
    return {csv_value(row["student"]): {key: csv_value(value) for key, value in row.items()} for row in rows}


def test_every_student_is_graded_with_their_own_notebook(class_run):
    """Is there one row per student under their real name (NFC), each with the score of their own notebook, and
    the file/folder clash that student's error, not the class's?"""
    out, _ = class_run
    rows = grade_rows(out)
    assert set(rows) == set(STUDENTS)
    for student, points in STUDENTS.items():
        assert unicodedata.is_normalized("NFC", student)
        if points is CLASH:
            assert rows[student]["status"] == "error" and "clashes with another entry" in rows[student]["notes"]
        else:
            assert (rows[student]["status"], float(rows[student]["score"])) == ("graded", points), student


def test_each_student_has_their_own_files(class_run):
    """Does every student have a results and a feedback file of their own (names apart even where case is not),
    showing their real name, and an nbgrader student whose names hold the real id?"""
    from nbgrader.api import Gradebook

    out, _ = class_run
    names = {student: file_name(student) for student in STUDENTS}
    assert len({name.casefold() for name in names.values()}) == len(STUDENTS)
    assert {path.stem for path in (out / "results").iterdir()} == set(names.values())
    for student, name in names.items():
        assert f"feedback for {student}" in (out / "feedback" / f"{name}.html").read_text(encoding="utf-8").replace(
            "&#x27;", "'")
        json.loads((out / "results" / f"{name}.json").read_text(encoding="utf-8"))
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gradebook:
        recorded = {student.id: (student.first_name, student.lms_user_id) for student in gradebook.students}
    assert set(recorded) == set(names.values())
    assert recorded[names["王芳"]] == ("王芳", "王芳") and recorded["ann"] == (None, None)


def test_what_was_skipped_is_in_the_summary(class_run):
    """Are the hidden notebook and the zip's Mac metadata listed in summary.txt with their reasons, as text?"""
    out, _ = class_run
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert "not graded: 2 item(s) found among the submissions" in summary
    assert "  .[bold red]sneaky[31m.ipynb: a hidden file (its name starts with a dot)" in summary
    assert "  __MACOSX/: macOS metadata" in summary and "\x1b" not in summary


def test_nothing_a_name_holds_reaches_the_terminal_raw(class_run):
    """On a terminal, does every name show as text: control characters visible, markup shown, not applied?"""
    _, shown = class_run
    assert "\x1b[31msneaky" not in shown and "\x1b[31mmallory" not in shown
    assert r".[bold red]sneaky\x1b[31m.ipynb: a hidden file" in _plain(shown)
    assert "removed 2 student(s) no longer submitted: [31mmallory, [bold red]ruby" in _plain(shown)


def _plain(text: str) -> str:
    """Terminal text without the colours rich itself adds."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_hand_grades_of_unicode_ids_round_trip(class_run, graded_course, tmp_path):
    """Do scores given in manual/scores.csv to students with Unicode or mixed-case ids reach the gradebook,
    final_grades.csv and each one's own feedback page?"""
    from tito.grading.manual_scores import apply_manual_scores
    from tito.release import load_manifest

    out = tmp_path / "out"
    shutil.copytree(class_run[0], out)
    template = (out / "manual" / "scores.csv").read_text(encoding="utf-8")
    given = {"王芳": "4", "Ann": "3", LONG_B: "1"}
    rows = []
    for row in csv.reader(io.StringIO(template)):
        student = csv_value(row[0])
        rows.append(row[:3] + [given[student], f"well done, {student}"] if student in given else row)
    filled = tmp_path / "filled.csv"
    with open(filled, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    module = graded_course.module("alpha")
    record = apply_manual_scores(out, module, load_manifest(graded_course, module), filled)
    assert {change.student for change in record.changes} == set(given) and not record.not_rewritten
    final = {csv_value(row["student"]): row for row in csv.DictReader(io.StringIO(
        (out / "final_grades.csv").read_text(encoding="utf-8")))}
    for student, score in given.items():
        assert final[student]["total"] == str(int(STUDENTS[student] + float(score)))
        page = (out / "feedback" / f"{file_name(student)}.html").read_text(encoding="utf-8")
        assert f"well done, {student}" in page
    assert final["ann"]["total"] == "0" and "well done" not in (out / "feedback" / "ann.html").read_text()
