"""What happens to a function of the submission once it has run out of time.

A function that timed out is put on a short leash: later calls run as usual but get LEASH_SECONDS, so a call
whose input does not make it loop passes, and one that loops again fails after a second, not a whole time
limit. So code that never ends costs one time limit per function and a second per later call, and a loop
that only some inputs reach (`if self.dampening: while True: ...`) fails only the checks that reach it,
whatever order they run in. A function whose leash cannot stop it (it ignores SIGALRM) and that runs out of
a whole time limit again is stopped: from then on it raises at once when called.

Used inside the sandbox child (runtime.py: the grader sends the functions to leash or stop with each call)
and in the pytest process of `tito module complete` (tito.pytest_time_limit). Standard library only: the
sandbox's zygote imports it.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
import time
import types

LEASH_SECONDS = 1.0
AGAIN_SECONDS = 0.1   # if the code swallows the leash's exception, it is raised again this often
_STOP_NAME, _LEASH_NAME = "__tito_stopped__", "__tito_leashed__"


class StoppedAfterTimeout(BaseException):
    """Raised on entry to a stopped function. A BaseException, so that the submission's own `except Exception`
    does not hide it."""


class LeashExpired(BaseException):
    """Raised inside a leashed function that ran past its leash."""


class CallTimedOut(BaseException):
    """Raised in a test that ran out of time, inside the function it was stuck in (tito.pytest_time_limit)."""


class _Leash:
    def __init__(self, function: types.FunctionType, original: types.FunctionType, seconds: float,
                 message: str, stop_message: str):
        self.function, self.original, self.seconds = function, original, seconds
        self.message, self.stop_message = message, stop_message


_leashes: list[_Leash] = []
_armed = [False]                   # a leash's timer runs (leashed calls inside it run under the outer one)
_applied: dict[str, tuple[types.FunctionType, str]] = {}   # entry key -> (function, mode)


def apply(entries: list[dict]) -> None:
    """Leash or stop the functions named by `entries`, each {"key", "file": "core/optimizers.py", "line": N,
    "mode": "leash" | "stop", "seconds", "message", "stop_message"}: the function whose code holds line N of
    that package file. Done once per key and mode; the function is found again by its key once its code is
    replaced. A function that cannot be found (made at run time, inside another function) is left alone."""
    for entry in entries:
        try:
            key, mode = str(entry["key"]), str(entry["mode"])
            known = _applied.get(key)
            if known is not None and (known[1] == mode or known[1] == "stop"):
                continue
            function = known[0] if known is not None else _find(entry["file"], int(entry["line"]))
            if function is None:
                continue
            if mode == "stop":
                stop(function, str(entry["stop_message"]))
            else:
                leash(function, float(entry["seconds"]), str(entry["message"]), str(entry["stop_message"]))
            _applied[key] = (function, mode)
        except Exception:  # noqa: BLE001 - the submission's objects may be anything; it then runs as it is
            continue


def _find(file: str, line: int) -> types.FunctionType | None:
    module = sys.modules.get("tinytorch." + file[:-len(".py")].replace("/", "."))
    return _function_at(module, line) if module is not None else None


def _function_at(module: types.ModuleType, line: int) -> types.FunctionType | None:
    """The innermost function or method defined in `module`'s file whose code holds `line`."""
    filename = getattr(module, "__file__", None)
    best, best_span = None, None
    for function in _functions(module, module.__name__, filename):
        lines = _code_lines(function.__code__)
        if line in lines:
            span = max(lines) - min(lines)
            if best_span is None or span < best_span:
                best, best_span = function, span
    return best


def _functions(owner, module_name: str, filename, depth: int = 0):
    """Functions of `owner` (a module or a class of it) defined in `filename`: module functions, methods,
    static and class methods, property accessors, and those of classes defined in the module."""
    if depth > 8:
        return
    for value in list(vars(owner).values()):
        if type(value) in (staticmethod, classmethod):
            value = value.__func__
        candidates = [value.fget, value.fset, value.fdel] if type(value) is property else [value]
        for candidate in candidates:
            if type(candidate) is types.FunctionType and candidate.__code__.co_filename == filename:
                yield candidate
        if isinstance(value, type) and value.__module__ == module_name and value is not owner:
            yield from _functions(value, module_name, filename, depth + 1)


