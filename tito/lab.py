"""`tito lab`: JupyterLab as a student should see it, or with nbgrader's instructor tools.

The student's configuration is the folder `jupyter/student/` of the course checkout, put in front of Jupyter's
own configuration through JUPYTER_CONFIG_PATH:

- `labconfig/page_config.json` disables nbgrader's Create Assignment, Formgrader, Course List and Assignment
  List in the browser (what `jupyter labextension disable` would write);
- `jupyter_server_config.json` turns off their server extensions, so nothing answers for them either.

nbgrader's Validate button stays. Students get their notebooks from `tito module start`, not from an nbgrader
exchange, so the Assignment List has nothing to show and is left out rather than set up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tito.course import Course

STUDENT_CONFIG = Path("jupyter") / "student"


def student_config_dir(course: Course) -> Path:
    return course.paths.root / STUDENT_CONFIG


def lab_environment(course: Course, instructor: bool, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment to start JupyterLab in: the student's configuration first, unless `instructor`."""
    env = dict(os.environ if base is None else base)
    if not instructor:
        paths = [str(student_config_dir(course))]
        if env.get("JUPYTER_CONFIG_PATH"):
            paths.append(env["JUPYTER_CONFIG_PATH"])
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def lab_command(root_dir: Path, open_path: Path | None = None, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`python -m jupyterlab` serving `root_dir`, opening `open_path` (inside it) if given."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root_dir}"]
    if open_path is not None:
        command.append(str(open_path))
    return [*command, *extra]
