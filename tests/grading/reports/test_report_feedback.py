"""Feedback pages: one self-contained, escaped HTML page per student."""

import re

from tito.grading.reports.feedback import feedback_html, write_feedback


def test_the_page_shows_status_total_and_each_test(by_id):
    """Does bob's page give the status, the total and each test's outcome, points and message?"""
    page = feedback_html(by_id["bob"], "Optimizers")
    assert page.startswith("<!DOCTYPE html>") and "<title>Optimizers: feedback for bob</title>" in page
    assert "<strong>4 / 12.5</strong>" in page and "1 of 3 hidden tests passed" in page
    row = re.search(r"<tr><td><code>test_adam</code></td>.*?</tr>", page).group(0)
    assert 'class="failed">failed' in row and "0 / 6" in row and "expected 0.5, got 0.25" in row
    assert "the probe timed out after 20 s in test_clipping" in page


def test_written_answers_are_listed_as_graded_by_hand(by_id):
    """Are the written answers named, with their points, as graded by hand and not in the total?"""
    page = feedback_html(by_id["bob"], "Optimizers")
    assert "<code>question-memory</code> (10 points): answered, graded by hand" in page
    assert "<code>question-plateau</code> (5 points): not answered, graded by hand" in page


def test_errors_and_missing_submissions_say_so(by_id):
    """Does an error page carry the problem and the output; a missing one say nothing was found?"""
    carl = feedback_html(by_id["carl"], "Optimizers")
    assert "Could not grade: the notebook does not run: SyntaxError in cell 7" in carl
    assert "<details><summary>what your notebook printed</summary><pre>Traceback ...</pre></details>" in carl
    assert "no submission found" in feedback_html(by_id["dan"], "Optimizers")
    assert "see the notes" in feedback_html(by_id["eve@example.com"], "Optimizers")


def test_every_text_from_the_result_is_escaped(by_id):
    """Can a message, note, name, answer or output inject markup? No: all arrive escaped."""
    page = feedback_html(by_id["mallory"], "Optimizers <i>")
    assert "<script" not in page and "<img" not in page and "<b>1</b>" not in page and "<i>" not in page
    assert "expected &lt;b&gt;1&lt;/b&gt;, got &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "printed &lt;script&gt;" in page and "&amp; more" in page


def test_the_page_is_self_contained_and_deterministic(by_id, tmp_path):
    """Does the page load nothing from elsewhere, and come out byte-identical twice?"""
    page = feedback_html(by_id["ada"], "Optimizers")
    assert not re.search(r"(src|href)=", page) and "<script" not in page
    first = write_feedback(by_id["ada"], "Optimizers", tmp_path / "a.html").read_bytes()
    assert first == write_feedback(by_id["ada"], "Optimizers", tmp_path / "b.html").read_bytes()


def hand_grades(memory: float | None = None, memory_comment: str = "", plateau: float | None = None):
    from tito.grading.manual_scores import HandGrade, HandGrades

    return HandGrades((HandGrade("question-memory", 10.0, memory, memory_comment), HandGrade("question-plateau", 5.0, plateau)))


def test_hand_grades_with_nothing_recorded_leave_the_page_as_it_was(by_id):
    """Is the page byte-identical with no hand grades, or with hand grades holding no score and no comment?"""
    plain = feedback_html(by_id["bob"], "Optimizers")
    assert feedback_html(by_id["bob"], "Optimizers", hand_grades()) == plain


def test_recorded_hand_grades_show_each_score_the_comment_and_the_total(by_id):
    """Does the page give each hand score, the grader's comment, what is still ungraded, and the total with them?"""
    page = feedback_html(by_id["bob"], "Optimizers", hand_grades(7.5, "Say which buffers."))
    assert "<code>question-memory</code> (10 points): answered, graded by hand: <strong>7.5 / 10</strong>" in page
    assert "Grader&#x27;s comment:<pre>Say which buffers.</pre>" in page
    assert "<code>question-plateau</code> (5 points): not answered, graded by hand, not graded yet" in page
    assert "graded by hand: <strong>7.5 / 15</strong>, 1 of 2 graded so far" in page
    assert "Total: <strong>11.5 / 27.5</strong>" in page and "<strong>4 / 12.5</strong>" in page


def test_a_hand_graded_question_without_an_answer_cell_is_listed(by_id):
    """Is a question scored by hand listed even when the submission could not be read for answers?"""
    page = feedback_html(by_id["carl"], "Optimizers", hand_grades(0.0, "No notebook to read."))
    assert "<code>question-memory</code> (10 points): no answer found in the submission, graded by hand: <strong>0 / 10</strong>" in page
    assert "No notebook to read." in page


def test_the_graders_comment_is_escaped(by_id):
    """Can a grader's comment inject markup? No: it arrives escaped like everything else."""
    page = feedback_html(by_id["ada"], "Optimizers", hand_grades(10.0, "<script>alert(1)</script> & <b>well</b>"))
    assert "<script" not in page and "<b>well</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;well&lt;/b&gt;" in page
