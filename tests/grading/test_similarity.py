"""Similarity: copied code (renamed, recommented) and identical written answers are flagged; given code, honest
work and what most of the class shares are not; the report is escaped and changes no grade."""

from __future__ import annotations

import copy
import csv
import io
import random
import subprocess
import sys
import nbformat
import numpy as np
import pytest

from tito.grading.similarity import K_CODE, W_CODE, _kgram_hashes, _winnow, find_similar
from tito.grading.submissions import Submission

HEADER = '''#| export
def add_one(x):
    """Return x + 1 as a numpy array."""
'''
DOUBLER = '''

class Doubler:
    """Doubles things."""

    def double(self, x):
        """Return 2 * x."""
        return 2 * np.asarray(x)
'''
ALICE = '''    values = np.asarray(x)
    result = np.empty_like(values)
    flat_in = values.reshape(-1)
    flat_out = result.reshape(-1)
    for index in range(flat_in.shape[0]):
        current = flat_in[index]
        if current is None:
            raise ValueError("no value at %d" % index)
        flat_out[index] = current + 1
    return result
'''
BOB = '''    # my own work, honestly
    arr = np.asarray(x)

    out = np.empty_like(arr)   # same shape
    src = arr.reshape(-1)
    dst = out.reshape(-1)
    for i in range(src.shape[0]):
        v = src[i]
        if v is None:
            raise ValueError('missing entry %d' % i)
        dst[i] = v + 1
    return out
'''
CAROL = '''    # add one with broadcasting
    arr = np.array(x, dtype=float if np.isscalar(x) else None)
    try:
        return arr + np.ones_like(arr)
    except TypeError as error:
        raise TypeError(f"cannot add one: {error}") from error
'''
ANSWER = "Counting starts at one, so adding one moves every index to the next place. <script>alert(1)</script>"


def student_notebook(release, body: str | None, answer: str | None = None, extra_cell: str | None = None):
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id == "add-one" and body is not None:
            cell.source = HEADER + body + DOUBLER
        if grade_id == "why-add-one" and answer is not None:
            cell.source = answer
    if extra_cell is not None:
        notebook.cells.append(nbformat.v4.new_code_cell(extra_cell))
    return notebook


