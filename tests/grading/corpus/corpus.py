"""A class of generated optimizers submissions, each written next to the verdicts it must get.

    entries = build_corpus(course, folder)    # writes folder/<student>.ipynb, returns what each must score

Every submission starts from the release notebook answered with the reference solutions and edits solution
cells (see notebooks.Draft: each edit must find its text exactly once). The kinds:

- `reference`: the reference itself, and the reference written differently (loops, other names, textbook
  formulas, state rebuilt out of place): all of them earn every point;
- `bug`: one typical mistake each, failing exactly the hidden tests that should catch it;
- `blank` and `partial`: the untouched release notebook, and notebooks with a few answers;
- `attack`: the reference with one hostile piece of code at import time or inside one method (attacks.py);
  tests that do not reach that code still pass;
- `malformed`: files that are not usable notebooks, and notebooks whose locked cells were tampered with.

`forgeries()` holds, apart, submissions that forge what the probes report from inside the sandbox: since the
probes return observations (numbers compared with the reference's) rather than verdicts, forging earns nothing
(see test_corpus.py).

Students are named `NN-slug` so that the grading queue follows this file's order: clean submissions come
right after the attacks most likely to disturb whatever is graded next.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tito import cells as C
from tito.course import Course
from tito.grading.result import ERROR, GRADED, TAMPERED

from . import attacks as A
from .notebooks import CorpusError, Draft, module_notebooks

MODULE = "optimizers"


class AllBut(frozenset):
    """Every hidden test except these."""


ALL = AllBut()


@dataclass(frozen=True)
class Entry:
    slug: str
    kind: str                           # reference | bug | blank | partial | attack | malformed | forgery
    what: str                           # what this submission is or does, in one line
    content: bytes
    fails: frozenset = frozenset()      # the hidden tests it must fail (ALL, or AllBut({...}) for "all except")
    status: str = GRADED
    notes: tuple[str, ...] = ()         # substrings of its notes or problem
    messages: tuple[tuple[str, str], ...] = ()  # (test, substring of that test's message)
    output: tuple[str, ...] = ()        # substrings of what it printed
    student: str = ""
    path: Path | None = None

    def expected_failures(self, test_names: Iterable[str]) -> set[str]:
        names = list(test_names)
        unknown = set(self.fails) - set(names)
        if unknown:
            raise CorpusError(f"{self.slug}: expects tests that the suite does not have: {sorted(unknown)}")
        return set(names) - self.fails if isinstance(self.fails, AllBut) else set(self.fails)


def build_corpus(course: Course, folder: Path, out_dir: Path | None = None) -> list[Entry]:
    """Write every submission as `folder/<student>.ipynb` and return the entries with `student` and `path` set.

    `out_dir` (default `folder.parent / "out"`) is where the grading run writes: attacks try to write there.
    """
    folder.mkdir(parents=True, exist_ok=True)
    targets = [str(folder.resolve()), str((out_dir or folder.parent / "out").resolve())]
    written = []
    for number, entry in enumerate(catalog(course, targets), start=1):
        student = f"{number:02d}-{entry.slug}"
        path = folder / f"{student}.ipynb"
        path.write_bytes(entry.content)
        written.append(dataclasses.replace(entry, student=student, path=path))
    return written


# -- the hidden tests, by what they exercise ------------------------------------------------------------------

SCHEDULER_REPORTS = {"test_scheduler_state_dict_round_trip"}
ADAMW_TESTS = {"test_adamw_decoupled_weight_decay", "test_adamw_decay_follows_learning_rate_changes",
               "test_adamw_zero_gradients_and_default_decay", "test_adamw_keeps_float32"}
ADAM_VALUES = {"test_adam_moments", "test_adam_bias_correction", "test_adam_epsilon", "test_adam_amsgrad",
               "test_adam_weight_decay", "test_adam_counts_steps_per_parameter", "test_adam_float32"}
# Adam.update that leaves the parameters and the state as they are: every value is off, the state's included
ADAM_UPDATE_DOES_NOTHING = ADAM_VALUES | ADAMW_TESTS | {
    "test_adam_updates_in_place", "test_adam_leaves_the_gradient_unchanged", "test_adam_state_dict_round_trip",
    "test_adamw_state_dict_round_trip", "test_train_simple_model_with_a_scheduler"}
# the Adam cell as released: every Adam and AdamW step raises NotImplementedError
ADAM_NOT_WRITTEN = ADAM_UPDATE_DOES_NOTHING
GRADIENT_DESCENT = {"test_gradient_descent_step_values", "test_gradient_descent_step_updates_in_place",
                    "test_gradient_descent_step_leaves_gradient_unchanged",
                    "test_gradient_descent_step_skips_parameters_without_gradient",
                    "test_gradient_descent_step_keeps_float32"}
SGD_TESTS = {"test_sgd_several_parameters", "test_sgd_weight_decay", "test_sgd_follows_learning_rate_changes",
             "test_sgd_momentum", "test_sgd_momentum_with_dampening", "test_sgd_nesterov",
             "test_sgd_momentum_with_a_repeated_gradient", "test_sgd_momentum_skips_missing_gradients",
             "test_sgd_keeps_float32", "test_sgd_updates_in_place", "test_sgd_leaves_the_gradient_unchanged"}
SCHEDULER_TESTS = {"test_step_lr_schedule", "test_exponential_lr_schedule", "test_cosine_annealing_lr_first_period",
                   "test_cosine_annealing_lr_beyond_t_max", "test_cosine_annealing_lr_default_eta_min"} | SCHEDULER_REPORTS
CLIPPING_TESTS = {"test_clip_gradients_over_the_threshold", "test_clip_gradients_under_the_threshold",
                  "test_clip_gradients_inf_norm", "test_clip_gradients_other_norms_and_missing_gradients",
                  "test_clip_gradients_changes_gradients_in_place", "test_clip_gradients_by_value"}
VALIDATION_TESTS = {"test_boundary_values_are_accepted",
                    "test_clipping_and_schedulers_reject_invalid_arguments"}


@dataclass(frozen=True)
class Hook:
    """A place inside one method where an attack goes, and the hidden tests whose calls reach it."""

    grade_id: str
    anchor: str                 # the line (or lines) the attack is inserted before
    condition: str | None       # only on this code path, so fewer tests reach it
    reached_by: frozenset


HOOKS = {
    "dampening": Hook("sgd-class", "        param -= self.learning_rate * grad\n", "self.dampening != 0",
                      frozenset({"test_sgd_momentum_with_dampening"})),
    "inf-norm": Hook("gradient-clipping", "    norms = [\n", "norm_type == math.inf",
                     frozenset({"test_clip_gradients_inf_norm"})),
    "step-lr": Hook("step-lr", "        if self.last_epoch % self.step_size == 0:\n", None,
                    frozenset({"test_step_lr_schedule"} | SCHEDULER_REPORTS)),
    "exponential-lr": Hook("exponential-lr", "        return self.optimizer.learning_rate * self.gamma\n", None,
                           frozenset({"test_exponential_lr_schedule"} | SCHEDULER_REPORTS)),
    "clip-by-value": Hook(
        "gradient-clipping",
        "    for parameter in parameters:\n        if parameter.grad is not None:\n"
        "            gradient = parameter.grad.data.data\n",
        None, frozenset({"test_clip_gradients_by_value", "test_boundary_values_are_accepted"})),
}


# -- the catalog ------------------------------------------------------------------------------------------

def catalog(course: Course, targets: Iterable[str] = ()) -> list[Entry]:
    """Every entry, in grading order (see the module docstring), before it has a student name.

    `targets` are the folders the attacks that plant or read files aim at (the class and the outputs).
    """
    release, answered = module_notebooks(course, course.module(MODULE))
    reference, *variants = _references(answered)
    clean = [*variants, *_bugs(answered), *_unfinished(release, answered)]
    hostile = _attacks(release, answered, list(targets))
    # the reference first; then each attack followed by a clean submission, which some worker grades next
    ordered = [reference]
    for index, attack in enumerate(hostile):
        ordered += [attack, *clean[index:index + 1]]
    ordered += clean[len(hostile):] + _malformed(answered)
    slugs = [entry.slug for entry in ordered]
    if len(set(slugs)) != len(slugs):
        raise CorpusError("two corpus entries share a slug")
    return ordered


def forgeries(course: Course) -> list[Entry]:
    """Submissions that forge what the probes report from inside the sandbox, with the verdicts they deserve."""
    release, answered = module_notebooks(course, course.module(MODULE))
    return [
        Entry("forgery-probe-reports", "forgery",
              "the untouched notebook, plus sandbox code answering the in-place, float32 and clipping "
              "probes with all a correct submission reports that is known without doing the work (the seeded "
              "inputs, float32 zeros, a Python float)",
              Draft(release).add_cell("forge", "#| export\n" + A.FORGE_PROBE_REPORTS).bytes(),
              fails=ALL),
        Entry("forgery-isinstance-float", "forgery",
              "clip_gradients returns a 0-d array, and isinstance(x, float) is rigged to say yes",
              Draft(answered).replace("gradient-clipping", "    return total\n", "    return np.array(total)\n")
              .add_cell("forge", "#| export\n" + A.FORGE_ISINSTANCE_FLOAT).bytes(),
              fails=frozenset({"test_clip_gradients_over_the_threshold"})),
        # the limit: constants (which exception, a word of its message) can be forged; 1 point per test
        Entry("forgery-validation-constants", "forgery",
              "the untouched notebook, plus sandbox code reporting a ValueError naming the argument wherever a "
              "setting is negative: it earns the validation tests, and only those",
              Draft(release).add_cell("forge", "#| export\n" + A.FORGE_VALIDATION).bytes(),
              fails=AllBut(VALIDATION_TESTS)),
    ]


def _edited(notebook, *edits: tuple[str, str, str]) -> bytes:
    """`notebook` with each (grade_id, old, new) replacement made, as a submitted file."""
    draft = Draft(notebook)
    for grade_id, old, new in edits:
        draft.replace(grade_id, old, new)
    return draft.bytes()


def _references(answered) -> list[Entry]:
    return [
        Entry("reference", "reference", "the reference solution", Draft(answered).bytes()),
        Entry("reference-with-loops", "reference",
              "the gradient functions written with Python loops over the entries instead of array operations",
              _edited(answered, *LOOPS)),
        Entry("reference-rewritten", "reference",
              "textbook Adam (m_hat, v_hat), closed-form schedules, other names, an explicit Nesterov branch",
              _edited(answered, *REWRITTEN)),
        Entry("reference-out-of-place-state", "reference",
              "optimizer state rebuilt as new arrays each step (allowed: only the parameters must change in place)",
              _edited(answered, *OUT_OF_PLACE_STATE)),
    ]


def _bugs(answered) -> list[Entry]:
    def bug(slug: str, what: str, edits: list[tuple[str, str, str]], fails, **expected) -> Entry:
        fails = fails if isinstance(fails, AllBut) else frozenset(fails)
        return Entry(slug, "bug", what, _edited(answered, *edits), fails=fails, **expected)

    descent = "    parameter.data.data -= learning_rate * parameter.grad.data.data\n"
    record_rate = "        history.learning_rates.append(optimizer.learning_rate)\n"
    return [
        bug("bug-adam-no-bias-correction", "Adam without bias correction", [
            ("adam-class", "step_size = self.learning_rate / (1 - self.beta1**step)", "step_size = self.learning_rate"),
            ("adam-class", "denom = np.sqrt(exp_avg_sq) / (1 - self.beta2**step) ** 0.5 + self.epsilon",
             "denom = np.sqrt(exp_avg_sq) + self.epsilon")],
            {"test_adam_bias_correction"}, messages=(("test_adam_bias_correction", "3.16 * learning_rate"),)),
        bug("bug-momentum-sign", "momentum with the wrong sign: velocity = -momentum * velocity + g",
            [("sgd-class", "velocity *= self.momentum", "velocity *= -self.momentum")],
            {"test_sgd_momentum"}),
        bug("bug-step-lr-off-by-one", "StepLR drops the rate one epoch early",
            [("step-lr", "if self.last_epoch % self.step_size == 0:", "if (self.last_epoch + 1) % self.step_size == 0:")],
            {"test_step_lr_schedule"}),
        bug("bug-descent-replaces-the-array", "gradient_descent_step assigns a new array instead of updating in place",
            [("gradient-descent-step", descent,
              "    parameter.data.data = parameter.data.data - learning_rate * parameter.grad.data.data\n")],
            {"test_gradient_descent_step_updates_in_place"},
            messages=(("test_gradient_descent_step_updates_in_place", "is a new array"),)),
        bug("bug-descent-promotes-float32", "gradient_descent_step turns float32 parameters into float64",
            [("gradient-descent-step", descent, ("    parameter.data.data = parameter.data.data.astype(np.float64)"
                                                 " - learning_rate * parameter.grad.data.data\n"))],
            {"test_gradient_descent_step_keeps_float32", "test_gradient_descent_step_updates_in_place"}),
        bug("bug-adam-state-float64", "Adam keeps float64 state for float32 parameters",
            [("adam-class", '"exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}',
              '"exp_avg": np.zeros(param.shape), "exp_avg_sq": np.zeros(param.shape)}')],
            {"test_adam_float32", "test_adamw_keeps_float32"}),
        bug("bug-sgd-decay-changes-the-gradient", "SGD adds the weight decay into the gradient array",
            [("sgd-class", "grad = grad + self.weight_decay * param", "grad += self.weight_decay * param")],
            {"test_sgd_leaves_the_gradient_unchanged"}),
        bug("bug-clip-ignores-max-norm", "clip_gradients scales to norm 1 whatever max_norm is",
            [("gradient-clipping", "    coefficient = max_norm / (total + 1e-6)\n", "    coefficient = 1.0 / (total + 1e-6)\n")],
            {"test_clip_gradients_over_the_threshold", "test_clip_gradients_under_the_threshold"}),
        bug("bug-cosine-stops-at-t-max", "CosineAnnealingLR stays at eta_min after T_max",
            [("cosine-annealing-lr", "        lr, epoch = self.optimizer.learning_rate, self.last_epoch\n",
              ("        lr, epoch = self.optimizer.learning_rate, self.last_epoch\n"
               "        if epoch > self.T_max:\n            return self.eta_min\n"))],
            {"test_cosine_annealing_lr_beyond_t_max"}),
        bug("bug-training-records-the-next-rate", "train_simple_model records the rate after the scheduler stepped",
            [("train-simple-model", record_rate, ""),
             ("train-simple-model", "            scheduler.step()\n", "            scheduler.step()\n" + record_rate)],
            {"test_train_simple_model_with_a_scheduler"}),
        bug("bug-adamw-couples-the-decay", "AdamW adds the decay to the gradient, like Adam's L2",
            [("adamw-class", "            param *= 1 - self.learning_rate * self.weight_decay\n",
              "            return grad + self.weight_decay * param\n")],
            ADAMW_TESTS - {"test_adamw_keeps_float32"}),
        bug("bug-rmsprop-epsilon-inside-the-root", "RMSprop divides by sqrt(square_avg + epsilon)",
            [("rmsprop-class", "        avg += self.epsilon\n", "        np.sqrt(avg * avg + self.epsilon, out=avg)\n")],
            {"test_rmsprop_epsilon"}),
        bug("bug-velocity-is-the-gradient", "the first velocity is the gradient array itself, not a copy",
            [("sgd-class", 'state["momentum_buffer"] = grad.copy()', 'state["momentum_buffer"] = grad')],
            {"test_sgd_momentum_with_a_repeated_gradient"}),
        bug("bug-nesterov-backwards", "Nesterov steps along velocity + momentum * g",
            [("sgd-class", "grad = grad + self.momentum * velocity if self.nesterov else velocity",
              "grad = velocity + self.momentum * grad if self.nesterov else velocity")],
            {"test_sgd_nesterov"}),
        bug("bug-syntax-error", "a missing colon: the module cannot be imported",
            [("step-lr", "if self.last_epoch % self.step_size == 0:", "if self.last_epoch % self.step_size == 0")],
            ALL, notes=("your code could not be loaded", "SyntaxError")),
        bug("bug-exports-matplotlib", "imports matplotlib in an exported cell (only numpy is installed)",
            [("gradient-descent-step", "#| export\n", "#| export\nimport matplotlib.pyplot as plt\n")],
            ALL, notes=("your code could not be loaded", "No module named 'matplotlib'")),
    ]


def _unfinished(release, answered) -> list[Entry]:
    return [
        Entry("blank", "blank", "the release notebook, untouched", Draft(release).bytes(),
              fails=ALL, messages=(("test_adam_moments", "NotImplementedError"),)),
        Entry("partial-descent-and-sgd", "partial", "only gradient_descent_step and SGD answered",
              Draft(release).answer_from(answered, "gradient-descent-step", "sgd-class").bytes(),
              fails=AllBut(GRADIENT_DESCENT | SGD_TESTS | {"test_sgd_state_dict_round_trip"})),
        Entry("partial-clipping-and-schedules", "partial", "only clipping and the three schedules answered",
              Draft(release).answer_from(answered, "gradient-clipping", "step-lr", "exponential-lr",
                                         "cosine-annealing-lr").bytes(),
              fails=AllBut(CLIPPING_TESTS | SCHEDULER_TESTS | VALIDATION_TESTS)),
    ]


LOOPS = [
    ("gradient-descent-step", """\
    parameter.data.data -= learning_rate * parameter.grad.data.data
