"""The student's side: notebooks in the workspace and the student's own copy of the package."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tito.course import Course
from tito.errors import TitoError
from tito.export import render_exports, target_path
from tito.modules import ModuleInfo, with_prerequisites
from tito.package import package_texts

PROVENANCE = "provenance.json"


@dataclass(frozen=True)
class StudentPackage:
    """A package copy for one check, and which of its targets came from the reference."""

    root: Path
    reference_targets: tuple[str, ...]


def notebook_path(course: Course, info: ModuleInfo) -> Path:
    return course.paths.workspace / info.slug / info.notebook_name


def package_root(course: Course) -> Path:
    """The folder that holds the student's `tinytorch/` (put first on PYTHONPATH when checking)."""
    return course.paths.workspace / "package"


def start_module(course: Course, info: ModuleInfo) -> tuple[Path, bool]:
    """Copy the release notebook into the workspace; never overwrite. Returns (path, copied)."""
    release = course.paths.release / info.slug / info.notebook_name
    if not release.is_file():
        raise TitoError(f"{course.relative(release)} does not exist; the instructor must run `tito release {info.name}`")
    destination = notebook_path(course, info)
    if destination.exists():
        return destination, False
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(release, destination)
    return destination, True


def read_student_notebook(path: Path) -> NotebookNode:
    """Read a notebook; anything that is not one is a TitoError saying so."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise TitoError(f"{path} does not exist") from None
    except Exception as error:  # nbformat raises several types for unreadable files
        raise TitoError(f"{path} is not a readable notebook: {error}") from None
    if not notebook.cells:
        raise TitoError(f"{path} has no cells")
    return notebook


def student_exports(notebook: NotebookNode, info: ModuleInfo, origin: str) -> dict[str, str]:
    """The package files the student's notebook exports; every target the module needs must be there."""
    try:
        files = render_exports(notebook.cells, origin)
    except TitoError as error:
        raise TitoError(f"{origin}: {error}") from None
    missing = [target for target in info.exports if target not in files]
    if missing:
        raise TitoError(
            f"{origin} exports nothing to {', '.join(missing)}: "
            "were the '#| default_exp' / '#| export' lines deleted?"
        )
    return {target: files[target] for target in info.exports}


def build_student_package(course: Course, info: ModuleInfo, exports: dict[str, str]) -> StudentPackage:
    """Write the student's exports into the workspace package; prerequisites the student has not completed
    come from the reference package."""
    root = package_root(course)
    provenance_path = root / PROVENANCE
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    own = {
        target: target_path(root, target).read_text(encoding="utf-8")
        for target, who in provenance.items()
        if who == "student" and target not in exports and target_path(root, target).exists()
    }
    for relative, text in package_texts(course, info, exports, own).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    reference_used = [
        target
        for prerequisite in with_prerequisites(course.modules, info)[:-1]
        for target in prerequisite.exports
        if target not in own
    ]
    provenance.update({target: "student" for target in exports})
    provenance.update({target: "reference" for target in reference_used})
    provenance_path.write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    return StudentPackage(root, tuple(reference_used))
