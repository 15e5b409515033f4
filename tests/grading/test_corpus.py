"""`tito grade` on a generated class of optimizers submissions (tests/grading/corpus): references, typical bugs,
blank and partial notebooks, every attack of docs/grading-security.md and malformed files, graded in one run.

Every per-test verdict, status and note is compared with the expectation written next to each submission, and
the clean students graded inside the run get byte-identical results to the same students graded alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import glob
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.grade import GradeRun, grade_class
from tito.grading.output_folder import FOUND_NOTES
from tito.grading.reports import write_all
from tito.grading.result import SubmissionResult
from tito.sandbox.isolation import probe_isolation
from tito.sandbox.limits import Limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import Entry, build_corpus, forgeries
from corpus import attacks as A

ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(call_seconds=2, submission_seconds=60)
ISOLATION = probe_isolation()
pytestmark = pytest.mark.skipif(
    not (ISOLATION.namespaces and ISOLATION.separate_uid),
    reason=f"the attacks need the full sandbox (root, namespaces): {ISOLATION.reason}",
)
CLEAN = ("reference", "reference-rewritten", "bug-adam-no-bias-correction")  # graded again, alone


def _daemon_pids() -> set[str]:
    """Processes that call themselves what the corpus's daemon calls itself."""
    found = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == A.DAEMON_NAME:
                found.add(comm.parent.name)
        except OSError:
            pass
    return found


class DaemonWatch(threading.Thread):
    """Looks for the daemon while the class is graded, to know that the attack ran (and, later, that it died)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen: set[str] = set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.seen |= _daemon_pids()
            self.done.wait(0.02)


@dataclass
class CorpusRun:
    course: Course
    root: Path
    entries: list[Entry]
    run: GradeRun
    seconds: float
    hashes_before: dict[str, str]
    daemons_seen: set[str]

    @property
    def folder(self) -> Path:
        return self.root / "class"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def result(self, slug: str) -> SubmissionResult:
        student = next(entry.student for entry in self.entries if entry.slug == slug)
        return next(result for result in self.run.results if result.student == student)


def _hashes(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def another_copy():
    """A readable copy of the course's reference package outside the graded checkout (as the origin a checkout
    was cloned from would be), for the attack that looks for one."""
    copy = Path("/var/tmp") / f"{A.ORIGIN_MARKER}-{os.getpid()}"
    shutil.copytree(ROOT / "tinytorch", copy / "tinytorch")
    copy.chmod(0o755)
    yield copy
    shutil.rmtree(copy, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, another_copy) -> CorpusRun:
    course = Course.load(ROOT)
    root = tmp_path_factory.mktemp("corpus")
    entries = build_corpus(course, root / "class", root / "out")
    hashes = _hashes(root / "class")
    watch = DaemonWatch()
    watch.start()
    started = time.monotonic()
    try:
        run = grade_class(course, course.module("optimizers"), root / "class", root / "out", workers=2,
                          limits=LIMITS)
    finally:
        watch.done.set()
        watch.join()
    return CorpusRun(course, root, entries, run, time.monotonic() - started, hashes, watch.seen)


def _mismatches(entry: Entry, result: SubmissionResult, test_names: list[str]) -> list[str]:
    """What differs between a result and its entry's expectation, one line each."""
    problems = []
    if result.status != entry.status:
        problems.append(f"status: expected {entry.status}, got {result.status} ({result.problem or result.notes})")
    should_fail = entry.expected_failures(test_names)
    verdicts = {test.name: test for test in result.tests}
    if set(verdicts) != set(test_names):
        problems.append(f"tests: expected all {len(test_names)} hidden tests, got {sorted(verdicts)}")
    for name in test_names:
        verdict = verdicts.get(name)
        if verdict is None:
            continue
        if verdict.passed and name in should_fail:
            problems.append(f"passed but should fail: {name}")
        elif not verdict.passed and name not in should_fail:
            problems.append(f"failed but should pass: {name}: {verdict.message[:300]}")
    said = "\n".join([*result.notes, result.problem or ""])
    problems += [f"notes lack {note!r}; notes: {result.notes}, problem: {result.problem!r}"
                 for note in entry.notes if note not in said]
    for name, text in entry.messages:
        message = verdicts[name].message if name in verdicts else ""
        if text not in message:
            problems.append(f"message of {name} lacks {text!r}: {message[:300]!r}")
    problems += [f"output lacks {text!r}: {result.output[:200]!r}" for text in entry.output if text not in result.output]
    return problems


def test_the_corpus_covers_every_kind_of_submission(corpus_run):
    """Are there at least 30 submissions, with references, bugs, blank, partial, attacks and malformed files?"""
    kinds = [entry.kind for entry in corpus_run.entries]
    assert len(kinds) >= 30
    assert {"reference", "bug", "blank", "partial", "attack", "malformed"} <= set(kinds)
    assert kinds.count("attack") >= 25 and kinds.count("bug") >= 10


