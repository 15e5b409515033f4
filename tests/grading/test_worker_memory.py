"""A grading worker's memory stays under the bound stated in docs/grading-security.md ("Bounded memory"), for
notebooks just below the size cap whose text ends up in the messages of every failing test.

The class (optimizers, graded through `grade_class`: real workers, real sandbox) holds a notebook with a 15 MB
source line that raises at import, one with a 15 MB line that is a syntax error, one whose code raises with a
5 MB message in every test, one whose code raises in every test from an 8 MB line (short enough for its frame to
cross the sandbox's channel: the traceback quotes it), one holding four million two-letter strings in its
metadata (the densest notebook in the worker's memory once parsed that the size cap and the cap on lists and
objects let through), and two honest classmates. A thread polls the peak resident size (VmHWM) of every
grading worker while the class is graded.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tito.build.reference_fill import fill_with_reference
from tito.course import Course
from tito.errors import TitoError
from tito.grading.grade import GradeRun, grade_class
from tito.grading.prepare import MAX_CONTAINERS, MAX_NOTEBOOK_BYTES, read_notebook
from tito.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parents[2]
WORKER_BOUND_BYTES = 600 * 1024**2   # the bound docs/grading-security.md states
MESSAGE_CAP = 5_000                  # no test message or note of these students is longer than this
LINE = 15 * 1024**2                  # the hostile source lines, in characters
CHANNEL_LINE = 8_000_000             # a line whose frame alone still fits through the sandbox's channel (8 MiB)

# Every function and method the module defines is replaced by `_raises` ({definition}), which raises: every test
# that calls the student's code fails with its exception.
RAISES_EVERYWHERE = '''#| export
{definition}

for _name, _value in list(globals().items()):
    if _name.startswith("_") or getattr(_value, "__module__", None) != __name__:
        continue
    if isinstance(_value, type):
        for _attribute, _member in list(vars(_value).items()):
            if callable(_member) and (_attribute == "__init__" or not _attribute.startswith("_")):
                setattr(_value, _attribute, _raises)
    elif callable(_value):
        globals()[_name] = _raises
'''


class WorkerWatch(threading.Thread):
    """The highest VmHWM of each grading worker (a child of this process running tito.grading.worker)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.poll()
            self.done.wait(0.05)
        self.poll()

    def poll(self) -> None:
        for folder in Path("/proc").glob("[0-9]*"):
            try:
                if b"tito.grading.worker" not in (folder / "cmdline").read_bytes():
                    continue
                fields = dict(line.split(":", 1) for line in (folder / "status").read_text().splitlines())
            except (OSError, ValueError):
                continue
            if int(fields["PPid"]) == os.getpid() and "VmHWM" in fields:
                peak = int(fields["VmHWM"].split()[0]) * 1024
                self.peaks[int(folder.name)] = max(self.peaks.get(int(folder.name), 0), peak)


@dataclass
class MemoryRun:
    run: GradeRun
    peaks: dict[int, int]
    sizes: dict[str, int]


def _with_cell(notebook, cell_id: str, source: str):
    edited = copy.deepcopy(notebook)
    edited.cells.append(nbformat.v4.new_code_cell(source, id=cell_id))
    return edited


