"""Where grading jobs run: a pool of local worker processes (default) or a Dask cluster."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable

from tito.errors import TitoError
from tito.grading.job import GradingConfig, GradingJob
from tito.grading.result import ERROR, SubmissionResult
from tito.sandbox.lines import LineReader, MessageTooLarge

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
        self._reader = LineReader(results_read)
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
                                      "regrade it with --force")
        return SubmissionResult.from_dict(json.loads(line))

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
    return SubmissionResult(
        student=job.student, status=ERROR, max_score=0.0, problem=message, name=job.name, email=job.email,
        submitted_at=job.submitted_at, source=job.source, key="",
    )


def run_local(config: GradingConfig, jobs: list[GradingJob], workers: int,
              on_result: Callable[[SubmissionResult], None]) -> None:
    """Grade `jobs` on `workers` local worker processes; call `on_result` (from one thread at a time)."""
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        handle = WorkerHandle(config, slot)
        try:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                result = handle.grade(job)
                with lock:
                    on_result(result)
        except BaseException as error:  # noqa: BLE001 - surfaced to the caller below
            errors.append(error)
        finally:
            handle.close()

    threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(max(1, min(workers, len(jobs))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


_remote_handles: dict[str, WorkerHandle] = {}


def grade_remote(job: dict, config: dict) -> dict:
    """The per-submission job as a Dask task: a worker subprocess per Dask worker process, kept warm."""
    key = json.dumps(config, sort_keys=True)
    handle = _remote_handles.get(key)
    if handle is None:
        handle = _remote_handles[key] = WorkerHandle(GradingConfig.from_dict(config), slot=os.getpid() % 1000)
    return handle.grade(GradingJob(**job)).to_dict()


def run_dask(config: GradingConfig, jobs: list[GradingJob], scheduler: str,
             on_result: Callable[[SubmissionResult], None]) -> None:
    """Grade `jobs` on a Dask distributed cluster; every worker needs this course at the same path."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask is a dependency
        raise TitoError("the dask executor needs `dask[distributed]` installed") from None
    with Client(scheduler) as client:
        futures = [client.submit(grade_remote, job.to_dict(), config.to_dict(), pure=False) for job in jobs]
        for future in as_completed(futures):
            on_result(SubmissionResult.from_dict(future.result()))


def run_jobs(config: GradingConfig, jobs: Iterable[GradingJob], workers: int, executor: str,
             scheduler: str | None, on_result: Callable[[SubmissionResult], None]) -> None:
    jobs = list(jobs)
    if not jobs:
        return
    if executor == "local":
        run_local(config, jobs, workers, on_result)
    elif executor == "dask":
        if not scheduler:
            raise TitoError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
        run_dask(config, jobs, scheduler, on_result)
    else:
        raise TitoError(f"unknown executor {executor!r}: use local or dask")
