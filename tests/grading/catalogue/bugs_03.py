"""Single-concept bugs of module 03_optimizers: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

STEP_LR_TEST = "        if self.last_epoch % self.step_size == 0:\n"

BUGS = [
    bug("step-lr-off-by-one", "optimizers", "StepLR decays one epoch late", "optimizers",
        [(STEP_LR_TEST, STEP_LR_TEST.replace("self.last_epoch %", "(self.last_epoch + 1) %"))],
        hidden={"test_step_lr", "test_schedulers_report_their_rate", "test_scheduler_state_dict_round_trip"},
        names=("step_lr", "scheduler"), message="StepLR"),
]
