"""A grading run's output folder: which class it belongs to, its cache of results, and nothing mixed.

The folder remembers (in `.cache/class.json`) the module, the submissions locations it was graded from and
its students. Grading another location into it is refused unless the instructor says `--force` (start over)
or `--merge` (add these students). At the end of a run, students of an earlier run of the same class who are
no longer submitted are removed everywhere (cache, results, feedback, gradebook), so that `grades.csv`,
`results/` and the gradebook always describe the same students. The record holds student ids; their files
are named by `identity.file_name`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from tito.errors import TitoError
from tito.grading.identity import file_name
from tito.grading.result import SubmissionResult

CACHE_FOLDER = ".cache"
RECORD = "class.json"
FOUND_NOTES = "found_notes"    # in a stored result: its notes that say how the submission was found
# everything `tito grade` and `tito grade manual` write into an output folder
OUTPUTS = (CACHE_FOLDER, "results", "feedback", "manual", "nbgrader", "grades.csv", "final_grades.csv",
           "summary.txt", "summary.png", "similarity.csv", "similarity.html")


class OutputFolder:
    def __init__(self, out_dir: Path, module: str):
        self.out_dir = Path(out_dir)
        self.module = module
        self.cache = self.out_dir / CACHE_FOLDER
        self.record = self._read_record()

    # -- whose folder is this ----------------------------------------------------------------------
    def _read_record(self) -> dict | None:
        path = self.cache / RECORD
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or not isinstance(record.get("sources"), list):
            return None
        return record

    def _has_outputs(self) -> bool:
        return any((self.out_dir / name).exists() for name in OUTPUTS)

    def check_owner(self, source: Path, *, force: bool, merge: bool) -> None:
        """Refuse, before anything is graded, to mix another class's results into this folder."""
        if force and merge:
            raise TitoError("give --force (start over) or --merge (add these students), not both")
        if force or merge or not self._has_outputs():
            return
        if self.record is None:
            raise TitoError(
                f"{self.out_dir} already holds grading outputs that this run cannot tell the class of; "
                "give --merge to add these students to them, --force to delete them and start over, "
                "or choose another --out"
            )
        if self.record.get("module") != self.module:
            raise TitoError(
                f"{self.out_dir} holds the grades of module {self.record.get('module')!r}, not {self.module!r}; "
                "choose another --out, or give --force to delete them and start over"
            )
        if str(source) not in self.record["sources"]:
            earlier = ", ".join(self.record["sources"])
            raise TitoError(
                f"{self.out_dir} holds the grades of another class (graded from {earlier}); give --merge to add "
                "these students to it, --force to delete it and start over, or choose another --out"
            )

    def start(self, source: Path, *, force: bool, merge: bool, late: dict | None = None) -> None:
        """Called once the self-check passed: clear the folder for --force, and record this class and its late
        policy (`LatePolicy.to_record`, read back by `late_record`)."""
        if force:
            for name in OUTPUTS:
                path = self.out_dir / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            self.record = None
        self.cache.mkdir(parents=True, exist_ok=True)
        sources = list(self.record["sources"]) if self.record and merge else []
        if str(source) not in sources:
            sources.append(str(source))
        students = list(self.record.get("students", [])) if self.record else []
        self.record = {"module": self.module, "sources": sources, "students": students, "late": late or {}}
        self._write_record()

    def late_record(self) -> dict:
        """The late policy the last run recorded ({} when none)."""
        late = self.record.get("late") if self.record else None
        return late if isinstance(late, dict) else {}

    def _write_record(self) -> None:
        (self.cache / RECORD).write_text(json.dumps(self.record, indent=1, sort_keys=True), encoding="utf-8")

    # -- results of earlier runs ---------------------------------------------------------------------
    def cached(self, student: str, key: str) -> SubmissionResult | None:
        """The stored result of `student` if it was graded from the same content (same key), as graded: without
        the notes of how the submission was found then (see `store`)."""
        result = self.stored(student, as_graded=True)
        return result if result is not None and result.key == key else None

    def stored(self, student: str, *, as_graded: bool = False) -> SubmissionResult | None:
        """The result of `student` as `tito grade` stored it (as the reports show it), or None (never stored, or
        unreadable). `as_graded`: without the notes of how the submission was found."""
        path = self.cache / f"{file_name(student)}.json"
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found = data.pop(FOUND_NOTES, [])
            result = SubmissionResult.from_dict(data)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if as_graded and isinstance(found, list):
            result.notes = [note for note in result.notes if note not in found]
        return result

    def store(self, result: SubmissionResult, found_notes: Sequence[str] = ()) -> None:
        """Keep `result` as the reports show it; `found_notes` are those of its notes that say how the
        submission was found (which file of several, not on the roster): a later run of the same content
        replaces them with its own."""
        self.cache.mkdir(parents=True, exist_ok=True)
        data = result.to_dict() | {FOUND_NOTES: [note for note in result.notes if note in set(found_notes)]}
        (self.cache / f"{file_name(result.student)}.json").write_text(json.dumps(data, sort_keys=True), encoding="utf-8")

    def earlier_results(self) -> list[SubmissionResult]:
        """The results of the students an earlier run recorded here (for --merge)."""
        return [result for result in map(self.stored, self._recorded_students()) if result is not None]

    def _recorded_students(self) -> list[str]:
        students = self.record.get("students", []) if self.record else []
        return [student for student in students if isinstance(student, str)] if isinstance(students, list) else []

    def finish(self, students: set[str]) -> list[str]:
        """Record this run's students; remove everything of the earlier students not among them."""
        earlier = set(self._recorded_students())
        removed = sorted(earlier - students)
        for student in removed:
            name = file_name(student)
            for path in (self.cache / f"{name}.json", self.out_dir / "results" / f"{name}.json",
                         self.out_dir / "feedback" / f"{name}.html"):
                path.unlink(missing_ok=True)
            shutil.rmtree(self.out_dir / "nbgrader" / "autograded" / name, ignore_errors=True)
        if removed:
            _remove_from_gradebook(self.out_dir / "nbgrader" / "gradebook.db", removed)
        if self.record is not None:
            self.record["students"] = sorted(students)
            self._write_record()
        return removed


def _remove_from_gradebook(database: Path, students: list[str]) -> None:
    if not database.is_file():
        return
    from nbgrader.api import Gradebook, MissingEntry

    from tito.grading.reports.gradebook import _alembic_on_path

    with _alembic_on_path(), Gradebook(f"sqlite:///{database.resolve()}") as gradebook:
        for student in students:
            try:
                gradebook.remove_student(file_name(student))
            except MissingEntry:
                pass
