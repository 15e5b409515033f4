"""A uid of its own for every sandbox running on this host, whichever process or executor started it.

Sandbox uids are leased: uid N is held by whoever holds an exclusive flock on the file N.lock in a root-only
folder, for as long as its Sandbox lives. The kernel drops the lock when the holder dies, however it dies,
so a uid is never shared by two live sandboxes and never lost.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import tempfile

UID_BASE = 61000
UID_COUNT = 1000


class UidsExhausted(RuntimeError):
    pass


def lease_folder() -> str:
    """/run/tito-sandbox, or a folder in the system temp folder: owned by this user, closed to others."""
    candidates = ["/run/tito-sandbox", os.path.join(tempfile.gettempdir(), f"tito-sandbox-{os.geteuid()}")]
    problems = []
    for folder in candidates:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError as error:
            problems.append(f"{folder}: {error.strerror}")
            continue
        info = os.lstat(folder)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
            return folder
        problems.append(f"{folder} is not a folder of this user closed to others")
    raise PermissionError(f"no place to lease sandbox uids: {'; '.join(problems)}")


class UidLease:
    """An exclusive sandbox uid, from `hint` on, and an empty root-only folder for building roots on."""

    def __init__(self, hint: int = 0):
        folder = lease_folder()
        self.staging = os.path.join(folder, "root")
        os.makedirs(self.staging, 0o700, exist_ok=True)
        for offset in range(UID_COUNT):
            uid = UID_BASE + (hint + offset) % UID_COUNT
            fd = os.open(os.path.join(folder, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                         0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            kill_processes_of(uid)  # left by a grader that died holding this uid
            return
        raise UidsExhausted(f"all {UID_COUNT} sandbox uids from {UID_BASE} are in use")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def processes_of(uid: int) -> list[int]:
    """The processes (in any PID namespace) running as `uid` (real, effective, saved or file-system uid).

    Read from /proc/PID/status: the owner of /proc/PID is root for a process that changed its uid."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as status:
                    uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
            except (OSError, StopIteration):
                continue
            if str(uid) in uids:
                found.append(int(name))
    return found


def kill_processes_of(uid: int) -> None:
    for pid in processes_of(uid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
