"""Build package copies: the instructor's reference `tinytorch/` and a student's own copy."""

from __future__ import annotations

from pathlib import Path

from tito.course import Course
from tito.export import PACKAGE, render_exports, target_path, write_if_changed
from tito.modules import ModuleInfo, with_prerequisites
from tito.validate import load_module_source


def reference_files(course: Course, info: ModuleInfo) -> dict[Path, str]:
    """The package files one module's source exports, with their text."""
    source = load_module_source(info)
    files = render_exports((cell.cell for cell in source.cells), origin=course.relative(info.dev_path))
    return {target_path(course.paths.package_root, target): text for target, text in sorted(files.items())}


def export_reference(course: Course, info: ModuleInfo) -> list[tuple[Path, bool]]:
    """Write one module's reference package files; return each file and whether it changed."""
    return [(path, write_if_changed(path, text)) for path, text in reference_files(course, info).items()]


def package_texts(
    course: Course,
    info: ModuleInfo,
    module_files: dict[str, str],
    own_prerequisites: dict[str, str] | None = None,
) -> dict[str, str]:
    """A complete package for checking one module, as `relative path -> text`.

    The module's targets come from `module_files` (a student's export); each prerequisite target comes
    from `own_prerequisites` when given there, otherwise from the reference package, so a bug in an
    earlier module does not cascade.
    """
    own_prerequisites = own_prerequisites or {}
    reference_root = course.paths.package_root
    texts = {
        init.relative_to(reference_root).as_posix(): init.read_text(encoding="utf-8")
        for init in sorted((reference_root / PACKAGE).rglob("__init__.py"))
    }
    for prerequisite in with_prerequisites(course.modules, info)[:-1]:
        for target in prerequisite.exports:
            text = own_prerequisites.get(target)
            if text is None:
                text = target_path(reference_root, target).read_text(encoding="utf-8")
            texts[_relative(target)] = text
    for target, text in module_files.items():
        texts[_relative(target)] = text
    return texts


def _relative(target: str) -> str:
    return target_path(Path("."), target).as_posix()
