"""Time limits that measure the student's code, not the machine's load.

A call's limit is wall-clock time, but on a busy machine a child can spend much of that time runnable and
waiting for a CPU that other processes hold. The kernel counts that wait per thread (the second field of
/proc/PID/task/TID/schedstat, nanoseconds on a run queue). The grader gives a call that waited its limit back
as extra time, so a check that takes 0.5 s on an idle machine does not time out at load 5; an endless loop is
still stopped, after at most MAX_STRETCH times its limit.
"""

from __future__ import annotations

from pathlib import Path

MAX_STRETCH = 3.0     # a call never waits more than this multiple of its limit, however loaded the machine
MIN_EXTRA = 0.02      # seconds: less run-queue wait than this is not worth another wait


def pid_of(pidfd: int | None) -> int | None:
    """The process id behind a pidfd (its /proc/self/fdinfo "Pid:" line), or None."""
    if pidfd is None:
        return None
    try:
        for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
            if line.startswith("Pid:"):
                pid = int(line.split()[1])
                return pid if pid > 0 else None
    except (OSError, ValueError, IndexError):
        pass
    return None


def queued_seconds(pid: int | None) -> float:
    """Seconds the threads of process `pid` have spent runnable but waiting for a CPU (0 if unknown)."""
    if not pid:
        return 0.0
    total = 0
    try:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            fields = stat.read_text().split()
            total += int(fields[1])
    except (OSError, ValueError, IndexError):
        pass
    return total / 1e9


class QueueClock:
    """How much longer a call that ran out of `limit` seconds may wait: the time its process spent waiting for a
    CPU since the call began, beyond what it was already given, within MAX_STRETCH times the limit."""

    def __init__(self, pid: int | None, limit: float, started: float):
        self.pid, self.limit, self.started = pid, limit, started
        self.queued_at_start = queued_seconds(pid)
        self.granted = 0.0

    def extra(self, now: float) -> float:
        waited = queued_seconds(self.pid) - self.queued_at_start
        extra = min(waited - self.granted, MAX_STRETCH * self.limit - (now - self.started))
        if extra < MIN_EXTRA:
            return 0.0
        self.granted += extra
        return extra
