"""A cgroup per submission: all its processes together get one memory limit, one process limit, one CPU,
and die together when it ends.

The groups are made under the grader process's own cgroup, in cgroup v2 where the host delegates the
memory, pids and cpu controllers to it, else in the v1 hierarchies of those controllers (and the freezer's,
used to stop everything before killing it: v1 has no cgroup.kill). The sandbox child joins its groups
before it does anything else, so every process a submission starts is in them.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

CONTROLLERS = ("memory", "pids", "cpu")
PERIOD_US = 100_000
KILL_SECONDS = 5.0


class CgroupError(Exception):
    """No cgroups to use here, or a group that could not be made, limited or emptied."""


@dataclass(frozen=True)
class Layout:
    """Where this process's cgroups are: version 2 (one folder) or 1 (a folder per controller)."""

    version: int
    folders: dict[str, str]   # controller ("unified" for v2) -> the grader's own cgroup folder

    @classmethod
    def find(cls) -> "Layout":
        """The grader's cgroups, or CgroupError saying in plain words why there are none to use."""
        mounts = _cgroup_mounts()
        membership = _membership()
        problems = []
        for version2_mount, root in mounts.get("cgroup2", []):
            folder = _folder(version2_mount, root, membership.get("", ""))
            if folder is None:
                continue
            available = _read(os.path.join(folder, "cgroup.controllers")).split()
            missing = [name for name in CONTROLLERS if name not in available]
            if missing:
                problems.append(f"cgroup v2 at {folder} lacks the {', '.join(missing)} controller(s)")
                continue
            try:
                _delegate(folder)
            except OSError as error:
                problems.append(
                    f"cgroup v2: the grader's cgroup {folder} cannot hand its controllers to submissions "
                    f"({error.strerror}); start the grader in a cgroup of its own, e.g. systemd-run --scope "
                    "-p Delegate=yes"
                )
                continue
            return cls(2, {"unified": folder})
        folders = {}
        for controllers, (point, root) in mounts.get("cgroup", {}).items():
            for name in controllers:
                if name in (*CONTROLLERS, "freezer") and ",".join(controllers) in membership:
                    folder = _folder(point, root, membership[",".join(controllers)])
                    if folder is not None:
                        folders[name] = folder
        missing = [name for name in CONTROLLERS if name not in folders]
        if not missing:
            return cls(1, folders)
        problems.append(f"no cgroup v1 hierarchy for {', '.join(missing)}" if mounts.get("cgroup")
                        else "no cgroup v1 hierarchies mounted")
        raise CgroupError("; ".join(problems))

    def create(self, name: str, memory_bytes: int, processes: int) -> "Cgroup":
        group = Cgroup(self, {key: os.path.join(folder, name) for key, folder in self.folders.items()})
        try:
            for folder in dict.fromkeys(group.folders.values()):  # controllers mounted together share one
                os.mkdir(folder, 0o755)
                group.made.append(folder)
            group.limit(memory_bytes, processes)
        except OSError as error:
            group.remove()
            raise CgroupError(f"cannot set up the cgroup {name}: {error}") from None
        return group

    def remove_stale(self, prefix: str) -> None:
        """Kill and remove groups named `prefix`... that a grader which died left behind."""
        names = set()
        for folder in self.folders.values():
            names.update(name for name in os.listdir(folder) if name.startswith(prefix))
        for name in sorted(names):
            stale = Cgroup(self, {key: os.path.join(folder, name) for key, folder in self.folders.items()})
            stale.made = [folder for folder in dict.fromkeys(stale.folders.values()) if os.path.isdir(folder)]
            stale.remove()


