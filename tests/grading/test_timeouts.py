"""Time-outs name the student's function, and a function that never ends costs one time limit, not one per test."""

from __future__ import annotations

import copy
import re
import sys
import time
import types

import nbformat
import pytest

from tito.cell_map import build_maps
from tito.grading.grade import grade_class
from tito.grading.probes import SubmissionTimedOut
from tito.sandbox import stacks, stopping
from tito.sandbox.client import Sandbox
from tito.sandbox.limits import Limits

CALL_SECONDS = 1.5
PACKAGE = {
    "tinytorch/__init__.py": "",
    "tinytorch/core/__init__.py": "",
    "tinytorch/core/mod.py": (
        "import numpy as np\n"
        "\n"
        "\n"
        "def given(x):\n"
        "    return x + 1\n"
        "\n"
        "\n"
        "class RMSprop:\n"
        "    def update(self, x):\n"
        "        total = 0\n"
        "        while x < 0:\n"
        "            total += x\n"
        "        return 2 * x\n"
        "\n"
        "    def step(self, x):\n"
        "        return self.update(x)\n"
    ),
}
PROBES = (
    "from tinytorch.core.mod import RMSprop, given\n"
    "\n"
    "def update(x):\n"
    "    return RMSprop().update(x)\n"
    "\n"
    "def step(x):\n"
    "    return RMSprop().step(x)\n"
    "\n"
    "def add(x):\n"
    "    return given(x)\n"
)


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(Limits(call_seconds=CALL_SECONDS, submission_seconds=60))
    yield box
    box.close()


def call_all(session, calls: list[tuple[str, int]]) -> list:
    outcomes = []
    for number, (probe, x) in enumerate(calls):
        session.test_name = f"test_{number}_{probe}"
        try:
            outcomes.append(session.call(probe, {"x": x}))
        except SubmissionTimedOut as error:
            outcomes.append(str(error))
    return outcomes


def test_a_method_that_never_ends_costs_one_time_limit_then_a_leash_and_is_named_with_the_test(sandbox):
    """Calls reach a method that loops forever on negative input: is there one time-out, naming RMSprop.update
    and the check that called it, do calls that do not loop still pass, do later looping calls fail after the
    short leash naming their check and the first one, and does the release's function pass throughout?"""
    session = sandbox.session(PACKAGE, PROBES, ["core.mod"])
    try:
        outcomes = call_all(session, [("update", -1), ("add", 1), ("step", 3), ("update", 1), ("step", -1),
                                      ("add", 1), ("update", 1), ("step", 2), ("update", -3)])
    finally:
        session.close()
    limit = f"{CALL_SECONDS:.0f} s"
    assert outcomes[0].startswith(f"RMSprop.update did not finish within {limit} (called by test_0_update)\n")
    assert re.search(r"\n  at core/mod.py, line (11: `while x < 0:`|12: `total \+= x`)$", outcomes[0]), outcomes[0]
    assert outcomes[1:4] == [2, 6, 2] and outcomes[5:8] == [2, 2, 4]  # no loop reached: they run as usual
    for number, probe in ((4, "step"), (8, "update")):
        assert outcomes[number].startswith(
            f"RMSprop.update did not finish within {CALL_SECONDS / 2:g} s (called by test_{number}_{probe}), the "
            f"time it gets since it ran out of {limit} when test_0_update called it\n")
        assert "\n  in RMSprop.update (core/mod.py, line 1" in outcomes[number]
    assert session.events == [f"RMSprop.update did not finish within {limit} (called by test_0_update)",
                              outcomes[4].split("\n")[0], outcomes[8].split("\n")[0]]


