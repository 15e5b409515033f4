"""`write_all`: every report of one grading run into one folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tito.course import Course
from tito.grading.reports.common import (
    by_student,
    check_tests_known,
    hidden_tests,
    safe_student_id,
    write_text,
    written_questions,
)
from tito.grading.reports.csv_report import write_grades_csv
from tito.grading.reports.feedback import write_feedback
from tito.grading.reports.gradebook import write_nbgrader_course
from tito.grading.reports.gradescope import write_gradescope_results
from tito.grading.reports.manual import write_manual
from tito.grading.reports.summary import summary_text, write_summary_png
from tito.grading.result import SubmissionResult
from tito.modules import ModuleInfo
from tito.release import load_manifest

NBGRADER_FOLDER = "nbgrader"


def write_all(
    results: Sequence[SubmissionResult],
    out_dir: Path,
    *,
    course: Course,
    module: ModuleInfo,
    tests: Mapping[str, float] | Sequence[tuple[str, float]] | None = None,
    manifest: Mapping | None = None,
) -> list[Path]:
    """Write, under `out_dir`, and return the paths in this order:

    - `grades.csv`, `summary.txt`, `summary.png`
    - `results/<student>.json` (Gradescope's results.json schema) and `feedback/<student>.html`
    - `manual/<grade_id>.html` per written question and `manual/scores.csv` (the hand-grading template)
    - nbgrader, with `out_dir/nbgrader` as the course root (so `nbgrader export` there writes its own
      grades.csv without touching ours): `nbgrader_config.py` (only if absent), `gradebook.db`,
      `source/<slug>/<notebook>.ipynb`, `autograded/<student>/<slug>/<notebook>.ipynb`

    `tests` are the hidden tests with their points, in suite order (a mapping or `(name, points)` pairs);
    without them they are read off the results. `manifest` defaults to the module's release manifest.
    Every student id is checked before anything is written; files of students not in `results` are left.
    """
    out_dir = Path(out_dir)
    ordered = by_student(results)
    for result in ordered:
        safe_student_id(result.student)
    tests = dict(tests) if tests is not None else hidden_tests(ordered)
    test_names = list(tests)
    check_tests_known(ordered, test_names)
    manifest = manifest if manifest is not None else load_manifest(course, module)
    questions = written_questions(manifest)
    notebook = Path(str(manifest.get("notebook") or module.notebook_name)).stem

    paths = [
        write_grades_csv(ordered, test_names, out_dir / "grades.csv"),
        write_text(out_dir / "summary.txt", summary_text(ordered, test_names)),
        write_summary_png(ordered, test_names, out_dir / "summary.png"),
    ]
    for result in ordered:
        paths.append(write_gradescope_results(result, out_dir / "results" / f"{result.student}.json"))
        paths.append(write_feedback(result, module.title, out_dir / "feedback" / f"{result.student}.html"))
    paths += write_manual(ordered, manifest, out_dir / "manual")
    paths += write_nbgrader_course(ordered, out_dir / NBGRADER_FOLDER, assignment=module.slug, notebook=notebook,
                                   module_title=module.title, tests=tests, questions=questions)
    return paths
