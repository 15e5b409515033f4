"""The hidden suites of the first two modules (autograder/01_tensor, autograder/02_autograd) are sound.

Their tests carry points that add up to each module's automatic points; the reference package passes all of
them through the real sandbox; deliberately broken packages fail exactly the tests meant to catch each bug; a
correct package written differently from the reference passes; the untouched release notebook earns nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tito.course import Course
from tito.grading.prepare import prepare_submission
from tito.grading.suite import HiddenSuite
from tito.package import package_texts

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


# -- broken packages ----------------------------------------------------------------------------------------

RECURSIVE_ORDER = '''\
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node._parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order
'''
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
STRETCHED_AXES = '''\
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
'''
UNBROADCAST_BODY = '''\
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if added > 0:
        grad = grad.sum(axis=tuple(range(added)))
''' + STRETCHED_AXES
UNBROADCAST_LOOP = '''\
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
'''
LEAF_FIRST_GRAD = "node.grad = Variable(grad.astype(node.dtype), requires_grad=False)"
SIGMOID = "    out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))\n"

# Each broken package: (module, edits to the module's file, the exact set of hidden tests that must fail).
BROKEN = {
    # -- tensor --------------------------------------------------------------------------------------------
    "tensor: __rsub__ computes self - other": (
        "tensor",
        [("return Tensor(_as_array(other) - self.data)", "return Tensor(self.data - _as_array(other))")],
        {"test_numbers_and_arrays_on_either_side[sub]"},
    ),
    "tensor: __rmatmul__ computes self @ other": (
        "tensor",
        [("return Tensor(_as_array(other) @ self.data)", "return Tensor(self.data @ _as_array(other))")],
        {"test_matmul_with_ndarrays_and_lists_on_either_side"},
    ),
    "tensor: * turns numbers into float64 arrays": (
        "tensor",
        [("return Tensor(self.data * _as_array(other))", "return Tensor(self.data * np.array(_as_array(other)))")],
        {"test_numbers_and_arrays_on_either_side[mul]", "test_float32_stays_float32_through_a_chain"},
    ),
    "tensor: sum ignores keepdims": (
        "tensor",
        [("return Tensor(self.data.sum(axis=axis, keepdims=keepdims))", "return Tensor(self.data.sum(axis=axis))")],
        {"test_reduce_over_axes[sum]"},
    ),
    "tensor: __init__ copies its data": (
        "tensor",
        [("self.data = np.asarray(_as_array(data), dtype=dtype)",
          "self.data = np.array(_as_array(data), dtype=dtype)")],
        {"test_tensors_share_the_arrays_they_wrap"},
    ),
    "tensor: negation overwrites its operand": (
        "tensor",
        [("return Tensor(-self.data)", "return Tensor(np.negative(self.data, out=self.data))")],
        {"test_negation_keeps_shape_and_dtype"},
    ),
    "tensor: transpose() without arguments": (
        "tensor",
        [("return Tensor(self.data.transpose(axes or None))", "return Tensor(self.data.transpose(axes))")],
        {"test_transpose_accepts_every_form"},
    ),
    "tensor: an equivalent rewrite": (
        "tensor",
        [("return Tensor(_as_array(other) - self.data)", "return -(self - other)"),
         ("return Tensor(_as_array(other) / self.data)", "return Tensor(np.true_divide(_as_array(other), self.data))"),
         ("return Tensor(self.data.mean(axis=axis, keepdims=keepdims))",
          "return Tensor(np.mean(self.data, axis=axis, keepdims=keepdims))"),
         ("self.data = np.asarray(_as_array(data), dtype=dtype)",
          "self.data = np.asarray(data.data if isinstance(data, Tensor) else data, dtype=dtype)")],
        set(),
    ),
    # -- autograd ------------------------------------------------------------------------------------------
    "autograd: unbroadcast forgets the size-1 axes": (
        "autograd",
        [(STRETCHED_AXES, "")],
        {"test_unbroadcast_sums_back_to_each_shape", "test_add_and_sub_with_broadcasting",
         "test_mul_and_div_with_broadcasting", "test_pow_with_numbers_and_variables",
         "test_numbers_and_ndarrays_on_either_side", "test_matmul_gradients", "test_nodes_used_along_several_paths",
         "test_compositions_of_many_operations"},
    ),
    "autograd: a node's gradient is overwritten, not added": (
        "autograd",
        [("self._pending_grad = self._pending_grad + grad", "self._pending_grad = grad")],
        # every test whose graph uses some node twice
        {"test_nodes_used_along_several_paths", "test_compositions_of_many_operations",
         "test_gradients_accumulate_across_backward_calls", "test_detach_stops_gradients",
         "test_backward_with_an_explicit_gradient", "test_backward_without_a_gradient",
         "test_backward_through_a_6000_node_ladder", "test_float32_model_keeps_float32_gradients"},
    ),
    "autograd: a leaf's gradient is replaced by each backward call": (
        "autograd",
        [("node.grad.data.data += grad", LEAF_FIRST_GRAD)],
        {"test_gradients_accumulate_across_backward_calls"},
    ),
    "autograd: a leaf's gradient shares the upstream array": (
        "autograd",
        [(LEAF_FIRST_GRAD, LEAF_FIRST_GRAD.replace("astype(node.dtype)", "astype(node.dtype, copy=False)"))],
        # += into a read-only broadcast view, or into the other leaf's gradient
        {"test_gradients_accumulate_across_backward_calls"},
    ),
    "autograd: topological_order recurses": (
        "autograd",
        [(ITERATIVE_ORDER, RECURSIVE_ORDER)],
        {"test_topological_order_of_a_long_chain", "test_backward_through_a_5000_node_chain",
         "test_backward_through_a_6000_node_ladder"},
    ),
    "autograd: float32 is promoted to float64": (
        "autograd",
        [('if array.dtype.kind != "f":', "if array.dtype != np.float64:")],
        # every test with a float32 case
        {"test_variable_construction_and_dtypes", "test_add_and_sub_with_broadcasting",
         "test_mul_and_div_with_broadcasting", "test_numbers_and_ndarrays_on_either_side", "test_matmul_gradients",
         "test_sum_and_mean_gradients", "test_max_and_min_gradients", "test_exp_log_and_sqrt",
         "test_relu_sigmoid_and_tanh", "test_reshape_and_transpose_gradients", "test_compositions_of_many_operations",
         "test_backward_with_an_explicit_gradient", "test_float32_model_keeps_float32_gradients"},
    ),
    "autograd: __rsub__ computes self - other": (
        "autograd",
        [("return _lift(other, self) - self", "return self - _lift(other, self)")],
        {"test_numbers_and_ndarrays_on_either_side"},
    ),
    "autograd: max gives every tie the whole gradient": (
        "autograd",
        [("winners * (grad / winners.sum(axis=axis, keepdims=True))", "winners * grad")],
        {"test_max_splits_ties_evenly"},
    ),
    "autograd: relu passes the gradient at 0": (
        "autograd",
        [("self._accumulate(grad * (a > 0))", "self._accumulate(grad * (a >= 0))")],
        {"test_relu_sigmoid_and_tanh"},
    ),
    "autograd: backward() implies ones for any shape": (
        "autograd",
        [("if self.size != 1:", "if False:")],
        {"test_backward_without_a_gradient"},
    ),
    "autograd: an equivalent rewrite": (
        "autograd",
        [(ITERATIVE_ORDER, KAHN_ORDER),
         (UNBROADCAST_BODY, UNBROADCAST_LOOP),
         (SIGMOID, "    out = 1 / (1 + np.exp(-a))\n"),
         ("self._accumulate(grad * (1 - out * out))", "self._accumulate(grad * (1 - out ** 2))"),
         ("self._pending_grad = self._pending_grad + grad", "self._pending_grad = np.add(self._pending_grad, grad)")],
        set(),
    ),
}


@pytest.mark.parametrize("bug", list(BROKEN))
def test_a_broken_package_fails_the_right_tests(course, sandbox, bug, run_suite, edited_package, collected_tests):
    """Does the suite fail exactly the tests that should catch this bug, and pass the others?"""
    name, edits, should_fail = BROKEN[bug]
    suite = hidden_suite(course, name)
    outcomes = run_suite(suite, sandbox, edited_package(suite.reference_package(), MODULE_FILES[suite.module.name], edits))
    assert set(outcomes.failed) == should_fail, {
        "failed but should pass": sorted(set(outcomes.failed) - should_fail),
        "passed but should fail": sorted(should_fail - set(outcomes.failed)),
        "messages": outcomes.failed,
    }
    assert len(outcomes.passed) + len(outcomes.failed) == len(collected_tests(suite))


@pytest.mark.parametrize("name", sorted(MODULE_FILES))
def test_an_untouched_notebook_earns_nothing(course, sandbox, name, run_suite):
    """Does the release notebook, handed in as is, fail every hidden test, each with NotImplementedError?"""
    suite = hidden_suite(course, name)
    release = course.paths.release / suite.module.slug
    notebook = release / suite.module.notebook_name
    prepared = prepare_submission(notebook.read_bytes(), nbformat.read(notebook, as_version=4),
                                  json.loads((release / "manifest.json").read_text()), suite.module.exports,
                                  "the release notebook")
    assert prepared.problem is None, prepared.problem
    outcomes = run_suite(suite, sandbox, package_texts(course, suite.module, prepared.exports))
    assert outcomes.passed == set()
    assert all("NotImplementedError" in message for message in outcomes.failed.values()), outcomes.failed
