"""One mistake, one failed test: every bug of the catalogue (tests/grading/catalogue) fails only the tests named
for its concept, hidden and visible, and the first message the student reads names the concept."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
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
def test_a_bug_fails_the_hidden_tests_named_for_it(course, sandbox, run_suite, edited_package, collected_tests,
                                                 visible_runs, slug):
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


def run_visible_tests(course: Course, item, folder: Path):
    """The module's visible tests, as `tito module complete` runs them, on the package with `item`'s edits."""
    info = course.module(item.module)
    files = dict(HiddenSuite.for_module(course, info).reference_package())
    path = PACKAGE_FILES[item.file]
    for old, new in item.edits:
        assert files[path].count(old) == 1, f"the reference {path} no longer holds {old!r} exactly once"
        files[path] = files[path].replace(old, new)
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return run_tests([course.paths.release / info.slug / info.test_file_name], [folder], timeout=300)


@pytest.fixture(scope="module")
def visible_runs(request, course, tmp_path_factory):
    """The visible-test runs of the selected bugs, started at once in a background thread (each is a pytest
    subprocess), so that they use the second core while the hidden suites run in the sandbox: slug -> future."""
    selected = [item.callspec.params["slug"] for item in request.session.items
                if item.originalname == "test_a_bug_fails_the_visible_tests_named_for_it"]
    pool = ThreadPoolExecutor(max_workers=1)
    futures = {slug: pool.submit(run_visible_tests, course, BUGS[slug], tmp_path_factory.mktemp("visible"))
               for slug in selected}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("slug", list(BUGS))
def test_a_bug_fails_the_visible_tests_named_for_it(visible_runs, slug):
    item = BUGS[slug]
    run = visible_runs[slug].result()
    assert run.results and not run.timed_out, run.output[-2000:]
    failed = {result.name: result.message for result in run.results if result.outcome != PASSED}
    assert set(failed) == item.visible, {
        "failed but should pass": sorted(set(failed) - item.visible),
        "passed but should fail": sorted(item.visible - set(failed)),
        "messages": failed,
    }
