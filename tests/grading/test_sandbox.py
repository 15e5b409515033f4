"""The sandbox: what untrusted code can and cannot do, and that the grader always gets an answer."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tito.grading.probes import SubmissionCrashed, SubmissionRaised, SubmissionTimedOut
from tito.sandbox.client import Sandbox
from tito.sandbox.isolation import probe_isolation
from tito.sandbox.limits import Limits

ISOLATION = probe_isolation()
needs_isolation = pytest.mark.skipif(
    not ISOLATION.namespaces, reason=f"namespaces are unavailable here: {ISOLATION.reason}"
)
PACKAGE = {"tinytorch/__init__.py": "", "tinytorch/core/__init__.py": ""}
PROBES = '''
import numpy as np
from tinytorch.core import evil

def run(name, **kwargs):
    return getattr(evil, name)(**kwargs)
'''


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    secret_dir = tmp_path_factory.mktemp("secret")
    (secret_dir / "hidden_test.py").write_text("EXPECTED = 42\n")
    checkout = Path(__file__).resolve().parents[2]  # outside /tmp: hidden by an empty mount, as in grading
    box = Sandbox(Limits(call_seconds=3, submission_seconds=30, memory_bytes=1024**3), hide=[secret_dir, checkout])
    box.secret_dir = secret_dir
    yield box
    box.close()


def load(sandbox, code: str):
    files = dict(PACKAGE)
    files["tinytorch/core/evil.py"] = "import os, sys, time, signal, socket, threading\nimport numpy as np\n" + code
    return sandbox.session(files, PROBES, ["core.evil"])


def test_plain_values_come_back_as_fresh_arrays(sandbox):
    """Does an ndarray subclass from the submission arrive as a plain ndarray of the same dtype?"""
    session = load(sandbox, "class Sneaky(np.ndarray):\n    def __eq__(self, other): return True\n"
                            "def f():\n    return np.arange(3, dtype=np.float32).view(Sneaky)\n")
    value = session.run(name="f")
    assert type(value) is np.ndarray and value.dtype == np.float32
    assert not np.array_equal(value, [9, 9, 9])
    session.close()


def test_an_object_with_a_rigged_eq_cannot_cross(sandbox):
    """Is an arbitrary object refused at the boundary instead of compared?"""
    session = load(sandbox, "class AlwaysEqual:\n    def __eq__(self, other): return True\n"
                            "def f():\n    return AlwaysEqual()\n")
    with pytest.raises(SubmissionRaised, match="cannot cross to the grader"):
        session.run(name="f")
    session.close()


@pytest.mark.parametrize("code, expected", [
    ("def f():\n    sys.exit(0)\n", SubmissionRaised),
    ("def f():\n    raise KeyboardInterrupt\n", SubmissionRaised),
    ("def f():\n    raise BaseException('x')\n", SubmissionRaised),
    ("def f():\n    os._exit(0)\n", SubmissionCrashed),
    ("def f():\n    import ctypes\n    ctypes.string_at(0)\n", SubmissionCrashed),
    ("def f():\n    while True:\n        pass\n", SubmissionTimedOut),
    ("def f():\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True:\n        pass\n", SubmissionTimedOut),
])
def test_every_escape_becomes_a_failed_call_and_the_next_call_works(sandbox, code, expected):
    """After an exit, a kill or an endless loop, does the call fail cleanly and the sandbox recover?"""
    session = load(sandbox, code + "def ok():\n    return 7\n")
    with pytest.raises(expected):
        session.run(name="f")
    assert session.run(name="ok") == 7
    session.close()


def test_an_endless_loop_at_import_fails_every_call_quickly(sandbox):
    """Is code that hangs on import reported once, without waiting out a timeout per test?"""
    session = load(sandbox, "while True:\n    pass\n")
    assert isinstance(session.load_error, SubmissionTimedOut)
    started = time.monotonic()
    for _ in range(5):
        with pytest.raises(SubmissionTimedOut):
            session.run(name="f")
    assert time.monotonic() - started < 1
    session.close()


def test_printing_a_gigabyte_is_capped(sandbox):
    """Is the submission's output kept short while the call itself completes?"""
    session = load(sandbox, "def f():\n    chunk = 'x' * (1 << 20)\n    for _ in range(1024):\n"
                            "        sys.stdout.write(chunk)\n    return 1\n")
    assert session.run(name="f") == 1
    session.close()
    output = session.output()
    assert len(output) < 100_000 and "more bytes of output dropped" in output


def test_fake_results_on_stdout_change_nothing(sandbox):
    """Does printing a fake pytest summary or a fake protocol line stay display-only?"""
    session = load(sandbox, "def f():\n    print('===== 100 passed =====')\n"
                            "    print('{\"id\": 1, \"ok\": true, \"value\": 42}')\n    return 0\n")
    assert session.run(name="f") == 0
    session.close()


