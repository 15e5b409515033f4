"""From a submitted file to the package code to grade: read it, check its locked cells, export it.

Nothing here runs the student's code; it reads text.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

import nbformat
import numpy as np
from nbformat import NotebookNode
from nbgrader.utils import compute_checksum

from tito import cells as C
from tito.cell_map import CellMaps, build_maps
from tito.errors import TitoError
from tito.export import collect_exports, render_module_file
from tito.grading.probes import LINE_LIMIT, excerpt
from tito.grading.result import WrittenAnswer
from tito.grading.sanitize import ANSWER_LIMIT, MAX_NOTES

MAX_NOTEBOOK_BYTES = 20 * 1024**2
MAX_NESTING = 64            # levels of lists and objects; a notebook needs about 8
# Lists and objects in a notebook, counted in its text before it is parsed: each costs the worker a few hundred
# bytes once parsed (20 MB of `{},` would be 3 GB), while a notebook of this course holds about 300.
MAX_CONTAINERS = 100_000
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[{')))
_TOP_LEVEL_DEFINITION = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_TOP_LEVEL_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)


@dataclass
class Prepared:
    exports: dict[str, str] | None = None   # target -> file text; None when nothing can be graded
    problem: str | None = None               # why nothing can be graded
    tampering: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[WrittenAnswer] = field(default_factory=list)
    cell_maps: CellMaps = field(default_factory=CellMaps)   # exported file line -> notebook cell and line


def read_notebook(data: bytes) -> NotebookNode:
    """Parse a submission; raise TitoError with a message for the student when it is not a usable notebook.

    Whatever the bytes are, nothing but TitoError comes out: the structure is checked, type by type, before
    any other code walks it.
    """
    if not data.strip():
        raise TitoError("the submitted file is empty")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise TitoError(f"the submitted file is {len(data) // 1024**2} MB; notebooks over 20 MB are not graded")
    if _containers(data) > MAX_CONTAINERS:
        raise TitoError(f"the notebook holds more than {MAX_CONTAINERS:,} lists and objects (a notebook of this "
                        "course holds a few hundred); clear its outputs and submit it again")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise TitoError("the submitted file is not text (is it a notebook?)") from None
    except RecursionError:
        raise TitoError(f"the notebook is nested too deeply (more than {MAX_NESTING} levels)") from None
    except json.JSONDecodeError as error:
        raise TitoError(f"the submitted file is not a notebook: it is not valid JSON ({error})") from None
    except ValueError:  # an integer of thousands of digits
        raise TitoError("the notebook holds a number too long to read") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise TitoError("the submitted file is JSON but not a Jupyter notebook (no cells/nbformat)")
    if _nesting(raw) > MAX_NESTING:
        raise TitoError(f"the notebook is nested too deeply (more than {MAX_NESTING} levels)")
    if raw.get("nbformat") != 4:
        raise TitoError(f"the notebook has nbformat {_shown(raw.get('nbformat'))}; save it with Jupyter (nbformat 4)")
    problem = _structure_problem(raw)
    if problem:
        raise TitoError(f"the notebook's structure is broken: {problem}")
    notebook = nbformat.from_dict(raw)
    for cell in notebook.cells:
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        cell.setdefault("metadata", nbformat.NotebookNode())
    if not notebook.cells:
        raise TitoError("the notebook has no cells")
    return notebook


def _containers(data: bytes) -> int:
    """How many lists and objects the JSON text `data` holds: its brackets outside strings (exact for valid
    JSON; the parser refuses the rest). Done on arrays, never on millions of small Python objects."""
    text = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    marks = np.frombuffer(text, dtype=np.uint8)
    quotes = marks == ord('"')
    in_string = np.logical_xor.accumulate(quotes)
    return int(np.count_nonzero(~(in_string | quotes)))


def _nesting(value: dict | list) -> int:
    """How deeply lists and objects nest in parsed JSON, counted without recursion (only containers are
    stacked: a list of millions of numbers costs nothing here)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_NESTING:
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _structure_problem(raw: dict) -> str | None:
    """What is wrong with the types of a parsed notebook, in words; None when every field has its type."""
    if not isinstance(raw.get("metadata", {}), dict):
        return "its metadata is not an object"
    if not isinstance(raw["cells"], list):
        return "its cells are not a list"
    for number, cell in enumerate(raw["cells"], start=1):
        if not isinstance(cell, dict):
            return f"cell {number} is not an object"
        source = cell.get("source")
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            return f"cell {number} has no type (code, markdown or raw)"
        if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(s, str) for s in source)):
            return f"cell {number} has no source text"
        if not _is_unicode("".join(source)):
            return f"cell {number} holds text that is not valid Unicode"
        if not isinstance(cell.get("metadata", {}), dict):
            return f"the metadata of cell {number} is not an object"
        outputs = cell.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(output, dict) for output in outputs):
            return f"the outputs of cell {number} are not a list of objects"
        if not isinstance(cell.get("attachments", {}), dict):
            return f"the attachments of cell {number} are not an object"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a \uD800-style escape
        return False
    return True


