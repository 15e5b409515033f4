"""A grading worker process: one pytest session over the hidden suite, grading jobs as they arrive.

Started as `python -m tito.grading.worker CONFIG_JSON JOBS_FD RESULTS_FD`. Jobs arrive as JSON lines on
JOBS_FD; each result goes back as one JSON line on RESULTS_FD. The worker is trusted: it never imports a
submission; it talks to the submission's sandbox.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tito.course import Course
from tito.grading.job import GradingConfig, GradingJob
from tito.grading.runner import SuiteRunner
from tito.grading.sanitize import clean_result
from tito.grading.suite import HiddenSuite, use_reference_package
from tito.sandbox.client import Sandbox
from tito.sandbox.limits import Limits

READY = {"ready": True}


def serve(config: GradingConfig, jobs_in, results_out, slot: int) -> int:
    course = Course.load(Path(config.course_root))
    use_reference_package(course.paths.package_root)
    suite = HiddenSuite.for_module(course, course.module(config.module))
    sandbox = Sandbox(Limits(**config.limits), slot=slot)

    def jobs():
        results_out.write(json.dumps(READY) + "\n")
        results_out.flush()
        for line in jobs_in:
            yield GradingJob(**json.loads(line))

    def emit(result) -> None:
        results_out.write(json.dumps(clean_result(result).to_dict(), sort_keys=True) + "\n")
        results_out.flush()

    runner = SuiteRunner(suite, sandbox, jobs(), emit)
    arguments = [
        str(suite.folder), "-q", "-c", os.devnull, "--rootdir", str(suite.folder), "--capture=no",
        # per-test machinery a trusted suite does not need: each costs time on every test of every submission
        *("-p", "no:cacheprovider", "-p", "no:logging", "-p", "no:warnings", "-p", "no:faulthandler",
          "-p", "no:unraisableexception", "-p", "no:threadexception"),
    ]
    try:
        status = pytest.main(arguments, plugins=[runner])
    finally:
        sandbox.close()
    return 3 if runner.collection_failed else int(status) if status not in (0, 5) else 0


def main() -> None:
    config = GradingConfig.from_dict(json.loads(sys.argv[1]))
    jobs_in = os.fdopen(int(sys.argv[2]), "r", encoding="utf-8")
    results_out = os.fdopen(int(sys.argv[3]), "w", encoding="utf-8")
    slot = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    sys.exit(serve(config, jobs_in, results_out, slot))


if __name__ == "__main__":
    main()
