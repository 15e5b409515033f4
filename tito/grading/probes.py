"""Probes: small functions of a hidden suite that exercise a package and return plain data.

The same probe runs twice: inside the sandbox against the student's package (`student` fixture) and in the
grader against the reference package (`reference` fixture). Both results cross the same JSON boundary, so
tests compare like with like.
"""

from __future__ import annotations

import importlib.util
import json
import linecache
import sys
import traceback
from pathlib import Path
from types import ModuleType

from tito.grading import wire

PROBES_FILE = "probes.py"


# Text the submission controls, cut where a message quotes it, so that no message grows with the submission
# (a 15 MB source line, a 5 MB exception message): the worker keeps one message per hidden test.
EXCEPTION_LIMIT = 2_000  # an exception's message
LINE_LIMIT = 200         # a source line, a function, file or type name
WHERE_LIMIT = 800        # the frames of the submission's own code under a message
ERROR_LIMIT = 3_200      # a whole SubmissionError: the most a failed test says about the submission


def excerpt(text: str, limit: int) -> str:
    """`text`, or its start with how much was cut: at most `limit` characters either way."""
    if len(text) <= limit:
        return text
    kept = max(limit - 40, 0)   # room for the note, whatever the number in it
    return f"{text[:kept]} [... {len(text) - kept} characters cut]"


class SubmissionError(Exception):
    """Something the submission did instead of returning a result; the test that asked fails with this message,
    cut to ERROR_LIMIT characters whatever made it."""

    def __init__(self, message: str = ""):
        super().__init__(excerpt(str(message), ERROR_LIMIT))


class SubmissionRaised(SubmissionError):
    """The student's code raised an exception."""

    def __init__(self, exception_type: str, message: str, where: str = ""):
        self.exception_type = excerpt(exception_type, LINE_LIMIT)
        self.message = excerpt(message, EXCEPTION_LIMIT)
        self.where = excerpt(where, WHERE_LIMIT)
        text = f"your code raised {self.exception_type}: {self.message}"
        super().__init__(text + (f"\n{self.where}" if self.where else ""))


class SubmissionTimedOut(SubmissionError):
    pass


class SubmissionCrashed(SubmissionError):
    pass


class LeashRanOut(SubmissionTimedOut):
    """A function that had run out of time before ran past the shorter time it gets since
    (tito.sandbox.stopping); the sandbox's session words the message."""

    def __init__(self, message: str, where: str = ""):
        self.message = excerpt(message, EXCEPTION_LIMIT)
        self.where = excerpt(where, WHERE_LIMIT)
        super().__init__(self.message + (f"\n{self.where}" if self.where else ""))