def _shown(value) -> str:
    """A value from the file, for one line of a message: a short scalar as it is, anything else by its type."""
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)[:40]
    if isinstance(value, str):
        return repr(value[:40])
    return f"(a JSON {'object' if isinstance(value, dict) else 'list'})"


def prepare_submission(data: bytes, release_nb: NotebookNode, manifest: dict, targets: tuple[str, ...],
                       origin: str) -> Prepared:
    prepared = Prepared()
    try:
        notebook = read_notebook(data)
    except TitoError as error:
        prepared.problem = str(error)
        return prepared
    cells = restore_locked_cells(notebook, release_nb, manifest, prepared.tampering, prepared.notes)
    prepared.tampering, prepared.notes = _at_most(prepared.tampering), _at_most(prepared.notes)
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
    if ignored:  # names the notebook wrote: each cut, and at most ten of them
        named = ", ".join(excerpt(name, LINE_LIMIT) for name in ignored[:10])
        more = f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
        prepared.notes.append(f"code exported to {named}{more} was ignored (not part of this module)")
    prepared.exports = {target: render_module_file(exports[target], origin) for target in targets}
    numbers = {id(cell): number for number, cell in enumerate(notebook.cells, start=1)}
    prepared.cell_maps = build_maps(cells, prepared.exports, numbers)
    return prepared


def _at_most(notes: list[str]) -> list[str]:
    """The first notes of a list one per cell (a notebook may repeat a cell thousands of times), then a count."""
    if len(notes) <= MAX_NOTES // 2:
        return notes
    kept = MAX_NOTES // 2 - 1
    return [*notes[:kept], f"[... {len(notes) - kept} more like these]"]


def restore_locked_cells(notebook: NotebookNode, release_nb: NotebookNode, manifest: dict,
                         tampering: list[str], notes: list[str] | None = None) -> list[NotebookNode]:
    """The student's cells with every locked cell as released: a changed or deleted one is put back and noted.

    A cell without valid nbgrader metadata that copies a locked cell (`LockedCells.copied`) is that locked cell:
    the released one takes its place, so removing the metadata unlocks nothing. Edits are `tampering`; an
    unedited copy is only noted in `notes`.
    """
    notes = [] if notes is None else notes
    locked = LockedCells(release_nb, manifest)
    expected = locked.expected
    present = {_grade_id(cell) for cell in notebook.cells} & set(expected)
    cells: list[NotebookNode] = []
    seen: set[str] = set()
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        entry = expected.get(grade_id)
        if entry is None:
            copied = locked.copied(cell)
            if copied is None:
                cells.append(cell)
                continue
            grade_id, edited = copied
            said = tampering if edited else notes
            if grade_id in seen or grade_id in present:
                said.append(f"locked cell {grade_id}: a cell without nbgrader metadata repeats it"
                            f"{' with edits' if edited else ''}; that cell was ignored")
                continue
            seen.add(grade_id)
            change = "its metadata was removed" + (" and its source edited" if edited else "")
            said.append(f"locked cell {grade_id}: {change}; the released cell was used")
            cells.append(copy.deepcopy(locked.originals[grade_id]))
            continue
        if grade_id in seen:
            tampering.append(f"cell {grade_id} appears more than once; the copy was ignored")
            continue
        seen.add(grade_id)
        problem = _cell_changes(cell, entry)
        if problem and entry["locked"]:
            tampering.append(f"locked cell {grade_id}: {problem}; the released cell was used")
            cells.append(copy.deepcopy(locked.originals[grade_id]))
        else:
            if problem:
                tampering.append(f"cell {grade_id}: {problem}; the released points stand")
            cells.append(cell)
    for entry in manifest["cells"]:
        if entry["locked"] and entry["grade_id"] not in seen:
            tampering.append(f"locked cell {entry['grade_id']}: deleted; the released cell was used")
            cells.insert(min(entry["index"], len(cells)), copy.deepcopy(locked.originals[entry["grade_id"]]))
    return cells


