"""One line describing the machine a benchmark ran on, printed first by every script in bench/.

Timings only compare within a run (each script times the reference in the same run); this line says what
"this machine" was, so that tables measured elsewhere can be read against it.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

VECTOR_FLAGS = ("avx2", "avx512f", "avx512_fp16", "amx_tile")


def describe_machine() -> str:
    model, flags = platform.processor() or platform.machine(), set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    vector = [flag for flag in VECTOR_FLAGS if flag in flags]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return (f"machine: {model}, {cores} core(s) usable" + (f", {' '.join(vector)}" if vector else "")
            + f"; load average {load}; Python {platform.python_version()}")
