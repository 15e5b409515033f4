"""State behind the `student` and `reference` fixtures: one per hidden suite, made on first use."""

from __future__ import annotations

from pathlib import Path

from tito.grading.probes import InProcessProbes, load_probes_module
from tito.grading.suite import HiddenSuite, use_reference_package

_references: dict[Path, InProcessProbes] = {}
_reference_sessions: dict[Path, object] = {}
_sandboxes: list = []
_active: dict[str, object] = {"session": None}


def activate(session) -> None:
    """Called by the grading runner: `student` now means this submission's sandbox session."""
    _active["session"] = session


def deactivate() -> None:
    _active["session"] = None


def reference_for(folder: Path) -> InProcessProbes:
    folder = folder.resolve()
    if folder not in _references:
        use_reference_package(HiddenSuite.for_folder(folder).course.paths.package_root)
        name = f"tito_probes_{folder.name}"
        _references[folder] = InProcessProbes(load_probes_module(folder / "probes.py", name))
    return _references[folder]


def student_for(folder: Path):
    if _active["session"] is not None:
        return _active["session"]
    folder = folder.resolve()
    if folder not in _reference_sessions:
        from tito.sandbox.client import Sandbox

        suite = HiddenSuite.for_folder(folder)
        sandbox = Sandbox()
        _sandboxes.append(sandbox)
        _reference_sessions[folder] = sandbox.session(
            suite.reference_package(), suite.probes_source, list(suite.module.exports)
        )
    return _reference_sessions[folder]


def close_all() -> None:
    for session in _reference_sessions.values():
        session.close()
    _reference_sessions.clear()
    for sandbox in _sandboxes:
        sandbox.close()
    _sandboxes.clear()
