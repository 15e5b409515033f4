"""nbgrader: gradebook.db through nbgrader's API, and the notebooks formgrader shows."""

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tito.grading.reports.common import Question, ReportError, written_questions
from tito.grading.reports.gradebook import (
    autograded_notebook,
    grading_notebook,
    import_gradebook,
)

ASSIGNMENT, NOTEBOOK = "03_optimizers", "optimizers"


@pytest.fixture
def course(written_course) -> Path:
    """The nbgrader course folder write_all wrote (through its NbgraderCourseWriter) for the class, once."""
    return written_course[0] / "nbgrader"


def open_gradebook(path: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{path / 'gradebook.db'}")


def test_nbgrader_export_gives_our_totals(course, class_factory):
    """Run `nbgrader export` in the folder: is each student's score our auto-graded total?"""
    nbgrader = Path(sys.executable).parent / "nbgrader"
    exported = course.parent / f"{course.name}-export.csv"
    subprocess.run([str(nbgrader), "export", "--to", str(exported)], cwd=course, check=True, capture_output=True)
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(exported.read_text()))}
    results = class_factory()
    assert sorted(rows) == sorted(result.student for result in results)
    for result in results:
        row = rows[result.student]
        assert float(row["score"]) == result.score, result.student
        assert row["assignment"] == ASSIGNMENT and float(row["max_score"]) == 12.5 + 15
    assert (rows["ada"]["first_name"], rows["ada"]["last_name"], rows["ada"]["email"]) == ("Ada", "Lovelace", "ada@example.org")
    assert rows["ada"]["timestamp"] == "2024-03-01 12:00:00"
    assert rows["dan"]["timestamp"] == "" and float(rows["dan"]["score"]) == 0


def test_the_notebook_has_a_grade_cell_per_test_and_per_written_answer(course, tests):
    """Are the grade cells the hidden tests (code, their points) and the written answers (markdown, manual)?"""
    with open_gradebook(course) as gradebook:
        notebook = gradebook.find_notebook(NOTEBOOK, ASSIGNMENT)
        cells = {cell.name: (cell.cell_type, cell.max_score) for cell in notebook.grade_cells}
        solutions = sorted(cell.name for cell in notebook.solution_cells)
    assert cells == {**{name: ("code", points) for name, points in tests.items()},
                     "question-memory": ("markdown", 10.0), "question-plateau": ("markdown", 5.0)}
    assert solutions == ["question-memory", "question-plateau"]


def test_auto_scores_are_set_and_written_answers_wait_for_a_grader(course, class_factory):
    """Does every test grade carry its auto score, every written one none (needing a manual grade)?"""
    with open_gradebook(course) as gradebook:
        for result in class_factory():
            if result.status == "missing":
                continue
            earned = {verdict.name: verdict.points for verdict in result.tests}
            for name in ("test_sgd", "test_adam", "test_clipping"):
                grade = gradebook.find_grade(name, NOTEBOOK, ASSIGNMENT, result.student)
                assert (grade.auto_score, grade.needs_manual_grade) == (earned.get(name, 0.0), False)
            grade = gradebook.find_grade("question-memory", NOTEBOOK, ASSIGNMENT, result.student)
            assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (None, None, True)
        assert gradebook.find_comment("question-plateau", NOTEBOOK, ASSIGNMENT, "bob").auto_comment == "No response."
        assert gradebook.find_comment("question-memory", NOTEBOOK, ASSIGNMENT, "bob").auto_comment is None
        flagged = {nb.student.id for nb in gradebook.notebook_submissions(NOTEBOOK, ASSIGNMENT) if nb.flagged}
    assert flagged == {"carl", "eve@example.com"}


def test_formgrader_finds_each_submitters_notebook(course):
    """Do nbgrader's own API and GetGrades (what formgrader runs) accept the autograded notebooks?"""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import GetGrades

    api = NbGraderAPI(coursedir=CourseDirectory(root=str(course)))
    listed = {entry["student"] for entry in api.get_notebook_submissions(ASSIGNMENT, NOTEBOOK)}
    assert listed == {"ada", "bob", "carl", "eve@example.com", "mallory"}
    assert not (course / "autograded" / "dan").exists()
    path = course / "autograded" / "bob" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    resources = {"nbgrader": {"notebook": NOTEBOOK, "assignment": ASSIGNMENT, "student": "bob",
                              "db_url": f"sqlite:///{course / 'gradebook.db'}"}}
    _, resources = GetGrades().preprocess(nbformat.read(path, as_version=4), resources)
    assert (resources["nbgrader"]["score"], resources["nbgrader"]["max_score"]) == (4.0, 27.5)


