"""tito: build, test and grade the TinyTorch course from its module sources."""

import sys

__version__ = "0.1.0"

# jsonschema (imported by nbformat) loads `rfc3987_syntax` eagerly when it is installed, and that compiles a
# grammar: about 0.9 s in every process that reads a notebook, each grading worker included. Notebooks never
# use the IRI formats it checks, so tito's processes go without it (jsonschema then skips those two formats).
sys.modules.setdefault("rfc3987_syntax", None)
