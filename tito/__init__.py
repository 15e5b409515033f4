"""tito: build, test and grade the TinyTorch course from its module sources."""

__version__ = "0.1.0"
