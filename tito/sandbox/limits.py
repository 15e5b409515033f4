"""Resource limits for a sandboxed submission."""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    call_seconds: float = 10.0          # wall clock for one probe call (one test asks for one or a few)
    submission_seconds: float = 300.0   # wall clock for the whole submission
    cpu_seconds: int = 300              # RLIMIT_CPU, per sandbox child
    memory_bytes: int = 2 * 1024**3     # RLIMIT_AS, per process
    group_memory_bytes: int = 2 * 1024**3  # all of a submission's processes together (its cgroup)
    file_bytes: int = 16 * 1024**2      # RLIMIT_FSIZE: the largest file the submission may write
    scratch_bytes: int = 64 * 1024**2   # size of the private /tmp (where namespaces are available)
    open_files: int = 64                # RLIMIT_NOFILE
    processes: int = 16                 # RLIMIT_NPROC (per uid) and the cgroup's pids.max
    output_bytes: int = 64 * 1024       # stdout/stderr kept for display; the rest is counted and dropped

    def as_dict(self) -> dict:
        return asdict(self)


def apply_rlimits(limits: dict) -> None:
    """Set the kernel limits in the current (child) process; each one is a hard limit it cannot raise."""
    pairs = {
        resource.RLIMIT_CPU: limits["cpu_seconds"],
        resource.RLIMIT_AS: limits["memory_bytes"],
        resource.RLIMIT_FSIZE: limits["file_bytes"],
        resource.RLIMIT_NOFILE: limits["open_files"],
        resource.RLIMIT_NPROC: limits["processes"],
        resource.RLIMIT_CORE: 0,
    }
    for kind, value in pairs.items():
        resource.setrlimit(kind, (value, value))
