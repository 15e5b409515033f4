"""Find every way a module source is malformed, each with its file and line."""

from __future__ import annotations

import ast
import re

import yaml

from tito import cells as C
from tito.errors import SourceError, SourceErrors
from tito.export import collect_exports
from tito.modules import ModuleInfo
from tito.source import ModuleSource, SourceCell, read_source

_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_REQUIRED_FLAGS = ("grade", "solution", "locked")
_MARKERS = {
    C.SOLUTION_BEGIN: ("solution", "begin"),
    C.SOLUTION_END: ("solution", "end"),
    C.HIDDEN_BEGIN: ("hidden tests", "begin"),
    C.HIDDEN_END: ("hidden tests", "end"),
}


def load_module_source(info: ModuleInfo) -> ModuleSource:
    """Read and validate a module's source; raise SourceErrors listing every problem."""
    if not info.dev_path.is_file():
        raise SourceErrors([SourceError(info.dev_path, 0, "the module source is missing")])
    source = read_source(info.dev_path)
    errors = validate_source(source) + validate_against_yaml(source, info)
    if errors:
        raise SourceErrors(errors)
    return source


def validate_source(source: ModuleSource) -> list[SourceError]:
    errors: list[SourceError] = []
    seen_ids: dict[str, int] = {}
    default_seen = False
    for cell in source.cells:
        errors += _check_metadata(source, cell, seen_ids)
        errors += _check_markers(source, cell)
        cell_errors, default_seen = _check_directives(source, cell, default_seen)
        errors += cell_errors
        if C.is_test_cell(cell.cell):
            errors += _check_test_cell(source, cell)
    return errors


def _check_metadata(source: ModuleSource, cell: SourceCell, seen_ids: dict[str, int]) -> list[SourceError]:
    meta = cell.cell.metadata.get("nbgrader")
    if meta is None:
        return []
    line = cell.header_line
    errors = []
    if meta.get("schema_version") != 3:
        errors.append(SourceError(source.path, line, "nbgrader metadata needs \"schema_version\": 3"))
    for flag in _REQUIRED_FLAGS:
        if not isinstance(meta.get(flag), bool):
            errors.append(SourceError(source.path, line, f"nbgrader metadata needs a true/false {flag!r}"))
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
        errors.append(SourceError(
            source.path, line, f"grade_id {grade_id!r} must be letters, digits, '-' and '_'"
        ))
    elif grade_id in seen_ids:
        errors.append(SourceError(
            source.path, line, f"duplicate grade_id {grade_id!r} (first used on line {seen_ids[grade_id]})"
        ))
    else:
        seen_ids[grade_id] = line
    graded = meta.get("grade") is True
    points = meta.get("points")
    if graded:
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            errors.append(SourceError(source.path, line, f"graded cell {grade_id!r} needs points > 0"))
        if cell.cell.cell_type == "code" and meta.get("solution"):
            errors.append(SourceError(
                source.path, line,
                f"cell {grade_id!r}: a graded code cell must be a locked test, not a solution",
            ))
        if cell.cell.cell_type == "code" and not meta.get("locked"):
            errors.append(SourceError(source.path, line, f"test cell {grade_id!r} must be locked"))
        if cell.cell.cell_type == "markdown" and not meta.get("solution"):
            errors.append(SourceError(
                source.path, line, f"graded markdown cell {grade_id!r} must be a solution (written answer)"
            ))
    elif points is not None:
        errors.append(SourceError(source.path, line, f"cell {grade_id!r} has points but is not graded"))
    return errors


