"""Single-concept bugs of modules 04_layers, 05_losses and 06_training: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

BUGS = [
]
