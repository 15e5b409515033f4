"""Hand grades: `tito grade manual --scores` merges a TA's scores and comments into gradebook.db and rewrites
final_grades.csv, and the feedback and results of the students whose grades changed."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tito.cli import app
from tito.course import Course
from tito.errors import TitoError
from tito.grading.manual_scores import apply_manual_scores, read_hand_grades
from tito.grading.output_folder import CACHE_FOLDER
from tito.grading.reports import write_all
from tito.grading.result import SubmissionResult, WrittenAnswer
from tito.grading.result import TestVerdict as Verdict

TESTS = {"test_sgd": 4.0, "test_adam": 6.0}
MANIFEST = {
    "module": "03_optimizers",
    "notebook": "optimizers.ipynb",
    "cells": [
        {"grade_id": "question-memory", "index": 7, "kind": "written", "points": 10.0, "cell_type": "markdown"},
        {"grade_id": "question-plateau", "index": 9, "kind": "written", "points": 5.0, "cell_type": "markdown"},
    ],
}
MODULE_YAML = """\
name: optimizers
number: 3
title: Optimizers
prerequisites: []
exports: [core.optimizers]
points: {auto: 10, manual: 15}
"""
HEADER = "student,grade_id,max_points,score,comment"


def make_class() -> list[SubmissionResult]:
    def verdicts(sgd: bool, adam: bool) -> list[Verdict]:
        return [Verdict("test_sgd", 4.0, 4.0 if sgd else 0.0, sgd), Verdict("test_adam", 6.0, 6.0 if adam else 0.0, adam)]

    def written(memory: str, plateau: str) -> list[WrittenAnswer]:
        return [WrittenAnswer("question-memory", 10.0, memory, bool(memory)),
                WrittenAnswer("question-plateau", 5.0, plateau, bool(plateau))]

    return [
        SubmissionResult("ada", "graded", 10.0, verdicts(True, True), name="=Ada Lovelace",
                         written=written("Two buffers.", "Lower the rate."), key="k-ada"),
        SubmissionResult("bob", "graded", 10.0, verdicts(True, False), name="Bob", written=written("One.", ""), key="k-bob"),
        SubmissionResult("dan", "missing", 10.0, [Verdict(name, points, 0.0, False, "no submission")
                                                  for name, points in TESTS.items()], problem="no submission"),
    ]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Path]:
    """A course and a grading run of its class, as `tito grade` leaves it: `(course root, output folder)`."""
    root = tmp_path_factory.mktemp("course")
    (root / "modules" / "03_optimizers").mkdir(parents=True)
    (root / "modules" / "03_optimizers" / "module.yaml").write_text(MODULE_YAML)
    (root / "release" / "03_optimizers").mkdir(parents=True)
    (root / "release" / "03_optimizers" / "manifest.json").write_text(json.dumps(MANIFEST))
    course = Course.load(root)
    out = tmp_path_factory.mktemp("grades") / "optimizers"
    results = make_class()
    write_all(results, out, course=course, module=course.module("optimizers"), tests=TESTS)
    (out / CACHE_FOLDER).mkdir()
    for result in results:
        if result.key:
            (out / CACHE_FOLDER / f"{result.student}.json").write_text(json.dumps(result.to_dict()))
    return root, out


@pytest.fixture
def run(first_run, tmp_path):
    """`(course, module, out)` on a fresh copy of the first run."""
    root, first = first_run
    out = tmp_path / "optimizers"
    shutil.copytree(first, out)
    course = Course.load(root)
    return course, course.module("optimizers"), out


def scores_file(folder: Path, *rows: str) -> Path:
    path = folder / "scores.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def apply(run, path: Path):
    course, module, out = run
    return apply_manual_scores(out, module, MANIFEST, path)


def final_rows(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO((out / "final_grades.csv").read_text()))}


def stored(out: Path) -> dict[str, dict[str, tuple[float | None, str]]]:
    hand = read_hand_grades(out / "nbgrader" / "gradebook.db", "03_optimizers", "optimizers",
                            [_q("question-memory", 10.0), _q("question-plateau", 5.0)])
    return {student: {g.grade_id: (g.score, g.comment) for g in grades.grades} for student, grades in hand.items()}


def _q(grade_id: str, points: float):
    from tito.grading.reports.common import Question

    return Question(grade_id, points)


def test_a_partial_file_keeps_every_other_recorded_score(run, tmp_path):
    """Does a file holding one student's rows change that student alone, keeping everyone else's hand scores
    in the gradebook and in final_grades.csv?"""
    out = run[2]
    apply(run, scores_file(tmp_path, "ada,question-memory,10,8,", "ada,question-plateau,5,4,", "bob,question-memory,10,3,"))
    record = apply(run, scores_file(tmp_path, "bob,question-memory,10,6,", "bob,question-plateau,5,,"))
    assert [(c.student, c.grade_id, c.old, c.new) for c in record.changes] == [("bob", "question-memory", "3", "6")]
    assert stored(out)["ada"] == {"question-memory": (8.0, ""), "question-plateau": (4.0, "")}
    assert stored(out)["bob"] == {"question-memory": (6.0, ""), "question-plateau": (None, "")}
    rows = final_rows(out)
    assert (rows["ada"]["question-memory"], rows["ada"]["question-plateau"], rows["ada"]["total"]) == ("8", "4", "22")
    assert (rows["bob"]["question-memory"], rows["bob"]["question-plateau"], rows["bob"]["ungraded_answers"]) == ("6", "", "1")
    assert (rows["dan"]["total"], rows["dan"]["max_total"], rows["dan"]["ungraded_answers"]) == ("0", "25", "2")


def test_each_change_is_reported_and_the_same_file_twice_changes_nothing(run, tmp_path):
    """Are the changes listed as (student, question, old, new), and a second identical run empty?"""
    path = scores_file(tmp_path, "ada,question-memory,10,8,Good.", "bob,question-memory,10,0,")
    first = apply(run, path)
    assert [(c.student, c.grade_id, c.what, c.old, c.new) for c in first.changes] == [
        ("ada", "question-memory", "score", None, "8"), ("ada", "question-memory", "comment", None, "Good."),
        ("bob", "question-memory", "score", None, "0"),
    ]
    again = apply(run, path)
    assert again.changes == [] and again.rewritten == [] and again.final_grades.is_file()


def test_comments_are_stored_as_nbgrader_manual_comments(run, tmp_path):
    """Is the comment column stored as the gradebook's manual_comment, and a blank one left as it was?"""
    from nbgrader.api import Gradebook

    out = run[2]
    apply(run, scores_file(tmp_path, 'ada,question-memory,10,,"Name the two buffers,\nplease."'))
    apply(run, scores_file(tmp_path, "ada,question-memory,10,9,"))
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gradebook:
        comment = gradebook.find_comment("question-memory", "optimizers", "03_optimizers", "ada")
        assert comment.manual_comment == "Name the two buffers,\nplease."
        assert gradebook.find_grade("question-memory", "optimizers", "03_optimizers", "ada").manual_score == 9


