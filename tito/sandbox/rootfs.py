"""The sandbox child's root file system: built from nothing, holding only what the child may use.

The zygote, once numpy and the standard library's extension modules are loaded, writes down what its
children need (`plan`): the standard library folders, numpy's own entries in its site-packages folder, and
every other file it has mapped into memory (the interpreter, libpython, libc, libffi, OpenBLAS, ...). Each
child (`build`) mounts a tmpfs on an empty, root-only staging folder and recreates exactly those paths in it,
at the same absolute places (the modules the zygote imported know their host paths), as read-only binds;
adds a minimal /dev, a fresh /proc and a private, size-limited /tmp; then makes it its root with pivot_root
and detaches the host's. Nothing else of the host exists there.

Shared libraries are bound one file at a time, not their folders: a folder such as a conda prefix's lib/
also holds other packages' libraries and the base site-packages. So a library that nothing loaded in the
zygote cannot be loaded in the child; `EXTENSIONS` lists the standard library's extension modules the
zygote loads so that submissions can use them.
"""

from __future__ import annotations

import importlib
import os
import sys
import sysconfig

from tito.sandbox.isolation import (
    MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, mount, pivot_root, umount,
)

EXTENSIONS = (
    "math", "cmath", "_random", "_bisect", "_heapq", "_struct", "_pickle", "_datetime", "_decimal", "_json",
    "_csv", "array", "binascii", "zlib", "_bz2", "_lzma", "_statistics", "unicodedata", "select", "_socket",
    "_contextvars", "_queue", "_posixsubprocess", "fcntl", "mmap", "resource", "_opcode", "_typing",
    "_hashlib", "_blake2", "_md5", "_sha1", "_sha256", "_sha512", "_sha3", "_zoneinfo", "pyexpat",
)
DEVICES = ("null", "zero", "full", "random", "urandom")
DEVICE_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                "stderr": "/proc/self/fd/2"}
READ_ONLY = MS_RDONLY | MS_NOSUID | MS_NODEV
SITE_FOLDERS = ("site-packages", "dist-packages")


def plan(numpy_folder: str, search_path: list[str]) -> dict:
    """What the child's root holds, read off this (zygote) process after it has imported what children use.

    trees: standard library folders, bound whole; hollow: site-packages folders inside them, shown empty;
    site and entries: numpy's site-packages folder and the entries shown in it (numpy, numpy.libs, its
    dist-info); files: every other file this process has mapped (the interpreter, shared libraries).
    """
    for name in EXTENSIONS:
        try:
            importlib.import_module(name)
        except ImportError:  # not built into this interpreter: the child cannot use it either
            pass
    trees = _standard_library(search_path)
    site = os.path.dirname(numpy_folder)
    entries = sorted(name for name in os.listdir(site) if name == "numpy" or name.startswith(("numpy.", "numpy-")))
    if _inside(site, trees) and os.path.basename(site) not in SITE_FOLDERS:
        entries = []  # numpy sits in the standard library folder itself: it is bound already
    hollow = sorted({
        os.path.join(tree, name) for tree in trees for name in SITE_FOLDERS if os.path.isdir(os.path.join(tree, name))
    } - {site})
    shown = [*trees, *(os.path.join(site, name) for name in entries)]
    files = sorted({path for path in _mapped_files() if not _inside(path, shown)})
    return {"trees": trees, "hollow": hollow, "site": site, "entries": entries, "files": files}


def _standard_library(search_path: list[str]) -> list[str]:
    """The standard library's folders (pure modules, lib-dynload): the base installation's, and those of
    `search_path`, the interpreter's own module path when started with -I -S."""
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    candidates = [os.path.normpath(path) for path in (base["stdlib"], base["platstdlib"], *search_path) if path]
    folders = sorted({path for path in candidates if os.path.isdir(path)})
    return [path for path in folders if not _inside(path, [other for other in folders if other != path])]


def _mapped_files() -> list[str]:
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            path = fields[5].rstrip("\n") if len(fields) == 6 else ""
            if path.startswith("/") and not path.startswith(("/dev/", "/proc/", "/sys/", "/memfd:")) \
                    and os.path.isfile(path):
                found.append(path)
    return found


def _inside(path: str, folders: list[str]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip("/") + "/") for folder in folders)


def build(plan: dict, staging: str, scratch_bytes: int) -> None:
    """In a fresh mount namespace, as root: make the planned root on `staging` and pivot into it."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")

    def at(path: str) -> str:
        return staging + path

    os.mkdir(at("/tmp"))
    mount("tmpfs", at("/tmp"), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={scratch_bytes},mode=1777")
    os.mkdir(at("/proc"))
    mount("proc", at("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.mkdir(at("/dev"), 0o755)
    for name in DEVICES:
        _bind(f"/dev/{name}", at(f"/dev/{name}"), MS_NOSUID | MS_NOEXEC)
    for name, target in DEVICE_LINKS.items():
        os.symlink(target, at(f"/dev/{name}"))
    for tree in plan["trees"]:
        _bind(tree, at(tree), READ_ONLY)
    for folder in plan["hollow"]:
        mount("tmpfs", at(folder), "tmpfs", READ_ONLY | MS_NOEXEC, "size=4k,mode=755")
    if plan["entries"]:
        site = plan["site"]
        own_mount = _inside(site, plan["trees"])  # a site-packages inside the (read-only) standard library
        if own_mount:
            mount("tmpfs", at(site), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        for name in plan["entries"]:
            _bind(os.path.join(site, name), at(os.path.join(site, name)), READ_ONLY)
        if own_mount:
            mount(None, at(site), None, MS_REMOUNT | READ_ONLY | MS_NOEXEC)
    for path in plan["files"]:
        _bind(path, at(path), READ_ONLY)
    os.chdir(staging)
    pivot_root(".", ".")  # the host's root is now stacked on ours at "/": detach it
    umount(".")
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | READ_ONLY)


def _bind(source: str, target: str, flags: int) -> None:
    """Bind `source` at `target` (creating it: a folder, or an empty file) with the mount flags `flags`."""
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    mount(source, target, None, MS_BIND)
    mount(None, target, None, MS_REMOUNT | MS_BIND | flags)


def unreadable(plan: dict) -> str | None:
    """Why this (unprivileged) process cannot use the planned root, in plain words; None if it can."""
    for tree in plan["trees"]:
        for path in [tree, *_first_entries(tree)]:
            if not os.access(path, os.R_OK | (os.X_OK if os.path.isdir(path) else 0)):
                return f"the sandbox cannot read the interpreter's standard library at {path}"
    for name in plan["entries"]:
        folder = os.path.join(plan["site"], name)
        for path in [folder, *_first_entries(folder)]:
            if not os.access(path, os.R_OK | (os.X_OK if os.path.isdir(path) else 0)):
                return f"the sandbox cannot read numpy at {path}"
    return None


def _first_entries(folder: str, count: int = 8) -> list[str]:
    """A few entries of `folder`: enough to catch an installation made with a private umask."""
    try:
        with os.scandir(folder) as entries:
            return [entry.path for _, entry in zip(range(count), entries)]
    except OSError:
        return []