def _check_markers(source: ModuleSource, cell: SourceCell) -> list[SourceError]:
    errors = []
    open_region: tuple[str, int] | None = None
    found: set[str] = set()
    for index, text in enumerate(cell.lines):
        marker = next((m for m in _MARKERS if m in text), None)
        if marker is None:
            continue
        kind, edge = _MARKERS[marker]
        line = cell.line_of(index)
        if edge == "begin":
            if open_region is not None:
                errors.append(SourceError(
                    source.path, line,
                    f"'{marker}' inside the {open_region[0]} region opened on line {open_region[1]}: "
                    "regions cannot nest",
                ))
                continue
            open_region = (kind, line)
            found.add(kind)
        elif open_region is None or open_region[0] != kind:
            errors.append(SourceError(source.path, line, f"'{marker}' without a matching BEGIN"))
        else:
            open_region = None
    if open_region is not None:
        errors.append(SourceError(
            source.path, open_region[1], f"the {open_region[0]} region opened here is never closed"
        ))
    if "solution" in found and not C.is_solution(cell.cell):
        errors.append(SourceError(
            source.path, cell.header_line,
            "this cell has a solution region but is not a solution cell (nbgrader \"solution\": true)",
        ))
    if "hidden tests" in found and not C.is_test_cell(cell.cell):
        errors.append(SourceError(
            source.path, cell.header_line, "hidden tests are only allowed in graded test cells"
        ))
    return errors


def _check_directives(source: ModuleSource, cell: SourceCell, default_seen: bool) -> tuple[list[SourceError], bool]:
    errors = []
    for index, name, argument in C.directives(cell.cell):
        line = cell.line_of(index)
        if name == "default_exp":
            if not argument:
                errors.append(SourceError(source.path, line, "'#| default_exp' needs a target, e.g. core.tensor"))
            default_seen = True
        elif name == "export":
            if not argument and not default_seen:
                errors.append(SourceError(
                    source.path, line, "'#| export' before any '#| default_exp': say where the code goes"
                ))
            if C.is_test_cell(cell.cell):
                errors.append(SourceError(source.path, line, "a test cell cannot be exported"))
        else:
            errors.append(SourceError(source.path, line, f"unknown directive '#| {name}'"))
    if any(name == "export" for _, name, _ in C.directives(cell.cell)):
        errors += _check_compiles(source, cell)
    return errors, default_seen


def _check_compiles(source: ModuleSource, cell: SourceCell) -> list[SourceError]:
    try:
        ast.parse(cell.cell.source)
    except SyntaxError as error:
        return [SourceError(source.path, cell.line_of((error.lineno or 1) - 1), f"syntax error: {error.msg}")]
    return []


def _check_test_cell(source: ModuleSource, cell: SourceCell) -> list[SourceError]:
    syntax = _check_compiles(source, cell)
    if syntax:
        return syntax
    tree = ast.parse(cell.cell.source)
    tests = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    if len(tests) != 1:
        return [SourceError(
            source.path, cell.header_line,
            f"test cell {C.grade_id(cell.cell)!r} must define exactly one test_ function, found {len(tests)}",
        )]
    return []


def validate_against_yaml(source: ModuleSource, info: ModuleInfo) -> list[SourceError]:
    """module.yaml's exports and point totals must agree with the source."""
    errors = []
    yaml_lines = _yaml_key_lines(info)
    try:
        targets = set(collect_exports(cell.cell for cell in source.cells))
    except Exception:  # reported by validate_source with a line
        targets = set()
    if targets and targets != set(info.exports):
        errors.append(SourceError(
            info.yaml_path, yaml_lines.get("exports", 1),
            f"exports {sorted(info.exports)} but the source exports {sorted(targets)}",
        ))
    auto = sum(C.points(c.cell) for c in source.cells if C.is_test_cell(c.cell))
    manual = sum(C.points(c.cell) for c in source.cells if C.is_written_answer(c.cell))
    for key, declared, found in (("auto", info.auto_points, auto), ("manual", info.manual_points, manual)):
        if abs(declared - found) > 1e-9:
            errors.append(SourceError(
                info.yaml_path, yaml_lines.get(key, 1),
                f"points.{key} is {declared:g} but the source's cells add up to {found:g}",
            ))
    return errors


def _yaml_key_lines(info: ModuleInfo) -> dict[str, int]:
    lines: dict[str, int] = {}
    node = yaml.compose(info.yaml_path.read_text(encoding="utf-8"))
    for key_node, value_node in getattr(node, "value", []):
        lines[key_node.value] = key_node.start_mark.line + 1
        if key_node.value == "points" and isinstance(value_node.value, list):
            for sub_key, _ in value_node.value:
                lines[sub_key.value] = sub_key.start_mark.line + 1
    return lines
