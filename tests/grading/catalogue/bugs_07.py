"""Single-concept bugs of module 07: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

M = "optimizer_paths"
CORRECTED = "        averages[t - 1] = average / (1 - beta**t) if bias_correction else average\n"
NEW_VELOCITY = '        velocity = momentum * state["momentum_buffer"] + grad\n'
NESTEROV = "    direction = grad + momentum * velocity if nesterov else velocity\n"
ADAM_DENOM = "    denom = np.sqrt(exp_avg_sq) / (1 - beta2**t) ** 0.5 + epsilon\n"
RMSPROP_STEP = ("    return point - learning_rate * (grad / (np.sqrt(square_avg) + epsilon)), "
                '{"square_avg": square_avg}\n')
MU_PRODUCT = '    mu_product = state.get("mu_product", 1.0) * mu\n'
RUN_PATH_STEP = "        point, state = step_fn(point, grad_fn(point), state, **settings)\n        path.append(point)\n"
SMOOTHED = "        final = moving_average(losses, beta)[-1]\n"

BUGS = [
    bug("ewma-without-bias-correction", M, "moving_average ignores bias_correction (never divides by 1 - beta**t)", M,
        [(CORRECTED, "        averages[t - 1] = average\n")],
        hidden={"test_ewma_bias_correction"}, names=("bias_correction",), message="bias correction",
        visible={"test_moving_average"}),
    bug("ewma-correction-one-step-late", M, "moving_average corrects the t-th average with 1 - beta**(t - 1)", M,
        [(CORRECTED, CORRECTED.replace("beta**t", "beta**(t - 1)"))],
        hidden={"test_ewma_bias_correction"}, names=("bias_correction",),
        message="bias correction: moving_average(series of 60, beta=0.5)", visible={"test_moving_average"}),
    bug("nesterov-look-ahead-backwards", M, "momentum_step's Nesterov direction is velocity + momentum * grad", M,
        [(NESTEROV, NESTEROV.replace("grad + momentum * velocity", "velocity + momentum * grad"))],
        hidden={"test_nesterov_path"}, names=("nesterov",), message="Nesterov", visible={"test_momentum_step"}),
    bug("momentum-velocity-updated-in-place", M,
        "momentum_step updates the velocity of the state it was given in place (not pure)", M,
        [(NEW_VELOCITY, '        velocity = state["momentum_buffer"]\n        velocity *= momentum\n'
                        "        velocity += grad\n")],
        hidden={"test_momentum_step_is_pure"}, names=("pure",), message="a pure momentum_step",
        visible={"test_momentum_step"}),
    bug("rmsprop-step-epsilon-inside-the-root", M, "rmsprop_step divides by sqrt(square_avg + epsilon)", M,
        [(RMSPROP_STEP, RMSPROP_STEP.replace("np.sqrt(square_avg) + epsilon", "np.sqrt(square_avg + epsilon)"))],
        hidden={"test_rmsprop_path", "test_rmsprop_step_is_pure"}, names=("rmsprop",),
        message="the RMSprop step", visible={"test_rmsprop_step"}),
    bug("adam-without-the-square-root", M, "adam_step divides by exp_avg_sq instead of its square root", M,
        [(ADAM_DENOM, ADAM_DENOM.replace("np.sqrt(exp_avg_sq)", "exp_avg_sq"))],
        hidden={"test_adam_path", "test_adam_step_is_pure"}, names=("adam",), message="the Adam step",
        visible={"test_adam_step"}),
    bug("nadam-mu-product-forgotten", M, "nadam_step keeps only the current mu_t as its mu_product", M,
        [(MU_PRODUCT, "    mu_product = mu\n")],
        hidden={"test_nadam_path", "test_nadam_mu_product", "test_nadam_step_is_pure"}, names=("nadam",),
        message="the Nadam step", visible={"test_nadam_step"}),
    bug("run-path-forgets-the-state", M, "run_path gives the rule an empty state at every step", M,
        [(RUN_PATH_STEP, "        point, _ = step_fn(point, grad_fn(point), {}, **settings)\n"
                         "        path.append(point)\n")],
        hidden={"test_run_path_follows_the_rule", "test_run_path_passes_the_state_and_settings"},
        names=("run_path",), message="run_path", visible={"test_run_path"}),
    bug("best-rate-from-the-last-raw-loss", M, "best_learning_rate compares the last raw losses, not smoothed ones", M,
        [(SMOOTHED, "        final = losses[-1]\n")],
        hidden={"test_best_rate_compares_smoothed_losses"}, names=("smoothed",), message="the smoothed losses",
        visible={"test_best_learning_rate"}),
]