@pytest.fixture(scope="module")
def memory_run(tmp_path_factory) -> MemoryRun:
    course = Course.load(ROOT)
    module = course.module("optimizers")
    release = nbformat.read(course.paths.release / module.slug / module.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / module.slug / module.notebook_name, as_version=4)
    answered = fill_with_reference(release, source)
    long_text = "A" * LINE
    notebooks = {
        "honest-1": answered,
        "honest-2": answered,
        "raises-at-import": _with_cell(answered, "long-raise", f'#| export\nx = "{long_text}"; raise ValueError(x)\n'),
        "syntax-error": _with_cell(answered, "long-syntax", f'#| export\nx = "{long_text}\n'),
        "raises-everywhere": _with_cell(answered, "raises-everywhere", RAISES_EVERYWHERE.format(
            definition='def _raises(*args, **kwargs):\n    raise ValueError("B" * (5 * 1024 * 1024))')),
        "long-line-everywhere": _with_cell(answered, "long-line-everywhere", RAISES_EVERYWHERE.format(
            definition=f'def _raises(*args, **kwargs): raise ValueError("{"C" * CHANNEL_LINE}")')),
    }
    notebooks["millions-of-values"] = copy.deepcopy(answered)
    notebooks["millions-of-values"].metadata["values"] = ["ab"] * ((MAX_NOTEBOOK_BYTES - 300_000) // 5)
    folder = tmp_path_factory.mktemp("memory") / "class"
    folder.mkdir()
    sizes = {}
    for student, notebook in notebooks.items():
        data = json.dumps(notebook, separators=(",", ":")).encode("utf-8")
        (folder / f"{student}.ipynb").write_bytes(data)
        sizes[student] = len(data)
    watch = WorkerWatch()
    watch.start()
    try:
        run = grade_class(course, module, folder, folder.parent / "out", limits=Limits(call_seconds=30))
    finally:
        watch.done.set()
        watch.join()
    return MemoryRun(run, watch.peaks, sizes)


def test_the_hostile_notebooks_are_large_but_below_the_size_cap(memory_run):
    """Are the two notebooks with a long line over 15 MB and still under the 20 MB cap (so they are graded)?"""
    for student in ("raises-at-import", "syntax-error"):
        assert LINE < memory_run.sizes[student] < MAX_NOTEBOOK_BYTES
    assert 19 * 1024**2 < memory_run.sizes["millions-of-values"] < MAX_NOTEBOOK_BYTES


def test_every_worker_stays_under_the_stated_bound(memory_run):
    """Does each grading worker's peak resident memory stay under the bound the security document states?"""
    assert memory_run.peaks, "no grading worker was seen"
    peak = max(memory_run.peaks.values())
    print(f"peak worker memory: {peak / 1024**2:.0f} MiB over {len(memory_run.peaks)} worker(s)")
    assert peak < WORKER_BOUND_BYTES, f"a worker reached {peak / 1024**2:.0f} MiB"


def test_honest_classmates_keep_full_marks(memory_run):
    """Do the reference answers still earn every point in a class with these notebooks (also when the notebook
    carries millions of values in its metadata)?"""
    results = {result.student: result for result in memory_run.run.results}
    for student in ("honest-1", "honest-2", "millions-of-values"):
        result = results[student]
        assert result.status == "graded", (result.problem, result.notes)
        assert result.score == result.max_score, [(t.name, t.message[:200]) for t in result.tests if not t.passed]


def test_hostile_notebooks_fail_with_short_messages(memory_run):
    """Does each hostile notebook get a result, failing its tests with messages and notes under a small cap?"""
    results = {result.student: result for result in memory_run.run.results}
    for student in ("raises-at-import", "syntax-error", "raises-everywhere", "long-line-everywhere"):
        result = results[student]
        assert result.tests and result.score < result.max_score, student
        texts = [test.message for test in result.tests] + result.notes + [result.problem or ""]
        longest = max(len(text) for text in texts)
        assert longest < MESSAGE_CAP, (student, longest)
    said = {student: " ".join(test.message for test in results[student].tests) for student in results}
    assert all("ValueError" in said[student] for student in ("raises-at-import", "raises-everywhere",
                                                              "long-line-everywhere"))
    assert "SyntaxError" in said["syntax-error"]


@pytest.mark.parametrize("shape", ["[{}]", "[[]]", '{"cell_type":"raw","source":""}'])
def test_a_notebook_of_millions_of_lists_or_objects_is_refused_before_it_is_parsed(shape):
    """Is a notebook of millions of tiny lists, objects or cells (gigabytes once parsed) refused, quickly and with
    a message, while brackets inside strings do not count?"""
    filler = ",".join([shape] * (MAX_CONTAINERS + 1))
    data = ('{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[%s]}' % filler).encode()
    with pytest.raises(TitoError, match="more than 100,000 lists and objects"):
        read_notebook(data)
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "source": "x = [[{}]] \\ \" [" * 100_000, "metadata": {}}]})
    assert read_notebook(text.encode()).cells[0].source.startswith("x = [[{}]]")
