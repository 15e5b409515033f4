"""Single-concept bugs of module 10: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug  # noqa: F401  (used as the entries are written)

BUGS = [
]
