"""From a submitted file to the package code to grade: read it, check its locked cells, export it.

Nothing here runs the student's code; it reads text.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import compute_checksum

from tito import cells as C
from tito.errors import TitoError
from tito.export import collect_exports, render_module_file
from tito.grading.result import WrittenAnswer

MAX_NOTEBOOK_BYTES = 20 * 1024**2


@dataclass
class Prepared:
    exports: dict[str, str] | None = None   # target -> file text; None when nothing can be graded
    problem: str | None = None               # why nothing can be graded
    tampering: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[WrittenAnswer] = field(default_factory=list)


def read_notebook(data: bytes) -> NotebookNode:
    """Parse a submission; raise TitoError with a message for the student when it is not a usable notebook."""
    if not data.strip():
        raise TitoError("the submitted file is empty")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise TitoError(f"the submitted file is {len(data) // 1024**2} MB; notebooks over 20 MB are not graded")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise TitoError("the submitted file is not text (is it a notebook?)") from None
    except json.JSONDecodeError as error:
        raise TitoError(f"the submitted file is not a notebook: it is not valid JSON ({error})") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise TitoError("the submitted file is JSON but not a Jupyter notebook (no cells/nbformat)")
    if raw.get("nbformat") != 4:
        raise TitoError(f"the notebook has nbformat {raw.get('nbformat')!r}; save it with Jupyter (nbformat 4)")
    try:
        notebook = nbformat.from_dict(raw)
        for cell in notebook.cells:
            if cell.get("cell_type") not in ("code", "markdown", "raw") or not isinstance(cell.get("source"), (str, list)):
                raise ValueError("a cell has no type or source")
            if isinstance(cell.source, list):
                cell.source = "".join(cell.source)
            cell.setdefault("metadata", nbformat.NotebookNode())
    except (ValueError, TypeError, AttributeError) as error:
        raise TitoError(f"the notebook's structure is broken: {error}") from None
    if not notebook.cells:
        raise TitoError("the notebook has no cells")
    return notebook


def prepare_submission(data: bytes, release_nb: NotebookNode, manifest: dict, targets: tuple[str, ...],
                       origin: str) -> Prepared:
    prepared = Prepared()
    try:
        notebook = read_notebook(data)
    except TitoError as error:
        prepared.problem = str(error)
        return prepared
    cells = restore_locked_cells(notebook, release_nb, manifest, prepared.tampering)
    prepared.written = written_answers(notebook, manifest)
    try:
        exports = collect_exports(cells)
    except TitoError as error:
        prepared.problem = f"your notebook's export lines are broken: {error}"
        return prepared
    missing = [target for target in targets if target not in exports]
    if missing:
        prepared.problem = (
            f"your notebook exports nothing to {', '.join('tinytorch.' + m for m in missing)}: "
            "were the '#| default_exp' / '#| export' lines deleted?"
        )
        return prepared
    ignored = sorted(set(exports) - set(targets))
    if ignored:
        prepared.notes.append(f"code exported to {', '.join(ignored)} was ignored (not part of this module)")
    prepared.exports = {target: render_module_file(exports[target], origin) for target in targets}
    return prepared


def restore_locked_cells(notebook: NotebookNode, release_nb: NotebookNode, manifest: dict,
                         tampering: list[str]) -> list[NotebookNode]:
    """The student's cells with every locked cell as released: a changed or deleted one is put back and noted."""
    originals = {C.grade_id(cell): cell for cell in release_nb.cells if C.grade_id(cell)}
    expected = {entry["grade_id"]: entry for entry in manifest["cells"]}
    cells: list[NotebookNode] = []
    seen: set[str] = set()
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        entry = expected.get(grade_id)
        if entry is None:
            cells.append(cell)
            continue
        if grade_id in seen:
            tampering.append(f"cell {grade_id} appears more than once; the copy was ignored")
            continue
        seen.add(grade_id)
        problem = _cell_changes(cell, entry)
        if problem and entry["locked"]:
            tampering.append(f"locked cell {grade_id}: {problem}; the released cell was used")
            cells.append(copy.deepcopy(originals[grade_id]))
        else:
            if problem:
                tampering.append(f"cell {grade_id}: {problem}; the released points stand")
            cells.append(cell)
    for entry in manifest["cells"]:
        if entry["locked"] and entry["grade_id"] not in seen:
            tampering.append(f"locked cell {entry['grade_id']}: deleted; the released cell was used")
            cells.insert(min(entry["index"], len(cells)), copy.deepcopy(originals[entry["grade_id"]]))
    return cells


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) else None


def _cell_changes(cell: NotebookNode, entry: dict) -> str | None:
    """How a cell differs from its release: in its points/metadata or (for locked cells) its source."""
    meta = cell.metadata.get("nbgrader", {})
    if bool(meta.get("grade")) != (entry["kind"] in ("test", "written")) or (
        entry["kind"] in ("test", "written") and _as_float(meta.get("points")) != entry["points"]
    ):
        return "its points metadata was changed"
    if entry["locked"]:
        if hashlib.sha256(cell.source.encode("utf-8")).hexdigest() != entry["source_sha256"]:
            return "its source was edited"
        try:
            if compute_checksum(cell) != entry["checksum"]:
                return "its nbgrader metadata was edited"
        except (KeyError, TypeError, ValueError):
            return "its nbgrader metadata was edited"
    return None


def _as_float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def written_answers(notebook: NotebookNode, manifest: dict) -> list[WrittenAnswer]:
    by_id = {_grade_id(cell): cell for cell in notebook.cells if _grade_id(cell)}
    answers = []
    for entry in manifest["cells"]:
        if entry["kind"] != "written":
            continue
        cell = by_id.get(entry["grade_id"])
        text = cell.source if cell is not None else ""
        unchanged = hashlib.sha256(text.encode("utf-8")).hexdigest() == entry["source_sha256"]
        answered = bool(text.strip()) and not unchanged
        answers.append(WrittenAnswer(entry["grade_id"], entry["points"], text if answered else "", answered))
    return answers
