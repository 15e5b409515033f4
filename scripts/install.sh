#!/usr/bin/env bash
# Create .venv (if missing) and install the project with its test dependencies into it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned in the `test` extra to the CPU build that ships on disk (torch==2.13.0)
.venv/bin/python -m pip install --quiet -e '.[test]'