""", """\
    values = parameter.data.data.reshape(-1)  # a view: writing into it writes into the parameter
    gradients = parameter.grad.data.data.reshape(-1)
    for index in range(values.size):
        values[index] -= learning_rate * gradients[index]
"""),
    ("gradient-clipping", """\
    norms = [
        np.linalg.norm(parameter.grad.data.data.ravel(), ord=norm_type)
        for parameter in parameters
        if parameter.grad is not None
    ]
""", """\
    def norm(numbers):
        if norm_type == math.inf:
            return max((abs(number) for number in numbers), default=0.0)
        total = 0.0
        for number in numbers:
            total += abs(number) ** norm_type
        return total ** (1 / norm_type)

    norms = []
    for parameter in parameters:
        if parameter.grad is not None:
            norms.append(norm(float(number) for number in parameter.grad.data.data.ravel()))
"""),
    ("gradient-clipping", """\
    return float(np.linalg.norm(np.array(norms), ord=norm_type))
""", """\
    return float(norm(norms))
"""),
    ("gradient-clipping", """\
                parameter.grad.data.data *= coefficient
""", """\
                flat = parameter.grad.data.data.reshape(-1)
                for index in range(flat.size):
                    flat[index] *= coefficient
"""),
    ("gradient-clipping", """\
            gradient = parameter.grad.data.data
            np.clip(gradient, -clip_value, clip_value, out=gradient)
