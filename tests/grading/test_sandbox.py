"""The sandbox: what untrusted code can and cannot do, and that the grader always gets an answer."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from tito.grading.probes import SubmissionCrashed, SubmissionError, SubmissionRaised, SubmissionTimedOut
from tito.sandbox import client
from tito.sandbox.client import Sandbox, SandboxFault
from tito.sandbox.isolation import Isolation, probe_isolation
from tito.sandbox.limits import Limits
from tito.sandbox.uids import UID_BASE, processes_of

ISOLATION = probe_isolation()
needs_isolation = pytest.mark.skipif(
    not ISOLATION.namespaces, reason=f"namespaces are unavailable here: {ISOLATION.reason}"
)
needs_cgroups = pytest.mark.skipif(
    not (ISOLATION.namespaces and ISOLATION.cgroups), reason=f"no cgroups here: {ISOLATION.cgroup_reason}"
)
PACKAGE = {"tinytorch/__init__.py": "", "tinytorch/core/__init__.py": ""}
PROBES = '''
import numpy as np
from tinytorch.core import evil

def run(name, **kwargs):
    return getattr(evil, name)(**kwargs)
'''
# places outside the graded checkout where another copy of the course may lie on a shared machine
ELSEWHERE = ("/srv", "/opt", "/var/tmp", "/mnt", "/run")


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(Limits(call_seconds=3, submission_seconds=30, memory_bytes=1024**3))
    yield box
    box.close()


@pytest.fixture(scope="module")
def course_copies(tmp_path_factory):
    """Copies of a course, each holding a file SECRET, in every place of ELSEWHERE that exists and in /tmp."""
    folders = [str(tmp_path_factory.mktemp("course-copy"))]
    folders += [tempfile.mkdtemp(prefix="tito-course-copy-", dir=place) for place in ELSEWHERE if os.path.isdir(place)]
    for folder in folders:
        os.chmod(folder, 0o755)
        Path(folder, "SECRET").write_text("the answers\n")
    yield folders
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


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
def test_a_course_copy_elsewhere_on_disk_cannot_be_read(sandbox, course_copies):
    """Is another copy of the course (in /srv, /opt, /var/tmp, /mnt, /run, /tmp) or this checkout invisible?"""
    this_file = str(Path(__file__).resolve())
    session = load(sandbox, "def read(path):\n    return open(path).read()\n"
                            "def ls(path):\n    return os.listdir(path)\n")
    for folder in course_copies:
        with pytest.raises(SubmissionRaised, match="FileNotFoundError"):
            session.run(name="ls", path=folder)
    checkout = str(Path(this_file).parents[2])
    site = sandbox.zygote.plan["site"]
    if site.startswith(checkout + os.sep):  # a venv inside the checkout: only the way to numpy is there
        assert session.run(name="ls", path=checkout) == [site[len(checkout) + 1:].split(os.sep)[0]]
    else:
        with pytest.raises(SubmissionRaised, match="FileNotFoundError"):
            session.run(name="ls", path=checkout)
    for path in [*(os.path.join(folder, "SECRET") for folder in course_copies), this_file]:
        with pytest.raises(SubmissionRaised, match="FileNotFoundError"):
            session.run(name="read", path=path)
    session.close()


WALK = """
def walk(skip):
    found = []
    def visit(path):
        found.append(path)
        if path not in skip and os.path.isdir(path) and not os.path.islink(path):
            for name in sorted(os.listdir(path)):
                visit(os.path.join(path, name))
    visit("/")
    return found
