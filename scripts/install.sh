#!/usr/bin/env bash
# Create .venv (if missing) and install the project with its test dependencies into it, and Debian's chromium
# for the browser test (tests/course/test_browser_notebook.py), which drives it with Python playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned in the `test` extra to the CPU build that ships on disk (torch==2.13.0); playwright is there too.
# Never `playwright install`: it downloads browsers of its own; the test uses /usr/bin/chromium.
.venv/bin/python -m pip install --quiet -e '.[test]'

if [ -x /usr/bin/chromium ]; then
    :
elif [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "installing Debian's chromium for the browser test"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; }; then
        echo "warning: apt-get could not install chromium; the browser test will be skipped" >&2
    fi
else
    echo "note: /usr/bin/chromium is missing and this is not root with apt-get; the browser test will be skipped" \
         "(as root: apt-get update && apt-get install -y chromium)" >&2
fi