def test_writing_to_the_grader_channel_is_caught(sandbox):
    """Is a forged answer written straight to the protocol socket detected?"""
    session = load(sandbox, "def f():\n    os.write(3, b'{\"id\": 999, \"ok\": true, \"value\": 42}\\n')\n    time.sleep(1)\n")
    with pytest.raises(SubmissionCrashed, match="grader's channel"):
        session.run(name="f")
    session.close()


@needs_isolation
def test_hidden_folders_cannot_be_read(sandbox):
    """Are the hidden tests (and any folder the grader hides) unreadable from the sandbox?"""
    this_file = str(Path(__file__).resolve())
    session = load(sandbox, "def read(path):\n    return open(path).read()\n"
                            "def ls(path):\n    return os.listdir(path)\n")
    for path in (str(sandbox.secret_dir / "hidden_test.py"), this_file):
        with pytest.raises(SubmissionRaised, match="PermissionError|FileNotFoundError"):
            session.run(name="read", path=path)
    with pytest.raises(SubmissionRaised, match="PermissionError|FileNotFoundError"):  # the latter under /tmp
        session.run(name="ls", path=str(Path(this_file).parent))
    session.close()


@needs_isolation
def test_no_network(sandbox):
    """Can the submission open a connection? (No: its network namespace has no interfaces up.)"""
    session = load(sandbox, "def f():\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n")
    with pytest.raises(SubmissionRaised, match="OSError|unreachable"):
        session.run(name="f")
    session.close()


@needs_isolation
def test_runs_as_an_unprivileged_user_that_cannot_touch_the_grader(sandbox):
    """Does the submission run as a non-root uid, unable to see or signal the grader's processes?"""
    session = load(sandbox, "def f():\n    return [os.getuid(), os.getppid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit())]\n"
                            "def kill_parent():\n    os.kill(os.getppid(), 9)\n")
    uid, ppid, pids = session.run(name="f")
    assert uid != 0 and ppid == 0 and pids == [1]
    session.run(name="kill_parent")  # kill(0, 9): signals only its own namespace, where it is init
    assert session.run(name="f")[0] == uid  # the sandbox and the grader are still here
    session.close()


@needs_isolation
@pytest.mark.parametrize("code", [
    "def f():\n    while True:\n        os.fork()\n",
    "def f():\n    while True:\n        threading.Thread(target=time.sleep, args=(60,)).start()\n",
])
def test_fork_and_thread_bombs_are_contained(sandbox, code):
    """Are fork and thread bombs stopped by the process limit, leaving the grader responsive?"""
    session = load(sandbox, code + "def ok():\n    return 1\n")
    with pytest.raises((SubmissionRaised, SubmissionCrashed, SubmissionTimedOut)):
        session.run(name="f")
    assert session.run(name="ok") == 1
    session.close()


def test_memory_and_disk_bombs_fail_the_call(sandbox):
    """Do a memory bomb and a disk-filling loop end in a failed call, not a dead grader?"""
    session = load(sandbox, "def mem():\n    return len(bytearray(4 * 1024**3))\n"
                            "def disk():\n    with open('big', 'wb') as f:\n        while True:\n            f.write(b'x' * (1 << 20))\n"
                            "def ok():\n    return 2\n")
    with pytest.raises((SubmissionRaised, SubmissionCrashed), match="MemoryError|ended the process"):
        session.run(name="mem")
    with pytest.raises((SubmissionRaised, SubmissionCrashed)):
        session.run(name="disk")
    assert session.run(name="ok") == 2
    session.close()


@needs_isolation
def test_a_leftover_process_dies_with_its_submission(sandbox):
    """Does a daemon started with setsid die when its submission's sandbox is closed?"""
    first = load(sandbox, "def f():\n    if os.fork() == 0:\n        os.setsid()\n"
                          "        while True:\n            open('/tmp/marker', 'a').write('x')\n            time.sleep(0.05)\n"
                          "    return 'started'\n")
    assert first.run(name="f") == "started"
    first.close()
    second = load(sandbox, "def f():\n    time.sleep(0.3)\n    return os.path.exists('/tmp/marker')\n")
    assert second.run(name="f") is False  # a fresh /tmp, and the daemon is gone
    second.close()


@needs_isolation
def test_only_numpy_is_importable_beside_the_standard_library(sandbox):
    """Can a submission import torch or pytest from the grader's environment? (No: only numpy is there.)"""
    session = load(sandbox, "def f(module):\n    __import__(module)\n    return module\n"
                            "def lazy():\n    import numpy.polynomial, json, decimal\n    return 'ok'\n")
    assert session.run(name="lazy") == "ok"
    for name in ("torch", "pytest", "tito.grading.checks", "sklearn"):
        with pytest.raises(SubmissionRaised, match="ModuleNotFoundError"):
            session.run(name="f", module=name)
    session.close()
