"""Newline-terminated messages from a pipe or socket, read with a deadline and a size cap."""

from __future__ import annotations

import os
import select
import time

# A sandbox's answer to one probe call. The largest the reference solutions send, across every module's hidden
# suite, is 1.2 MB (04_layers, a 20x200 float64 batch); 8 MiB leaves room for seven times that. Reading and
# decoding a hostile message of this size raises a worker's peak memory by at most ~150 MiB (8 MiB of two-letter
# strings: 148 MiB; of floats: 117 MiB; a refused one: 25 MiB), see tito/grading/wire.py loads().
MAX_MESSAGE = 8 * 1024 * 1024
# A trusted worker's result line: every text in it is capped (tito/grading/sanitize.py), so this is only a guard.
MAX_RESULT_LINE = 64 * 1024 * 1024
CHUNK = 1 << 20


class MessageTooLarge(ValueError):
    pass


class LineReader:
    """Reads lines from a file descriptor without ever blocking past a deadline, or holding more than
    `max_bytes` (plus one chunk read) of a line that has not ended."""

    def __init__(self, fd: int, max_bytes: int = MAX_MESSAGE):
        self._fd = fd
        self._max = max_bytes
        self._buffer = bytearray()

    def readline(self, timeout: float) -> bytes | None:
        """The next line without its newline; None at end of stream; TimeoutError after `timeout` seconds;
        MessageTooLarge as soon as the line is longer than the cap."""
        deadline = time.monotonic() + timeout
        searched = 0
        while (end := self._buffer.find(b"\n", searched)) < 0:
            if len(self._buffer) > self._max:
                raise MessageTooLarge(f"a message over {self._max} bytes")
            searched = len(self._buffer)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self._fd, CHUNK)
            if not chunk:
                return None
            self._buffer += chunk
        if end > self._max:
            raise MessageTooLarge(f"a message over {self._max} bytes")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line
