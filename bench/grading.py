"""Grading throughput: `tito grade` against `nbgrader autograde` on the same class, in the same run.

    python bench/grading.py [--students 60] [--jobs 2] [--keep DIR]

The class: `--students` notebooks cycling through the realistic submissions of the grading tests' corpus
(tests/grading/corpus): the reference and its rewrites, typical bugs, blank and partial notebooks. Attacks are
left out, and so are the two bugs that stop the module from importing (a syntax error, an import of matplotlib):
nbgrader runs a notebook cell by cell and grades whatever did run, tito grades the module as it imports.

- tito: `tito grade optimizers CLASS --jobs N --force` as a command, default limits, every report written;
  and, separately, the grading alone: `grade_class` with the same settings, in this process.
- nbgrader: an equivalent course built here from the module's source notebook, whose test cells are replaced
  by one locked grade cell per hidden test, worth that test's points. A setup cell registers the notebook's
  own definitions as the module `tinytorch.core.optimizers`; each grade cell runs its hidden test in the kernel
  with `student` calling the suite's probes in process on those definitions and `reference` replaying the
  reference package's answers, which this script records beforehand and stores as JSON in the course.
  Each student notebook is the generated release with the student's solution cells put in (what the student
  would have written in the nbgrader version of the assignment); `nbgrader autograde --force` grades them all.

Both commands are timed from start to exit; the script prints submissions per second for each, the ratios,
and checks that every student gets the same total from all three. It exits with 1 when a total differs.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tito import cells as C
from tito.course import Course
from tito.grading import wire
from tito.grading.collect import suite_tests
from tito.grading.grade import grade_class
from tito.grading.probes import InProcessProbes, load_probes_module
from tito.grading.suite import HiddenSuite, use_reference_package

from machine import describe_machine  # bench/machine.py (scripts run from bench/)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grading"))
from corpus import catalog

MODULE = "optimizers"
KINDS = ("reference", "bug", "blank", "partial")
CANNOT_IMPORT = ("bug-syntax-error", "bug-exports-matplotlib")

# Loaded by the nbgrader course's setup cell (and by this script, for `call_key`). It lives in the course's
# hidden/ folder with the suite's probes.py and test files and the recorded reference answers.
HARNESS = '''"""Runs tito's hidden tests inside an nbgrader kernel, against the notebook's own definitions."""

import importlib.util
import inspect
import json
import sys
import types
from pathlib import Path

from tito.grading import wire
from tito.grading.probes import InProcessProbes, load_probes_module

HIDDEN = Path(__file__).resolve().parent
_modules = {}
_fixtures = {}


def call_key(probe, kwargs):
    return probe + json.dumps(wire.encode(kwargs), sort_keys=True)


class Replay:
    """The reference side: answers recorded from the reference package, looked up by probe and arguments."""

    def __init__(self, answers):
        self._answers = answers

    def __getattr__(self, probe):
        if probe.startswith("_"):
            raise AttributeError(probe)
        return lambda **kwargs: wire.decode(self._answers[call_key(probe, kwargs)])


def connect(namespace):
    """Register the notebook's definitions as tinytorch.core.optimizers, then load the probes against them."""
    import tinytorch.core

    module = types.ModuleType("tinytorch.core.optimizers")
    module.__dict__.update({name: value for name, value in namespace.items() if not name.startswith("_")})
    sys.modules[module.__name__] = module
    tinytorch.core.optimizers = module
    _fixtures["student"] = InProcessProbes(load_probes_module(HIDDEN / "probes.py", "hidden_probes"))
    _fixtures["reference"] = Replay(json.loads((HIDDEN / "reference.json").read_text()))