def given_code(release) -> str:
    return next(cell.source for cell in release.cells
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test-add-one")


@pytest.fixture
def write_class(tmp_path):
    def write(notebooks: dict) -> list[Submission]:
        folder = tmp_path / "class"
        folder.mkdir(exist_ok=True)
        found = []
        for student, notebook in notebooks.items():
            path = folder / f"{student}.ipynb"
            nbformat.write(notebook, path)
            found.append(Submission(student, path))
        return found
    return write


def test_copied_code_and_identical_answers_are_flagged_and_nothing_else(graded_course, alpha_notebooks, write_class):
    """Are alice's code and bob's (renamed, recommented, respaced) flagged at 100%, their written answers (the
    same words, other case and spacing) flagged as identical, and no pair made by given code (dave's blank
    release, erin's copy of a given cell) or by honest work (carol) flagged?"""
    release = alpha_notebooks[0]
    module = graded_course.module("alpha")
    submissions = write_class({
        "alice": student_notebook(release, ALICE, ANSWER),
        "bob": student_notebook(release, BOB, "  " + ANSWER.upper().replace(" ", "   ") + "\n"),
        "carol": student_notebook(release, CAROL, "One is where counting starts; adding it gives the next number."),
        "dave": release,
        "erin": student_notebook(release, None, extra_cell=given_code(release)),
    })
    report = find_similar(submissions, graded_course, module)
    assert report.compared == 5
    assert [(p.student_a, p.student_b, p.kind, p.part) for p in report.pairs] == [
        ("alice", "bob", "code", "answer cells"), ("alice", "bob", "written", "why-add-one")]
    code, written = report.pairs
    assert code.similarity == 1.0 and code.shared >= 5
    assert "flat_out[index] = current + 1" in code.a_excerpt and "dst[i] = v + 1" in code.b_excerpt
    assert written.similarity == 1.0 and written.a_excerpt == ANSWER


def test_a_pair_below_the_threshold_is_not_listed(graded_course, alpha_notebooks, write_class):
    """Is a partly copied answer listed at a low threshold and not at a high one?"""
    release = alpha_notebooks[0]
    half = ALICE.split("    for index")[0] + CAROL
    submissions = write_class({"alice": student_notebook(release, ALICE), "bob": student_notebook(release, half)})
    module = graded_course.module("alpha")
    low = find_similar(submissions, graded_course, module, threshold=0.3).pairs
    assert [(p.student_a, p.student_b, p.kind) for p in low] == [("alice", "bob", "code")]
    assert 0.3 <= low[0].similarity < 1.0
    assert find_similar(submissions, graded_course, module, threshold=low[0].similarity + 0.01).pairs == []


def test_what_most_of_the_class_shares_is_not_flagged(graded_course, alpha_notebooks, write_class):
    """In a class of 24 where 22 wrote the same answer (code and text), is only the pair that copied something
    nobody else has flagged?"""
    release = alpha_notebooks[0]
    notebooks = {f"s{n:02d}": student_notebook(release, CAROL, "One is where counting starts, so we add it.")
                 for n in range(22)}
    notebooks["alice"] = student_notebook(release, ALICE, ANSWER)
    notebooks["bob"] = student_notebook(release, BOB, ANSWER)
    report = find_similar(write_class(notebooks), graded_course, graded_course.module("alpha"))
    assert {(p.student_a, p.student_b) for p in report.pairs} == {("alice", "bob")}


def test_winnowing_finds_every_match_of_k_plus_w_minus_1_tokens():
    """Does every shared run of K_CODE + W_CODE - 1 tokens, anywhere in two random token streams, give them a
    shared fingerprint (the winnowing guarantee)?"""
    rng = random.Random(7)
    for _ in range(50):
        shared = [rng.choice("abcdefgh") for _ in range(K_CODE + W_CODE - 1)]
        first = [rng.choice("abcdefgh") for _ in range(rng.randrange(0, 60))]
        second = [rng.choice("abcdefgh") for _ in range(rng.randrange(0, 60))]
        a = first[: len(first) // 2] + shared + first[len(first) // 2:]
        b = second[: len(second) // 3] + shared + second[len(second) // 3:]
        hashes = [_kgram_hashes(tokens, list(range(len(tokens))), K_CODE)[0] for tokens in (a, b)]
        kept = [set(h[_winnow(h, W_CODE)].tolist()) for h in hashes]
        assert kept[0] & kept[1], (a, b)
    assert len(_winnow(np.arange(5, dtype=np.uint64), W_CODE)) == 1


def test_the_cli_writes_the_similarity_report_escaped_and_grades_unchanged(graded_course, alpha_notebooks, tmp_path):
    """Does `tito grade` write similarity.csv and similarity.html (the answers escaped) and print how many pairs it
    found?"""
    release = alpha_notebooks[0]
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(student_notebook(release, ALICE, ANSWER), folder / "alice.ipynb")
    nbformat.write(student_notebook(release, BOB, ANSWER), folder / "bob.ipynb")
    nbformat.write(student_notebook(release, CAROL, "Something else entirely, in my own words."), folder / "carol.ipynb")

    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(graded_course.paths.root), "grade", "alpha", str(folder),
         "--out", str(tmp_path / "out"), "--jobs", "1", "--test-timeout", "5", "--similarity-threshold", "0.8"],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "similarity: 2 pair(s) at or above 80% among 3 submission(s) compared" in done.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "similarity.csv").read_text())))
    assert [(r["student_a"], r["student_b"], r["kind"], r["part"], r["similarity"]) for r in rows] == [
        ("alice", "bob", "code", "answer cells", "100%"), ("alice", "bob", "written", "why-add-one", "100%")]
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "dst[i] = v + 1" in page


def test_a_failing_similarity_report_leaves_the_grades(graded_course, alpha_notebooks, tmp_path, monkeypatch):
    """If the similarity report fails, is the class still graded, with the reason kept for the terminal?"""
    from tito.grading import grade
    from tito.sandbox.limits import Limits

    def broken(*args, **kwargs):
        raise RuntimeError("fingerprints went missing")

    monkeypatch.setattr(grade, "find_similar", broken)
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(alpha_notebooks[1], folder / "alice.ipynb")
    run = grade.grade_class(graded_course, graded_course.module("alpha"), folder, tmp_path / "out",
                            limits=Limits(call_seconds=5, submission_seconds=20))
    assert [(r.student, r.score) for r in run.results] == [("alice", 15.0)]
    assert run.similarity is None and run.similarity_problem == "RuntimeError: fingerprints went missing"
