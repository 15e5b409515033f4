"""The hidden suites of the first two modules (autograder/01_tensor, autograder/02_autograd) are sound.

Their tests carry points that add up to each module's automatic points; the reference package passes all of
them through the real sandbox; a correct package written differently from the reference passes; the untouched
release notebook earns nothing. (Which tests each single-concept bug fails: the bug catalogue,
tests/grading/catalogue/bugs_01_02.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tito.course import Course
from tito.grading.suite import HiddenSuite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite_runs import release_package, run_with  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODULE_FILES = {"tensor": "tinytorch/core/tensor.py", "autograd": "tinytorch/core/autograd.py"}


@pytest.fixture(scope="module")
def course() -> Course:
    return Course.load(ROOT)


def hidden_suite(course: Course, name: str) -> HiddenSuite:
    return HiddenSuite.for_module(course, course.module(name))


@pytest.mark.parametrize("name", sorted(MODULE_FILES))
def test_points_add_up_to_the_modules_automatic_points(course, name, collected_tests):
    """Does every hidden test carry points, with a total of exactly module.yaml's points.auto (50 and 60)?"""
    suite = hidden_suite(course, name)
    tests = collected_tests(suite)  # raises if a test has no points marker or two tests share a name
    assert len(tests) >= 20
    assert sum(points for _, points in tests) == {"tensor": 50, "autograd": 60}[name] == suite.module.auto_points
    assert all(points > 0 for _, points in tests)


def test_no_hidden_test_is_named_like_a_visible_one(course, collected_tests):
    """Do the hidden tests avoid the names of the notebook's own tests (test_tensor_creation, ...)?"""
    for name in MODULE_FILES:
        suite = hidden_suite(course, name)
        visible = (course.paths.release / suite.module.slug / f"test_{name}.py").read_text()
        for test, _ in collected_tests(suite):
            assert f"def {test.split('[')[0]}(" not in visible, f"{test} repeats a visible test's name"


@pytest.mark.parametrize("name", sorted(MODULE_FILES))
def test_the_reference_passes_every_test(course, sandbox, name, run_suite, collected_tests):
    """Does the reference package, run through the sandbox, pass every hidden test?"""
    suite = hidden_suite(course, name)
    outcomes = run_suite(suite, sandbox, suite.reference_package())
    assert outcomes.failed == {}
    assert outcomes.passed == {test for test, _ in collected_tests(suite)}


# -- correct packages written differently ----------------------------------------------------------------------
# Single-concept bugs live in the bug catalogue (tests/grading/catalogue/bugs_01_02.py, test_bug_catalogue.py).

ITERATIVE_ORDER = '''\
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents if parent not in visited)
    return order
'''
# Kahn's algorithm from the root: a different (equally valid) order from the reference's depth-first one
KAHN_ORDER = '''\
    nodes, stack = {id(root): root}, [root]
    while stack:
        for parent in stack.pop()._parents:
            if id(parent) not in nodes:
                nodes[id(parent)] = parent
                stack.append(parent)
    children = dict.fromkeys(nodes, 0)
    for node in nodes.values():
        for parent in node._parents:
            children[id(parent)] += 1
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node._parents:
            children[id(parent)] -= 1
            if children[id(parent)] == 0:
                ready.append(parent)
    return order[::-1]
'''
UNBROADCAST_BODY = '''\
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if added > 0:
        grad = grad.sum(axis=tuple(range(added)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
'''
UNBROADCAST_LOOP = '''\
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
'''
SIGMOID = "    out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))\n"

# Each rewrite: (module, edits to the module's file). It must pass every hidden test.
REWRITES = {
    "tensor: an equivalent rewrite": (
        "tensor",
        [("return Tensor(_as_array(other) - self.data)", "return -(self - other)"),
         ("return Tensor(_as_array(other) / self.data)", "return Tensor(np.true_divide(_as_array(other), self.data))"),
         ("return Tensor(self.data.mean(axis=axis, keepdims=keepdims))",
          "return Tensor(np.mean(self.data, axis=axis, keepdims=keepdims))"),
         ("self.data = np.asarray(_as_array(data), dtype=dtype)",
          "self.data = np.asarray(data.data if isinstance(data, Tensor) else data, dtype=dtype)")],
    ),
    "autograd: an equivalent rewrite": (
        "autograd",
        [(ITERATIVE_ORDER, KAHN_ORDER),
         (UNBROADCAST_BODY, UNBROADCAST_LOOP),
         (SIGMOID, "    out = 1 / (1 + np.exp(-a))\n"),
         ("self._accumulate(grad * (1 - out * out))", "self._accumulate(grad * (1 - out ** 2))"),
         ("self._pending_grad = self._pending_grad + grad", "self._pending_grad = np.add(self._pending_grad, grad)"),
         ("self._accumulate(grad * np.where(p == 0, 0, p * a ** (p - 1)))",
          "self._accumulate(grad * p * np.where(p == 0, 1.0, a) ** (p - 1))")],
    ),
}