def test_a_function_its_leash_cannot_stop_is_stopped_after_its_second_time_limit(sandbox):
    """A method that ignores SIGALRM while it loops: does it cost two time limits and then fail at once?"""
    package = dict(PACKAGE)
    package["tinytorch/core/mod.py"] = package["tinytorch/core/mod.py"].replace(
        "        while x < 0:\n", "        import signal\n        signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                "        while x < 0:\n")
    session = sandbox.session(package, PROBES, ["core.mod"])
    try:
        outcomes = call_all(session, [("update", -1), ("update", -2), ("update", 1), ("add", 1)])
    finally:
        session.close()
    limit = f"{CALL_SECONDS:.0f} s"
    assert outcomes[0].startswith(f"RMSprop.update did not finish within {limit} (called by test_0_update)")
    assert outcomes[1].startswith(f"RMSprop.update did not finish within {limit} (called by test_1_update)")
    assert outcomes[2:] == [f"RMSprop.update is not run again: it ran out of {limit} twice, first when "
                            "test_0_update called it", 2]


def test_code_at_import_that_never_ends_is_named_by_its_line(sandbox):
    """Does a loop at import time time out once, saying it happened while loading, at which line?"""
    package = dict(PACKAGE)
    package["tinytorch/core/mod.py"] += "\nwhile True:\n    pass\n"
    session = sandbox.session(package, PROBES, ["core.mod"])
    try:
        message = str(session.load_error)
    finally:
        session.close()
    assert message.startswith(f"your code at the top level of a cell did not finish within {CALL_SECONDS:.0f} s "
                              "(while loading your code)")
    assert re.search(r"\n  at core/mod.py, line (18: `while True:`|19: `pass`)$", message), message


def _notebook(given_source: str, student_source: str):
    notebook = nbformat.v4.new_notebook()
    locked = {"nbgrader": {"grade": False, "grade_id": "base", "locked": True, "solution": False,
                           "schema_version": 3, "task": False}}
    answer = {"nbgrader": {"grade": False, "grade_id": "rmsprop", "locked": False, "solution": True,
                           "schema_version": 3, "task": False}}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("#| default_exp core.mod\n#| export\n" + given_source, metadata=locked),
        nbformat.v4.new_code_cell("#| export\n" + student_source, metadata=answer),
    ]
    return notebook


def _dump(*frames: tuple[str, int, str]) -> str:
    lines = ["Thread 0x00007f0000000001 (most recent call first):",
             '  File "/usr/lib/python3.11/threading.py", line 320 in wait',
             "", "Current thread 0x00007f0000000002 (most recent call first):"]
    lines += [f'  File "{file}", line {line} in {name}' for file, line, name in frames]
    lines.append('  File "<probes>", line 4 in update')
    return "\n".join(lines) + "\n"


def test_the_function_blamed_is_the_students_innermost_never_given_code():
    """With the loop inside given code called by the student's method, is the student's method blamed (and
    stopped), and with no student frame at all, is the given function named as given and never stopped?"""
    given = "class Optimizer:\n    def step(self):\n        while True:\n            pass\n"
    student = "class RMSprop(Optimizer):\n    def update(self, x):\n        return self.step()\n"
    notebook = _notebook(given, student)
    exports = {"core.mod": f"# header\n\n\n{given}\n\n\n{student}\n"}
    maps = build_maps(notebook.cells, exports)
    files = {"tinytorch/core/mod.py": exports["core.mod"]}
    text = exports["core.mod"].split("\n")
    loop, call = text.index("        while True:") + 1, text.index("        return self.step()") + 1
    path = "/tmp/submission-1/package/tinytorch/core/mod.py"

    found = stacks.culprit(stacks.parse(_dump((path, loop, "step"), (path, call, "update"))), files, ["core.mod"], maps)
    assert (found.name, found.students, found.line) == ("RMSprop.update", True, call)
    assert found.where() == "cell `rmsprop` (cell 3), line 4: `return self.step()`"

    alone = stacks.culprit(stacks.parse(_dump((path, loop, "step"))), files, ["core.mod"], maps)
    assert (alone.name, alone.students) == ("Optimizer.step", False)
    assert alone.who() == "Optimizer.step (given code)"
    assert alone.where() == "cell `base` (cell 2, given code), line 5: `while True:`"
    assert stacks.culprit(stacks.parse(_dump(("/usr/lib/numpy/x.py", 3, "f"))), files, ["core.mod"], maps) is None


