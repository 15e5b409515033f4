"""Exceptions that tito turns into a clear message and a non-zero exit."""

from __future__ import annotations

from pathlib import Path


class TitoError(Exception):
    """A problem the user can fix; the CLI prints the message without a traceback."""


class SourceError(TitoError):
    """A malformed module source, located by file and line."""

    def __init__(self, path: Path | str, line: int, message: str):
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


class SourceErrors(TitoError):
    """Every problem found in one module source, reported together."""

    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))
