"""One mistake, one failed test: every bug of the catalogue (tests/grading/catalogue) fails only the tests named
for its concept, hidden and visible, and the first message the student reads names the concept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite
from tito.pytest_runner import PASSED, run_tests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import PACKAGE_FILES, TABLE_END, TABLE_START, all_bugs, render_table

ROOT = Path(__file__).resolve().parents[2]
BUGS = {item.slug: item for item in all_bugs()}
MODULES = ("tensor", "autograd", "optimizers", "layers", "losses", "training")


@pytest.fixture(scope="module")
def course() -> Course:
    return Course.load(ROOT)


def test_the_catalogue_covers_every_module():
    """At least 25 bugs, at least two in each module 01 to 06."""
    assert len(BUGS) >= 25, f"{len(BUGS)} bugs"
    counts = {module: sum(item.module == module for item in BUGS.values()) for module in MODULES}
    assert min(counts.values()) >= 2, counts


def test_each_bug_is_one_concept_with_at_most_three_tests():
    for item in BUGS.values():
        assert 1 <= len(item.hidden) <= 3, f"{item.slug}: {len(item.hidden)} hidden tests"
        assert len(item.visible) <= 3, f"{item.slug}: {len(item.visible)} visible tests"
        unnamed = [test for test in item.hidden if not any(name in test for name in item.names)]
        assert not unnamed, f"{item.slug}: {unnamed} are not named for {item.names}"
        assert item.file in PACKAGE_FILES, item.slug


def test_the_docs_table_is_the_catalogue():
    text = (ROOT / "docs" / "hidden-suites.md").read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text, "run python tests/grading/catalogue/table.py"
    documented = TABLE_START + text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0] + TABLE_END
    assert documented == render_table(list(BUGS.values())), "run python tests/grading/catalogue/table.py"


@pytest.mark.parametrize("slug", list(BUGS))
def test_a_bug_fails_the_hidden_tests_named_for_it(course, sandbox, run_suite, edited_package, collected_tests, slug):
    item = BUGS[slug]
    suite = HiddenSuite.for_module(course, course.module(item.module))
    files = edited_package(suite.reference_package(), PACKAGE_FILES[item.file], item.edits)
    outcomes = run_suite(suite, sandbox, files)
    assert set(outcomes.failed) == item.hidden, {
        "failed but should pass": sorted(set(outcomes.failed) - item.hidden),
        "passed but should fail": sorted(item.hidden - set(outcomes.failed)),
        "messages": outcomes.failed,
    }
    assert len(outcomes.passed) + len(outcomes.failed) == len(collected_tests(suite))
    first = next(iter(outcomes.failed.values()))
    assert item.message.lower() in first.lower(), first


@pytest.mark.parametrize("slug", list(BUGS))
def test_a_bug_fails_the_visible_tests_named_for_it(course, edited_package, tmp_path, slug):
    item = BUGS[slug]
    info = course.module(item.module)
    suite = HiddenSuite.for_module(course, info)
    files = edited_package(suite.reference_package(), PACKAGE_FILES[item.file], item.edits)
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    run = run_tests([course.paths.release / info.slug / info.test_file_name], [tmp_path], timeout=300)
    assert run.results and not run.timed_out, run.output[-2000:]
    failed = {result.name: result.message for result in run.results if result.outcome != PASSED}
    assert set(failed) == item.visible, {
        "failed but should pass": sorted(set(failed) - item.visible),
        "passed but should fail": sorted(item.visible - set(failed)),
        "messages": failed,
    }
