"""Stopping a function of the submission that ran out of time: from then on it raises as soon as it is called.

Used inside the sandbox child (runtime.py: the grader names the functions to stop in each child's setup) and
in the pytest process of `tito module complete` (the tito pytest plugin's per-test time limit). Standard
library only: the sandbox's zygote imports it.
"""

from __future__ import annotations

import gc
import sys
import types


class StoppedAfterTimeout(BaseException):
    """Raised on entry to a function of the submission that ran out of time in an earlier call.

    A BaseException, so that the submission's own `except Exception` does not hide it."""


_STOP_NAME = "__tito_stopped__"


def stop_functions(entries: list[dict]) -> None:
    """Make each function of the submission named by an entry ({"file": "core/optimizers.py", "line": N,
    "message": ...}: the function whose code holds line N of that package file) raise StoppedAfterTimeout with
    the message as soon as it is called, wherever it is called from (its code is replaced, so every reference
    to it, a bound method, an imported name, a class attribute, stops).

    A function that cannot be found (made at run time, inside another function) is left alone: it runs, and
    times out again."""
    for entry in entries:
        try:
            module = sys.modules.get("tinytorch." + entry["file"][:-len(".py")].replace("/", "."))
            function = _function_at(module, int(entry["line"])) if module is not None else None
            if function is not None:
                stop(function, str(entry["message"]))
        except Exception:  # noqa: BLE001 - the submission's objects may be anything; it then runs as it is
            continue


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


def stop(function: types.FunctionType, message: str) -> None:
    """Replace `function`'s code with code that raises StoppedAfterTimeout(message) (same free variables, so
    the function keeps its closure)."""
    free = function.__code__.co_freevars
    source = "def _outer():\n" + "".join(f"    {name} = None\n" for name in free)
    source += f"    def stopped(*args, **kwargs):\n        raise {_STOP_NAME}({message!r})\n"
    if free:  # after the raise: never read, but it makes them the free variables of `stopped`
        source += f"        ({', '.join(free)},)\n"
    source += "    return stopped\n"
    namespace: dict = {}
    exec(compile(source, "<stopped>", "exec"), namespace)  # noqa: S102 - text made here, from trusted parts
    code = namespace["_outer"]().__code__
    if code.co_freevars != free:
        return
    function.__globals__[_STOP_NAME] = StoppedAfterTimeout
    function.__code__ = code.replace(co_name=function.__code__.co_name, co_qualname=function.__code__.co_qualname)


class CallTimedOut(BaseException):
    """Raised in a test that ran out of time, inside the function it was stuck in (a BaseException: the
    function's own `except Exception` does not hide it)."""


def functions_of(code: types.CodeType) -> list[types.FunctionType]:
    """The functions whose code is `code` (a frame knows its code, not its function)."""
    return [item for item in gc.get_referrers(code) if type(item) is types.FunctionType and item.__code__ is code]