""", """\
            flat = parameter.grad.data.data.reshape(-1)
            for index in range(flat.size):
                flat[index] = min(max(flat[index], -clip_value), clip_value)
"""),
]

REWRITTEN = [
    ("adam-class", """\
        grad = self.apply_weight_decay(param, grad)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - self.beta1) * (grad - exp_avg)
        exp_avg_sq *= self.beta2
        exp_avg_sq += (1 - self.beta2) * grad * grad
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        step_size = self.learning_rate / (1 - self.beta1**step)
        denom = np.sqrt(exp_avg_sq) / (1 - self.beta2**step) ** 0.5 + self.epsilon
        update = np.divide(exp_avg, denom, out=denom)  # exp_avg / denom, written over denom
        update *= step_size
        param -= update
""", """\
        g = self.apply_weight_decay(param, grad)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * np.square(g)
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)
"""),
    ("step-lr", """\
        if self.last_epoch % self.step_size == 0:
            return self.optimizer.learning_rate * self.gamma
        return self.optimizer.learning_rate
""", """\
        drops = self.last_epoch // self.step_size
        return self.base_lr * self.gamma**drops
"""),
    ("exponential-lr", """\
        return self.optimizer.learning_rate * self.gamma
""", """\
        return self.base_lr * self.gamma**self.last_epoch