def _differences(entries: list[Entry], run: GradeRun) -> str:
    """Every submission graded differently than its entry expects, with what differs; "" when none is."""
    test_names = [name for name, _ in run.tests]
    results = {result.student: result for result in run.results}
    report = []
    for entry in entries:
        problems = _mismatches(entry, results[entry.student], test_names) if entry.student in results else ["no result"]
        if problems:
            report.append(f"{entry.student} ({entry.what}):\n" + "\n".join(f"    {line}" for line in problems))
    return f"{len(report)} submission(s) graded differently than expected:\n" + "\n".join(report) if report else ""


def test_every_submission_gets_exactly_the_expected_verdicts(corpus_run):
    """Does every submission pass and fail exactly the hidden tests written next to it, with its status and notes?"""
    differences = _differences(corpus_run.entries, corpus_run.run)
    assert not differences, differences


def test_the_grader_survives_and_every_student_has_a_result(corpus_run):
    """Does every submission, hostile or not, come back with a result listing every test?"""
    students = [result.student for result in corpus_run.run.results]
    assert students == sorted(entry.student for entry in corpus_run.entries)
    count = len(corpus_run.run.tests)
    assert all(len(result.tests) == count and result.max_score == 100 for result in corpus_run.run.results)
    assert corpus_run.run.grader_errors == []
    assert corpus_run.run.regraded == len(corpus_run.entries)


def test_clean_students_get_the_same_result_alone(corpus_run, tmp_path):
    """Are clean submissions graded inside the hostile class byte-identical to the same files graded alone?"""
    alone = tmp_path / "alone"
    alone.mkdir()
    for slug in CLEAN:
        path = next(entry.path for entry in corpus_run.entries if entry.slug == slug)
        shutil.copy2(path, alone / path.name)
    run = grade_class(corpus_run.course, corpus_run.course.module("optimizers"), alone, tmp_path / "out",
                      limits=LIMITS)
    assert len(run.results) == len(CLEAN)
    for result in run.results:
        inside = next(other for other in corpus_run.run.results if other.student == result.student)
        assert json.dumps(result.to_dict(), sort_keys=True) == json.dumps(inside.to_dict(), sort_keys=True)


def test_nothing_outside_the_sandbox_was_touched(corpus_run):
    """Are the submitted files unchanged, nothing planted beside them or in the outputs, and no daemon left?"""
    assert _hashes(corpus_run.folder) == corpus_run.hashes_before
    planted = [path for path in corpus_run.root.rglob("*")
               if path.name in ("planted.txt", "zz-planted.ipynb", "planted.json", "forged-by-a-submission.txt",
                                "forged.json") or path in (corpus_run.out / "results.json", corpus_run.folder / ".cache")]
    assert planted == []
    notes = [path for top in ("/run/lock", "/run", "/dev/shm", "/var/tmp", "/var/lock", "/tmp", "/")
             for path in glob.glob(os.path.join(top, "corpus-note-*"))]
    assert notes == [], f"submissions left notes on the host: {notes}"
    for result in corpus_run.run.results:
        cached = json.loads((corpus_run.out / ".cache" / f"{result.student}.json").read_text())
        assert set(cached.pop(FOUND_NOTES)) <= set(result.notes), result.student  # how it was found, kept apart
        assert cached == json.loads(json.dumps(result.to_dict())), result.student
    assert corpus_run.daemons_seen, "the daemon attack never ran: nothing was tested"
    alive = _daemon_pids() & corpus_run.daemons_seen
    assert alive == set(), f"the daemon outlived its submission: pids {sorted(alive)}"


def test_the_reports_are_written_and_escape_what_submissions_print(corpus_run):
    """Do all reports get written for the whole corpus, with the printed HTML shown as text?"""
    write_all(corpus_run.run.results, corpus_run.out, course=corpus_run.course,
              module=corpus_run.course.module("optimizers"), tests=corpus_run.run.tests)
    printer = corpus_run.result("attack-fake-results-printed").student
    page = (corpus_run.out / "feedback" / f"{printer}.html").read_text()
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    rows = (corpus_run.out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(corpus_run.entries)


# -- forging what the probes report ---------------------------------------------------------------------------

def test_forging_what_the_probes_judge_earns_nothing(tmp_path):
    """Does a submission that forges what the probes report from inside the sandbox (in place? float32? a float?)
    gain nothing?

    Code running in the sandbox can replace tito.sandbox.runtime.call_probe or patch isinstance, so the probes
    return observations, never verdicts: numbers compared with the reference's in the grader, which only doing
    the work produces (see docs/hidden-suites.md, "Observations, not verdicts"). One entry pins down the limit:
    the validation checks compare constants (an exception's name, a word of its message), and forging them earns
    those 1-point tests and nothing else.
    """
    course = Course.load(ROOT)
    folder = tmp_path / "class"
    folder.mkdir()
    entries = [dataclasses.replace(entry, student=entry.slug) for entry in forgeries(course)]
    for entry in entries:
        (folder / f"{entry.student}.ipynb").write_bytes(entry.content)
    run = grade_class(course, course.module("optimizers"), folder, tmp_path / "out", limits=LIMITS)
    differences = _differences(entries, run)
    assert not differences, differences