def load_probes_module(path: Path, name: str) -> ModuleType:
    """Import a suite's probes.py under a private name (trusted side only)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


STOPPED = "StoppedAfterTimeout"  # what a function stopped after time-outs raises (tito.sandbox.stopping)
LEASHED = "LeashExpired"         # what a function on a leash raises when it runs past it
EACH = "each"  # the batch call every suite has: student.each(probe="name", cases=[{...}, ...])
RAISED = "your code raised"  # in a batch, a case whose probe raised an Exception is {RAISED: what, where}


def call_probe(module: ModuleType, probe: str, kwargs: dict):
    """Run one probe (or a batch of one probe's cases) and return its encoded result, or an encoded
    description of what it raised.

    This runs inside the sandbox, so it catches everything, BaseException included.
    """
    name = kwargs.get("probe") if probe == EACH else probe
    function = getattr(module, name, None) if isinstance(name, str) else None
    if not callable(function) or name.startswith("_") or name == EACH:
        return {"ok": False, "error": {"type": "ProbeMissing", "message": f"no probe named {name!r}", "where": ""}}
    try:
        value = _each(function, kwargs["cases"]) if probe == EACH else function(**kwargs)
        return {"ok": True, "value": wire.encode(value)}
    except BaseException as error:  # noqa: BLE001 - the submission may raise anything
        return {"ok": False, "error": describe_exception(error)}


def _each(function, cases: list[dict]) -> list:
    """`function(**case)` for every case, in one round trip; an Exception stays with its case so that the
    other cases still run (a BaseException, such as SystemExit, ends the whole batch)."""
    results = []
    for case in cases:
        try:
            results.append(function(**case))
        except Exception as error:  # noqa: BLE001 - whatever the submission raises is that case's result
            described = describe_exception(error)
            text = f"{described['type']}: {excerpt(described['message'], 500)}"
            results.append({RAISED: text + (f"\n{described['where']}" if described["where"] else "")})
    return results


def describe_exception(error: BaseException) -> dict:
    """Type, message and the submission's own frames (package files only, never the probe's), each cut to its
    limit here, inside the sandbox: a frame's source line or a syntax error's text may be megabytes long."""
    frames = [
        (frame, line) for frame, line in traceback.walk_tb(error.__traceback__)
        if "/tinytorch/" in str(frame.f_code.co_filename).replace("\\", "/")
    ]
    where = [
        f"  in {excerpt(frame.f_code.co_qualname, LINE_LIMIT)} ({_package_path(frame.f_code.co_filename)}, "
        f"line {line}): {excerpt(_source_line(frame.f_code.co_filename, line), LINE_LIMIT)}"
        for frame, line in frames[-3:]
    ]
    syntax = isinstance(error, SyntaxError) and "/tinytorch/" in str(error.filename).replace("\\", "/")
    if syntax:
        where.append(f"  at {_package_path(error.filename)}, line {error.lineno}: "
                     f"{excerpt(str(error.text or '').strip(), LINE_LIMIT)}")
    try:
        # a SyntaxError's str() ends with the generated file's name and line, which `where` says better
        message = excerpt(str(error.msg) if syntax else str(error), EXCEPTION_LIMIT)
    except BaseException:  # noqa: BLE001 - a rigged __str__
        message = "<the exception's message could not be read>"
    return {"type": excerpt(type(error).__name__, LINE_LIMIT), "message": message,
            "where": excerpt("\n".join(where), WHERE_LIMIT)}


def _source_line(filename: str, line: int | None) -> str:
    """A line of a package file, stripped, as a traceback shows it ("" when it cannot be read)."""
    try:
        return linecache.getline(filename, line or 0).strip()
    except Exception:  # noqa: BLE001 - a file the submission removed or changed
        return ""


def _package_path(filename: str) -> str:
    """A file of the submission's package, as the student knows it (`core/optimizers.py`)."""
    return excerpt(str(filename).replace("\\", "/").rsplit("/tinytorch/", 1)[-1], LINE_LIMIT)


def raise_for(response: dict):
    """Turn a probe response into its value, or raise the SubmissionError it describes."""
    if response.get("ok") is True:
        return wire.decode(response["value"])
    error = response.get("error") or {}
    if error.get("type") == "ProbeMissing":
        raise RuntimeError(error.get("message"))  # a bug in the suite, not the student's
    if error.get("type") == STOPPED:  # a function that ran out of time before (the sandbox stops it)
        raise SubmissionTimedOut(str(error.get("message")))
    if error.get("type") == LEASHED:
        raise LeashRanOut(str(error.get("message")), str(error.get("where", "")))
    raise SubmissionRaised(str(error.get("type")), str(error.get("message")), str(error.get("where", "")))


def ask(probe, what: str, /, **arguments):
    """probe(**arguments) for a hidden test, with the case named in the failure if the submission raises."""
    try:
        return probe(**arguments)
    except SubmissionRaised as error:
        raise AssertionError(f"{what}: {error}") from None


def ask_each(student, reference, probe: str, cases: list[tuple[str, dict]]) -> list[tuple[str, object, object]]:
    """[(what, got, expected)] for cases [(what, arguments)], with one batch call on each side; the first case
    in which the submission raised fails the test, named."""
    arguments = [case for _, case in cases]
    got = ask(student.each, f"{probe} on {len(cases)} cases", probe=probe, cases=arguments)
    expected = reference.each(probe=probe, cases=arguments)
    results = []
    for (what, _), got_case, expected_case in zip(cases, got, expected):
        if isinstance(got_case, dict) and RAISED in got_case:
            raise AssertionError(f"{what}: {RAISED} {excerpt(str(got_case[RAISED]), ERROR_LIMIT)}")
        results.append((what, got_case, expected_case))
    return results


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
