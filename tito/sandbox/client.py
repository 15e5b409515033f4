"""The trusted side of the sandbox: start the zygote, open a session per submission, call probes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy

import tito
from tito.grading.probes import SubmissionCrashed, SubmissionError, SubmissionTimedOut, raise_for
from tito.grading.wire import WireError, dumps, loads
from tito.sandbox.isolation import SANDBOX_UID_BASE, Isolation, hidden_folders, probe_isolation
from tito.sandbox.limits import Limits
from tito.sandbox.lines import LineReader, MessageTooLarge

ZYGOTE = Path(__file__).with_name("zygote.py")


def _python_folders() -> list[str]:
    """The installation the child imports from: the interpreter's prefixes and numpy's folder."""
    return sorted({str(Path(p).resolve()) for p in (sys.base_prefix, sys.prefix, *_site_paths())})


def _numpy_only() -> dict[str, list[str]]:
    """site-packages folder -> the entries the sandbox may see there: numpy and its bundled libraries."""
    site = Path(numpy.__file__).resolve().parent.parent
    if (site / "os.py").exists():  # numpy inside the standard library folder: nothing to trim
        return {}
    names = sorted(entry.name for entry in site.iterdir() if entry.name == "numpy" or entry.name.startswith(("numpy.", "numpy-")))
    return {str(site): names}


def _site_paths() -> list[str]:
    """Where numpy lives, for the child's sys.path (the child does not process site-packages' .pth files)."""
    numpy_parent = str(Path(numpy.__file__).resolve().parent.parent)
    return [numpy_parent]


class Zygote:
    """One clean, pre-warmed interpreter that forks sandbox children on request."""

    def __init__(self, isolation: Isolation):
        self.isolation = isolation
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        config = {
            "tito_root": str(Path(tito.__file__).resolve().parent.parent),
            "site_paths": _site_paths(),
            "control_fd": theirs.fileno(),
        }
        env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(ZYGOTE), json.dumps(config)],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.control = ours

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, config: dict) -> tuple[int | None, int, socket.socket, int]:
        """Fork a child; return (pidfd, process group, protocol socket, output pipe read end)."""
        if not self.alive():
            self._start()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        socket.send_fds(self.control, [json.dumps(config).encode()], [theirs.fileno(), out_write])
        theirs.close()
        os.close(out_write)
        message, fds, _, _ = socket.recv_fds(self.control, 4096, 1)
        if not message:
            raise RuntimeError("the sandbox zygote stopped")
        reply = json.loads(message)
        return (fds[0] if fds else None), reply["group"], ours, out_read

    def close(self) -> None:
        self.control.close()
        if self.alive():
            self.process.kill()
        self.process.wait()


class OutputTap:
    """Drains a child's stdout/stderr, keeping the first `limit` bytes and counting the rest."""

    def __init__(self, fd: int, limit: int):
        self.kept = bytearray()
        self.dropped = 0
        self._fd = fd
        self._limit = limit
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            room = self._limit - len(self.kept)
            self.kept += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)
        os.close(self._fd)

    def text(self) -> str:
        self._thread.join(timeout=1)
        note = f"\n[... {self.dropped} more bytes of output dropped]" if self.dropped else ""
        return self.kept.decode("utf-8", errors="replace") + note


class Sandbox:
    """A grading slot: one zygote, one submission session at a time."""

    def __init__(self, limits: Limits | None = None, hide: list[Path] = (), slot: int = 0,
                 isolation: Isolation | None = None):
        self.limits = limits or Limits()
        self.isolation = isolation or probe_isolation()
        self.readable = _python_folders()
        self.hide = hidden_folders([str(Path(path).resolve()) for path in hide], self.readable)
        self.uid = SANDBOX_UID_BASE + slot if self.isolation.separate_uid else None
        self.zygote = Zygote(self.isolation)

    def session(self, files: dict[str, str], probes_source: str, targets: list[str]) -> "Session":
        return Session(self, files, probes_source, targets)

    def child_config(self) -> dict:
        return {"namespaces": self.isolation.namespaces, "uid": self.uid, "hide": self.hide,
                "readable": self.readable, "packages": _numpy_only(), "limits": self.limits.as_dict()}

    def close(self) -> None:
        self.zygote.close()