class Cgroup:
    """One submission's groups (one folder in v2, one per controller in v1)."""

    def __init__(self, layout: Layout, folders: dict[str, str]):
        self.layout = layout
        self.folders = folders
        self.made: list[str] = []

    def limit(self, memory_bytes: int, processes: int) -> None:
        if self.layout.version == 2:
            folder = self.folders["unified"]
            _write(os.path.join(folder, "memory.max"), memory_bytes)
            if os.path.exists(os.path.join(folder, "memory.swap.max")):
                _write(os.path.join(folder, "memory.swap.max"), 0)
            _write(os.path.join(folder, "pids.max"), processes)
            _write(os.path.join(folder, "cpu.max"), f"{PERIOD_US} {PERIOD_US}")
            return
        _write(os.path.join(self.folders["memory"], "memory.limit_in_bytes"), memory_bytes)
        swap = os.path.join(self.folders["memory"], "memory.memsw.limit_in_bytes")
        if os.path.exists(swap):
            _write(swap, memory_bytes)
        _write(os.path.join(self.folders["pids"], "pids.max"), processes)
        _write(os.path.join(self.folders["cpu"], "cpu.cfs_period_us"), PERIOD_US)
        _write(os.path.join(self.folders["cpu"], "cpu.cfs_quota_us"), PERIOD_US)

    def procs_files(self) -> list[str]:
        """The files a process writes "0" to in order to join every group (the sandbox child does)."""
        return [os.path.join(folder, "cgroup.procs") for folder in dict.fromkeys(self.folders.values())]

    def pids(self) -> list[int]:
        folder = self.folders.get("unified") or self.folders["pids"]
        try:
            return [int(pid) for pid in _read(os.path.join(folder, "cgroup.procs")).split()]
        except FileNotFoundError:
            return []

    def kill(self) -> None:
        """SIGKILL every process in the groups, including any started while this runs; return once none is left."""
        if not self.pids():
            return
        if self.layout.version == 2 and os.path.exists(os.path.join(self.folders["unified"], "cgroup.kill")):
            _write(os.path.join(self.folders["unified"], "cgroup.kill"), 1)
        else:
            freeze = self._freeze(True)  # nothing can fork while frozen; the killed die once thawed
            for pid in self.pids():
                _kill(pid)
            if freeze:
                self._freeze(False)
        deadline = time.monotonic() + KILL_SECONDS
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                _kill(pid)
            time.sleep(0.001)
        if left:
            raise CgroupError(f"processes {left} of the cgroup {self.folders} survived SIGKILL")

    def _freeze(self, frozen: bool) -> bool:
        if self.layout.version == 2:
            state, want = os.path.join(self.folders["unified"], "cgroup.freeze"), ("1" if frozen else "0")
            if not os.path.exists(state):
                return False
            _write(state, want)
            return True
        if "freezer" not in self.folders:
            return False
        state = os.path.join(self.folders["freezer"], "freezer.state")
        _write(state, "FROZEN" if frozen else "THAWED")
        deadline = time.monotonic() + 0.5
        while frozen and _read(state).strip() != "FROZEN" and time.monotonic() < deadline:
            time.sleep(0.0005)
        return True

    def remove(self) -> None:
        if not self.made:
            return
        self.kill()
        for folder in reversed(self.made):
            deadline = time.monotonic() + KILL_SECONDS
            while True:
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY: the last killed process is still leaving
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.001)
        self.made = []


def join(procs_files: list[str]) -> None:
    """Move the calling process into the groups (the sandbox child, before anything else)."""
    for path in procs_files:
        _write(path, 0)


def probe_cgroups() -> tuple[str, str]:
    """("v1" or "v2", "") when a group can be made, limited and removed here, else ("", why not)."""
    try:
        layout = Layout.find()
        layout.create(f"tito-probe-{os.getpid()}", 64 * 1024**2, 4).remove()
    except (CgroupError, OSError) as error:
        return "", str(error)
    return f"v{layout.version}", ""


def _cgroup_mounts() -> dict:
    """{"cgroup2": [(mount point, root)], "cgroup": {controllers: (mount point, root)}} from mountinfo."""
    found: dict = {"cgroup2": [], "cgroup": {}}
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            before, _, after = line.partition(" - ")
            fields, tail = before.split(), after.split()
            if len(fields) < 5 or len(tail) < 3 or not os.access(fields[4], os.W_OK):
                continue
            if tail[0] == "cgroup2":
                found["cgroup2"].append((fields[4], fields[3]))
            elif tail[0] == "cgroup":
                options = tail[2].split(",")
                controllers = tuple(sorted(name for name in options if name in _known_controllers()))
                if controllers:
                    found["cgroup"][controllers] = (fields[4], fields[3])
    return found


def _known_controllers() -> set[str]:
    with open("/proc/cgroups") as table:
        return {line.split()[0] for line in table if not line.startswith("#")}


def _membership() -> dict[str, str]:
    """Controllers (sorted, comma-joined; "" for v2) -> this process's cgroup path in that hierarchy."""
    groups = {}
    with open("/proc/self/cgroup") as lines:
        for line in lines:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            groups[",".join(sorted(controllers.split(","))) if controllers else ""] = path
    return groups


def _folder(mount_point: str, root: str, path: str) -> str | None:
    relative = os.path.relpath(path, root)
    if relative.startswith(".."):
        return None
    folder = os.path.normpath(os.path.join(mount_point, relative))
    return folder if os.path.isdir(folder) else None


def _delegate(folder: str) -> None:
    enabled = _read(os.path.join(folder, "cgroup.subtree_control")).split()
    wanted = [name for name in CONTROLLERS if name not in enabled]
    if wanted:
        _write(os.path.join(folder, "cgroup.subtree_control"), " ".join(f"+{name}" for name in wanted))


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _write(path: str, value) -> None:
    with open(path, "w") as handle:
        handle.write(f"{value}\n")
