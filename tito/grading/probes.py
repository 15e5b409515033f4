"""Probes: small functions of a hidden suite that exercise a package and return plain data.

The same probe runs twice: inside the sandbox against the student's package (`student` fixture) and in the
grader against the reference package (`reference` fixture). Both results cross the same JSON boundary, so
tests compare like with like.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from types import ModuleType

from tito.grading import wire

PROBES_FILE = "probes.py"


class SubmissionError(Exception):
    """Something the submission did instead of returning a result; the test that asked fails with this message."""


class SubmissionRaised(SubmissionError):
    """The student's code raised an exception."""

    def __init__(self, exception_type: str, message: str, where: str = ""):
        self.exception_type = exception_type
        self.message = message
        self.where = where
        text = f"your code raised {exception_type}: {message}"
        super().__init__(text + (f"\n{where}" if where else ""))


class SubmissionTimedOut(SubmissionError):
    pass


class SubmissionCrashed(SubmissionError):
    pass


def load_probes_module(path: Path, name: str) -> ModuleType:
    """Import a suite's probes.py under a private name (trusted side only)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def call_probe(module: ModuleType, probe: str, kwargs: dict):
    """Run one probe and return its encoded result, or an encoded description of what it raised.

    This runs inside the sandbox, so it catches everything, BaseException included.
    """
    function = getattr(module, probe, None)
    if not callable(function) or probe.startswith("_"):
        return {"ok": False, "error": {"type": "ProbeMissing", "message": f"no probe named {probe!r}", "where": ""}}
    try:
        return {"ok": True, "value": wire.encode(function(**kwargs))}
    except BaseException as error:  # noqa: BLE001 - the submission may raise anything
        return {"ok": False, "error": describe_exception(error)}


def describe_exception(error: BaseException) -> dict:
    """Type, message and the submission's own frames (package files only, never the probe's)."""
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if "/tinytorch/" in frame.filename.replace("\\", "/")
    ]
    where = "".join(
        f"  in {frame.name} ({frame.filename.rsplit('/tinytorch/', 1)[-1]}, line {frame.lineno}): {frame.line}\n"
        for frame in frames[-3:]
    )
    try:
        message = str(error)[:2000]
    except BaseException:  # noqa: BLE001 - a rigged __str__
        message = "<the exception's message could not be read>"
    return {"type": type(error).__name__[:200], "message": message, "where": where.rstrip()}


def raise_for(response: dict):
    """Turn a probe response into its value, or raise the SubmissionError it describes."""
    if response.get("ok") is True:
        return wire.decode(response["value"])
    error = response.get("error") or {}
    if error.get("type") == "ProbeMissing":
        raise RuntimeError(error.get("message"))  # a bug in the suite, not the student's
    raise SubmissionRaised(str(error.get("type")), str(error.get("message")), str(error.get("where", "")))


class InProcessProbes:
    """Probes run in this process (the reference side), through the same JSON round trip, with a cache."""

    def __init__(self, module: ModuleType):
        self._module = module
        self._cache: dict[str, object] = {}

    def __getattr__(self, probe: str):
        if probe.startswith("_"):
            raise AttributeError(probe)

        def call(**kwargs):
            kwargs = wire.decode(wire.encode(kwargs))
            key = probe + json.dumps(wire.encode(kwargs), sort_keys=True)
            if key not in self._cache:
                self._cache[key] = wire.loads(wire.dumps(call_probe(self._module, probe, kwargs)))
            return raise_for(self._cache[key])

        return call
