"""A call's time limit measures the student's code, not the machine's load (tito/sandbox/load.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tito.grading.probes import SubmissionTimedOut
from tito.sandbox import load
from tito.sandbox.client import Sandbox
from tito.sandbox.limits import Limits

PACKAGE = {"tinytorch/__init__.py": "", "tinytorch/core/__init__.py": ""}
PROBES = "from tinytorch.core import work\n\ndef run(name, **kwargs):\n    return getattr(work, name)(**kwargs)\n"
WORK = '''
import time

def busy(seconds):
    """Spin for `seconds` of this process's CPU time, however long that takes on the clock."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return 1

def forever():
    while True:
        pass
'''
SPIN = "while True:\n    pass\n"


def test_the_clock_gives_back_the_queue_wait_and_no_more_than_the_stretch(monkeypatch):
    queued = iter([10.0, 10.8, 11.0, 100.0])
    monkeypatch.setattr(load, "queued_seconds", lambda pid: next(queued))
    clock = load.QueueClock(pid=123, limit=1.0, started=0.0)
    assert clock.extra(now=1.0) == pytest.approx(0.8)       # waited 0.8 s for a CPU: 0.8 s more
    assert clock.extra(now=1.8) == pytest.approx(0.2)       # 0.2 s more waiting since
    assert clock.extra(now=2.0) == pytest.approx(1.0)       # a lot more, but at most 3x the limit in all


def test_without_a_process_there_is_no_extra_time():
    assert load.queued_seconds(None) == 0.0
    assert load.QueueClock(pid=None, limit=1.0, started=0.0).extra(now=1.0) == 0.0


def test_the_queue_wait_of_this_process_is_read():
    assert load.queued_seconds(os.getpid()) >= 0.0
    assert load.pid_of(os.pidfd_open(os.getpid())) == os.getpid()


@pytest.fixture
def crowded_cpu():
    """This process and three spinning processes share one CPU (children inherit the affinity): the sandbox
    gets half of it or less (its own cgroup is weighed against the spinners' as a group)."""
    cpu = min(os.sched_getaffinity(0))
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(3)]
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.wait()
    os.sched_setaffinity(0, saved)


def test_a_call_within_its_limit_of_cpu_passes_on_a_crowded_cpu(crowded_cpu):
    box = Sandbox(Limits(call_seconds=1.0, submission_seconds=60))
    try:
        session = box.session({**PACKAGE, "tinytorch/core/work.py": WORK}, PROBES, ["core.work"])
        assert session.load_error is None, session.load_error
        started = time.monotonic()
        assert session.run(name="busy", seconds=0.7) == 1   # 0.7 s of CPU: well over 1 s on the clock here
        took = time.monotonic() - started
        with pytest.raises(SubmissionTimedOut):                 # an endless loop is still stopped
            session.run(name="forever")
        session.close()
    finally:
        box.close()
    assert took > 1.0, f"the call took {took:.2f} s: the CPU was not crowded, so this test proved nothing"
