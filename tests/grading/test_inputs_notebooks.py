"""Whatever a submitted file holds, preparing it answers with a problem or with exports: it never raises."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tito.grading.prepare import Prepared, prepare_submission
from tito.release import MANIFEST_NAME

NOTEBOOK_KEYS = ["cells", "metadata", "nbformat", "nbformat_minor"]
CELL_KEYS = ["cell_type", "source", "metadata", "outputs", "attachments", "id", "execution_count"]
NBGRADER_KEYS = ["grade_id", "points", "grade", "solution", "locked", "checksum", "schema_version"]
DEEP = "<nested 5000 deep>"  # written into the JSON text as brackets: json.dumps cannot nest that deep


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


ODD_VALUES = st.sampled_from([
    nested(70), DEEP, "\ud800", 10**4000, -1, 1e308, float("inf"), "", "#| export\nimport os",
    "#| export core.other", ["a", None], {"nbgrader": "x"}, {"grade_id": "test-add-one"}, [{}], [[]],
])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
) | ODD_VALUES


@st.composite
def mutation(draw, cell_count: int):
    """One change to a notebook's dict: set or delete a key somewhere, or copy a cell without its metadata."""
    where = draw(st.sampled_from(["notebook", "cell", "cell metadata", "nbgrader", "copy"]))
    cell = draw(st.integers(0, cell_count - 1))
    keys = {"notebook": NOTEBOOK_KEYS, "cell": CELL_KEYS, "cell metadata": ["nbgrader", "tags"],
            "nbgrader": NBGRADER_KEYS, "copy": ["source"]}[where]
    key = draw(st.sampled_from(keys))
    value = draw(st.one_of(st.just(None), JSON_VALUES, st.text(max_size=30)))
    return where, cell, key, value, draw(st.booleans())


def mutated(notebook: dict, changes) -> dict:
    notebook = copy.deepcopy(notebook)
    for where, index, key, value, delete in changes:
        cells = notebook.get("cells")
        target = notebook
        if where != "notebook":
            if not isinstance(cells, list) or not cells:
                continue
            target = cells[index % len(cells)]
        if where == "copy" and isinstance(target, dict):
            duplicate = {k: v for k, v in target.items() if k != "metadata"}
            if isinstance(duplicate.get("source"), str) and isinstance(value, str):
                duplicate["source"] += value
            cells.insert((index * 7) % (len(cells) + 1), duplicate)
            continue
        for step in {"cell metadata": ["metadata"], "nbgrader": ["metadata", "nbgrader"]}.get(where, []):
            target = target.get(step) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if delete:
            target.pop(key, None)
        else:
            target[key] = value
    return notebook


@pytest.fixture(scope="module")
def alpha(graded_course, alpha_notebooks):
    release, answered = alpha_notebooks
    manifest = json.loads((graded_course.paths.release / "01_alpha" / MANIFEST_NAME).read_text())
    return release, json.loads(nbformat.writes(answered)), manifest


def encoded(document) -> bytes:
    return json.dumps(document).replace(json.dumps(DEEP), "[" * 5000 + "]" * 5000).encode()


def check(prepared: Prepared) -> None:
    assert isinstance(prepared, Prepared)
    assert (prepared.problem is None) == (prepared.exports is not None)
    if prepared.problem is not None:
        assert "\n" not in prepared.problem and prepared.problem.strip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(mutation(cell_count=8), min_size=1, max_size=4))
def test_a_damaged_notebook_never_raises(alpha, changes):
    """Does any mix of wrong types, missing keys, odd values and copied cells give a problem or exports?"""
    release, answered, manifest = alpha
    data = encoded(mutated(answered, changes))
    check(prepare_submission(data, release, manifest, ("core.alpha",), "alice's notebook"))


@pytest.mark.parametrize("value", [1, "add-one", ["grade_id"], None, True])
def test_nbgrader_metadata_that_is_not_a_dict_never_raises(alpha, value):
    """A case the random search above once found: an answer cell whose nbgrader metadata is an int (the cell map
    of the messages read it as a dict)."""
    release, answered, manifest = alpha
    document = json.loads(json.dumps(answered))
    cell = next(cell for cell in document["cells"] if cell.get("id") == "add-one")
    cell["metadata"]["nbgrader"] = value
    check(prepare_submission(json.dumps(document).encode(), release, manifest, ("core.alpha",), "alice's notebook"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES)
def test_any_json_never_raises(alpha, value):
    """Does a file that is some JSON value, or a notebook around one, give a problem rather than an exception?"""
    release, _, manifest = alpha
    for document in (value, {"cells": value, "nbformat": 4}, {"cells": [value], "nbformat": 4}):
        check(prepare_submission(encoded(document), release, manifest, ("core.alpha",), "alice's notebook"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_any_bytes_never_raise(alpha, data):
    """Do arbitrary bytes give a problem rather than an exception?"""
    release, _, manifest = alpha
    check(prepare_submission(data, release, manifest, ("core.alpha",), "alice's notebook"))
