"""Where the course's folders are."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tito.errors import TitoError


@dataclass(frozen=True)
class CoursePaths:
    """The folders of one course checkout."""

    root: Path
    workspace: Path

    @property
    def modules(self) -> Path:
        return self.root / "modules"

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def autograder(self) -> Path:
        return self.root / "autograder"

    @property
    def package_root(self) -> Path:
        """The folder that holds the reference `tinytorch` package."""
        return self.root

    @property
    def tests(self) -> Path:
        return self.root / "tests"

    @classmethod
    def locate(cls, root: Path | None = None, workspace: Path | None = None) -> "CoursePaths":
        """Find the course: an explicit root, then $TITO_ROOT, then the nearest parent of the cwd with `modules/`."""
        if root is None and os.environ.get("TITO_ROOT"):
            root = Path(os.environ["TITO_ROOT"])
        if root is None:
            root = _find_course_root(Path.cwd())
        root = root.resolve()
        if not (root / "modules").is_dir():
            raise TitoError(f"{root} is not a course checkout: it has no modules/ folder")
        if workspace is None and os.environ.get("TITO_WORKSPACE"):
            workspace = Path(os.environ["TITO_WORKSPACE"])
        workspace = (workspace or root / "workspace").resolve()
        return cls(root=root, workspace=workspace)


def _find_course_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "modules").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    here = Path(__file__).resolve().parent.parent
    if (here / "modules").is_dir():
        return here
    raise TitoError(
        f"no course found at or above {start}; run tito inside the course checkout or set TITO_ROOT"
    )
