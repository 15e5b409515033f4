"""The student's side: notebooks in the workspace and the student's own copy of the package."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tito.course import Course
from tito.errors import TitoError
from tito.export import PACKAGE, render_exports, target_path
from tito.modules import ModuleInfo
from tito.package import package_texts
from tito.progress import CodeSource

LEGACY_PROVENANCE = "provenance.json"  # what earlier versions wrote into the package folder


@dataclass(frozen=True)
class StudentPackage:
    """A package copy for one check: whose code it holds for each module the checked one builds on, and the
    export targets among those that came from the reference."""

    root: Path
    sources: tuple[CodeSource, ...]
    reference_targets: tuple[str, ...]


def notebook_path(course: Course, info: ModuleInfo) -> Path:
    return course.paths.workspace / info.slug / info.notebook_name


@dataclass(frozen=True)
class NotebookCopy:
    """A copy of a module's notebook: where it is, when it was last saved, how many answer cells it changed."""

    path: Path
    saved: float
    answers: int


@dataclass(frozen=True)
class ChosenNotebook:
    """The notebook `tito module complete` checks, and the copies with answers saved after it."""

    path: Path
    newer: tuple[NotebookCopy, ...] = field(default=())


def notebook_copies(course: Course, info: ModuleInfo, manifest: dict) -> list[NotebookCopy]:
    """Copies of the module's notebook other than the workspace one that hold answers: the release copy and
    any other notebook in the module's workspace folder (`optimizers-Copy1.ipynb`, `Untitled.ipynb`). A copy
    holds answers when one of its answer cells differs from the release as built; unreadable files are none."""
    main = notebook_path(course, info)
    candidates = [course.paths.release / info.slug / info.notebook_name]
    if main.parent.is_dir():
        candidates += sorted(path for path in main.parent.glob("*.ipynb") if path != main)
    copies = []
    for path in candidates:
        answers = _changed_answers(path, manifest)
        if answers:
            copies.append(NotebookCopy(path, path.stat().st_mtime, answers))
    return copies


def choose_notebook(course: Course, info: ModuleInfo, manifest: dict) -> ChosenNotebook:
    """The workspace notebook, with the copies holding answers saved after it; without a workspace notebook,
    the copy with answers saved last (the others listed); with neither, a TitoError saying what to run."""
    main = notebook_path(course, info)
    copies = notebook_copies(course, info, manifest)
    if main.exists():
        saved = main.stat().st_mtime
        return ChosenNotebook(main, tuple(copy for copy in copies if copy.saved > saved))
    if not copies:
        raise TitoError(f"{course.relative(main)} does not exist; run `tito module start {info.name}` first")
    latest = max(copies, key=lambda copy: copy.saved)
    return ChosenNotebook(latest.path, tuple(copy for copy in copies if copy is not latest))


def _changed_answers(path: Path, manifest: dict) -> int:
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # not a notebook: it holds no answers we could check
        return 0
    built = {entry["grade_id"]: entry.get("source_sha256") for entry in manifest["cells"]
             if entry["kind"] in ("solution", "written")}
    changed = 0
    for cell in notebook.cells:
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        if grade_id in built:
            changed += hashlib.sha256(cell.source.encode("utf-8")).hexdigest() != built[grade_id]
    return changed


def package_root(course: Course) -> Path:
    """The folder that holds the student's `tinytorch/` (put first on PYTHONPATH when checking)."""
    return course.paths.workspace / "package"


def release_notebook(course: Course, info: ModuleInfo) -> Path:
    """The module's released student notebook; a TitoError saying what to run if it has not been built."""
    release = course.paths.release / info.slug / info.notebook_name
    if not release.is_file():
        raise TitoError(
            f"{course.relative(release)} does not exist; the instructor must run `tito release {info.name}`"
        )
    return release


def start_module(course: Course, info: ModuleInfo) -> tuple[Path, bool]:
    """Copy the release notebook into the workspace; never overwrite. Returns (path, copied)."""
    release = release_notebook(course, info)
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


def build_student_package(
    course: Course, info: ModuleInfo, exports: dict[str, str], sources: list[CodeSource]
) -> StudentPackage:
    """Rebuild the workspace package for checking `info`: the student's exports for it, and for each module it
    builds on the code `sources` names (the student's code that passed, or the reference). Whatever an
    earlier check left there is removed first, so the package holds only what `sources` explains."""
    root = package_root(course)
    own = {target: text for source in sources if source.own for target, text in source.code.items()}
    shutil.rmtree(root / PACKAGE, ignore_errors=True)
    (root / LEGACY_PROVENANCE).unlink(missing_ok=True)  # replaced by workspace/progress.json
    for relative, text in package_texts(course, info, exports, own).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    exports_of = {module.name: module.exports for module in course.modules}
    reference = tuple(target for source in sources if not source.own for target in exports_of[source.module])
    return StudentPackage(root, tuple(sources), reference)


def use_reference(course: Course, info: ModuleInfo) -> list[Path]:
    """Put the reference files of `info` into the workspace package, where it has them; return those files."""
    root = package_root(course)
    written = []
    for target in info.exports:
        path = target_path(root, target)
        if path.exists():
            path.write_text(target_path(course.paths.package_root, target).read_text(encoding="utf-8"),
                            encoding="utf-8")
            written.append(path)
    return written
