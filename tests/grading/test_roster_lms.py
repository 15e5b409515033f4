"""Moodle downloads and Moodle's grading worksheet as the roster: one id, `Participant N`, on both sides."""

from __future__ import annotations

from tito.grading.roster import apply_roster, read_roster
from tito.grading.submissions import find_class

NB = "optimizers.ipynb"


def test_a_moodle_download_matches_its_grading_worksheet(tmp_path):
    """Are Moodle's folder (`Full Name_N_assignsubmission_file_/`) and file (`Full Name_N_assignsubmission_file_x`)
    names read as `Participant N` with the full name, and does the grading worksheet (Identifier, Full name, Email
    address) serve as the roster, its unsubmitted participant missing?"""
    folder = tmp_path / "download"
    (folder / "Ada Lovelace_1234_assignsubmission_file_").mkdir(parents=True)
    (folder / "Ada Lovelace_1234_assignsubmission_file_" / NB).write_text("{}")
    (folder / "Bob Stone_99_assignsubmission_file_optimizers.ipynb").write_text("{}")
    found = find_class(folder, NB, tmp_path / "scratch")
    assert [(s.student, s.name, s.source) for s in found.submissions] == [
        ("Participant 1234", "Ada Lovelace", f"Ada Lovelace_1234_assignsubmission_file_/{NB}"),
        ("Participant 99", "Bob Stone", "Bob Stone_99_assignsubmission_file_optimizers.ipynb"),
    ]
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text("Identifier,Full name,Email address,Status,Grade\n"
                         "Participant 1234,Ada Lovelace,ada@x.edu,Submitted,\n"
                         "Participant 77,Cy Young,cy@x.edu,No submission,\n"
                         "Participant 99,Bob Stone,bob@x.edu,Submitted,\n")
    applied = apply_roster(found.submissions, read_roster(worksheet))
    assert applied.not_listed == []
    assert [(s.student, s.email, s.path is None) for s in applied.submissions] == [
        ("Participant 1234", "ada@x.edu", False), ("Participant 77", "cy@x.edu", True),
        ("Participant 99", "bob@x.edu", False)]
