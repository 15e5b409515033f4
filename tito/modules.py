"""Course modules: discovered from `modules/*/module.yaml`, never listed by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from tito.errors import SourceError, TitoError

_REQUIRED_KEYS = ("name", "number", "title", "prerequisites", "exports", "points")


@dataclass(frozen=True)
class ModuleInfo:
    """What `module.yaml` says about one module, and where its files are."""

    name: str
    number: int
    title: str
    summary: str
    prerequisites: tuple[str, ...]
    exports: tuple[str, ...]
    auto_points: float
    manual_points: float
    folder: Path

    @property
    def slug(self) -> str:
        """The folder name, e.g. `03_optimizers`."""
        return f"{self.number:02d}_{self.name}"

    @property
    def dev_path(self) -> Path:
        return self.folder / f"{self.name}_dev.py"

    @property
    def yaml_path(self) -> Path:
        return self.folder / "module.yaml"

    @property
    def notebook_name(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def test_file_name(self) -> str:
        return f"test_{self.name}.py"


def load_module_info(yaml_path: Path) -> ModuleInfo:
    """Read one `module.yaml`; a missing key or a folder name that disagrees is a SourceError."""
    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", 0) + 1
        raise SourceError(yaml_path, line, f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SourceError(yaml_path, 1, "module.yaml must be a mapping")
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        raise SourceError(yaml_path, 1, f"missing keys: {', '.join(missing)}")
    points = data["points"] or {}
    info = ModuleInfo(
        name=str(data["name"]),
        number=int(data["number"]),
        title=str(data["title"]),
        summary=str(data.get("summary", "")),
        prerequisites=tuple(data["prerequisites"] or ()),
        exports=tuple(data["exports"] or ()),
        auto_points=float(points.get("auto", 0)),
        manual_points=float(points.get("manual", 0)),
        folder=yaml_path.parent,
    )
    if yaml_path.parent.name != info.slug:
        raise SourceError(
            yaml_path, 1, f"folder is {yaml_path.parent.name!r} but name and number say {info.slug!r}"
        )
    return info


def discover_modules(modules_dir: Path) -> list[ModuleInfo]:
    """Every module under `modules_dir`, ordered by number, with prerequisites checked."""
    modules = [load_module_info(path) for path in sorted(modules_dir.glob("*/module.yaml"))]
    modules.sort(key=lambda module: module.number)
    known = {module.name for module in modules}
    for module in modules:
        for prerequisite in module.prerequisites:
            if prerequisite not in known:
                raise SourceError(module.yaml_path, 1, f"unknown prerequisite {prerequisite!r}")
    return modules


def resolve_module(modules: list[ModuleInfo], name: str) -> ModuleInfo:
    """Accept `optimizers`, `03_optimizers`, `03` or `3`; otherwise list the known modules."""
    wanted = name.strip().lower()
    for module in modules:
        if wanted in (module.name, module.slug):
            return module
        if re.fullmatch(r"\d+", wanted) and int(wanted) == module.number:
            return module
    known = ", ".join(f"{module.slug} ({module.name})" for module in modules) or "none"
    raise TitoError(f"unknown module {name!r}; known modules: {known}")


def with_prerequisites(modules: list[ModuleInfo], module: ModuleInfo) -> list[ModuleInfo]:
    """The module's prerequisites, transitively, in course order, followed by the module itself."""
    by_name = {m.name: m for m in modules}
    needed: set[str] = set()
    pending = [module.name]
    while pending:
        current = pending.pop()
        if current not in needed:
            needed.add(current)
            pending.extend(by_name[current].prerequisites)
    return [m for m in modules if m.name in needed]
