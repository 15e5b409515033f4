"""Build package copies: the instructor's reference `tinytorch/` and a student's own copy."""

from __future__ import annotations

from pathlib import Path

from tito.course import Course
from tito.export import render_exports, target_path, write_if_changed
from tito.modules import ModuleInfo
from tito.validate import load_module_source


def reference_files(course: Course, info: ModuleInfo) -> dict[Path, str]:
    """The package files one module's source exports, with their text."""
    source = load_module_source(info)
    files = render_exports((cell.cell for cell in source.cells), origin=course.relative(info.dev_path))
    return {target_path(course.paths.package_root, target): text for target, text in sorted(files.items())}


def export_reference(course: Course, info: ModuleInfo) -> list[tuple[Path, bool]]:
    """Write one module's reference package files; return each file and whether it changed."""
    return [(path, write_if_changed(path, text)) for path, text in reference_files(course, info).items()]