def test_the_feedback_and_results_of_changed_students_are_rewritten(run, tmp_path):
    """Do ada's feedback page and results JSON show her hand score and comment (escaped in HTML, counted in
    the score), while bob's files, unchanged, stay as they were?"""
    out = run[2]
    bob = ((out / "feedback" / "bob.html").read_bytes(), (out / "results" / "bob.json").read_bytes())
    record = apply(run, scores_file(tmp_path, "ada,question-memory,10,8,<b>Good</b> & clear"))
    assert sorted(path.relative_to(out).as_posix() for path in record.rewritten) == ["feedback/ada.html", "results/ada.json"]
    page = (out / "feedback" / "ada.html").read_text()
    assert "graded by hand: <strong>8 / 10</strong>" in page and "&lt;b&gt;Good&lt;/b&gt; &amp; clear" in page
    assert "<b>Good</b>" not in page and "Total: <strong>18 / 25</strong>" in page
    results = json.loads((out / "results" / "ada.json").read_text())
    assert (results["score"], results["max_score"]) == (18.0, 25.0)
    assert results["tests"][-1] == {
        "name": "Written answer question-memory (graded by hand)", "score": 8.0, "max_score": 10.0,
        "output": "<b>Good</b> & clear", "output_format": "text", "visibility": "visible",
    }
    assert ((out / "feedback" / "bob.html").read_bytes(), (out / "results" / "bob.json").read_bytes()) == bob


def test_a_student_without_a_stored_result_is_named_not_rewritten(run, tmp_path):
    """Is a changed student whose result `tito grade` did not store reported instead of silently skipped?"""
    out = run[2]
    (out / CACHE_FOLDER / "bob.json").unlink()
    record = apply(run, scores_file(tmp_path, "bob,question-memory,10,5,"))
    assert record.not_rewritten == ["bob"] and record.rewritten == []
    assert final_rows(out)["bob"]["question-memory"] == "5"


def test_a_row_that_cannot_be_stored_stores_nothing(run, tmp_path):
    """Does a score for a student without a submission, or not in the run, refuse the whole file?"""
    out = run[2]
    with pytest.raises(TitoError, match=r"no submission .* dan \(question-memory\); nothing was recorded"):
        apply(run, scores_file(tmp_path, "ada,question-memory,10,8,", "dan,question-memory,10,1,"))
    with pytest.raises(TitoError, match="students not in this grading run: zoe"):
        apply(run, scores_file(tmp_path, "ada,question-memory,10,8,", "zoe,question-memory,10,1,"))
    assert stored(out)["ada"]["question-memory"] == (None, "")
    assert not (out / "final_grades.csv").exists()


def test_final_grades_cells_cannot_run_as_formulas(run, tmp_path):
    """Is a name that starts like a formula written so that a spreadsheet shows it as text?"""
    apply(run, scores_file(tmp_path, "ada,question-memory,10,8,"))
    assert final_rows(run[2])["ada"]["name"] == "'=Ada Lovelace"


def test_the_cli_prints_each_change_and_says_when_nothing_changed(run, tmp_path):
    """Does `tito grade manual --scores` list student, question, old → new, and say so when nothing changed?"""
    course, _, out = run
    path = scores_file(tmp_path, "ada,question-memory,10,8,", "bob,question-plateau,5,2.5,Short.")
    arguments = ["--root", str(course.paths.root), "grade", "manual", "optimizers", "--out", str(out), "--scores", str(path)]
    runner = CliRunner()
    done = runner.invoke(app, arguments, env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    assert "ada question-memory score: (none) → 8" in done.output
    assert "bob question-plateau score: (none) → 2.5" in done.output
    assert "bob question-plateau comment: (none) → 'Short.'" in done.output
    again = runner.invoke(app, arguments, env={"COLUMNS": "300"})
    assert again.exit_code == 0 and "nothing changed" in again.output
