"""Linux isolation for the sandbox child: namespaces, private mounts and an unprivileged uid.

Everything here is best effort and reported: `probe_isolation()` tells the grader what is available,
and the grader prints it, so nobody believes in protection that is not there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
from dataclasses import dataclass

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
NAMESPACES = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID
SANDBOX_UID_BASE = 61000

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class IsolationError(OSError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            source.encode(), target.encode(), fstype.encode() if fstype else None,
            ctypes.c_ulong(flags), data.encode() if data else None,
        ),
        f"mount {target}",
    )


def hide_paths(paths: list[str], readable: list[str], packages: dict[str, list[str]], scratch_bytes: int) -> None:
    """In a fresh mount namespace: a private /proc, an empty locked tmpfs over each hidden path, a new /tmp,
    the `readable` folders (the Python installation) reachable by an unprivileged uid, and in each
    site-packages folder of `packages` only the listed entries (numpy), so nothing else installed can be used."""
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for path in paths:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=000")
    for scratch in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(scratch):
            # a fresh, empty scratch folder; a Python installation that lives inside it (a virtualenv in a
            # checkout under /tmp, say) is put back in place
            inside = [path for path in readable if path.startswith(scratch + os.sep)]
            cover(scratch, inside, f"size={scratch_bytes},mode=1777")
    for path in readable:
        closed = _closed_ancestor(path)
        if closed is not None:
            branch = os.path.join(closed, os.path.relpath(path, closed).split(os.sep)[0])
            cover(closed, [branch], "size=64k,mode=755")
    for folder, names in packages.items():
        cover(folder, [os.path.join(folder, name) for name in names], "size=64k,mode=755")


def _closed_ancestor(path: str) -> str | None:
    """The highest folder above `path` that others may not enter (say /root, mode 700), if any."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    for depth in range(1, len(parts)):
        folder = os.sep + os.path.join(*parts[:depth])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def cover(folder: str, keep: list[str], options: str) -> None:
    """Mount an empty tmpfs over `folder`, then put each path of `keep` (inside `folder`) back where it was.

    Each kept path is opened (O_PATH) before the folder is covered and bind-mounted back from that open
    descriptor, so nothing needs a staging place outside `folder`.
    """
    kept = [(os.open(path, os.O_PATH), path) for path in keep if os.path.exists(path)]
    try:
        mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
        for fd, path in kept:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "a").close()
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    finally:
        for fd, _ in kept:
            os.close(fd)


def hidden_folders(roots: list[str], keep: list[str]) -> list[str]:
    """The folders to cover so that `roots` are unreadable, except the branches that hold a `keep` path
    (a virtual environment inside the course checkout must stay readable)."""
    keep = [os.path.abspath(path) for path in keep]
    hidden: list[str] = []
    for root in map(os.path.abspath, roots):
        if not os.path.isdir(root):
            continue
        inside = [path for path in keep if path == root or path.startswith(root + os.sep)]
        if not inside:
            hidden.append(root)
        elif root not in inside:
            children = [os.path.join(root, name) for name in sorted(os.listdir(root))]
            hidden += hidden_folders([child for child in children if os.path.isdir(child)], inside)
    return hidden


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

    def describe(self) -> str:
        if self.namespaces and self.separate_uid:
            return (
                "isolation: private PID, network and mount namespaces; hidden tests, solutions and other "
                "submissions are unmounted; submissions run as unprivileged uids"
            )
        return f"isolation: REDUCED ({self.reason}); see docs/grading-security.md"


def probe_isolation() -> Isolation:
    """Try the namespaces once, in a throwaway child, the same way the sandbox will use them."""
    if os.geteuid() != 0:
        return Isolation(False, False, "the grader is not running as root: no namespaces, no separate uid, "
                                       "submissions share the grader's user and network")
    try:
        done = subprocess.run(
            ["unshare", "--mount", "--pid", "--net", "--ipc", "--fork", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Isolation(False, True, f"namespaces unavailable ({error}); network access is not blocked")
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()
        return Isolation(False, True, f"namespaces unavailable ({detail}); network access is not blocked")
    return Isolation(True, True, "")
