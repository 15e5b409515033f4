"""The per-test time limit of `tito module complete`: name the function a test was stuck in, and leash it.

Runs in the pytest process that checks a student's package (the tito pytest plugin turns it on with
`--tito-test-timeout`). When a test runs out of time, SIGALRM interrupts the code where it is, which is
the function to blame: the innermost frame of the package under test. That function raises CallTimedOut
now and is put on a short leash for the later tests (tito.sandbox.stopping, as in the grader's sandbox).
"""

from __future__ import annotations

import os
import signal
from types import FrameType

from tito.sandbox.stopping import LEASH_SECONDS, CallTimedOut, functions_of, is_leashed, leash, stop

AGAIN_SECONDS = 1.0   # if the code swallows the first interruption, it is interrupted again this often


class TimeLimit:
    """A context manager: the test named `test` may run `seconds`; `package` holds the folders (separated
    like PYTHONPATH) with the package whose functions are blamed."""

    def __init__(self, test: str, seconds: float, package: str):
        self.test = test
        self.seconds = seconds
        self.roots = tuple(os.path.join(os.path.abspath(folder), "tinytorch") + os.sep
                           for folder in package.split(os.pathsep) if folder)
        self._previous = None

    def __enter__(self) -> "TimeLimit":
        self._previous = signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, AGAIN_SECONDS)
        return self

    def __exit__(self, *exc) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        seconds = f"{self.seconds:g} s"
        culprit = self._culprit(frame)
        if culprit is None:
            raise CallTimedOut(f"your code did not finish within {seconds} (called by {self.test})")
        name = culprit.f_code.co_qualname
        if name == "<module>":
            raise CallTimedOut(f"your code at the top level of a cell did not finish within {seconds} "
                               f"(called by {self.test})")
        short = min(LEASH_SECONDS, self.seconds / 2)
        stopped = f"{name} is not run again: it ran out of {seconds} twice, first in {self.test}"
        for function in functions_of(culprit.f_code):
            if is_leashed(function):  # its leash did not stop it (it ignores SIGALRM, or runs in a thread)
                stop(function, stopped)
            else:
                leash(function, short, f"{name} did not finish within {short:g} s, the time it gets since it ran "
                                       f"out of {seconds} in {self.test}", stopped)
        raise CallTimedOut(f"{name} did not finish within {seconds} (called by {self.test})")

    def _culprit(self, frame: FrameType | None) -> FrameType | None:
        """The innermost frame of the package under test; None without package folders, or outside them."""
        while frame is not None and self.roots:
            filename = os.path.abspath(frame.f_code.co_filename)
            if filename.startswith(self.roots):
                return frame
            frame = frame.f_back
        return None
