"""Gradescope: `results.json` for one submission, and the autograder zip that produces it on Gradescope."""

from __future__ import annotations

import json
import shlex
import stat
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from tito.course import Course
from tito.export import PACKAGE, target_path
from tito.grading.reports.common import ReportError, number, write_text
from tito.grading.reports.feedback import written_rows
from tito.grading.result import SubmissionResult
from tito.modules import ModuleInfo, with_prerequisites
from tito.release import MANIFEST_NAME

if TYPE_CHECKING:
    from tito.grading.late import Lateness
    from tito.grading.manual_scores import HandGrades

_SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis", ".DS_Store", ".git"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COURSE_IN_ZIP = "course"        # Gradescope unpacks the zip into /autograder/source/


def gradescope_results(result: SubmissionResult, hand: HandGrades | None = None,
                       lateness: Lateness | None = None) -> dict:
    """The submission in Gradescope's results.json schema (no execution time, so the same result gives the
    same file). Outputs are plain text, so a message holding markup is shown as written.

    `hand` is what graders recorded for the written answers: once it holds anything, each scored answer is a
    test of its own (the grader's comment as its output, no pass/fail: Gradescope shows its score) and
    `score` and `max_score` include the written answers. Without it the file is the auto-graded one.

    `lateness` with a penalty: `score` is the total after it, and a test "Late penalty" with the points taken
    off (a negative score, 0 max) keeps the tests adding up to `score`."""
    hand = hand if hand is not None and hand.recorded else None
    tests = [
        {
            "name": verdict.name,
            "score": verdict.points,
            "max_score": verdict.max_points,
            "status": "passed" if verdict.passed else "failed",
            "output": verdict.message,
            "output_format": "text",
            "visibility": "visible",
        }
        for verdict in result.tests
    ]
    score, max_score = result.score, result.max_score
    if hand is not None:
        tests += [
            {
                "name": f"Written answer {grade.grade_id} (graded by hand)",
                "score": grade.score,
                "max_score": grade.max_points,
                "output": grade.comment,
                "output_format": "text",
                "visibility": "visible",
            }
            for grade in hand.grades if grade.score is not None
        ]
        score, max_score = score + hand.score, max_score + hand.max_points
    if lateness is not None and lateness.percent:
        penalised = lateness.apply(score)
        tests.append({
            "name": f"Late penalty ({lateness.policy})",
            "score": penalised - score,
            "max_score": 0.0,
            "output": lateness.sentence(),
            "output_format": "text",
            "visibility": "visible",
        })
        score = penalised
    return {
        "score": score,
        "max_score": max_score,
        "output": _overall_output(result, hand, lateness),
        "output_format": "text",
        "tests": tests,
    }


def _overall_output(result: SubmissionResult, hand: HandGrades | None = None, lateness: Lateness | None = None) -> str:
    passed = sum(verdict.passed for verdict in result.tests)
    tests = f"{passed} of {len(result.tests)} hidden tests passed"
    if hand is None:
        lines = [f"Status: {result.status}. Score: {number(result.score)} / {number(result.max_score)} ({tests})."]
    else:
        lines = [
            f"Status: {result.status}. Score: {number(result.score + hand.score)} / "
            f"{number(result.max_score + hand.max_points)}: auto-graded {number(result.score)} / "
            f"{number(result.max_score)} ({tests}), written answers {number(hand.score)} / "
            f"{number(hand.max_points)} ({hand.graded} of {len(hand.grades)} graded by hand so far)."
        ]
    if lateness is not None and lateness.late:
        total = result.score + (hand.score if hand else 0)
        after = f" Score after the penalty: {number(lateness.apply(total))}." if lateness.percent else ""
        lines.append(f"Late: {lateness.sentence()}.{after}")
    if result.problem:
        lines.append(f"Could not grade: {result.problem}")
    lines += [f"Note: {note}" for note in result.notes]
    for row in written_rows(result, hand):
        lines.append(f"Written answer {row.grade_id} ({number(row.max_points)} points): {row.state}, {row.verdict}.")
        if row.comment:
            lines.append(f"Grader's comment on {row.grade_id}: {row.comment}")
    if result.output:
        lines += ["", "Your notebook's output:", result.output]
    return "\n".join(lines)