"""),
    ("cosine-annealing-lr", """\
        lr, epoch = self.optimizer.learning_rate, self.last_epoch
        if (epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        return (
            (1 + math.cos(math.pi * epoch / self.T_max))
            / (1 + math.cos(math.pi * (epoch - 1) / self.T_max))
            * (lr - self.eta_min)
            + self.eta_min
        )
""", """\
        progress = math.pi * self.last_epoch / self.T_max
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(progress)) / 2
"""),
    ("sgd-class", """\
            grad = grad + self.momentum * velocity if self.nesterov else velocity
""", """\
            if self.nesterov:
                look_ahead = grad + self.momentum * velocity
                grad = look_ahead
            else:
                grad = velocity
"""),
]

OUT_OF_PLACE_STATE = [
    ("sgd-class", """\
                velocity *= self.momentum
                # with no dampening the factor is 1: skip a multiplication over the whole array
                velocity += grad if self.dampening == 0 else (1 - self.dampening) * grad
""", """\
                velocity = state["momentum_buffer"] = self.momentum * velocity + (1 - self.dampening) * grad
"""),
    ("rmsprop-class", """\
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
""", """\
        square_avg = state["square_avg"] = self.alpha * state["square_avg"] + (1 - self.alpha) * grad * grad
"""),
    ("adam-class", """\
        exp_avg += (1 - self.beta1) * (grad - exp_avg)
        exp_avg_sq *= self.beta2
        exp_avg_sq += (1 - self.beta2) * grad * grad
