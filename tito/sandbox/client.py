"""The trusted side of the sandbox: start the zygote, open a session per submission, call probes."""

from __future__ import annotations

import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy

import tito
from tito.cell_map import CellMaps
from tito.grading.probes import LeashRanOut, SubmissionCrashed, SubmissionError, SubmissionTimedOut, raise_for
from tito.grading.wire import WireError, dumps, loads
from tito.sandbox import stacks, stopping
from tito.sandbox.cgroups import Cgroup, CgroupError, Layout
from tito.sandbox.isolation import Isolation, probe_isolation
from tito.sandbox.limits import Limits
from tito.sandbox.load import QueueClock, pid_of
from tito.sandbox.lines import LineReader, MessageTooLarge
from tito.sandbox.runtime import STACK_SIGNAL
from tito.sandbox.uids import UidLease, UidsExhausted

ZYGOTE = Path(__file__).with_name("zygote.py")
STARTUP_SECONDS = 60.0   # for the zygote to import numpy, once per Sandbox
READY_SECONDS = 30.0     # for a child to build its root (milliseconds, unless the machine is stalled)
STACK_SECONDS = 0.5      # for a child that ran out of time to write its stack (faulthandler: milliseconds)
STACK_BYTES = 256 * 1024


class SandboxFault(Exception):
    """The sandbox itself failed, not the submission: nothing of the submission ran, or it cannot run here.

    Not a SubmissionError on purpose: the grader records a fault of its own instead of blaming the student."""


def _site_paths() -> list[str]:
    """Where numpy lives, for the child's sys.path (the child does not process site-packages' .pth files)."""
    return [str(Path(numpy.__file__).resolve().parent.parent)]


class Zygote:
    """One clean, pre-warmed interpreter that forks sandbox children on request."""

    def __init__(self, isolation: Isolation):
        self.isolation = isolation
        self.plan: dict = {}
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
        self._stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(ZYGOTE), json.dumps(config)],
                pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, stderr=self._stderr,
            )
        except OSError as error:
            raise SandboxFault(f"the sandbox zygote could not be started: {error}") from None
        finally:
            theirs.close()
        self.control = ours
        ready = LineReader(ours.fileno(), 1 << 24)
        try:
            line = ready.readline(STARTUP_SECONDS)
            reply = json.loads(line) if line else {}
        except (TimeoutError, ValueError, OSError):
            reply = {}
        if reply.get("ready") is not True:
            self._stderr.seek(0)
            detail = self._stderr.read().decode(errors="replace").strip()[-2000:]
            self.close()
            raise SandboxFault(f"the sandbox zygote did not start ({sys.executable}): {detail or 'no message'}")
        self.plan = reply["plan"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, config: dict) -> tuple[int | None, int, socket.socket, int, int]:
        """Fork a child; return (pidfd, process group, protocol socket, output pipe read end, stack pipe read
        end)."""
        if not self.alive():
            self.close()
            self._start()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        watch_read, watch_write = os.pipe()
        os.set_blocking(watch_read, False)
        message, fds, problem = b"", [], "no answer"
        try:
            socket.send_fds(self.control, [json.dumps(config).encode()], [theirs.fileno(), out_write, watch_write])
            if select.select([self.control], [], [], STARTUP_SECONDS)[0]:
                message, fds, _, _ = socket.recv_fds(self.control, 4096, 1)
        except OSError as error:
            problem = str(error)
        finally:
            theirs.close()
            os.close(out_write)
            os.close(watch_write)
        if not message:
            ours.close()
            os.close(out_read)
            os.close(watch_read)
            raise SandboxFault(f"the sandbox zygote stopped answering ({problem})")
        reply = json.loads(message)
        return (fds[0] if fds else None), reply["group"], ours, out_read, watch_read

    def close(self) -> None:
        self.control.close()
        if self.alive():
            self.process.kill()
        self.process.wait()
        self._stderr.close()


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
    """A grading slot: one zygote, a uid of its own on this host, sessions (submissions) one after another.

    `slot` is only a hint for the uid (the lease makes it unique). The child's root holds nothing but the
    allow-list (rootfs.py), so there is nothing to hide from it.
    """

    def __init__(self, limits: Limits | None = None, slot: int = 0,
                 isolation: Isolation | None = None):
        self.limits = limits or Limits()
        self.isolation = isolation or probe_isolation()
        self._lease: UidLease | None = None
        self.uid: int | None = None
        self._groups = itertools.count(1)
        self.cgroups: Layout | None = None
        try:
            if self.isolation.separate_uid:
                self._lease = UidLease(slot)
                self.uid = self._lease.uid
            if self.isolation.cgroups:
                self.cgroups = Layout.find()
                self.cgroups.remove_stale(f"tito-{self.uid}-")
            self.zygote = Zygote(self.isolation)
        except SandboxFault:
            self._release()
            raise
        except (CgroupError, UidsExhausted, OSError) as error:
            self._release()
            raise SandboxFault(f"the sandbox cannot start: {error}") from None

    def session(self, files: dict[str, str], probes_source: str, targets: list[str],
                maps: CellMaps | None = None) -> "Session":
        return Session(self, files, probes_source, targets, maps)

    def new_cgroup(self) -> Cgroup | None:
        if self.cgroups is None:
            return None
        try:
            return self.cgroups.create(f"tito-{self.uid}-{os.getpid()}-{next(self._groups)}",
                                       self.limits.group_memory_bytes, self.limits.processes)
        except (CgroupError, OSError) as error:
            raise SandboxFault(f"the sandbox cannot make a cgroup for the submission: {error}") from None

    def child_config(self, cgroup: Cgroup | None) -> dict:
        return {"namespaces": self.isolation.namespaces, "uid": self.uid,
                "staging": self._lease.staging if self._lease else None,
                "cgroup": cgroup.procs_files() if cgroup else [], "limits": self.limits.as_dict()}

    def close(self) -> None:
        self.zygote.close()
        self._release()

    def _release(self) -> None:
        if self._lease is not None:
            self._lease.release()


