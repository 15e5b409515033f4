"""Single-concept bugs of modules 04_layers, 05_losses and 06_training: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

TRAIN_ALL = "    for _, module in self.named_modules():\n        module.training = bool(mode)\n"
BATCHNORM_FACTOR = "        factor = self.momentum if self.momentum is not None else 1.0 / int(self.num_batches_tracked)\n"

LAYERS = [
    bug("module-eval-returns-none", "layers", "eval() switches every module but returns None", "layers",
        [("        return self.train(False)\n", "        self.train(False)\n")],
        hidden={"test_train_and_eval_reach_every_module"}, names=("train_and_eval",), message="train() and eval()",
        visible={"test_module_train"}),
    bug("module-train-own-flag-only", "layers", "train() sets only the module's own flag, not its children's",
        "layers", [(TRAIN_ALL, "    self.training = bool(mode)\n")],
        hidden={"test_train_and_eval_reach_every_module"}, names=("train_and_eval",), message="train() and eval()",
        visible={"test_module_train"}),
    bug("state-dict-live-arrays", "layers", "state_dict() returns the model's live arrays, not copies", "layers",
        [("return {name: np.array(array, copy=True) for name, array in self._state_arrays().items()}",
          "return dict(self._state_arrays())")],
        hidden={"test_state_dict_copies", "test_state_dict_round_trip"}, names=("state_dict",),
        message="state_dict() copies", visible={"test_module_state_dict", "test_module_load_state_dict"}),
    bug("he-init-without-the-2", "layers", "He initialisation with sqrt(1 / fan_in) (LeCun's scale)", "layers",
        [("        return math.sqrt(2.0 / fan_in)\n", "        return math.sqrt(1.0 / fan_in)\n")],
        hidden={"test_init_std_of_each_scheme", "test_linear_weight_statistics[he-256-128]"}, names=("init",),
        message="init_std", visible={"test_init_std", "test_linear_init"}),
    bug("linear-bias-as-a-constant", "layers", "Linear adds the bias's array, so bias.grad stays None", "layers",
        [("        out = out + self.bias\n", "        out = out + self.bias.data.data\n")],
        hidden={"test_linear_bias_gradient"}, names=("bias_gradient",), message="Linear bias gradient",
        visible={"test_linear_forward", "test_sequential"}),
    bug("softmax-without-max-shift", "layers", "Softmax without subtracting the maximum (exp overflows at 1000)",
        "layers", [("        shifted = x - x.data.data.max(axis=self.axis, keepdims=True)\n",
                    "        shifted = x\n")],
        hidden={"test_softmax_layer[-1]", "test_softmax_layer[1]"}, names=("softmax",), message="max shift",
        visible={"test_softmax"}),
    bug("dropout-not-scaled", "layers", "Dropout does not scale what it keeps by 1 / (1 - p)", "layers",
        [("return x * (keep.astype(x.dtype) / (1.0 - self.p))", "return x * keep.astype(x.dtype)")],
        hidden={"test_dropout_scales_what_it_keeps[0.2]", "test_dropout_scales_what_it_keeps[0.6]"},
        names=("dropout_scales",), message="inverted dropout scaling", visible={"test_dropout"}),
    bug("dropout-in-eval-mode", "layers", "Dropout drops in eval mode too", "layers",
        [("if not self.training or self.p == 0.0:", "if self.p == 0.0:")],
        hidden={"test_dropout_in_eval_mode"}, names=("dropout_in_eval",), message="Dropout in eval mode",
        visible={"test_dropout"}),
    bug("batchnorm-eval-uses-batch-statistics", "layers", "BatchNorm1d normalises with the batch's statistics in "
        "eval mode too", "layers",
        [("    if self.training:\n        n = x.shape[0]\n", "    if True:\n        n = x.shape[0]\n")],
        hidden={"test_batchnorm_eval"}, names=("batchnorm_eval",), message="BatchNorm1d in eval mode",
        visible={"test_batchnorm_forward"}),
    bug("batchnorm-momentum-swapped", "layers", "BatchNorm1d running averages with Keras's momentum convention "
        "(momentum * running + (1 - momentum) * batch)", "layers",
        [(BATCHNORM_FACTOR, BATCHNORM_FACTOR.replace("factor = self.momentum if", "factor = 1 - self.momentum if"))],
        hidden={"test_batchnorm_running_statistics[0.1-1e-05]", "test_batchnorm_running_statistics[0.3-0.01]"},
        names=("running_statistics",), message="torch's convention",
        visible={"test_batchnorm_running_stats", "test_batchnorm_forward"}),
]

LOSSES = [
    bug("mse-sum-as-mean", "losses", "MSELoss(reduction=\"sum\") returns the mean", "losses",
        [("        return self.reduce(difference * difference)\n",
          "        squared = difference * difference\n"
          "        return squared.mean() if self.reduction == \"sum\" else self.reduce(squared)\n")],
        hidden={"test_mse_loss[sum]"}, names=("mse",), message="MSELoss(reduction='sum')", visible={"test_mse"}),
    bug("log-softmax-without-max-shift", "losses", "log_softmax without subtracting the maximum (log-sum-exp)",
        "losses", [("    shifted = logits - logits.data.data.max(axis=axis, keepdims=True)\n", "    shifted = logits\n")],
        hidden={"test_log_softmax_extreme_logits", "test_cross_entropy_extreme_logits"}, names=("extreme_logits",),
        message="log-sum-exp", visible={"test_log_softmax", "test_cross_entropy"}),
    bug("softplus-naive", "losses", "softplus as log(1 + exp(x)), which overflows", "losses",
        [("    m = np.maximum(x.data.data, 0)\n    return ((x - m).exp() + np.exp(-m)).log() + m\n",
          "    return (x.exp() + 1.0).log()\n")],
        hidden={"test_softplus_extremes", "test_bce_with_logits_extreme_logits"}, names=("softplus", "extreme"),
        message="softplus overflow", visible={"test_softplus", "test_bce_with_logits"}),
    bug("bce-with-logits-through-sigmoid", "losses", "BCEWithLogitsLoss as the BCE of sigmoid(logits)", "losses",
        [("        return self.reduce(softplus(logits) - targets * logits)\n",
          "        return self.reduce(binary_cross_entropy(logits.sigmoid(), targets))\n")],
        hidden={"test_bce_with_logits_extreme_logits"}, names=("bce_with_logits",),
        message="stable BCE with logits", visible={"test_bce_with_logits"}),
]

TRAINING = [
]

BUGS = [*LAYERS, *LOSSES, *TRAINING]
