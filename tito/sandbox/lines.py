"""Newline-terminated messages from a pipe or socket, read with a deadline and a size cap."""

from __future__ import annotations

import os
import select
import time

MAX_MESSAGE = 64 * 1024 * 1024


class MessageTooLarge(ValueError):
    pass


class LineReader:
    """Reads lines from a file descriptor without ever blocking past a deadline."""

    def __init__(self, fd: int, max_bytes: int = MAX_MESSAGE):
        self._fd = fd
        self._max = max_bytes
        self._buffer = bytearray()

    def readline(self, timeout: float) -> bytes | None:
        """The next line without its newline; None at end of stream; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                return None
            self._buffer += chunk
            if len(self._buffer) > self._max:
                raise MessageTooLarge(f"a message over {self._max} bytes")
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return line
