"""Written answers for hand grading, the scores template and its reader."""

import pytest

from tito.grading.reports.common import ReportError
from tito.grading.reports.manual import (
    manual_grading_html,
    manual_scores_template_csv,
    read_manual_scores,
    write_manual,
)


def test_one_page_per_question_with_every_students_answer(graded_class, manifest):
    """Is there a page per written question (notebook order), each showing every student's answer or its absence?"""
    pages = manual_grading_html(graded_class, manifest)
    assert list(pages) == ["question-memory", "question-plateau"]
    memory = pages["question-memory"]
    assert "10 points, graded by hand. 6 students." in memory
    assert "<pre>Adam keeps two buffers per parameter.</pre>" in memory and "<pre>Two buffers.</pre>" in memory
    assert '<section id="dan">\n<h2>dan (Dan Missing)</h2>\n<p class="none">no submission</p>' in memory
    assert '<h2>carl</h2>\n<p class="none">no answer found in the submission</p>' in memory
    assert '<h2>bob (Bob)</h2>\n<p class="none">not answered</p>' in pages["question-plateau"]


def test_answers_and_names_are_escaped(graded_class, manifest):
    """Can a student's answer or roster name inject markup into the grader's page? No."""
    page = manual_grading_html(graded_class, manifest)["question-memory"]
    assert "<script" not in page
    assert "My answer &lt;script&gt;" in page and "Mal &lt;script&gt;" in page


def test_the_template_has_a_blank_score_per_student_and_question(graded_class, manifest):
    """Is the template `student, grade_id, max_points, score, comment` with every pair, score and comment blank?"""
    lines = manual_scores_template_csv(graded_class, manifest).splitlines()
    assert lines[0] == "student,grade_id,max_points,score,comment"
    assert lines[1:3] == ["ada,question-memory,10,,", "ada,question-plateau,5,,"]
    assert len(lines) == 1 + 6 * 2


def test_a_filled_template_reads_back(graded_class, manifest):
    """Do filled scores come back by student and question, blanks left out?"""
    text = manual_scores_template_csv(graded_class, manifest)
    text = text.replace("ada,question-memory,10,,", "ada,question-memory,10,8.5,")
    text = text.replace("bob,question-plateau,5,,", "bob,question-plateau,5, 0 ,")
    assert read_manual_scores(text, manifest) == {"ada": {"question-memory": 8.5}, "bob": {"question-plateau": 0.0}}


def test_bad_scores_are_reported_together_each_naming_its_row():
    """Are non-numbers, out-of-range scores and duplicates each reported with their row?"""
    text = (
        "student,grade_id,max_points,score\n"
        "ada,q1,10,eleven\n"
        "bob,q1,10,11\n"
        "carl,q1,10,-1\n"
        "carl,q1,10,3\n"
        "dan,q1,10,nan\n"
    )
    with pytest.raises(ReportError) as caught:
        read_manual_scores(text)
    message = str(caught.value)
    assert "row 2 (ada, q1): score 'eleven' is not a number" in message
    assert "row 3 (bob, q1): score 11 is outside 0 to 10" in message
    assert "row 4 (carl, q1): score -1 is outside 0 to 10" in message
    assert "row 5 (carl, q1): a second score for the same student and question" in message
    assert "row 6 (dan, q1): score 'nan' is not a number" in message


def test_with_the_manifest_questions_and_maxima_are_checked(manifest, tmp_path):
    """Is an unknown question, or a max_points edited upwards, refused when the manifest is given?"""
    path = tmp_path / "scores.csv"
    path.write_text("student,grade_id,max_points,score\nada,question-memory,20,15\nada,question-x,5,1\n")
    with pytest.raises(ReportError) as caught:
        read_manual_scores(path, manifest)
    assert "row 2 (ada, question-memory): max_points is 20 but the question is worth 10" in str(caught.value)
    assert "row 3 (ada, question-x): 'question-x' is not a written question" in str(caught.value)


def test_a_file_without_the_columns_is_refused():
    """Is a CSV missing the template's columns refused, naming them?"""
    with pytest.raises(ReportError, match="missing column.*max_points, score"):
        read_manual_scores("student,grade_id\nada,q1\n")


def test_write_manual_is_deterministic(graded_class, manifest, tmp_path):
    """Are the pages and the template written under manual/, the same bytes twice?"""
    first = {p.name: p.read_bytes() for p in write_manual(graded_class, manifest, tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in write_manual(graded_class, manifest, tmp_path / "b")}
    assert sorted(first) == ["question-memory.html", "question-plateau.html", "scores.csv"] and first == second


def test_ids_a_spreadsheet_would_run_are_quoted_and_read_back_as_they_were(manifest):
    """Are ids starting with - or @ written with a leading ' in the template, and read back without it?"""
    from tito.grading.result import SubmissionResult

    results = [SubmissionResult(student, "graded", 1.0) for student in ("-2+3", "@sum", "-1.5", "ada")]
    text = manual_scores_template_csv(results, manifest)
    assert "'-2+3,question-memory,10," in text and "'@sum,question-memory,10," in text
    assert "\n-1.5,question-memory,10," in text
    filled = "\n".join(line[:-1] + "1," if line.endswith(",,") and "plateau" in line else line
                       for line in text.splitlines())
    scores = read_manual_scores(filled, manifest)
    assert scores == {student: {"question-plateau": 1.0} for student in ("-2+3", "@sum", "-1.5", "ada")}
    assert read_manual_scores(filled.replace("'@sum", "@sum"), manifest) == scores  # saved without the quote
