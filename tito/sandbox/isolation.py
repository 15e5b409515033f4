"""Linux isolation for the sandbox child: namespaces, mounts, an unprivileged uid, and what the host allows.

Everything here is best effort and reported: `probe_isolation()` tells the grader what is available,
and the grader prints it, so nobody believes in protection that is not there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from dataclasses import dataclass

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
NAMESPACES = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID
# glibc has no pivot_root wrapper: the system call numbers of the architectures a grader may run on
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class IsolationError(OSError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
            ctypes.c_ulong(flags), data.encode() if data else None,
        ),
        f"mount {target}",
    )


def umount(target: str, flags: int = MNT_DETACH) -> None:
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise IsolationError(0, f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc.syscall(ctypes.c_long(number), new_root.encode(), put_old.encode()), "pivot_root")


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


@dataclass(frozen=True)
class Isolation:
    """What this machine lets the sandbox do."""

    namespaces: bool
    separate_uid: bool
    reason: str
    cgroups: str = ""         # "v1" or "v2" when each submission gets cgroups of its own, else ""
    cgroup_reason: str = ""   # why not, when it does not

    def describe(self) -> str:
        if not (self.namespaces and self.separate_uid):
            return f"isolation: REDUCED ({self.reason}); see docs/grading-security.md"
        line = (
            "isolation: private PID, network and mount namespaces; a read-only root holding only the Python "
            "standard library, numpy and the libraries they load; submissions run as unprivileged uids"
        )
        if self.cgroups:
            return line + f"; a cgroup per submission (cgroup {self.cgroups}: memory, processes, one CPU)"
        return (f"{line}; REDUCED: no cgroups ({self.cgroup_reason}), so memory is limited per process and a "
                "submission's processes may share more than one CPU; see docs/grading-security.md")


def probe_isolation() -> Isolation:
    """Try the namespaces and the cgroups once, the same way the sandbox will use them."""
    from tito.sandbox.cgroups import probe_cgroups

    if os.geteuid() != 0:
        return Isolation(False, False, "the grader is not running as root: no namespaces, no separate uid, "
                                       "no cgroups; submissions share the grader's user, files and network")
    version, cgroup_reason = probe_cgroups()
    problem = _namespaces_problem()
    if problem:
        return Isolation(False, True, f"namespaces unavailable ({problem}); the host's files and network are "
                                      "not hidden", version, cgroup_reason)
    return Isolation(True, True, "", version, cgroup_reason)


def _namespaces_problem() -> str:
    """Why a forked child cannot enter new mount, PID, network and IPC namespaces and fork there ("" if it
    can): the calls the zygote makes, through libc, so no program on PATH is needed."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            unshare(NAMESPACES)
            child = os.fork()
            if child == 0:
                os._exit(0)
            code = 0 if os.waitpid(child, 0)[1] == 0 else 200
        except IsolationError as error:
            code = min(error.errno or 199, 199)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked probe
            code = 201
        os._exit(code)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if status == 0:
        return ""
    if 0 < status < 200:
        return f"unshare: {os.strerror(status)}"
    return "a process in the new namespaces could not start"
