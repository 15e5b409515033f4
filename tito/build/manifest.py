"""The checksum manifest of a release: what each nbgrader cell looked like when students received it."""

from __future__ import annotations

import hashlib
import json

from nbformat import NotebookNode

from tito import cells as C
from tito.build.public_tests import test_function_name


def cell_kind(cell: NotebookNode) -> str:
    if C.is_test_cell(cell):
        return "test"
    if C.is_written_answer(cell):
        return "written"
    if C.is_solution(cell):
        return "solution"
    return "locked" if C.is_locked(cell) else "plain"


def release_manifest(release_nb: NotebookNode, module_slug: str, notebook_name: str) -> dict:
    cells = []
    for index, cell in enumerate(release_nb.cells):
        meta = C.nbgrader(cell)
        if not meta:
            continue
        entry = {
            "grade_id": meta["grade_id"],
            "index": index,
            "cell_type": cell.cell_type,
            "kind": cell_kind(cell),
            "locked": C.is_locked(cell) or C.is_grade(cell) and not C.is_solution(cell),
            "points": C.points(cell),
            "checksum": meta.get("checksum"),
            "source_sha256": hashlib.sha256(cell.source.encode("utf-8")).hexdigest(),
        }
        if entry["kind"] == "test":
            entry["test"] = test_function_name(cell)
        cells.append(entry)
    return {"module": module_slug, "notebook": notebook_name, "cells": cells}


def manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"