"""


@needs_isolation
def test_the_root_holds_only_the_allow_list(sandbox):
    """Is every path in the sandbox's file system a bound path of the plan (the standard library, numpy's
    entries, the libraries the zygote loaded), a folder on the way to one, /proc, a few devices or /tmp?"""
    plan = sandbox.zygote.plan
    allowed = [*plan["trees"], *(os.path.join(plan["site"], name) for name in plan["entries"]), *plan["files"]]
    session = load(sandbox, WALK)
    found = session.run(name="walk", skip=[*allowed, "/proc", "/tmp"])
    devices = sorted(path for path in found if path.startswith("/dev/"))
    assert devices == [f"/dev/{name}" for name in sorted(["fd", "full", "null", "random", "stderr", "stdin",
                                                          "stdout", "urandom", "zero"])]
    on_the_way = {os.sep.join(path.split(os.sep)[:depth]) or "/" for path in allowed
                  for depth in range(1, path.count(os.sep) + 1)}
    others = [path for path in found if path not in {*allowed, *on_the_way, "/proc", "/tmp", "/dev", *devices}]
    assert others == []
    for folder in ("/run", "/var", "/home", "/etc", "/srv", "/opt", "/mnt", "/sys", "/dev/shm"):
        assert folder not in found
    assert not any(path.startswith("/root/") and not any(item.startswith(path) for item in allowed) for path in found)
    session.close()


@needs_isolation
def test_only_numpy_is_left_in_a_site_packages_folder(sandbox):
    """Does numpy's site-packages show numpy's entries only, and the base interpreter's none?"""
    plan = sandbox.zygote.plan
    session = load(sandbox, "def ls(path):\n    return sorted(os.listdir(path))\n")
    assert session.run(name="ls", path=plan["site"]) == sorted(plan["entries"])
    for folder in plan["hollow"]:
        assert session.run(name="ls", path=folder) == []
    session.close()


WRITE_EVERYWHERE = """
def write_everywhere(note):
    written = []
    for folder, subfolders, _ in os.walk("/"):
        if folder == "/proc":  # per-sandbox (its own PID namespace), and no files can be made there
            subfolders[:] = []
            continue
        try:
            with open(os.path.join(folder, note), "w") as handle:
                handle.write("meet me at the back")
            written.append(folder)
        except OSError:
            pass
    return written

def find(note):
    found = []
    for folder, subfolders, files in os.walk("/"):
        if folder == "/proc":
            subfolders[:] = []
        found += [os.path.join(folder, name) for name in files if name == note]
    return found

def big(path):
    with open(path, "wb") as handle:
        for _ in range(105):
            handle.write(b"x" * (1 << 20))
"""


@needs_isolation
def test_nothing_outside_the_private_tmp_can_be_written(sandbox):
    """Can a submission write anywhere but its own /tmp (the host's /run/lock, say)? And a 105 MiB file?"""
    session = load(sandbox, WRITE_EVERYWHERE)
    written = session.run(name="write_everywhere", note="note.txt")
    assert written and all(folder == "/tmp" or folder.startswith("/tmp/") for folder in written)
    for path in ("/run/lock/big", "/big", "/dev/big", "/tmp/big"):
        with pytest.raises(SubmissionRaised, match="OSError|FileNotFoundError|File too large"):
            session.run(name="big", path=path)
    session.close()


@needs_isolation
def test_two_sessions_cannot_pass_a_note(sandbox):
    """Does a note written into every writable place by one submission stay invisible to another running at
    the same time, in the same sandbox slot or in another one?"""
    writer = load(sandbox, WRITE_EVERYWHERE)
    assert writer.run(name="write_everywhere", note="note-for-bob.txt")
    other = Sandbox(Limits(call_seconds=10), isolation=ISOLATION)
    try:
        for box in (sandbox, other):
            reader = load(box, WRITE_EVERYWHERE)
            assert reader.run(name="find", note="note-for-bob.txt") == []
            reader.close()
    finally:
        other.close()
    assert writer.run(name="find", note="note-for-bob.txt")  # the note is there, for the writer only
    writer.close()


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
    """Can a submission import scipy, torch or pytest from the grader's environment? (No: only numpy is there.)"""
    session = load(sandbox, "def f(module):\n    __import__(module)\n    return module\n"
                            "def lazy():\n    import numpy.polynomial, json, decimal\n    return 'ok'\n")
    assert session.run(name="lazy") == "ok"
    for name in ("scipy", "torch", "pytest", "tito.grading.checks", "sklearn"):
        with pytest.raises(SubmissionRaised, match="ModuleNotFoundError"):
            session.run(name="f", module=name)
    session.close()


