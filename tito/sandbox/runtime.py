"""What runs inside the sandbox child: isolate, load the submission's package, answer probe calls.

The zygote imports this module before it forks, so the child needs no file from the course to run it.
Messages are JSON lines on a socket of their own; the submission's stdout and stderr go to a pipe
the grader only displays.
"""

from __future__ import annotations

import faulthandler
import fcntl
import importlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
import types

from tito.grading.probes import call_probe, describe_exception
from tito.grading.wire import dumps
from tito.sandbox import cgroups, rootfs
from tito.sandbox.isolation import drop_privileges
from tito.sandbox.limits import apply_rlimits
from tito.sandbox import stopping

PROTOCOL_FD = 3
WATCH_FD = 4          # where the child's stack goes when the grader sends STACK_SIGNAL (a call ran too long)
STACK_SIGNAL = signal.SIGUSR1


class SetupFailed(Exception):
    """The child could not be isolated as planned; the message says why in plain words."""


def run_child(config: dict, proto_fd: int, out_fd: int, watch_fd: int) -> None:
    """Isolate this process, say whether that worked, then serve the grader until it hangs up. Never returns.

    The first line the grader reads is {"ready": true, "setup_seconds": ...} or {"ready": false, "error": ...};
    it is written before any of the submission's code exists here, so a submission cannot forge it.
    """
    started = time.perf_counter()
    reply_fd = proto_fd
    try:
        if config["cgroup"]:
            cgroups.join(config["cgroup"])  # first: every process the submission starts is in its groups
        if config.get("namespaces_failed"):
            raise SetupFailed(f"the sandbox could not create its namespaces ({config['namespaces_failed']})")
        if config["namespaces"]:
            rootfs.build(config["plan"], config["staging"], config["limits"]["scratch_bytes"])
        _own_fds(proto_fd, out_fd, watch_fd)
        reply_fd = PROTOCOL_FD
        if config["uid"] is not None:
            drop_privileges(config["uid"])
            problem = rootfs.unreadable(config["plan"])
            if problem:
                raise SetupFailed(problem)
        apply_rlimits(config["limits"])
        for number in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        # written from C, whatever the main thread is doing (a Python loop, a long numpy call)
        faulthandler.register(STACK_SIGNAL, file=WATCH_FD, all_threads=True, chain=False)
        workdir = tempfile.mkdtemp(prefix="submission-", dir="/tmp" if config["namespaces"] else None)
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update({"HOME": workdir, "TMPDIR": workdir, "OPENBLAS_NUM_THREADS": "1", "LANG": "C.UTF-8"})
        sys.path[:] = config["sys_path"]
    except BaseException as error:  # noqa: BLE001 - report and stop; nothing of the submission has run
        message = str(error) if isinstance(error, SetupFailed) else f"the sandbox could not be set up: {error!r}"
        os.write(reply_fd, dumps({"ready": False, "error": message}))
        os._exit(70)
    os.write(PROTOCOL_FD, dumps({"ready": True, "setup_seconds": time.perf_counter() - started}))
    serve(workdir)
    os._exit(0)


def _own_fds(proto_fd: int, out_fd: int, watch_fd: int) -> None:
    """Protocol on fd 3, stack dumps on fd 4, output on 1 and 2, /dev/null on 0, every other descriptor
    closed."""
    # first out of the way of the numbers they take: a descriptor received as 4 must not be overwritten
    proto_fd, watch_fd, out_fd = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (proto_fd, watch_fd, out_fd))
    os.dup2(proto_fd, PROTOCOL_FD)
    os.dup2(watch_fd, WATCH_FD)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.closerange(WATCH_FD + 1, 65536)


def serve(workdir: str) -> None:
    sock = socket.socket(fileno=PROTOCOL_FD)
    reader = sock.makefile("rb")
    setup = json.loads(reader.readline())
    package = os.path.join(workdir, "package")
    for relative, text in setup["files"].items():
        path = os.path.join(package, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    sys.path.insert(0, package)
    importlib.invalidate_caches()
    owner = os.getpid()
    loaded = _load(setup["targets"])
    probes = types.ModuleType("probes")
    probes.__file__ = "<probes>"
    if loaded["ok"]:  # the probes import the package, so they run only once it has loaded cleanly
        loaded = _run_probes_module(setup["probes"], probes)
    _exit_if_forked(owner)
    sock.sendall(dumps(loaded))
    for line in reader:
        request = json.loads(line)
        stopping.apply(request.get("stopped") or [])   # functions that ran out of time in earlier calls
        response = call_probe(probes, request["probe"], request["kwargs"])
        _exit_if_forked(owner)
        response["id"] = request["id"]
        sys.stdout.flush()
        sys.stderr.flush()
        sock.sendall(dumps(response))


def _run_probes_module(source: str, probes: types.ModuleType) -> dict:
    """Execute the suite's probes.py; whatever the package does while they import it is reported, not fatal."""
    try:
        exec(compile(source, "<probes>", "exec"), probes.__dict__)  # noqa: S102 - trusted suite code
        return {"ok": True, "value": None}
    except BaseException as error:  # noqa: BLE001 - the submission's code runs during these imports
        return {"ok": False, "error": describe_exception(error)}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _exit_if_forked(owner: int) -> None:
    """A process the submission forked must not answer the grader: only the original child speaks."""
    if os.getpid() != owner:
        os._exit(0)


def _load(targets: list[str]) -> dict:
    """Import the submission's package modules once, so import-time problems are reported on their own."""
    try:
        for target in targets:
            importlib.import_module(f"tinytorch.{target}")
        return {"ok": True, "value": None}
    except BaseException as error:  # noqa: BLE001 - the submission may raise anything at import
        return {"ok": False, "error": describe_exception(error)}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()

