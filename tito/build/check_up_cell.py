"""A preprocessor that ends the notebook with the check-up cell: where the student stands, without a terminal."""

from __future__ import annotations

import json

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Unicode

from tito import cells as C
from tito.build.public_tests import test_function_name
from tito.errors import TitoError

CHECK_UP_ID = "check-up"
CHECK_UP_METADATA = {
    "grade": False, "grade_id": CHECK_UP_ID, "locked": True, "schema_version": 3, "solution": False, "task": False,
}


def _mapping(entries: list[tuple[str, float]]) -> str:
    """A dict literal, one entry a line, as a student reads it."""
    if not entries:
        return "{}"
    lines = "".join(f"        {json.dumps(key)}: {points:g},\n" for key, points in entries)
    return "{\n" + lines + "    }"


def check_up_source(module: str, notebook: str, tests: list[tuple[str, float]], written: list[tuple[str, float]]) -> str:
    return "\n".join([
        f"# Check-up: where you stand, as `tito module complete {module}` reports it. Run it whenever you like:",
        "# it runs the visible tests above again in this kernel and reads your written answers from the saved notebook.",
        "from tito.checkup import check_up",
        "",
        "check_up(",
        "    globals(),",
        f"    module={json.dumps(module)},",
        f"    notebook={json.dumps(notebook)},",
        f"    tests={_mapping(tests)},",
        f"    written={_mapping(written)},",
        ")",
    ])


class AppendCheckUp(Preprocessor):
    """Adds the check-up as the last cell: a locked, ungraded nbgrader cell that calls `tito.checkup.check_up`
    with the visible tests and written answers of the notebook (names and points, in notebook order)."""

    module = Unicode(help="the module's short name, e.g. optimizers").tag(config=True)
    notebook = Unicode(help="the notebook's file name, e.g. optimizers.ipynb").tag(config=True)

    def preprocess(self, nb, resources):
        if any(C.grade_id(cell) == CHECK_UP_ID for cell in nb.cells):
            raise TitoError(f"grade_id {CHECK_UP_ID!r} is kept for the check-up cell the release build adds")
        tests = [(test_function_name(cell), C.points(cell)) for cell in nb.cells if C.is_test_cell(cell)]
        written = [(C.grade_id(cell), C.points(cell)) for cell in nb.cells if C.is_written_answer(cell)]
        cell = nbformat.v4.new_code_cell(check_up_source(self.module, self.notebook, tests, written))
        cell.metadata = nbformat.from_dict({"nbgrader": dict(CHECK_UP_METADATA)})
        cell["id"] = CHECK_UP_ID
        nb.cells.append(cell)
        return nb, resources