class LockedCells:
    """The release's graded cells, to recognise a locked one in a student's notebook whatever its metadata says.

    A cell without valid nbgrader metadata copies a locked cell when it is exported exactly when that cell is
    (`#| export`), is of the same type, and
    - has the same source (give or take surrounding blank space), or
    - defines at its top level (def, class or assignment) a name the locked cell defines with def or class
      (answer cells and locked cells define disjoint names, so this never takes an answer for a locked cell), or
    - its lines are more like the locked cell's than like any other graded cell's, by at least SIMILARITY.
    A student's own helper cell defines its own names and resembles no released cell, so it stays theirs.
    """

    SIMILARITY = 0.75

    def __init__(self, release_nb: NotebookNode, manifest: dict):
        self.expected = {entry["grade_id"]: entry for entry in manifest["cells"]}
        self.originals = {C.grade_id(cell): cell for cell in release_nb.cells if C.grade_id(cell)}
        self.graded = [grade_id for grade_id in self.expected if grade_id in self.originals]
        self.locked = [grade_id for grade_id in self.graded if self.expected[grade_id]["locked"]]
        self.exported = {grade_id: _exported(self.originals[grade_id]) for grade_id in self.graded}
        self.defined = {grade_id: _defined_names(self.originals[grade_id], assignments=False)
                        for grade_id in self.locked}

    def copied(self, cell: NotebookNode) -> tuple[str, bool] | None:
        """(grade_id, edited) of the locked cell `cell` copies, or None when it copies none."""
        exported = _exported(cell)
        alike = [grade_id for grade_id in self.graded
                 if self.originals[grade_id].cell_type == cell.cell_type and self.exported[grade_id] == exported]
        locked = [grade_id for grade_id in alike if grade_id in self.locked]
        if not locked:
            return None
        text = cell.source.strip()
        for grade_id in locked:
            if self.originals[grade_id].source.strip() == text:
                return grade_id, False
        names = _defined_names(cell, assignments=True)
        for grade_id in locked:
            if names & self.defined[grade_id]:
                return grade_id, True
        scores = {grade_id: _similarity(cell.source, self.originals[grade_id].source) for grade_id in alike}
        best = max(scores, key=scores.get)
        if best in self.locked and scores[best] >= self.SIMILARITY:
            return best, True
        return None


def _exported(cell: NotebookNode) -> bool:
    return any(name == "export" for _, name, _ in C.directives(cell))


def _defined_names(cell: NotebookNode, assignments: bool) -> set[str]:
    """Names a code cell binds at its top level with def or class (and `=`, if `assignments`).

    Read from the lines, not parsed: it works on code that does not compile (magics, a syntax error) and costs
    no more than reading the text, however large.
    """
    if cell.cell_type != "code":
        return set()
    names = set(_TOP_LEVEL_DEFINITION.findall(cell.source))
    if assignments:
        names.update(_TOP_LEVEL_ASSIGNMENT.findall(cell.source))
    return names


def _similarity(text: str, other: str) -> float:
    """How alike two sources are, line by line (difflib's ratio); 0 when it cannot reach SIMILARITY."""
    matcher = difflib.SequenceMatcher(None, _lines(text), _lines(other), autojunk=False)
    if matcher.real_quick_ratio() < LockedCells.SIMILARITY or matcher.quick_ratio() < LockedCells.SIMILARITY:
        return 0.0
    return matcher.ratio()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


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
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            return "its nbgrader metadata was edited"
    return None


def _as_float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
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
        answer = excerpt(text, ANSWER_LIMIT) if answered else ""
        answers.append(WrittenAnswer(entry["grade_id"], entry["points"], answer, answered))
    return answers