@needs_isolation
def test_every_process_of_a_submission_dies_with_it(sandbox):
    """Does a submission that leaves a non-daemon thread and a double-forked, setsid'd child ignoring SIGTERM
    behind leave nothing running a second after its result is in?"""
    session = load(sandbox, "def f():\n"
                            "    threading.Thread(target=time.sleep, args=(60,)).start()\n"
                            "    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
                            "            signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                            "            while True:\n                open('/tmp/still-here', 'a').write('x')\n"
                            "                time.sleep(0.01)\n        os._exit(0)\n"
                            "    time.sleep(0.2)\n    return len(os.listdir('/proc'))\n")
    assert session.run(name="f") > 0
    assert processes_of(sandbox.uid)
    session.close()
    time.sleep(1)
    assert processes_of(sandbox.uid) == []


CGROUP_CODE = """
import resource

def children_doing(count, work):
    pids = []
    for _ in range(count - 1):
        pid = os.fork()
        if pid == 0:
            try:
                work()
                os._exit(0)
            except BaseException:
                os._exit(3)
        pids.append(pid)
    try:
        work()
        mine = 0
    except MemoryError:
        mine = 3
    return [mine] + [os.waitpid(pid, 0)[1] for pid in pids]

def hold(count, mib, seconds):
    def work():
        block = np.ones(mib * (1 << 17))  # float64, written: really held
        time.sleep(seconds)
    return children_doing(count, work)

def spin(count, seconds):
    started = time.monotonic()
    def work():
        while time.monotonic() < started + seconds:
            pass
    children_doing(count, work)
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(usage.ru_utime + usage.ru_stime for usage in used), time.monotonic() - started

def fork_many(count, seconds):
    started = 0
    for _ in range(count):
        try:
            pid = os.fork()
        except OSError as error:
            return started, type(error).__name__
        if pid == 0:
            time.sleep(seconds)
            os._exit(0)
        started += 1
    return started, None

def ok():
    return 1
"""


@pytest.fixture(scope="module")
def grouped():
    """A sandbox whose submissions may hold 1 GiB together (2 GiB each), in at most 16 processes."""
    box = Sandbox(Limits(call_seconds=10, submission_seconds=60, memory_bytes=2 * 1024**3,
                         group_memory_bytes=1024**3, processes=16))
    yield box
    box.close()


@needs_cgroups
def test_a_submissions_processes_share_one_memory_limit(grouped):
    """Can four processes of one submission hold 600 MiB each under a 1 GiB group limit? (No: the submission
    gets an error, the grader goes on and the next session works.)"""
    session = load(grouped, CGROUP_CODE)
    try:
        statuses = session.run(name="hold", count=4, mib=600, seconds=0.5)
    except (SubmissionCrashed, SubmissionRaised):
        statuses = None
    assert statuses is None or any(statuses)
    assert session.run(name="ok") == 1
    session.close()
    after = load(grouped, CGROUP_CODE)
    assert after.run(name="ok") == 1
    after.close()


@needs_isolation
def test_no_more_than_the_process_limit_run_at_once(grouped):
    """Can a submission run more than `processes` (16) processes at once?"""
    session = load(grouped, CGROUP_CODE)
    started, refused = session.run(name="fork_many", count=30, seconds=2)
    assert started <= 15 and refused == "BlockingIOError"
    if session.cgroup is not None:
        folder = session.cgroup.folders.get("pids") or session.cgroup.folders["unified"]
        assert Path(folder, "pids.max").read_text().strip() == "16"
    session.close()