def test_a_stopped_function_raises_wherever_it_is_reached():
    """Once stopped, does the function raise at entry through a bound method, a static method, a property, a
    nested class, a module function imported under another name, while a function not named runs on?"""
    source = (
        "def helper(x):\n"            # 1
        "    return x\n"              # 2
        "\n"
        "def make():\n"               # 4
        "    k = 3\n"                 # 5
        "    class Inner:\n"          # 6
        "        def m(self):\n"      # 7
        "            return super().__init__, k\n"  # 8
        "    return Inner\n"          # 9
        "\n"
        "class A:\n"                  # 11
        "    @staticmethod\n"         # 12
        "    def s():\n"              # 13
        "        return 1\n"          # 14
        "    @property\n"             # 15
        "    def p(self):\n"          # 16
        "        return 2\n"          # 17
        "    class B:\n"              # 18
        "        def n(self):\n"      # 19
        "            return 3\n"      # 20
    )
    module = load_module("stopme", source)
    try:
        alias = module.helper
        stopping.apply([{"key": f"stopme-{line}", "file": "core/stopme.py", "line": line, "mode": "stop",
                         "stop_message": f"stopped {line}"} for line in (2, 14, 17, 20)])
        for call, line in ((lambda: alias(1), 2), (module.A.s, 14), (lambda: module.A().p, 17),
                           (lambda: module.A.B().n(), 20)):
            with pytest.raises(stopping.StoppedAfterTimeout, match=f"stopped {line}"):
                call()
        assert module.make()().m()[1] == 3  # not stopped: its line was not named
    finally:
        del sys.modules[module.__name__]


def test_a_leashed_function_runs_when_quick_and_fails_when_it_runs_past_its_leash():
    """On a leash, does a closure-holding method return as usual when quick, raise LeashExpired inside its loop
    when not (and return as usual on the next quick call), and once stopped raise at entry?"""
    source = (
        "def make(limit):\n"                 # 1
        "    class C:\n"                     # 2
        "        def run(self, n):\n"        # 3
        "            total = 0\n"            # 4
        "            while n < 0:\n"         # 5
        "                total += limit\n"   # 6
        "            return n + limit\n"     # 7
        "    return C\n"                     # 8
        "\n"
        "C = make(10)\n"                     # 10
    )
    module = load_module("leashme", source)
    try:
        stopping.apply([{"key": "leashme", "file": "core/leashme.py", "line": 6, "mode": "leash", "seconds": 0.3,
                         "message": "run ran past its leash", "stop_message": "run is stopped"}])
        assert module.C().run(1) == 11
        started = time.monotonic()
        with pytest.raises(stopping.LeashExpired, match="run ran past its leash"):
            module.C().run(-1)
        assert time.monotonic() - started < 5
        assert module.C().run(2) == 12  # a call that does not loop still runs
        stopping.apply([{"key": "leashme", "file": "core/leashme.py", "line": 6, "mode": "stop",
                         "stop_message": "run is stopped"}])
        with pytest.raises(stopping.StoppedAfterTimeout, match="run is stopped"):
            module.C().run(1)
    finally:
        del sys.modules[module.__name__]


def load_module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(f"tinytorch.core.{name}")
    module.__file__ = f"/tmp/package/tinytorch/core/{name}.py"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return module


def test_a_graded_class_loses_one_time_limit_per_endless_function(graded_course, alpha_notebooks, tmp_path):
    """Graded with `tito grade`, does a submission whose add_one loops forever fail only the checks that reach
    add_one, the first after a time-out naming add_one and the check, the second after the short leash only,
    while Doubler's check passes?"""
    release, answered = alpha_notebooks
    looping = copy.deepcopy(answered)
    for cell in looping.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "add-one":
            cell.source = cell.source.replace("return np.asarray(x) + 1", "while True:\n        x = x")
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(looping, folder / "alice.ipynb")
    limits = Limits(call_seconds=2, submission_seconds=60)
    run = grade_class(graded_course, graded_course.module("alpha"), folder, tmp_path / "out", limits=limits)
    [result] = run.results
    verdicts = {test.name: test for test in result.tests}
    assert verdicts["test_doubler"].passed
    first = verdicts["test_add_one_on_a_matrix"].message
    assert first.startswith("add_one did not finish within 2 s (called by test_add_one_on_a_matrix)")
    assert re.search(r"\n  at cell `add-one` \(cell 3\), line (5: `while True:`|6: `x = x`)$", first), first
    second = verdicts["test_add_one_keeps_float32"].message
    assert second.startswith("add_one did not finish within 1 s (called by test_add_one_keeps_float32), the time "
                             "it gets since it ran out of 2 s when test_add_one_on_a_matrix called it\n")
    assert "\n  in add_one: cell `add-one` (cell 3), line " in second
    assert [note for note in result.notes if "did not finish" in note] == [
        "add_one did not finish within 2 s (called by test_add_one_on_a_matrix)", second.split("\n")[0]]
