"""write_all: every output of a grading run into one folder."""

import json
import shutil
from pathlib import Path

import pytest

from tito.errors import TitoError
from tito.grading.reports import write_all
from tito.grading.reports.common import ReportError, safe_student_id
from tito.grading.result import SubmissionResult

TEXT_SUFFIXES = {".csv", ".json", ".html", ".ipynb", ".txt", ".py"}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in TEXT_SUFFIXES}


def test_every_output_is_written_and_a_rerun_gives_the_same_bytes(written_course, report_course, class_factory, tests,
                                                                  tmp_path):
    """Are all outputs under out_dir, returned as paths, and byte-identical after writing again?"""
    first, paths = written_course
    out = tmp_path / "out"
    shutil.copytree(first, out)
    paths = [out / path.relative_to(first) for path in paths]
    names = {path.relative_to(out).as_posix() for path in paths}
    assert all(path.is_file() for path in paths)
    assert {"grades.csv", "summary.txt", "summary.png", "nbgrader/gradebook.db", "nbgrader/nbgrader_config.py",
            "results/eve@example.com.json", "feedback/dan.html", "manual/question-memory.html", "manual/scores.csv",
            "nbgrader/source/03_optimizers/optimizers.ipynb",
            "nbgrader/autograded/mallory/03_optimizers/optimizers.ipynb"} <= names
    assert len([name for name in names if name.startswith("results/")]) == 6
    assert len([name for name in names if name.startswith("nbgrader/autograded/")]) == 5     # not dan: no submission
    assert json.loads((out / "results" / "ada.json").read_text())["score"] == 12.5
    before = snapshot(out)
    course, module = report_course
    write_all(list(reversed(class_factory())), out, course=course, module=module, tests=tests)
    assert snapshot(out) == before


@pytest.mark.parametrize("student", ["../etc", "a/b", "..", ".", "", "name with space", "é"])
def test_unsafe_student_ids_are_refused(student):
    """Is an id that could escape its folder or is not [A-Za-z0-9._@-] refused, never rewritten?"""
    with pytest.raises(ReportError, match="cannot name a file"):
        safe_student_id(student)


def test_nothing_is_written_when_one_id_is_unsafe(class_factory, report_course, tmp_path):
    """Does write_all check every id before writing anything?"""
    course, module = report_course
    results = class_factory() + [SubmissionResult("../x", "missing", 12.5)]
    with pytest.raises(ReportError, match="'../x'"):
        write_all(results, tmp_path / "out", course=course, module=module)
    assert not (tmp_path / "out").exists()


def test_a_student_twice_is_refused(class_factory, report_course, tmp_path):
    """Would a second result for one student overwrite the first? No: it is refused."""
    course, module = report_course
    results = class_factory() + [SubmissionResult("ada", "missing", 12.5)]
    with pytest.raises(ReportError, match="'ada' has more than one result"):
        write_all(results, tmp_path / "out", course=course, module=module)


def test_a_module_without_a_release_manifest_is_refused(class_factory, report_course, tmp_path):
    """Without release/NN_name/manifest.json, is the user told to run `tito release`?"""
    course, module = report_course
    other = type(module)(**{**module.__dict__, "name": "losses", "number": 5})
    with pytest.raises(TitoError, match="release/05_losses/manifest.json is missing; run `tito release losses` first"):
        write_all(class_factory(), tmp_path / "out", course=course, module=other)


def test_tests_are_read_off_the_results_when_not_given(class_factory, tests):
    """Without the suite's list, are the tests and points taken from the results in first-seen order?"""
    from tito.grading.reports.common import hidden_tests

    assert hidden_tests(class_factory()) == tests


def test_reports_written_while_grading_equal_those_written_after(report_course, class_factory, tests, tmp_path):
    """Do results fed one by one, in any order, to the background writer give the same files as write_all?"""
    from tito.grading.reports.write import BackgroundReports

    course, module = report_course
    results = class_factory()
    after = tmp_path / "after"
    write_all(results, after, course=course, module=module, tests=list(tests.items()))
    out = tmp_path / "out"
    background = BackgroundReports(out, course=course, module=module, tests=tests)
    for result in reversed(results[1:]):  # arrival order differs; one result only reaches finish()
        background.add(result)
    background.finish(results)
    assert snapshot(out) == snapshot(after)


def test_a_failing_background_writer_reports_its_error_instead_of_hanging(report_course, class_factory, tests,
                                                                         tmp_path):
    """If writing fails in the background thread (here, a student id that cannot name a file), does finish()
    raise that error rather than wait forever?"""
    from tito.grading.reports.write import BackgroundReports

    course, module = report_course
    results = class_factory()
    bad = SubmissionResult.from_dict({**results[0].to_dict(), "student": "../escape"})
    background = BackgroundReports(tmp_path / "out", course=course, module=module, tests=tests)
    background.add(bad)
    background.add(results[1])
    with pytest.raises(ReportError, match="cannot name a file"):
        background.finish(results)
