"""Whether each module's generated files match its source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tito.course import Course
from tito.modules import ModuleInfo
from tito.package import reference_files
from tito.release import build_outputs
from tito.workspace import notebook_path

UP_TO_DATE, STALE, MISSING = "up to date", "stale", "missing"


@dataclass(frozen=True)
class ModuleStatus:
    module: ModuleInfo
    exported: str
    built: str
    started: bool


def freshness(expected: dict[Path, str]) -> str:
    """`missing` if any file is absent, `stale` if any differs, else `up to date`."""
    if any(not path.is_file() for path in expected):
        return MISSING
    if any(path.read_text(encoding="utf-8") != text for path, text in expected.items()):
        return STALE
    return UP_TO_DATE


def stale_files(expected: dict[Path, str]) -> list[Path]:
    return [path for path, text in expected.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def module_status(course: Course, info: ModuleInfo) -> ModuleStatus:
    return ModuleStatus(
        module=info,
        exported=freshness(reference_files(course, info)),
        built=freshness(build_outputs(course, info)),
        started=notebook_path(course, info).exists(),
    )