def _code_lines(code: types.CodeType) -> set[int]:
    lines = {line for _, _, line in code.co_lines() if line is not None}
    for constant in code.co_consts:
        if type(constant) is types.CodeType:
            lines |= _code_lines(constant)
    return lines


def functions_of(code: types.CodeType) -> list[types.FunctionType]:
    """The functions whose code is `code` (a frame knows its code, not its function); for a leashed function,
    the function itself, not the copy of it that its leash calls."""
    found = [item for item in gc.get_referrers(code) if type(item) is types.FunctionType and item.__code__ is code]
    originals = {id(record.original): record.function for record in _leashes}
    return [originals.get(id(function), function) for function in found]


def is_leashed(function: types.FunctionType) -> bool:
    return any(record.function is function for record in _leashes)


def stop(function: types.FunctionType, message: str) -> None:
    """From now on `function` raises StoppedAfterTimeout(message) as soon as it is called, wherever it is
    called from (its code is replaced: a bound method, an imported name, a class attribute all stop)."""
    function.__globals__[_STOP_NAME] = _raise_stopped
    _replace_code(function, f"{_STOP_NAME}({message!r})")


def leash(function: types.FunctionType, seconds: float, message: str, stop_message: str) -> None:
    """From now on each call of `function` may run `seconds`: past that it raises LeashExpired(message) where
    it is. (`stop_message` is kept for the day it is stopped.)"""
    original = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  function.__defaults__, function.__closure__)
    original.__kwdefaults__ = function.__kwdefaults__
    original.__qualname__ = function.__qualname__
    _leashes.append(_Leash(function, original, seconds, message, stop_message))
    function.__globals__[_LEASH_NAME] = _call_leashed
    _replace_code(function, f"{_LEASH_NAME}({len(_leashes) - 1}, args, kwargs)")


def _raise_stopped(message: str):
    raise StoppedAfterTimeout(message)


def _call_leashed(index: int, args: tuple, kwargs: dict):
    record = _leashes[index]
    if _armed[0] or threading.current_thread() is not threading.main_thread():
        return record.original(*args, **kwargs)   # an outer leash is timing this call (or no timer here)
    def alarm(signum, frame):
        raise LeashExpired(record.message)

    started = time.monotonic()
    handler = signal.signal(signal.SIGALRM, alarm)
    delay, interval = signal.setitimer(signal.ITIMER_REAL, record.seconds, AGAIN_SECONDS)
    _armed[0] = True
    try:
        return record.original(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _armed[0] = False
        signal.signal(signal.SIGALRM, handler if handler is not None else signal.SIG_DFL)
        if delay > 0:  # a timer that was running (the per-test limit of tito module complete) goes on
            signal.setitimer(signal.ITIMER_REAL, max(delay - (time.monotonic() - started), 0.001), interval)


def _replace_code(function: types.FunctionType, expression: str) -> None:
    """Replace `function`'s code with `return <expression>` (same free variables, so the function keeps its
    closure; `args` and `kwargs` are its arguments)."""
    free = function.__code__.co_freevars
    source = "def _outer():\n" + "".join(f"    {name} = None\n" for name in free)
    source += f"    def replaced(*args, **kwargs):\n        return {expression}\n"
    if free:  # after the return: never read, but it makes them the free variables of `replaced`
        source += f"        ({', '.join(free)},)\n"
    source += "    return replaced\n"
    namespace: dict = {}
    exec(compile(source, "<stopped>", "exec"), namespace)  # noqa: S102 - text made here, from trusted parts
    code = namespace["_outer"]().__code__
    if code.co_freevars != free:
        return
    function.__code__ = code.replace(co_name=function.__code__.co_name, co_qualname=function.__code__.co_qualname)
