"""Single-concept bugs of module 08_lr_schedules: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

M, F = "lr_schedules", "schedulers"
COOLDOWN = ("        if self.cooldown_counter > 0:\n            self.cooldown_counter -= 1\n"
            "            self.num_bad_epochs = 0\n")
RESTORE = "        model.load_state_dict(saved_model)\n        optimizer.load_state_dict(saved_optimizer)\n"

BUGS = [
    bug("multistep-ignores-repeated-milestones", M, "MultiStepLR multiplies by gamma once at a milestone listed twice",
        F, [("return self.optimizer.learning_rate * self.gamma ** self.milestones[self.last_epoch]",
             "return self.optimizer.learning_rate * self.gamma")],
        hidden={"test_multistep_lr_decays_at_each_milestone"}, names=("multistep",), message="MultiStepLR",
        visible={"test_multistep_lr"}),
    bug("linear-lr-off-by-one", M, "LinearLR's recursion uses last_epoch where PyTorch has last_epoch - 1", F,
        [("(epoch - 1) * change", "epoch * change")],
        hidden={"test_linear_lr_schedule"}, names=("linear_lr",), message="LinearLR",
        visible={"test_linear_lr", "test_warmup_cosine_restarts"}),
    bug("warm-restarts-never-grow", M, "CosineAnnealingWarmRestarts never multiplies T_i by T_mult (cycles do not "
        "grow)", F, [("            self.T_i = self.T_i * self.T_mult\n", "")],
        hidden={"test_cosine_warm_restarts_growing_cycles"}, names=("growing_cycles",),
        message="CosineAnnealingWarmRestarts growing cycles",
        visible={"test_cosine_warm_restarts", "test_warmup_cosine_restarts"}),
    bug("one-cycle-refuses-its-last-step", M, "OneCycleLR raises at step total_steps (>= instead of >)", F,
        [("        if step > self.total_steps:\n", "        if step >= self.total_steps:\n")],
        hidden={"test_one_cycle_lr_runs_to_total_steps"}, names=("one_cycle",),
        message="OneCycleLR to the end of the run",
        visible={"test_one_cycle_lr", "test_finder_and_schedule_on_digits"}),
    bug("plateau-ignores-cooldown", M, "ReduceLROnPlateau ignores cooldown (bad epochs count right after a cut)", F,
        [(COOLDOWN, "")],
        hidden={"test_plateau_cooldown"}, names=("cooldown",), message="ReduceLROnPlateau cooldown",
        visible={"test_reduce_lr_on_plateau"}),
    bug("plateau-max-rel-threshold-below-best", M,
        "ReduceLROnPlateau in mode 'max' with a relative threshold accepts values above best * (1 - threshold)", F,
        [("return value > best * (self.threshold + 1.0)", "return value > best * (1.0 - self.threshold)")],
        hidden={"test_plateau_threshold_modes[max-rel]"}, names=("threshold",),
        message="ReduceLROnPlateau threshold (mode='max', threshold_mode='rel'"),
    bug("warmup-cosine-peaks-never-decay", M, "WarmupCosineRestarts restarts every cycle at max_lr (decay_per_cycle "
        "ignored)", F, [("peak = self.max_lr * self.decay_per_cycle**cycle", "peak = self.max_lr")],
        hidden={"test_warmup_cosine_restarts_cycles"}, names=("warmup_cosine_restarts",),
        message="WarmupCosineRestarts cycles", visible={"test_warmup_cosine_restarts"}),
    bug("steepest-descent-after-the-minimum", M,
        "suggest_learning_rates looks for the steepest fall over the whole sweep, past the minimum too", F,
        [("np.argmin(slopes[:lowest + 1])", "np.argmin(slopes)")],
        hidden={"test_suggested_steepest_descent"}, names=("steepest",), message="steepest descent",
        visible={"test_suggest_learning_rates"}),
    bug("finder-without-bias-correction", M, "the LR finder smooths the losses without bias correction", F,
        [("MovingAverage(smoothing, bias_correction=True)\n", "MovingAverage(smoothing, bias_correction=False)\n")],
        hidden={"test_finder_smooths_with_bias_correction"}, names=("bias_correction",),
        message="LR finder smoothing with bias correction",
        visible={"test_find_learning_rate", "test_find_learning_rate_restores", "test_finder_and_schedule_on_digits"}),
    bug("finder-does-not-restore", M, "the LR finder leaves the model and optimizer as the sweep left them", F,
        [(RESTORE, "        pass\n")],
        hidden={"test_finder_restores_the_model_and_optimizer"}, names=("restores",),
        message="LR finder restoring the model and the optimizer",
        visible={"test_find_learning_rate_restores", "test_finder_and_schedule_on_digits"}),
]
