"""Write the example class: examples/class/<student>.ipynb and examples/roster.csv.

    .venv/bin/python examples/make_class.py

Each notebook is one submission of the grading tests' corpus (tests/grading/corpus), so the class follows the
optimizers module whenever it changes: rerun this script after `tito release` and commit what it writes
(tests/grading/test_example_class.py fails while the committed class is stale). Grade it with

    tito grade optimizers examples/class --roster examples/roster.csv
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ROOT = EXAMPLES.parent
CLASS_FOLDER = EXAMPLES / "class"
ROSTER = EXAMPLES / "roster.csv"

# student id -> (name, the corpus entry they hand in; None: on the roster, nothing handed in)
STUDENTS = {
    "ada": ("Ada Lovelace", "reference"),
    "grace": ("Grace Hopper", "reference-rewritten"),
    "alan": ("Alan Turing", "bug-adam-no-bias-correction"),
    "barbara": ("Barbara Liskov", "bug-step-lr-off-by-one"),
    "edsger": ("Edsger Dijkstra", "partial-descent-and-sgd"),
    "claude": ("Claude Shannon", "blank"),
    "mallory": ("Mallory Malicious", "attack-patches-the-checks"),
    "dennis": ("Dennis Ritchie", "malformed-not-json"),
    "ken": ("Ken Thompson", None),
}


def example_class() -> dict[Path, bytes]:
    """Every file of the example class (the notebooks and the roster), as the corpus generates them today."""
    sys.path.insert(0, str(ROOT / "tests" / "grading"))
    from corpus import catalog

    from tito.course import Course

    entries = {entry.slug: entry for entry in catalog(Course.load(ROOT))}
    files = {CLASS_FOLDER / f"{student}.ipynb": entries[slug].content
             for student, (_, slug) in STUDENTS.items() if slug is not None}
    roster = io.StringIO()
    writer = csv.writer(roster, lineterminator="\n")
    writer.writerow(["id", "name", "email"])
    for student, (name, _) in STUDENTS.items():
        writer.writerow([student, name, f"{student}@example.edu"])
    files[ROSTER] = roster.getvalue().encode()
    return files


def main() -> None:
    files = example_class()
    CLASS_FOLDER.mkdir(exist_ok=True)
    for stale in set(CLASS_FOLDER.iterdir()) - set(files):
        stale.unlink()
    for path, content in files.items():
        path.write_bytes(content)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