@pytest.mark.parametrize("rewrite", list(REWRITES))
def test_an_equivalent_rewrite_passes_every_test(course, sandbox, rewrite, run_suite, edited_package,
                                                 collected_tests):
    """Does a correct package written differently from the reference pass every hidden test?"""
    name, edits = REWRITES[rewrite]
    suite = hidden_suite(course, name)
    outcomes = run_suite(suite, sandbox, edited_package(suite.reference_package(), MODULE_FILES[suite.module.name], edits))
    assert outcomes.failed == {}
    assert len(outcomes.passed) == len(collected_tests(suite))


@pytest.mark.parametrize("name", sorted(MODULE_FILES))
def test_an_untouched_notebook_earns_nothing(course, sandbox, name, run_suite):
    """Does the release notebook, handed in as is, fail every hidden test, each with NotImplementedError?"""
    suite = hidden_suite(course, name)
    outcomes = run_suite(suite, sandbox, release_package(suite))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed


# -- forged reports -------------------------------------------------------------------------------------------

class Forged:
    """A `student` whose every probe answer has the reference's form (keys, shapes, dtypes, None where the reference
    has None, the same exception names) but numbers that need no work: what sandbox code forging the reports of a
    blank notebook can give. `kind` says which numbers: zeros, ones, or seeded noise (standing in for echoed inputs)."""

    def __init__(self, reference, kind: str):
        self._reference, self._kind = reference, kind
        self._noise = np.random.default_rng(0)

    def _number(self, value):
        if self._kind == "zeros":
            return 0
        if self._kind == "ones":
            return 1
        return self._noise.normal()

    def _forge(self, value):
        if isinstance(value, dict):
            return {key: self._forge(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._forge(item) for item in value]
        if isinstance(value, np.ndarray) and value.dtype.kind != "b":
            numbers = np.array([self._number(None) for _ in range(value.size)]).reshape(value.shape)
            return numbers.astype(value.dtype)
        if type(value) in (int, float):
            return type(value)(self._number(value))
        return value  # None, bools, strings (exception names, sentences)

    def __getattr__(self, probe):
        if probe.startswith("_"):
            raise AttributeError(probe)

        def call(**arguments):
            if arguments.get("probe") == "topological":  # the nodes in the order the arguments list them
                return [[name for name in case["parents"] if name in self._reference.topological(**case)]
                        for case in arguments["cases"]]
            return self._forge(getattr(self._reference, probe)(**arguments))

        return call



# Tests whose right answers the probe itself chose (docs/grading-security.md, "Limits"): forging may earn them.
CONSTANT_ANSWERS = {
    "tensor": {"test_tensors_share_the_arrays_they_wrap"},
    "autograd": set(),
}


@pytest.mark.parametrize("kind", ["zeros", "ones", "noise"])
@pytest.mark.parametrize("name", sorted(MODULE_FILES))
def test_forged_reports_earn_only_the_constant_answers(course, name, kind, collected_tests):
    """Do reports of the right form with numbers that need no work (zeros, ones, noise) fail every test but those
    whose answers the probe chose itself? Every test that judges a second property (operands, float32) only where
    the values are right, so none of them can be earned this way."""

    from tito.grading import fixtures

    suite = hidden_suite(course, name)
    outcomes = run_with(suite, Forged(fixtures.reference_for(suite.folder), kind))
    assert outcomes.ran == {test for test, _ in collected_tests(suite)}, outcomes.code
    assert outcomes.passed <= CONSTANT_ANSWERS[name], sorted(outcomes.passed - CONSTANT_ANSWERS[name])
