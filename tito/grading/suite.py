"""A module's hidden suite: `autograder/NN_name/` with `probes.py` and pytest files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tito.course import Course
from tito.errors import TitoError
from tito.grading.probes import PROBES_FILE
from tito.modules import ModuleInfo
from tito.export import target_path
from tito.package import package_texts
from tito.release import MANIFEST_NAME, load_manifest


@dataclass(frozen=True)
class HiddenSuite:
    course: Course
    module: ModuleInfo
    folder: Path

    @classmethod
    def for_module(cls, course: Course, module: ModuleInfo) -> "HiddenSuite":
        folder = course.paths.autograder / module.slug
        if not (folder / PROBES_FILE).is_file():
            raise TitoError(f"{course.relative(folder)} has no {PROBES_FILE}: module {module.name} has no hidden suite")
        load_manifest(course, module)  # tampering checks need the release's manifest: say so before grading starts
        return cls(course, module, folder)

    @classmethod
    def for_folder(cls, folder: Path) -> "HiddenSuite":
        """The suite a test file lives in (autograder/NN_name/), found from the folder alone."""
        folder = folder.resolve()
        course = Course.load(folder.parent.parent)
        return cls.for_module(course, course.module(folder.name))

    @property
    def probes_source(self) -> str:
        return (self.folder / PROBES_FILE).read_text(encoding="utf-8")

    def reference_package(self) -> dict[str, str]:
        """The package a perfect submission would have: the reference files, as `relative path -> text`."""
        module_files = {
            target: target_path(self.course.paths.package_root, target).read_text(encoding="utf-8")
            for target in self.module.exports
        }
        return package_texts(self.course, self.module, module_files)

    def fingerprint(self) -> str:
        """Changes whenever the suite, the reference package, the release's manifest or tito's code changes."""
        digest = hashlib.sha256()
        tito_package = Path(__file__).resolve().parent.parent
        files = sorted(self.folder.rglob("*.py")) + sorted((self.course.paths.package_root / "tinytorch").rglob("*.py"))
        files.append(self.course.paths.release / self.module.slug / MANIFEST_NAME)
        files += sorted(tito_package.rglob("*.py"))
        for path in files:
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def use_reference_package(package_root: Path) -> None:
    """Make `import tinytorch` in this (trusted) process mean the course's reference package."""
    import sys

    root = str(package_root.resolve())
    loaded = sys.modules.get("tinytorch")
    if loaded is not None:
        location = Path(getattr(loaded, "__file__", "") or ".").resolve()
        if root not in map(str, location.parents):
            raise TitoError(f"tinytorch is already imported from {location}, not from the course at {root}")
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)