def run_hidden_test(file_name, test_name):
    """Run one hidden test; it raises (and the grade cell fails) when the notebook's code gets it wrong."""
    if file_name not in _modules:
        spec = importlib.util.spec_from_file_location("hidden_" + file_name[:-3], HIDDEN / file_name)
        _modules[file_name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_modules[file_name])
    test = getattr(_modules[file_name], test_name)
    test(**{name: _fixtures[name] for name in inspect.signature(test).parameters})
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2, help="tito's --jobs (nbgrader grades one at a time)")
    parser.add_argument("--keep", type=Path, help="build everything in this folder and keep it")
    parser.add_argument("--rounds", type=int, default=40, help="sandbox sessions timed for the isolation's cost")
    args = parser.parse_args()
    print(describe_machine())

    course = Course.load(ROOT)
    module = course.module(MODULE)
    suite = HiddenSuite.for_module(course, module)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-grading-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        submissions = synthetic_class(course, args.students)
        tito_class = work / "tito-class"
        tito_class.mkdir()
        for student, (_, content) in submissions.items():
            (tito_class / f"{student}.ipynb").write_bytes(content)
        nbgrader_root = work / "nbgrader"
        build_nbgrader_course(course, suite, nbgrader_root, submissions)

        nbgrader = [str(Path(sys.executable).with_name("nbgrader")), "autograde", module.slug, "--force"]
        tito = [sys.executable, "-m", "tito.cli", "grade", MODULE, str(tito_class), "--jobs", str(args.jobs),
                "--force", "--out", str(work / "tito-grades")]
        seconds = {"nbgrader autograde": timed(nbgrader, nbgrader_root),
                   f"tito grade --jobs {args.jobs}": timed(tito, ROOT)}
        started = time.perf_counter()
        run = grade_class(course, module, tito_class, work / "tito-grade-class", workers=args.jobs, force=True)
        seconds["tito, grading only"] = time.perf_counter() - started

        totals = {
            "tito": {row["student"]: float(row["score"])
                     for row in csv.DictReader((work / "tito-grades" / "grades.csv").read_text().splitlines())},
            "grade_class": {result.student: result.score for result in run.results},
            "nbgrader": gradebook_totals(nbgrader_root, module.slug, submissions),
        }
        return report(submissions, totals, seconds, isolation_cost(args.rounds))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def isolation_cost(rounds: int) -> dict[str, float]:
    """Median milliseconds of one sandbox session (start a child, load a one-function package, one probe call,
    close: what every submission pays once) with this machine's full isolation and with none of it."""
    from tito.sandbox.client import Sandbox
    from tito.sandbox.isolation import Isolation, probe_isolation

    files = {"tinytorch/__init__.py": "", "tinytorch/core/__init__.py": "",
             "tinytorch/core/tiny.py": "def answer():\n    return 42\n"}
    probes = "from tinytorch.core import tiny\n\ndef answer():\n    return tiny.answer()\n"
    full = probe_isolation()
    medians = {}
    for name, isolation in (("full", full), ("none", Isolation(False, False, "benchmark baseline"))):
        sandbox = Sandbox(isolation=isolation)
        try:
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                session = sandbox.session(files, probes, ["core.tiny"])
                assert session.answer() == 42
                session.close()
                times.append(time.perf_counter() - started)
        finally:
            sandbox.close()
        medians[name] = 1000 * sorted(times)[len(times) // 2]
    medians["description"] = full.describe()
    return medians


def synthetic_class(course: Course, students: int) -> dict[str, tuple[str, bytes]]:
    """student id -> (corpus entry, notebook bytes), cycling through the realistic corpus entries."""
    entries = [entry for entry in catalog(course) if entry.kind in KINDS and entry.slug not in CANNOT_IMPORT]
    return {f"s{number:03d}": (entries[number % len(entries)].slug, entries[number % len(entries)].content)
            for number in range(students)}


def timed(command: list[str], cwd: Path) -> float:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


# -- the equivalent nbgrader course -------------------------------------------------------------------------

def build_nbgrader_course(course: Course, suite: HiddenSuite, root: Path, submissions: dict) -> None:
    """source/, the hidden suite with recorded reference answers, generate_assignment, submitted/."""
    module = suite.module
    hidden = root / "hidden"
    hidden.mkdir(parents=True)
    for path in suite.folder.glob("*.py"):
        shutil.copy(path, hidden / path.name)
    (hidden / "harness.py").write_text(HARNESS)
    harness = _load(hidden / "harness.py", "bench_harness")
    tests = hidden_tests(suite)
    (hidden / "reference.json").write_text(json.dumps(record_reference(suite, tests, harness.call_key)))
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\nc.Execute.timeout = 120\n")

    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    kept = [cell for cell in source.cells if not C.is_test_cell(cell) and not C.is_written_answer(cell)]
    setup = nbformat.v4.new_code_cell(
        f"import sys\nsys.path.insert(0, {str(hidden)!r})\nimport harness\nharness.connect(globals())\n",
        id="hidden-suite-setup", metadata=_nbgrader_metadata("hidden-suite-setup", grade=False))
    grade_cells = [
        nbformat.v4.new_code_cell(f"harness.run_hidden_test({file_name!r}, {name!r})", id=name,
                                  metadata=_nbgrader_metadata(name, grade=True, points=points))
        for name, (file_name, points) in tests.items()
    ]
    source.cells = kept + [setup, *grade_cells]
    (root / "source" / module.slug).mkdir(parents=True)
    nbformat.write(source, root / "source" / module.slug / module.notebook_name)
    timed([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", module.slug, "--force"], root)

    release = nbformat.read(root / "release" / module.slug / module.notebook_name, as_version=4)
    for student, (_, content) in submissions.items():
        answers = {C.grade_id(cell): cell.source for cell in nbformat.reads(content.decode(), as_version=4).cells
                   if C.is_solution(cell) and C.grade_id(cell)}
        notebook = nbformat.from_dict(json.loads(nbformat.writes(release)))
        for cell in notebook.cells:
            if C.is_solution(cell) and C.grade_id(cell) in answers:
                cell.source = answers[C.grade_id(cell)]
        folder = root / "submitted" / student / module.slug
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / module.notebook_name)


def _nbgrader_metadata(grade_id: str, grade: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": True, "schema_version": 3, "solution": False,
            "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta, "editable": False, "deletable": False}


def hidden_tests(suite: HiddenSuite) -> dict[str, tuple[str, float]]:
    """test name -> (its file in the suite, its points), in the suite's order."""
    files = {}
    for path in sorted(suite.folder.glob("test_*.py")):
        for name in _load(path, f"bench_{path.stem}").__dict__:
            files[name] = path.name
    return {name: (files[name], points) for name, points in suite_tests(suite)}


def record_reference(suite: HiddenSuite, tests: dict, call_key) -> dict:
    """Every answer the hidden tests ask of `reference`, from the reference package (run as the student too)."""
    use_reference_package(suite.course.paths.package_root)
    reference = InProcessProbes(load_probes_module(suite.folder / "probes.py", "bench_reference_probes"))
    answers = {}

    class Recorder:
        def __getattr__(self, probe):
            def call(**kwargs):
                value = getattr(reference, probe)(**kwargs)
                answers[call_key(probe, kwargs)] = wire.encode(value)
                return value
            return call

    fixtures = {"student": reference, "reference": Recorder()}
    for name, (file_name, _) in tests.items():
        test = getattr(_load(suite.folder / file_name, f"bench_{Path(file_name).stem}"), name)
        test(**{argument: fixtures[argument] for argument in inspect.signature(test).parameters})
    return answers


def gradebook_totals(root: Path, assignment: str, submissions: dict) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {student: float(gradebook.find_submission(assignment, student).score) for student in submissions}


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the report ---------------------------------------------------------------------------------------------

def report(submissions: dict, totals: dict[str, dict[str, float]], seconds: dict[str, float],
           isolation: dict) -> int:
    count = len(submissions)
    baseline = seconds["nbgrader autograde"]
    print(f"{count} submissions ({len({slug for slug, _ in submissions.values()})} distinct corpus entries)\n")
    print(f"{'':<24}{'seconds':>9}{'submissions/s':>15}{'vs nbgrader':>13}")
    for name, elapsed in seconds.items():
        print(f"{name:<24}{elapsed:>9.1f}{count / elapsed:>15.2f}{baseline / elapsed:>12.1f}x")
    print("(tito grade: the command from start to exit, every report written, the self-check on the reference and"
          " blank notebooks included; grading only: grade_class, with its workers)")
    per_submission = 1000 * seconds[next(name for name in seconds if name.startswith("tito grade"))] / count
    cost = isolation["full"] - isolation["none"]
    print(f"\nisolation per submission (a sandbox session: start, load, one call, close; median):")
    print(f"  {isolation['description']}")
    print(f"  with it {isolation['full']:.1f} ms, without {isolation['none']:.1f} ms: costs {cost:.1f} ms per "
          f"submission, {100 * cost / per_submission:.1f}% of tito grade's {per_submission:.0f} ms per submission")
    differ = {student: (slug, *(totals[tool].get(student) for tool in totals))
              for student, (slug, _) in submissions.items()
              if len({totals[tool].get(student) for tool in totals}) != 1}
    if differ:
        print(f"\ntotals differ for {len(differ)} of {count} students (student: entry, {', '.join(totals)}):")
        for student, row in sorted(differ.items()):
            print(f"  {student}: {row}")
        return 1
    mean = sum(totals["nbgrader"].values()) / count
    print(f"\ntotals identical for all {count} students in tito and nbgrader (mean {mean:.1f} of 100)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
