"""`tito module reset`: start a module over from the released notebook, with the reference code in the package.

Nothing the student wrote is deleted: their notebook is moved aside under a name with the time of the reset,
and the module's record (its last score and the code that passed) moves to `set_aside` in
`workspace/progress.json`.
"""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path

from tito.course import Course
from tito.modules import ModuleInfo
from tito.progress import ModuleProgress, Progress, now
from tito.workspace import notebook_path, release_notebook, use_reference


@dataclass(frozen=True)
class ResetReport:
    notebook: Path
    moved_to: Path | None  # where the student's notebook went; None when there was none
    previous: ModuleProgress  # the record the reset took out of use
    reference_files: tuple[Path, ...]  # workspace package files now holding the reference
    record: Path  # workspace/progress.json, where the module's old record is kept under set_aside


def set_aside_path(notebook: Path, at: datetime.datetime) -> Path:
    """`tensor.ipynb` -> `tensor-before-reset-2026-12-02-091000.ipynb` in the same folder, never an existing file."""
    stem = f"{notebook.stem}-before-reset-{at.strftime('%Y-%m-%d-%H%M%S')}"
    candidate, number = notebook.with_name(stem + notebook.suffix), 2
    while candidate.exists():
        candidate, number = notebook.with_name(f"{stem}-{number}{notebook.suffix}"), number + 1
    return candidate


def reset_module(course: Course, info: ModuleInfo) -> ResetReport:
    """Move the student's notebook aside, copy the released one in, and make the package use the reference
    code for `info` from now on."""
    release = release_notebook(course, info)
    progress = Progress.load(course)
    stamp = now()
    notebook = notebook_path(course, info)
    moved_to = None
    if notebook.exists():
        moved_to = set_aside_path(notebook, datetime.datetime.fromisoformat(stamp))
        notebook.rename(moved_to)  # the same folder: a rename keeps the file and its time as they were
    notebook.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(release, notebook)
    previous = progress.reset(info, stamp, course.relative(moved_to) if moved_to else None)
    progress.save()
    return ResetReport(notebook, moved_to, previous, tuple(use_reference(course, info)), progress.path)
