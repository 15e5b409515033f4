#!/usr/bin/env bash
# One command for a fresh machine: install, build the course, run the first module's tests,
# and grade the small example class in examples/class/ with the optimizers module's hidden suite.
set -euo pipefail
cd "$(dirname "$0")"
echo "==> installing into .venv"
bash scripts/install.sh
echo "==> exporting the reference package (tinytorch/) and building source/ and release/"
.venv/bin/tito export --all
.venv/bin/tito release --all
.venv/bin/tito module status
first=$(.venv/bin/python -c "from tito.course import Course; print(Course.load().modules[0].name)")
echo "==> running the tests of the first module ($first)"
.venv/bin/tito test "$first" -q
echo "==> grading the example class (examples/class) into grades/optimizers/"
.venv/bin/tito grade optimizers examples/class --roster examples/roster.csv --out grades/optimizers
echo "==> done. In a new shell, activate the environment first: source .venv/bin/activate"
echo "    (or type .venv/bin/tito), then e.g.: tito module start optimizers"
