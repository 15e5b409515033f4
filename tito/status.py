"""Whether each module's generated files match its source, and where the student stands on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tito.course import Course
from tito.modules import ModuleInfo
from tito.package import reference_files
from tito.progress import Attempt, CodeSource, Progress, code_source
from tito.release import build_outputs
from tito.workspace import notebook_path

UP_TO_DATE, STALE, MISSING = "up to date", "stale", "missing"


@dataclass(frozen=True)
class ModuleStatus:
    module: ModuleInfo
    exported: str
    built: str
    started: bool
    last: Attempt | None  # the student's last `tito module complete`, None if never run
    source: CodeSource  # whose code the student's package uses for this module in the modules built on it


def freshness(expected: dict[Path, str]) -> str:
    """`missing` if any file is absent, `stale` if any differs, else `up to date`."""
    if any(not path.is_file() for path in expected):
        return MISSING
    if any(path.read_text(encoding="utf-8") != text for path, text in expected.items()):
        return STALE
    return UP_TO_DATE


def stale_files(expected: dict[Path, str]) -> list[Path]:
    return [path for path, text in expected.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def module_status(course: Course, info: ModuleInfo, progress: Progress | None = None) -> ModuleStatus:
    progress = progress or Progress.load(course)
    return ModuleStatus(
        module=info,
        exported=freshness(reference_files(course, info)),
        built=freshness(build_outputs(course, info)),
        started=notebook_path(course, info).exists(),
        last=progress.of(info).last,
        source=code_source(progress, info),
    )