def test_the_source_and_autograded_notebooks_match_the_gradebook(course, tests):
    """Is the source notebook valid with the same grade cells, and does bob's copy show outcomes and answers?"""
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    nbformat.validate(source)
    grade_ids = [cell.metadata.nbgrader["grade_id"] for cell in source.cells if "nbgrader" in cell.metadata]
    assert grade_ids == [*tests, "question-memory", "question-plateau"]
    bob = nbformat.read(course / "autograded" / "bob" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    nbformat.validate(bob)
    by_id = {cell.metadata.nbgrader["grade_id"]: cell for cell in bob.cells if "nbgrader" in cell.metadata}
    assert by_id["test_sgd"].outputs[0].text == "passed: 4 / 4\n"
    assert by_id["test_adam"].outputs[0].text == "failed: Adam, 3 steps: expected 0.5, got 0.25\n"
    assert by_id["question-memory"].source == "Two buffers."
    assert by_id["question-plateau"].source == "YOUR ANSWER HERE"
    report = next(cell for cell in bob.cells if cell.id == "tito-report")
    assert "note: the probe timed out after 20 s in test_clipping" in report.outputs[0].text


def test_notebooks_are_deterministic(class_factory, tests, manifest):
    """Is the same notebook text produced twice (fixed cell ids, no timestamps)?"""
    questions = written_questions(manifest)
    carl = class_factory()[2]
    assert nbformat.writes(autograded_notebook(carl, "O", tests, questions)) == nbformat.writes(
        autograded_notebook(carl, "O", tests, questions))
    assert nbformat.writes(grading_notebook("O", tests, questions)) == nbformat.writes(grading_notebook("O", tests, questions))


def test_a_second_import_updates_scores_and_keeps_manual_grades(course, class_factory, tests, manifest, tmp_path):
    """After a grader scores a written answer, does regrading update auto scores and keep that score?"""
    shutil.copy(course / "gradebook.db", tmp_path / "gradebook.db")
    with open_gradebook(tmp_path) as gradebook:
        grade = gradebook.find_grade("question-memory", NOTEBOOK, ASSIGNMENT, "ada")
        grade.manual_score, grade.needs_manual_grade = 7.0, False
        gradebook.db.commit()
    results = class_factory()
    bob = results[1]
    bob.tests[1] = type(bob.tests[1])("test_adam", 6.0, 6.0, True)
    import_gradebook(results, tmp_path / "gradebook.db", assignment=ASSIGNMENT, notebook=NOTEBOOK,
                     tests=tests, questions=written_questions(manifest))
    with open_gradebook(tmp_path) as gradebook:
        kept = gradebook.find_grade("question-memory", NOTEBOOK, ASSIGNMENT, "ada")
        assert (kept.manual_score, kept.needs_manual_grade) == (7.0, False)
        assert gradebook.find_grade("test_adam", NOTEBOOK, ASSIGNMENT, "bob").auto_score == 6.0
        assert gradebook.find_submission(ASSIGNMENT, "ada").score == 12.5 + 7.0


def test_other_cells_over_existing_submissions_are_refused(course, class_factory, manifest, tmp_path):
    """Is a regrade with a different set of tests refused rather than corrupting graded submissions?"""
    shutil.copy(course / "gradebook.db", tmp_path / "gradebook.db")
    with pytest.raises(ReportError, match="already grades 03_optimizers/optimizers with other cells"):
        import_gradebook([], tmp_path / "gradebook.db", assignment=ASSIGNMENT, notebook=NOTEBOOK,
                         tests={"test_new": 1.0}, questions=written_questions(manifest))


def test_parametrized_test_names_become_valid_grade_ids():
    """Does `test_lr[0.5-sgd]` get a grade_id nbgrader accepts, and do two names that collide get refused?"""
    cell = grading_notebook("O", {"test_lr[0.5-sgd]": 1.0}, []).cells[1]
    assert cell.metadata.nbgrader["grade_id"] == "test_lr_0_5-sgd_" and "test_lr[0.5-sgd]" in cell.source
    with pytest.raises(ReportError, match="used twice.*test_a_1_"):
        grading_notebook("O", {"test_a[1]": 1.0, "test_a(1)": 1.0}, [])


def test_question_ids_nbgrader_cannot_hold_are_refused():
    """Is a written question whose grade_id nbgrader would reject refused up front?"""
    with pytest.raises(ReportError, match="cannot be an nbgrader grade_id"):
        grading_notebook("O", {}, [Question("question one", 5.0)])


HOSTILE_ANSWER = (
    "My answer <script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
    "[click](javascript:alert(1)) ![i](javascript:alert(2)) <javascript:alert(3)>\n\n"
    "[r]: javascript:alert(4)\n[r] and [r][]\n\n**bold** & 1 < 2 &amp;"
)


def test_a_written_answer_renders_as_the_students_text_and_runs_nothing(tests, manifest):
    """Rendered as formgrader renders it (nbconvert's markdown), does a hostile answer show as text, with no
    element, event handler or javascript: link of its own, and its markdown emphasis still shown?"""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from tito.grading.result import SubmissionResult, WrittenAnswer

    answer = WrittenAnswer("question-memory", 10.0, HOSTILE_ANSWER, True)
    notebook = autograded_notebook(SubmissionResult("mallory", "graded", 12.5, written=[answer]), "O", tests,
                                   written_questions(manifest))
    cell = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == answer.grade_id)
    html = markdown2html_mistune(cell.source)
    assert "<script" not in html and "<img" not in html and "<a " not in html and "javascript:alert" in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<strong>bold</strong> &amp; 1 &lt; 2 &amp;amp;" in html
    assert "[click](javascript:alert(1))" in html.replace("&#91;", "[")
