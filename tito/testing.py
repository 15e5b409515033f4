"""`tito test`: the project's own tests for a module, run with pytest, exit status passed through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tito.course import Course
from tito.modules import ModuleInfo


def module_test_paths(course: Course, info: ModuleInfo) -> list[Path]:
    """The module's unit tests, its public test file (against the reference package) and its hidden suite."""
    candidates = [
        course.paths.tests / info.slug,
        course.paths.release / info.slug / info.test_file_name,
        course.paths.autograder / info.slug,
    ]
    return [path for path in candidates if path.exists()]


def all_test_paths(course: Course) -> list[Path]:
    paths = [course.paths.tests]
    for info in course.modules:
        paths += [path for path in module_test_paths(course, info) if course.paths.tests not in path.parents]
    return paths


def run_pytest(course: Course, paths: list[Path], extra_args: list[str]) -> int:
    """Run pytest from the course root on `paths`; return its exit status."""
    if not paths:
        return 5  # pytest's own status for "no tests collected"
    command = [sys.executable, "-m", "pytest", *map(str, paths), *extra_args]
    # No __pycache__ written into release/ or autograder/: those folders are shipped as they are.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, cwd=course.paths.root, env=env).returncode
