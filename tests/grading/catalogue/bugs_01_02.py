"""Single-concept bugs of modules 01_tensor and 02_autograd: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

BUGS = [
]
