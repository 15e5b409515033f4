"""`tito release`: write source/NN_name/ and release/NN_name/ for a module."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from tito.build.manifest import manifest_text, release_manifest
from tito.build.notebooks import release_notebook, source_notebook
from tito.build.public_tests import public_test_file
from tito.course import Course
from tito.errors import TitoError
from tito.export import write_if_changed
from tito.modules import ModuleInfo
from tito.validate import load_module_source

MANIFEST_NAME = "manifest.json"


def load_manifest(course: Course, info: ModuleInfo) -> dict:
    """The checksum manifest of a module's release (`release/NN_name/manifest.json`)."""
    path = course.paths.release / info.slug / MANIFEST_NAME
    if not path.is_file():
        raise TitoError(f"{course.relative(path)} is missing; run `tito release {info.name}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def build_outputs(course: Course, info: ModuleInfo) -> dict[Path, str]:
    """Every file `tito release` writes for one module, with its text (nothing is written)."""
    source = load_module_source(info)
    source_nb = source_notebook(source)
    student_nb = release_notebook(source_nb)
    origin = course.relative(info.dev_path)
    source_dir = course.paths.source / info.slug
    release_dir = course.paths.release / info.slug
    return {
        source_dir / info.notebook_name: nbformat.writes(source_nb) + "\n",
        release_dir / info.notebook_name: nbformat.writes(student_nb) + "\n",
        release_dir / info.test_file_name: public_test_file(student_nb, info, origin),
        release_dir / MANIFEST_NAME: manifest_text(release_manifest(student_nb, info.slug, info.notebook_name)),
    }


def release_module(course: Course, info: ModuleInfo) -> list[tuple[Path, bool]]:
    """Write one module's build outputs; return each file and whether it changed."""
    return [(path, write_if_changed(path, text)) for path, text in build_outputs(course, info).items()]
