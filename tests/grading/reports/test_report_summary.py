"""The class summary: text and a figure."""

from tito.grading.reports.summary import (
    pass_rates,
    summary_figure,
    summary_text,
    write_summary_png,
)
from tito.grading.result import SubmissionResult


def test_the_text_counts_statuses_and_gives_score_statistics(graded_class, tests):
    """Does the summary count each status and give mean and median of the submitted scores?"""
    text = summary_text(graded_class, list(tests))
    assert "students: 6 (graded 3, tampered 1, error 1, missing 1)" in text
    # submitted scores: 12.5, 4, 0, 6, 6.5
    assert "of the 5 submitted: mean 5.8, median 6, min 0, max 12.5 (out of 12.5)" in text


def test_the_text_lists_the_lowest_passing_tests_first(graded_class, tests):
    """Are tests ordered by pass rate (then name), counted among the submissions that ran them?"""
    assert pass_rates(graded_class, list(tests)) == {"test_sgd": (3, 4), "test_adam": (2, 4), "test_clipping": (2, 4)}
    lines = summary_text(graded_class, list(tests)).splitlines()
    start = lines.index("tests with the lowest pass rates:")
    assert [line.split()[0] for line in lines[start + 1:]] == ["test_adam", "test_clipping", "test_sgd"]
    assert "2/4 passed (50%)" in lines[start + 1]


def test_the_figure_has_a_histogram_and_a_bar_per_test(graded_class, tests):
    """Does the figure hold the grade histogram and horizontal pass-rate bars, one per test, in suite order?"""
    figure = summary_figure(graded_class, list(tests))
    histogram, bars = figure.axes
    assert len(figure.axes) == 2
    assert sum(patch.get_height() for patch in histogram.patches) == 5     # every submitted student, once
    assert histogram.get_xlim() == (0, 12.5) and histogram.get_ylabel() == "students"
    assert [label.get_text() for label in bars.get_yticklabels()] == list(tests)
    assert [round(patch.get_width()) for patch in bars.patches] == [75, 50, 50]
    assert bars.get_xlim() == (0, 105) and bars.get_xlabel() == "passed (%)"
    assert figure.canvas.get_default_filetype() == "png" and type(figure.canvas).__name__ == "FigureCanvasAgg"


def test_the_png_is_written(graded_class, tests, tmp_path):
    """Is summary.png a PNG image?"""
    path = write_summary_png(graded_class, list(tests), tmp_path / "summary.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_empty_class_still_summarises():
    """Does an empty class give text and a figure rather than a crash?"""
    assert "no submissions" in summary_text([])
    assert len(summary_figure([], []).axes) == 2


def test_hostile_names_never_reach_the_summary(graded_class, tests, tmp_path):
    """Do names and messages that are markup, formulas or invalid text stay out of summary.txt, and does the png
    still draw?"""
    hostile = SubmissionResult("zed", "graded", 12.5, name='=HYPERLINK("http://x")\ud800', notes=["<script>"])
    text = summary_text([*graded_class, hostile], list(tests))
    assert "HYPERLINK" not in text and "script" not in text and "Mal" not in text and "students: 7" in text
    assert write_summary_png([*graded_class, hostile], list(tests), tmp_path / "s.png").stat().st_size > 0
