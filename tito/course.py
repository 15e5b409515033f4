"""A course checkout: its folders and its modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tito.errors import TitoError
from tito.modules import ModuleInfo, discover_modules, resolve_module
from tito.paths import CoursePaths


@dataclass(frozen=True)
class Course:
    paths: CoursePaths
    modules: list[ModuleInfo]

    @classmethod
    def load(cls, root: Path | None = None, workspace: Path | None = None) -> "Course":
        paths = CoursePaths.locate(root, workspace)
        return cls(paths=paths, modules=discover_modules(paths.modules))

    def module(self, name: str) -> ModuleInfo:
        return resolve_module(self.modules, name)

    def select(self, name: str | None, everything: bool) -> list[ModuleInfo]:
        """One module by name, or all of them; asking for neither or both is an error."""
        if everything and name:
            raise TitoError("give a module name or --all, not both")
        if everything:
            return list(self.modules)
        if not name:
            raise TitoError("name a module or pass --all")
        return [self.module(name)]

    def relative(self, path: Path) -> str:
        """A path as shown to users and written into generated headers: relative to the course root."""
        try:
            return path.resolve().relative_to(self.paths.root).as_posix()
        except ValueError:
            return path.as_posix()