class Session:
    """One submission loaded in a sandbox child. A crash or timeout kills the child (and everything in the
    submission's cgroup); the next call starts a new one. Closing it removes the cgroup.

    SandboxFault, from here or from `call`, means the sandbox failed, not the submission.

    A call that runs out of time is blamed on the function of the student's own code it was stuck in (read
    off the child's stack; `maps` says which lines are the student's and where they are in the notebook).
    That function is then put on a short leash (tito.sandbox.stopping; every call tells the child which): a
    function that loops forever costs one time limit and then a second per call, not a time limit per test,
    and calls that do not loop, or do not reach it, run as usual. `test_name`, set by the grading runner,
    names the check that made the call."""

    def __init__(self, sandbox: Sandbox, files: dict[str, str], probes_source: str, targets: list[str],
                 maps: CellMaps | None = None):
        self._sandbox = sandbox
        self._setup = {"files": files, "probes": probes_source, "targets": targets}
        self._maps = maps
        self.test_name: str | None = None
        self.out_of_time: dict[str, dict] = {}  # function name -> its entry for the child: leashed, then stopped
        self._deadline = time.monotonic() + sandbox.limits.submission_seconds
        self._child: tuple | None = None
        self._next_id = 0
        self._outputs: list[OutputTap] = []
        self.events: list[str] = []
        self.load_error: SubmissionError | None = None
        self.setup_seconds: list[float] = []   # per child: how long building its isolation took
        self._load_failed_hard = False
        self.cgroup = sandbox.new_cgroup()
        try:
            self._start_child()
        except SandboxFault:
            self.close()
            raise

    # -- child lifecycle -------------------------------------------------------------------------
    def _start_child(self) -> None:
        pidfd, group, sock, out_read, watch = self._sandbox.zygote.spawn(self._sandbox.child_config(self.cgroup))
        self._outputs.append(OutputTap(out_read, self._sandbox.limits.output_bytes))
        self._child = (pidfd, group, sock, watch)
        self._reader = LineReader(sock.fileno())
        self._wait_until_ready()
        try:
            sock.sendall(dumps(self._setup))
        except OSError as error:  # the child has read nothing of the submission yet
            self._kill()
            raise SandboxFault(f"the sandbox child stopped before it got the submission ({error})") from None
        try:
            response = self._receive(self._sandbox.limits.call_seconds, "loading your code")
            self._answer(response)
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

    def _wait_until_ready(self) -> None:
        """The child's first line: its isolation is in place, or why not (nothing of the submission ran yet)."""
        try:
            line = self._reader.readline(READY_SECONDS)
            message = loads(line) if line is not None else None
        except (TimeoutError, MessageTooLarge, WireError, OSError) as error:
            message = {"ready": False, "error": f"no answer from the sandbox child ({type(error).__name__})"}
        if message is None:
            message = {"ready": False, "error": "the sandbox child ended before it was ready"}
        if type(message) is not dict or message.get("ready") is not True:
            self._kill()
            error = message.get("error") if type(message) is dict else None
            raise SandboxFault(str(error or "the sandbox child sent something else than its readiness"))
        self.setup_seconds.append(float(message.get("setup_seconds", 0.0)))

    def _kill(self) -> None:
        if self._child is not None:
            pidfd, group, sock, watch = self._child
            os.close(watch)
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
        if self.cgroup is not None:
            try:
                self.cgroup.kill()
            except (CgroupError, OSError) as error:
                raise SandboxFault(f"the submission's processes could not be stopped: {error}") from None

    def close(self) -> None:
        self._kill()
        if self.cgroup is not None:
            try:
                self.cgroup.remove()
            except (CgroupError, OSError) as error:
                raise SandboxFault(f"the submission's cgroup could not be removed: {error}") from None
            self.cgroup = None

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
            self._child[2].sendall(dumps({"id": request_id, "probe": probe, "kwargs": kwargs,
                                          "stopped": list(self.out_of_time.values())}))
            response = self._receive(timeout, f"running {probe}")
        except OSError:
            self._kill()
            raise self._crashed(f"running {probe}") from None
        if response.get("id") != request_id:
            self._kill()
            raise SubmissionCrashed("your code wrote to the grader's channel; the answer was discarded")
        try:
            return self._answer(response)
        except LeashRanOut as error:
            raise self._leash_ran_out(error) from None

    def _answer(self, response: dict):
        """The probe's value (or its error raised), from an answer whose JSON was valid; a value the wire
        refuses (say a scalar that overflows its dtype) breaks the channel like a malformed line."""
        try:
            return raise_for(response)
        except WireError as error:
            self._kill()
            raise SubmissionCrashed(f"your code broke the grader's channel ({error})") from None

    def _receive(self, timeout: float, doing: str) -> dict:
        clock = QueueClock(pid_of(self._child[0]) if self._child else None, timeout, time.monotonic())
        wait = timeout
        while True:
            try:
                line = self._reader.readline(wait)
                break
            except TimeoutError:
                # the time the machine's load kept the child from a CPU is given back (tito/sandbox/load.py)
                wait = min(clock.extra(time.monotonic()), max(self._deadline - time.monotonic(), 0.0))
                if wait > 0:
                    continue
                message = self._timed_out(timeout, doing)
                self._kill()
                raise SubmissionTimedOut(message) from None
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
        if not _well_formed(message):
            self._kill()
            raise SubmissionCrashed("your code broke the grader's channel")
        return message

    def _timed_out(self, timeout: float, doing: str) -> str:
        """The message for a call that ran out of time, naming the function it was stuck in; that function,
        when it is the student's own, is leashed in every later call (stopped, when it already was)."""
        found = stacks.culprit(stacks.parse(self._stack()), self._setup["files"], self._setup["targets"], self._maps)
        seconds = f"{timeout:.0f} s"
        loading = doing.startswith("loading")
        context = f"called by {self.test_name}" if self.test_name and not loading else f"while {doing}"
        if found is None:
            message = f"your code did not finish within {seconds} ({context})"
            self.events.append(message)
            return message
        message = f"{found.who()} did not finish within {seconds} ({context})"
        self.events.append(message)
        if found.students and found.name != "<module>":
            self._out_of_time(found, timeout)
        return f"{message}\n  at {found.where()}"

    def _out_of_time(self, found: stacks.Culprit, timeout: float) -> None:
        """Leash the function `found` blames; stop it if it was leashed already (its leash did not stop it: it
        ignores SIGALRM)."""
        entry = self.out_of_time.get(found.name)
        if entry is not None:
            entry["mode"] = "stop"
            return
        first = self.test_name or "an earlier check"
        self.out_of_time[found.name] = {
            "key": found.name, "file": found.file, "line": found.line, "mode": "leash",
            "seconds": min(stopping.LEASH_SECONDS, timeout / 2), "timeout": timeout, "first": first,
            "message": f"{found.name} ran past its leash",
            "stop_message": (f"{found.name} is not run again: it ran out of {timeout:.0f} s twice, first when {first} "
                             "called it"),
        }

    def _leash_ran_out(self, error: LeashRanOut) -> SubmissionTimedOut:
        """A leashed function ran past its leash: the message says when it first ran out of time."""
        name = error.message.split(" ", 1)[0]
        entry = self.out_of_time.get(name)
        if entry is None:  # not a leash of ours: the submission raised LeashExpired itself
            return SubmissionTimedOut(str(error))
        caller = f" (called by {self.test_name})" if self.test_name else ""
        message = (f"{name} did not finish within {entry['seconds']:g} s{caller}, the time it gets since it ran "
                   f"out of {entry['timeout']:.0f} s when {entry['first']} called it")
        self.events.append(message)
        return SubmissionTimedOut(message + (f"\n{error.where}" if error.where else ""))

    def _stack(self) -> str:
        """The child's stack, as faulthandler writes it when sent STACK_SIGNAL; "" if none comes in time."""
        if self._child is None:
            return ""
        pidfd, group, _, watch = self._child
        _read_available(watch, STACK_BYTES)   # whatever the submission wrote there itself
        try:
            if pidfd is not None:
                signal.pidfd_send_signal(pidfd, STACK_SIGNAL)
            else:
                os.killpg(group, STACK_SIGNAL)
        except OSError:
            return ""
        dump = bytearray()
        deadline = time.monotonic() + STACK_SECONDS
        while len(dump) < STACK_BYTES:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([watch], [], [], wait)[0]:
                break
            chunk = _read_available(watch, STACK_BYTES - len(dump))
            if not chunk:
                break
            dump += chunk
            deadline = min(deadline, time.monotonic() + 0.05)   # the rest of a dump follows at once
        return dump.decode("utf-8", errors="replace")

    def _crashed(self, doing: str) -> SubmissionCrashed:
        self.events.append(f"the process ended while {doing}")
        return SubmissionCrashed(
            f"your code ended the process while {doing} (sys.exit, os._exit, a crash, or a resource limit)"
        )

    def __getattr__(self, probe: str):
        if probe.startswith("_"):
            raise AttributeError(probe)
        return lambda **kwargs: self.call(probe, kwargs)


def _read_available(fd: int, limit: int) -> bytes:
    """What a non-blocking pipe holds now, up to `limit` bytes."""
    data = bytearray()
    while len(data) < limit:
        try:
            chunk = os.read(fd, min(65536, limit - len(data)))
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _well_formed(message) -> bool:
    """A response as the child's runtime writes it: {"ok": true, "value": ...} or {"ok": false, "error": {...}}
    (the submission can write to the channel too, so nothing else is let through to the grader)."""
    if type(message) is not dict or message.get("ok") not in (True, False):
        return False
    if message["ok"]:
        return "value" in message
    error = message.get("error")
    return type(error) is dict and all(type(error.get(key, "")) is str for key in ("type", "message", "where"))