""", """\
        exp_avg = state["exp_avg"] = exp_avg + (1 - self.beta1) * (grad - exp_avg)
        exp_avg_sq = state["exp_avg_sq"] = self.beta2 * exp_avg_sq + (1 - self.beta2) * grad * grad
"""),
    ("gradient-clipping", """\
            np.clip(gradient, -clip_value, clip_value, out=gradient)
""", """\
            gradient[...] = np.clip(gradient, -clip_value, clip_value)
"""),
]


def _attacks(release, answered, targets: list[str]) -> list[Entry]:
    def fill(snippet: str, **values) -> str:
        for name, value in values.items():
            snippet = snippet.replace("{" + name + "}", repr(value))
        return snippet

    def at_import(slug: str, snippet: str, draft: Draft | None = None) -> bytes:
        return (draft or Draft(answered)).add_cell(f"{slug}-cell", "#| export\n" + snippet).bytes()

    def in_method(hook: str, snippet: str, helpers: str | None = None, slug: str = "") -> bytes:
        where = HOOKS[hook]
        code = snippet if where.condition is None else f"if {where.condition}:\n" + textwrap.indent(snippet, "    ")
        draft = Draft(answered).insert_before(where.grade_id, where.anchor, code)
        if helpers:
            draft.add_cell(f"{slug}-helpers", "#| export\n" + helpers)
        return draft.bytes()

    def reached(hook: str) -> frozenset:
        return HOOKS[hook].reached_by

    classmates = fill(A.READ_CLASSMATES, folders=targets[:1], classmate="01-reference.ipynb")
    return [
        Entry("attack-fake-results-printed", "attack", "prints a passing pytest session, protocol lines and HTML",
              at_import("fake-output", A.FAKE_RESULTS_OUTPUT), output=("65 passed", "<script>")),
        Entry("attack-daemon-left-behind", "attack",
              "leaves a setsid daemon that overwrites notebooks and plants results for the students graded next",
              in_method("exponential-lr", "_leave_a_daemon()\n", fill(A.DAEMON, folders=targets, name=A.DAEMON_NAME),
                        "daemon")),
        Entry("attack-fork-bomb", "attack", "a fork bomb inside ExponentialLR.compute_lr",
              in_method("exponential-lr", A.FORK_BOMB), fails=reached("exponential-lr"),
              messages=(("test_exponential_lr_schedule", "BlockingIOError"),)),
        Entry("attack-thread-bomb", "attack", "a thread bomb inside StepLR.compute_lr",
              in_method("step-lr", A.THREAD_BOMB), fails=reached("step-lr"),
              messages=(("test_step_lr_schedule", "can't start new thread"),)),
        Entry("attack-memory-bomb", "attack", "allocates until the memory limit inside clip_gradients_by_value",
              in_method("clip-by-value", A.MEMORY_BOMB), fails=reached("clip-by-value"),
              messages=(("test_clip_gradients_by_value", "MemoryError"),)),
        Entry("attack-disk-fill", "attack", "fills the disk inside ExponentialLR.compute_lr",
              in_method("exponential-lr", A.DISK_FILL), fails=reached("exponential-lr"),
              messages=(("test_exponential_lr_schedule", "No space left on device"),)),
        Entry("attack-endless-loop-in-a-method", "attack", "while True inside SGD.update when dampening is used",
              in_method("dampening", A.ENDLESS_LOOP), fails=reached("dampening"),
              notes=("SGD.update did not finish within 2 s (called by test_",)),
        Entry("attack-endless-loop-at-import", "attack", "while True at import time",
              at_import("loop", A.ENDLESS_LOOP), fails=ALL,
              notes=("your code at the top level of a cell did not finish within 2 s (while loading your code)",)),
        Entry("attack-ignores-signals-and-loops", "attack",
              "ignores SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGXCPU and loops inside gradient_norm(norm_type=inf)",
              in_method("inf-norm", A.IGNORE_SIGNALS_AND_LOOP), fails=reached("inf-norm"),
              notes=("gradient_norm did not finish within 2 s (called by test_",)),
        Entry("attack-prints-a-gigabyte", "attack", "prints a gigabyte while being imported",
              at_import("print", A.PRINT_A_GIGABYTE), output=("more bytes of output dropped",)),
        Entry("attack-kills-its-parent", "attack", "os.kill(os.getppid(), 9) inside StepLR.compute_lr",
              in_method("step-lr", A.KILL_THE_PARENT)),
        Entry("attack-sys-exit-in-a-method", "attack", "sys.exit(0) inside StepLR.compute_lr",
              in_method("step-lr", A.SYS_EXIT), fails=reached("step-lr"),
              messages=(("test_step_lr_schedule", "your code raised SystemExit"),)),
        Entry("attack-sys-exit-at-import", "attack", "sys.exit(0) at import time",
              at_import("sys-exit", A.SYS_EXIT), fails=ALL, notes=("your code could not be loaded", "SystemExit")),
        Entry("attack-os-exit-in-a-method", "attack", "os._exit(0) inside ExponentialLR.compute_lr",
              in_method("exponential-lr", A.OS_EXIT), fails=reached("exponential-lr"),
              notes=("the process ended while running schedule",),
              messages=(("test_exponential_lr_schedule", "ended the process"),)),
        Entry("attack-os-exit-at-import", "attack", "os._exit(0) at import time",
              at_import("os-exit", A.OS_EXIT), fails=ALL, notes=("the process ended while loading your code",)),
        Entry("attack-pytest-exit-in-a-method", "attack", "pytest.exit(returncode=0) inside clip_gradients_by_value",
              in_method("clip-by-value", A.PYTEST_EXIT), fails=reached("clip-by-value"),
              messages=(("test_clip_gradients_by_value", "No module named 'pytest'"),)),
        Entry("attack-pytest-exit-at-import", "attack", "pytest.exit(returncode=0) at import time",
              at_import("pytest-exit", A.PYTEST_EXIT), fails=ALL, notes=("No module named 'pytest'",)),
        Entry("attack-pytest-skip-in-a-method", "attack", "pytest.skip() inside gradient_norm(norm_type=inf)",
              in_method("inf-norm", A.PYTEST_SKIP), fails=reached("inf-norm"),
              messages=(("test_clip_gradients_inf_norm", "No module named 'pytest'"),)),
        Entry("attack-pytest-skip-at-import", "attack", "pytest.skip(allow_module_level=True) at import time",
              at_import("pytest-skip", A.PYTEST_SKIP_MODULE), fails=ALL, notes=("No module named 'pytest'",)),
        Entry("attack-fake-pytest-skip", "attack", "raises an exception dressed as pytest's Skipped in SGD.update",
              in_method("dampening", A.FAKE_PYTEST_SKIP), fails=reached("dampening"),
              messages=(("test_sgd_momentum_with_dampening", "your code raised Skipped"),)),
        Entry("attack-base-exception", "attack", "raises BaseException inside gradient_norm(norm_type=inf)",
              in_method("inf-norm", A.BASE_EXCEPTION), fails=reached("inf-norm"),
              messages=(("test_clip_gradients_inf_norm", "your code raised BaseException: stop grading"),)),
        Entry("attack-keyboard-interrupt-in-a-method", "attack", "raises KeyboardInterrupt inside SGD.update",
              in_method("dampening", A.KEYBOARD_INTERRUPT), fails=reached("dampening"),
              messages=(("test_sgd_momentum_with_dampening", "your code raised KeyboardInterrupt"),)),
        Entry("attack-keyboard-interrupt-at-import", "attack", "raises KeyboardInterrupt at import time",
              at_import("interrupt", A.KEYBOARD_INTERRUPT), fails=ALL, notes=("KeyboardInterrupt",)),
        Entry("attack-writes-to-the-grader-channel", "attack", "writes a forged answer to the protocol socket",
              in_method("dampening", A.GRADER_CHANNEL), fails=reached("dampening"),
              messages=(("test_sgd_momentum_with_dampening", "wrote to the grader's channel"),)),
        Entry("attack-fake-results-files", "attack",
              "writes results.json, grades.csv and cache files wherever the grader might read them",
              at_import("fake-files", fill(A.FAKE_RESULTS_FILES, folders=targets))),
        Entry("attack-patches-the-checks", "attack",
              "patches pytest, AssertionError, math.isclose and numpy.allclose, and leaves Adam unwritten",
              at_import("patch", A.PATCH_CHECKS, Draft(answered).answer_from(release, "adam-class")),
              fails=frozenset(ADAM_NOT_WRITTEN), output=("every comparison now passes",)),
        Entry("attack-isinstance-always-true", "attack",
              "makes isinstance() always true, which breaks its own sandbox's JSON encoder",
              at_import("isinstance", A.ISINSTANCE_ALWAYS_TRUE), fails=ALL,
              notes=("the process ended while loading your code",)),
        Entry("attack-rigged-array", "attack",
              "gradient_descent_step stores zeros in an ndarray subclass that equals anything",
              Draft(answered).insert_before("gradient-descent-step", "    if parameter.grad is None:\n",
                                            A.RIGGED_ARRAY).bytes(),
              fails=frozenset(GRADIENT_DESCENT)),
        Entry("attack-rigged-float", "attack", "ExponentialLR returns a float subclass (0.0) that equals anything",
              Draft(answered).insert_before("exponential-lr", HOOKS["exponential-lr"].anchor, A.RIGGED_FLOAT).bytes(),
              fails=reached("exponential-lr")),
        Entry("attack-rigged-object", "attack", "clip_gradients returns an object that equals anything",
              Draft(answered).insert_before("gradient-clipping", "    return total\n", A.RIGGED_OBJECT).bytes(),
              fails=frozenset(CLIPPING_TESTS - {"test_clip_gradients_changes_gradients_in_place",
                                                "test_clip_gradients_by_value"}
                              | {"test_train_simple_model_with_clipping"})),
        Entry("attack-hunts-memory", "attack",
              "Adam.update copies whatever gc and the stack frames hold under names like 'expected'",
              Draft(answered).insert_before("adam-class", "        grad = self.apply_weight_decay(param, grad)\n",
                                            A.HUNT_IN_MEMORY_UPDATE + "return\n")
              .add_cell("hunt-helpers", "#| export\n" + A.HUNT_IN_MEMORY).bytes(),
              fails=frozenset(ADAM_UPDATE_DOES_NOTHING), output=("found 0 candidate arrays",)),
        Entry("attack-reads-hidden-tests", "attack",
              "globs for the hidden tests, probes, sources and reference package above every loaded file",
              at_import("hidden-tests", A.READ_HIDDEN_TESTS), output=("nothing readable",)),
        Entry("attack-reads-classmates", "attack", "lists the submissions folder and reads another student's notebook",
              at_import("classmates", classmates), output=("the other submissions are out of sight",)),
        Entry("attack-network", "attack", "connects to the internet, the Dask port and localhost inside StepLR",
              in_method("step-lr", "_phone_home()\n", A.NETWORK, "network"), output=("no network",)),
        Entry("attack-execs-another-copy", "attack",
              "the blank notebook, which walks the disk for another copy of the course and runs its reference solution",
              Draft(release).add_cell("another-copy", "#| export\n" + A.EXEC_ANOTHER_COPY).bytes(), fails=ALL,
              output=("found no copy of the course",)),
        *[Entry(f"attack-passes-notes-{me}", "attack",
                "writes 16 MiB notes into /run/lock, /dev/shm, /var/tmp and other shared folders and looks for a classmate's",
                at_import(f"notes-{me}", A.PASS_NOTES.replace("{me!r}", repr(me))), output=("no note from a classmate",))
          for me in ("a", "b")],
        Entry("attack-lone-surrogate-message", "attack",
              "raises an exception whose message holds a lone surrogate, a NUL and an ANSI escape inside StepLR",
              in_method("step-lr", A.LONE_SURROGATE), fails=reached("step-lr"),
              messages=(("test_step_lr_schedule", "bad value"),)),
        Entry("attack-nested-json-on-the-channel", "attack", "writes a JSON array 200,000 deep to the grader's channel",
              at_import("nested", A.NESTED_ON_THE_CHANNEL), fails=ALL, notes=("broke the grader's channel",)),
        Entry("attack-huge-int-on-the-channel", "attack", "writes a 5,000-digit integer to the grader's channel",
              at_import("huge-int", A.HUGE_INT_ON_THE_CHANNEL), fails=ALL, notes=("broke the grader's channel",)),
    ]


def _malformed(answered) -> list[Entry]:
    points_edited = Draft(answered)
    points_edited.cell("test-adam").metadata["nbgrader"]["points"] = 50
    test_edited = Draft(answered).replace("test-adam", "def test_adam():\n", "def test_adam():\n    return\n")
    no_exports = Draft(answered)
    for cell in no_exports.notebook.cells:
        if cell.cell_type == "code":
            cell.source = "\n".join(line for line in cell.source.split("\n") if not line.startswith("#|"))
    not_a_notebook = b'{"hello": "this is JSON, but no notebook"}\n'
    return [
        Entry("malformed-not-json", "malformed", "a Python file saved with a .ipynb name",
              b"def gradient_descent_step(parameter, learning_rate):\n    pass\n", fails=ALL, status=ERROR,
              notes=("not valid JSON",)),
        Entry("malformed-empty", "malformed", "an empty file", b"", fails=ALL, status=ERROR, notes=("empty",)),
        Entry("malformed-binary", "malformed", "bytes that are not text", bytes(range(256)) * 4, fails=ALL,
              status=ERROR, notes=("not text",)),
        Entry("malformed-json-not-a-notebook", "malformed", "JSON without cells", not_a_notebook, fails=ALL,
              status=ERROR, notes=("not a Jupyter notebook",)),
        Entry("malformed-test-cells-deleted", "malformed", "every visible test cell deleted",
              Draft(answered).remove_cells(C.is_test_cell).bytes(), status=TAMPERED,
              notes=("locked cell test-adam: deleted; the released cell was used",)),
        Entry("malformed-points-edited", "malformed", "test-adam's points changed from 15 to 50",
              points_edited.bytes(), status=TAMPERED, notes=("cell test-adam: its points metadata was changed",)),
        Entry("malformed-test-cell-edited", "malformed", "the visible Adam test made to return at once",
              test_edited.bytes(), status=TAMPERED, notes=("locked cell test-adam: its source was edited",)),
        Entry("malformed-export-lines-removed", "malformed", "every '#| default_exp' and '#| export' line removed",
              no_exports.bytes(), fails=ALL, status=TAMPERED,
              notes=("locked cell optimizers-imports: its source was edited",),
              messages=(("test_sgd_several_parameters", "has no attribute 'SGD'"),)),
    ]