def gradescope_json(result: SubmissionResult, hand: HandGrades | None = None, lateness: Lateness | None = None) -> str:
    return json.dumps(gradescope_results(result, hand, lateness), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_gradescope_results(result: SubmissionResult, path: Path, hand: HandGrades | None = None,
                             lateness: Lateness | None = None) -> Path:
    return write_text(path, gradescope_json(result, hand, lateness))


SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install /autograder/source/{course}
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: /autograder/submission holds the student's notebook.
set -uo pipefail
source /autograder/venv/bin/activate
export TITO_ROOT=/autograder/source/{course}
cd "$TITO_ROOT"
rm -rf /tmp/tito-out
tito grade {module} /autograder/submission --out /tmp/tito-out --jobs 1
status=$?
shopt -s nullglob
found=(/tmp/tito-out/results/*.json)
if [ "${{#found[@]}}" -ne 1 ]; then
    echo "tito grade (exit $status) wrote ${{#found[@]}} result files, expected exactly one" >&2
    exit 1
fi
mkdir -p /autograder/results
cp "${{found[0]}}" /autograder/results/results.json
"""


def autograder_scripts(module_name: str) -> dict[str, str]:
    """The two scripts at the top of the zip, by name."""
    return {
        "setup.sh": SETUP_SH.format(course=COURSE_IN_ZIP),
        "run_autograder": RUN_AUTOGRADER.format(course=COURSE_IN_ZIP, module=shlex.quote(module_name)),
    }


def course_files(course: Course, module: ModuleInfo) -> list[Path]:
    """The files of the checkout the autograder installs and grades `module` with, sorted, relative to the root.

    Exactly what `tito grade MODULE` reads, and nothing else: tito and the project files pip needs to install
    it; `module.yaml` of the module and of its prerequisites (how the course finds its modules); the module's
    hidden suite (tests and probes); its release notebook and manifest (tampering checks); its source notebook
    (the reference answers the self-check grades before the submission); and the reference
    package files of the module and of its prerequisites with every `__init__.py` (the grader's side of each
    probe, and what a submission is completed with). No module source (`*_dev.py`, the solutions), no other
    module's suite or release, no tests, work, grades or caches.
    """
    root = course.paths.root
    needed = with_prerequisites(course.modules, module)
    files = [Path("pyproject.toml"), *_readme(root), *_tree(root, Path("tito"))]
    files += [info.yaml_path.relative_to(root) for info in needed]
    files += _tree(root, course.paths.autograder.relative_to(root) / module.slug)
    release = course.paths.release.relative_to(root) / module.slug
    files += [release / MANIFEST_NAME, release / module.notebook_name]
    # the source notebook: the grader's self-check grades the reference answers (the same solutions as the
    # module's reference package files below) before the submission
    files.append(course.paths.source.relative_to(root) / module.slug / module.notebook_name)
    package = root / PACKAGE
    files += [init.relative_to(root) for init in package.rglob("__init__.py") if not _skipped(init.relative_to(root))]
    files += [target_path(Path("."), target) for info in needed for target in info.exports]
    missing = [path for path in files if not (root / path).is_file()]
    if missing:
        raise ReportError(
            f"cannot build the Gradescope zip for {module.name}: missing "
            + ", ".join(path.as_posix() for path in missing)
            + f" (run `tito export` and `tito release` for {module.name} and its prerequisites)"
        )
    return sorted(set(files), key=lambda path: path.as_posix())


def _readme(root: Path) -> list[Path]:
    """The readme pyproject.toml names (pip refuses to build without it), when there is one."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: assume the usual name
        return [Path("README.md")] if (root / "README.md").is_file() else []
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ReportError(f"cannot build the Gradescope zip: {root / 'pyproject.toml'}: {error}") from None
    readme = project.get("readme")
    name = readme.get("file") if isinstance(readme, dict) else readme
    return [Path(name)] if isinstance(name, str) and name else []


def _tree(root: Path, folder: Path) -> list[Path]:
    """Every file under `root/folder` except caches, relative to the root."""
    return [
        found.relative_to(root) for found in (root / folder).rglob("*")
        if found.is_file() and not _skipped(found.relative_to(root))
    ]


def _skipped(relative: Path) -> bool:
    return any(part in _SKIPPED_NAMES or part.endswith(_SKIPPED_SUFFIXES) for part in relative.parts)


def build_autograder_zip(course: Course, module: ModuleInfo, destination: Path) -> Path:
    """Write a Gradescope autograder zip for one module: `setup.sh`, `run_autograder` and `course/`, which
    holds `course_files(course, module)`.

    The zip is deterministic: entries sorted, fixed timestamps, modes 755 for scripts and executables and
    644 otherwise. The module must have its hidden suite, its release and its reference package files.
    """
    root = course.paths.root
    suite = course.paths.autograder / module.slug
    if not suite.is_dir():
        raise ReportError(f"cannot build the Gradescope zip: {suite} does not exist")
    entries: list[tuple[str, bytes, bool]] = [
        (name, text.encode("utf-8"), True) for name, text in autograder_scripts(module.name).items()
    ]
    for relative in course_files(course, module):
        path = root / relative
        executable = bool(path.stat().st_mode & stat.S_IXUSR)
        entries.append((f"{COURSE_IN_ZIP}/{relative.as_posix()}", path.read_bytes(), executable))
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data, executable in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the modes below are honoured
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            archive.writestr(info, data)
    return destination