@needs_cgroups
def test_a_submission_gets_at_most_one_cpu(grouped):
    """Do four spinning processes of one submission get about one core between them, throttled by the cgroup?"""
    session = load(grouped, CGROUP_CODE)
    cpu, wall = session.run(name="spin", count=4, seconds=1.5)
    folder = session.cgroup.folders.get("cpu") or session.cgroup.folders["unified"]
    stats = dict(line.split() for line in Path(folder, "cpu.stat").read_text().splitlines())
    session.close()
    assert int(stats["nr_throttled"]) > 0
    assert cpu < 1.15 * wall and cpu < wall + 0.2


@needs_isolation
def test_each_open_sandbox_has_its_own_uid_and_a_closed_ones_is_reused(sandbox):
    """Do sandboxes open at once get different uids, whatever slot they are given, and is a uid free again
    once its sandbox is closed?"""
    first = Sandbox(isolation=ISOLATION, slot=sandbox.uid - UID_BASE)
    second = Sandbox(isolation=ISOLATION, slot=sandbox.uid - UID_BASE)
    assert len({sandbox.uid, first.uid, second.uid}) == 3
    freed = second.uid
    second.close()
    third = Sandbox(isolation=ISOLATION, slot=freed - UID_BASE)
    assert third.uid == freed
    third.close()
    first.close()


def test_a_zygote_that_cannot_start_is_a_sandbox_fault(tmp_path, monkeypatch):
    """Is a zygote that dies on start a SandboxFault with its message, and not a fault of the submission?"""
    broken = tmp_path / "zygote.py"
    broken.write_text("raise SystemExit('numpy is not installed for this interpreter')\n")
    monkeypatch.setattr(client, "ZYGOTE", broken)
    with pytest.raises(SandboxFault, match="numpy is not installed"):
        Sandbox(isolation=ISOLATION)
    assert not issubclass(SandboxFault, SubmissionError)


@needs_isolation
def test_a_root_that_cannot_be_built_is_a_sandbox_fault(sandbox, monkeypatch):
    """When the child cannot build its root, do opening a session and a call that needs a new child raise
    SandboxFault naming the cause?"""
    code = "def crash():\n    os._exit(1)\ndef ok():\n    return 1\n"
    running = load(sandbox, code)
    monkeypatch.setattr(sandbox._lease, "staging", "/nonexistent/staging")
    with pytest.raises(SandboxFault, match="mount /nonexistent/staging"):
        load(sandbox, code)
    with pytest.raises(SubmissionCrashed):
        running.run(name="crash")
    with pytest.raises(SandboxFault, match="mount /nonexistent/staging"):
        running.run(name="ok")
    running.close()
    monkeypatch.undo()
    session = load(sandbox, code)
    assert session.run(name="ok") == 1
    session.close()


def test_a_submission_cannot_forge_a_sandbox_fault(sandbox):
    """Is a fake setup failure written to the channel by the submission its own load error, not a SandboxFault?"""
    session = load(sandbox, "os.write(3, b'{\"ready\": false, \"error\": \"the sandbox broke\"}\\n')\n")
    assert isinstance(session.load_error, SubmissionError)
    session.close()


def test_the_isolation_line_says_when_there_are_no_cgroups():
    """Does the isolation line say plainly that cgroups are missing, and why?"""
    line = Isolation(True, True, "", "", "no cgroup v1 hierarchies mounted").describe()
    assert "REDUCED: no cgroups (no cgroup v1 hierarchies mounted)" in line
    assert "cgroup v1" in Isolation(True, True, "", "v1", "").describe()


@needs_isolation
def test_the_isolation_probe_needs_no_program_on_path():
    """With an empty environment (as `tito` is run by some schedulers and tests), does the grader still find the
    namespaces, instead of falling back to a sandbox on the host's file system?"""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "from tito.sandbox.isolation import probe_isolation; print(probe_isolation().namespaces)"],
        capture_output=True, text=True, env={"PATH": ""}, cwd=str(Path(__file__).resolve().parents[2]), check=True,
    )
    assert done.stdout.strip() == "True", done.stdout + done.stderr
