"""Where grading jobs run: a pool of local worker processes (default) or a Dask cluster."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from tito.errors import TitoError
from tito.grading.job import GradingConfig, GradingJob
from tito.grading.result import GRADER_ERROR, SubmissionResult
from tito.sandbox.lines import MAX_RESULT_LINE, LineReader, MessageTooLarge

STARTUP_SECONDS = 120.0
MARGIN_SECONDS = 60.0


class WorkerHandle:
    """A worker subprocess (tito.grading.worker) and the pipes to talk to it; restarted when it fails."""

    def __init__(self, config: GradingConfig, slot: int):
        self.config = config
        self.slot = slot
        self.process: subprocess.Popen | None = None

    def _start(self) -> None:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        command = [
            sys.executable, "-m", "tito.grading.worker", json.dumps(self.config.to_dict()),
            str(jobs_read), str(results_write), str(self.slot),
        ]
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
        self.process = subprocess.Popen(
            command, pass_fds=[jobs_read, results_write], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
        )
        os.close(jobs_read)
        os.close(results_write)
        self._jobs = os.fdopen(jobs_write, "w", encoding="utf-8")
        self._results = results_read
        self._reader = LineReader(results_read, MAX_RESULT_LINE)
        ready = self._read_line(STARTUP_SECONDS)
        if ready is None or json.loads(ready) != {"ready": True}:
            stderr = self._stop()
            raise TitoError(f"a grading worker failed to start:\n{stderr[-3000:]}")

    def grade(self, job: GradingJob) -> SubmissionResult:
        if self.process is None or self.process.poll() is not None:
            self._start()
        timeout = self.config.limits["submission_seconds"] + MARGIN_SECONDS
        try:
            self._jobs.write(json.dumps(job.to_dict()) + "\n")
            self._jobs.flush()
            line = self._read_line(timeout)
        except OSError:
            line = None
        if line is None:
            stderr = self._stop()
            detail = stderr.strip().splitlines()[-1] if stderr.strip() else "no details"
            return failed_result(job, f"the grader's worker stopped while grading this submission ({detail}); "
                                      "a rerun regrades it")
        try:
            return SubmissionResult.from_dict(json.loads(line))
        except (ValueError, TypeError, KeyError) as error:
            self._stop()
            return failed_result(job, f"the grader's worker sent an unreadable result ({type(error).__name__})")

    def _read_line(self, timeout: float) -> bytes | None:
        """The worker's next line, or None if it ended or said nothing for `timeout` seconds."""
        try:
            return self._reader.readline(timeout)
        except (TimeoutError, MessageTooLarge):
            return None

    def _stop(self) -> str:
        """Kill the worker and everything it started (its zygote and sandboxes); return its stderr."""
        if self.process is None:
            return ""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            stderr = self.process.communicate(timeout=10)[1].decode(errors="replace")
        except subprocess.TimeoutExpired:
            stderr = ""
        for handle in (self._jobs,):
            try:
                handle.close()
            except OSError:
                pass
        os.close(self._results)
        self.process = None
        return stderr

    def close(self) -> None:
        if self.process is None:
            return
        try:
            self._jobs.close()  # end of jobs: the worker finishes its pytest session
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._stop()


def failed_result(job: GradingJob, message: str) -> SubmissionResult:
    """A submission the grader itself failed on: never a score, and never cached, so a rerun regrades it."""
    return SubmissionResult(
        student=job.student, status=GRADER_ERROR, max_score=0.0, problem=message, name=job.name, email=job.email,
        submitted_at=job.submitted_at, source=job.source, key="",
    )


class LocalPool:
    """`workers` local worker processes, kept warm across calls to `run` (the self-check, then the class)."""

    def __init__(self, config: GradingConfig, workers: int):
        self.handles = [WorkerHandle(config, slot) for slot in range(max(1, workers))]

    def run(self, jobs: list[GradingJob], on_result: Callable[[SubmissionResult], None]) -> None:
        """Grade `jobs`; call `on_result` from one thread at a time."""
        pending: queue.Queue = queue.Queue()
        for job in jobs:
            pending.put(job)
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(handle: WorkerHandle) -> None:
            try:
                while not errors:
                    try:
                        job = pending.get_nowait()
                    except queue.Empty:
                        return
                    result = handle.grade(job)
                    with lock:
                        on_result(result)
            except BaseException as error:  # noqa: BLE001 - surfaced to the caller below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(handle,), daemon=True)
                   for handle in self.handles[:max(1, min(len(self.handles), len(jobs)))]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        for handle in self.handles:
            handle.close()


_remote_handles: dict[str, WorkerHandle] = {}


def grade_remote(job: dict, config: dict) -> dict:
    """The per-submission job as a Dask task: a worker subprocess per Dask worker process, kept warm."""
    key = json.dumps(config, sort_keys=True)
    handle = _remote_handles.get(key)
    if handle is None:
        handle = _remote_handles[key] = WorkerHandle(GradingConfig.from_dict(config), slot=os.getpid() % 1000)
    return handle.grade(GradingJob(**job)).to_dict()


class DaskPool:
    """Grading on a Dask distributed cluster; every worker needs this course at the same path."""

    def __init__(self, config: GradingConfig, scheduler: str, timeout: float | None = None):
        """Connect to the scheduler at `scheduler` within `timeout` seconds (None: Dask's own
        `distributed.comm.timeouts.connect`, 30 s unless configured); an address that cannot be reached is a
        TitoError naming it, never a traceback."""
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - dask is a dependency
            raise TitoError("the dask executor needs `dask[distributed]` installed") from None
        self.config = config
        try:
            self.client = Client(scheduler, **({} if timeout is None else {"timeout": timeout}))
        except (OSError, ValueError, TypeError) as error:  # unreachable, refused, or not an address at all
            reason = " ".join(str(error).split())[:300] or type(error).__name__
            raise TitoError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from None

    def run(self, jobs: list[GradingJob], on_result: Callable[[SubmissionResult], None]) -> None:
        from distributed import as_completed

        futures = {self.client.submit(grade_remote, job.to_dict(), self.config.to_dict(), pure=False): job
                   for job in jobs}
        for future in as_completed(futures):
            try:
                result = SubmissionResult.from_dict(future.result())
            except Exception as error:  # noqa: BLE001 - a lost Dask worker is the grader's fault, not the student's
                result = failed_result(futures[future], f"the Dask worker failed ({type(error).__name__}: {error})")
            on_result(result)

    def close(self) -> None:
        self.client.close()


def open_pool(config: GradingConfig, workers: int, executor: str, scheduler: str | None,
              connect_timeout: float | None = None) -> LocalPool | DaskPool:
    """Where grading jobs run; use as `pool.run(jobs, on_result)` any number of times, then `pool.close()`.
    `connect_timeout`: seconds to reach a Dask scheduler (None: Dask's configured connect timeout)."""
    if executor == "local":
        return LocalPool(config, workers)
    if executor == "dask":
        if not scheduler:
            raise TitoError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
        return DaskPool(config, scheduler, connect_timeout)
    raise TitoError(f"unknown executor {executor!r}: use local or dask")