class Session:
    """One submission loaded in a sandbox child. A crash or timeout kills the child; the next call starts a new one."""

    def __init__(self, sandbox: Sandbox, files: dict[str, str], probes_source: str, targets: list[str]):
        self._sandbox = sandbox
        self._setup = {"files": files, "probes": probes_source, "targets": targets}
        self._deadline = time.monotonic() + sandbox.limits.submission_seconds
        self._child: tuple | None = None
        self._next_id = 0
        self._outputs: list[OutputTap] = []
        self.events: list[str] = []
        self.load_error: SubmissionError | None = None
        self._load_failed_hard = False
        self._start_child()

    # -- child lifecycle -------------------------------------------------------------------------
    def _start_child(self) -> None:
        pidfd, group, sock, out_read = self._sandbox.zygote.spawn(self._sandbox.child_config())
        self._outputs.append(OutputTap(out_read, self._sandbox.limits.output_bytes))
        self._child = (pidfd, group, sock)
        self._reader = LineReader(sock.fileno())
        try:
            sock.sendall(dumps(self._setup))
            response = self._receive(self._sandbox.limits.call_seconds, "loading your code")
            raise_for(response)
        except SubmissionError as error:
            self.load_error = error
            self._load_failed_hard = isinstance(error, (SubmissionTimedOut, SubmissionCrashed))
            if not self._load_failed_hard:
                return
            self._kill()
        except OSError as error:
            self._kill()
            self.load_error = SubmissionCrashed(f"the sandbox could not start your code ({error})")
            self._load_failed_hard = True

    def _kill(self) -> None:
        if self._child is None:
            return
        pidfd, group, sock = self._child
        if pidfd is not None:
            try:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
            os.close(pidfd)
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
        sock.close()
        self._child = None

    def close(self) -> None:
        self._kill()

    def output(self) -> str:
        return "".join(tap.text() for tap in self._outputs)

    # -- calls -----------------------------------------------------------------------------------
    def call(self, probe: str, kwargs: dict):
        if self.load_error is not None:
            raise self.load_error
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise SubmissionTimedOut(
                f"the submission used up its {self._sandbox.limits.submission_seconds:g} s time budget"
            )
        if self._child is None:
            self._start_child()
            if self.load_error is not None:
                raise self.load_error
        self._next_id += 1
        request_id = self._next_id
        timeout = min(self._sandbox.limits.call_seconds, remaining)
        try:
            self._child[2].sendall(dumps({"id": request_id, "probe": probe, "kwargs": kwargs}))
            response = self._receive(timeout, f"running {probe}")
        except OSError:
            self._kill()
            raise self._crashed(f"running {probe}") from None
        if response.get("id") != request_id:
            self._kill()
            raise SubmissionCrashed("your code wrote to the grader's channel; the answer was discarded")
        return raise_for(response)

    def _receive(self, timeout: float, doing: str) -> dict:
        try:
            line = self._reader.readline(timeout)
        except TimeoutError:
            self._kill()
            self.events.append(f"timed out while {doing}")
            raise SubmissionTimedOut(f"your code did not finish within {timeout:.0f} s while {doing}") from None
        except MessageTooLarge as error:
            self._kill()
            raise SubmissionCrashed(f"your code broke the grader's channel ({error})") from None
        if line is None:
            self._kill()
            raise self._crashed(doing)
        try:
            message = loads(line)
        except WireError as error:
            self._kill()
            raise SubmissionCrashed(f"your code broke the grader's channel ({error})") from None
        if type(message) is not dict:
            self._kill()
            raise SubmissionCrashed("your code broke the grader's channel")
        return message

    def _crashed(self, doing: str) -> SubmissionCrashed:
        self.events.append(f"the process ended while {doing}")
        return SubmissionCrashed(
            f"your code ended the process while {doing} (sys.exit, os._exit, a crash, or a resource limit)"
        )

    def __getattr__(self, probe: str):
        if probe.startswith("_"):
            raise AttributeError(probe)
        return lambda **kwargs: self.call(probe, kwargs)
