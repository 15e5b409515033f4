"""Hidden tests of the autograd module: the submission's engine against the reference's, through probes.py only.

unbroadcast and topological_order on their own; then every differentiable operation (forward values and the
gradient of each input, on seeded inputs of several shapes, broadcasting included, after backward with a seeded
gradient of the output's shape); then backward itself: accumulation, zero_grad, detach, explicit and implicit
gradients, graphs thousands of nodes deep, float32, gradients kept on leaves only.
"""

import numpy as np
import pytest

from tito.grading.checks import assert_close, assert_equal, assert_true
from tito.grading.probes import ask, ask_each



def tolerance(expected):
    """1e-10 relative in float64; float32's own precision in float32."""
    if isinstance(expected, np.ndarray) and expected.dtype == np.float32:
        return {"rtol": 2e-5, "atol": 1e-6}
    return {"rtol": 1e-10, "atol": 1e-12}


def check_results(got, expected, what):
    """Every entry of a probe's dict: arrays within tolerance, everything else (bools, None, names) exactly."""
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            assert_true(got[key] is not None, f"{what}: {key} is None")
            assert_close(got[key], value, f"{what}: {key}", **tolerance(value))
        else:
            assert_equal(got[key], value, f"{what}: {key}")


# -- unbroadcast and topological_order: 9 points -------------------------------------------------------------

UNBROADCAST_CASES = [
    [[3, 4], [3, 4]], [[3, 4], [4]], [[3, 4], [1, 4]], [[3, 4], [3, 1]], [[3, 4], [1, 1]], [[3, 4], [1]],
    [[3, 4], []], [[2, 3, 4], [3, 1]], [[2, 3, 4], [1, 3, 1]], [[2, 3, 4], [2, 1, 4]], [[4, 1, 5], [1, 1, 5]],
    [[5, 1, 4], [5, 1, 1]], [[2, 1, 3, 1], [3, 1]], [[1, 4], [1, 4]], [[6], [1]], [[], []],
]


@pytest.mark.points(4)
def test_unbroadcast_sums_back_to_each_shape(student, reference):
    got = ask(student.unbroadcast_cases, "unbroadcast", cases=UNBROADCAST_CASES, seed=1)
    expected = reference.unbroadcast_cases(cases=UNBROADCAST_CASES, seed=1)
    for (grad_shape, shape), got_case, case in zip(UNBROADCAST_CASES, got, expected):
        what = f"unbroadcast(a gradient of shape {tuple(grad_shape)}, {tuple(shape)})"
        assert_close(got_case["value"], case["value"], what, **tolerance(case["value"]))
        assert_close(got_case["the gradient afterwards"], case["the gradient afterwards"],
                     f"{what}: the gradient it was given, afterwards (unbroadcast must not change it)",
                     rtol=0.0, atol=0.0)


GRAPHS = {
    "e = a * b + a": ({"a": [], "b": [], "d": ["a", "b"], "e": ["d", "a"]}, "e"),
    "a diamond": ({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}, "d"),
    "a node shared by three": ({"x": [], "y": ["x"], "p": ["y"], "q": ["y", "x"], "r": ["p", "y", "q"]}, "r"),
    "a node used twice by one": ({"a": [], "b": ["a", "a"], "c": ["b", "b", "a"]}, "c"),
    "a lone leaf": ({"a": []}, "a"),
    "a root that ignores some nodes": ({"a": [], "b": [], "c": ["a"], "d": ["b"], "e": ["c", "a"]}, "e"),
    "two ladders": ({"a": [], "b": ["a"], "c": ["a", "b"], "d": ["b", "c"], "e": ["c", "d"], "f": ["d", "e"],
                     "g": ["a", "f", "c"]}, "g"),
}


def reachable(parents, root):
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(parents[node])
    return seen


@pytest.mark.points(3)
def test_topological_order_of_small_graphs(student, reference):
    """Any valid order passes: each reachable node exactly once, after all its parents, the root last."""
    cases = [(f"topological_order on {name}", dict(parents=parents, root=root))
             for name, (parents, root) in GRAPHS.items()]
    orders = [order for _, order, _ in ask_each(student, reference, "topological", cases)]
    for (name, (parents, root)), order in zip(GRAPHS.items(), orders):
        what = f"topological_order on {name} (parents: {parents}), from {root!r}"
        assert_true(isinstance(order, list), f"{what}: expected a list of nodes, got {order!r}")
        assert_equal(sorted(map(str, order)), sorted(reachable(parents, root)),
                     f"{what}: the nodes listed (each reachable node exactly once)")
        assert_equal(order[-1], root, f"{what}: the last node")
        for node in order:
            for parent in parents[node]:
                assert_true(order.index(parent) < order.index(node),
                            f"{what}: {node!r} comes before its parent {parent!r} in {order}")


@pytest.mark.points(2)
def test_topological_order_of_a_long_chain(student, reference):
    got = ask(student.chain_order, "topological_order on a 5,000-node chain", length=5000)
    assert_true(got != "RecursionError", "topological_order on a 5,000-node chain hit Python's recursion limit: "
                                         "walk the graph with an explicit stack, not recursion")
    assert_true(got == reference.chain_order(length=5000),
                "topological_order on a 5,000-node chain should list the nodes oldest first, each exactly once")


# -- building Variables: 2 points ------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_variable_construction_and_dtypes(student, reference):
    got = ask(student.construction, "building Variables")
    for call, expected in reference.construction().items():
        if isinstance(expected, np.ndarray):
            assert_close(got[call], expected, f"{call} (float data is stored without a copy, so the change shows)",
                         rtol=0.0, atol=0.0)
            continue
        what = f"{call} (integers and bools become float64, floats keep their dtype)"
        assert_true(isinstance(got[call], dict), f"{what}: {got[call]}")
        assert_close(got[call]["value"], expected["value"], f"{what}: value, in its dtype")
        key = "grad after (v * 3).sum().backward()"
        grad, grad_expected = got[call][key], expected[key]
        what = f"v = {call}, then (v * 3).sum().backward()"
        if grad_expected is None:
            assert_equal(grad, None, f"{what}: v.grad (a Variable made with requires_grad=False gets no gradient)")
        else:
            assert_close(grad, grad_expected, f"{what}: v.grad (a new Variable requires gradients by default and "
                                              "its grad starts as None)", **tolerance(grad_expected))


# -- backward: 17 points --------------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_gradients_accumulate_across_backward_calls(student, reference):
    got = ask(student.accumulation, "repeated backward calls", seed=2)
    check_results(got, reference.accumulation(seed=2), "leaves add up gradients over backward calls")


@pytest.mark.points(1)
def test_zero_grad_then_backward_starts_afresh(student, reference):
    got = ask(student.zero_grad, "zero_grad", seed=3)
    check_results(got, reference.zero_grad(seed=3), "w of shape (2, 3), (w * w).sum().backward(), w.zero_grad()")


@pytest.mark.points(1)
def test_detach_stops_gradients(student, reference):
    got = ask(student.detach, "detach", seed=4)
    check_results(got, reference.detach(seed=4), "w of shape (2, 3) and w.detach()")


@pytest.mark.points(2)
def test_backward_with_an_explicit_gradient(student, reference):
    got = ask(student.explicit_gradient, "backward(gradient)", seed=5)
    check_results(got, reference.explicit_gradient(seed=5), "w of shape (2, 3), backward(gradient)")


@pytest.mark.points(2)
def test_backward_without_a_gradient(student, reference):
    got, expected = ask(student.implicit_gradient, "backward()", seed=6), reference.implicit_gradient(seed=6)
    what = "(w * 2).backward() with w of shape (2, 3)"
    assert_true(got["raised"] is not None,
                f"{what} should raise an error (torch raises RuntimeError): a gradient of ones is only implied "
                "for a single-element output")
    assert_true(got["raised"] in ("RuntimeError", "ValueError"),
                f"{what} should raise a RuntimeError (as torch does), not {got['raised']}")
    assert_equal(got["grad after the refused call"], None, f"{what}: w.grad after the refused call")
    single = {key: value for key, value in expected.items() if key not in ("raised", "grad after the refused call")}
    check_results(got, single, f"{what} refused, then backward() on single-element outputs (a refused call must "
                               "leave no gradient behind)")


def check_deep_graph(student, reference, kind, steps, what):
    got = ask(student.long_chain, what, kind=kind, steps=steps, seed=7)
    assert_true(got["raised"] is None, f"{what}, then y.sum().backward() hit Python's recursion limit: "
                                       "backward must not recurse once per node")
    expected = reference.long_chain(kind=kind, steps=steps, seed=7)
    assert_close(got["value"], expected["value"], f"{what}: the value of y", rtol=1e-10)
    assert_true(got["grad"] is not None, f"{what}: after y.sum().backward(), x.grad is None")
    assert_close(got["grad"], expected["grad"], f"{what}: x.grad after y.sum().backward()", rtol=1e-9)


@pytest.mark.points(2)
def test_backward_through_a_5000_node_chain(student, reference):
    check_deep_graph(student, reference, "chain", 2500, "y = y * 1.0001 + 0.001, 2,500 times (5,000 nodes)")


@pytest.mark.points(1)
def test_backward_through_a_6000_node_ladder(student, reference):
    """Each y is used twice: a walk that follows every path instead of every node would never finish."""
    check_deep_graph(student, reference, "ladder", 1500,
                     "y = y.tanh() * 0.5 + y * 0.5, 1,500 times (6,000 nodes, each y used twice)")


@pytest.mark.points(3)
def test_float32_model_keeps_float32_gradients(student, reference):
    got = ask(student.float32_case, "a float32 model", seed=8)
    check_results(got, reference.float32_case(seed=8),
                  "float32 w (4, 3), b (3,) and x (5, 4) next to Python numbers (float32 must stay float32)")


@pytest.mark.points(2)
def test_only_leaves_keep_gradients(student, reference):
    got = ask(student.leaves_only, "leaves and intermediate nodes", seed=9)
    check_results(got, reference.leaves_only(seed=9),
                  "(w * x).exp().sum().backward() with x not requiring gradients (intermediate gradients are dropped)")


# -- operations: 32 points -------------------------------------------------------------------------------------

DTYPES = ("float64", "float32")
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((5, 4), (4,)), ((4,), (5, 4)), ((), (2, 3)), ((2, 3), ()),
                   ((2, 1, 3), (4, 1)), ((2, 3, 4), (3, 1))]


def gradient_case(expression, shapes, seed, names="abc", dtype="float64", kinds=None, **options):
    """One `gradients` case: how to show it, and the probe's arguments."""
    kinds = kinds or ["variable"] * len(shapes)
    inputs = ", ".join(f"{name}{' (an ndarray)' if kind == 'ndarray' else ''} of shape {tuple(shape)}"
                       for name, shape, kind in zip(names, shapes, kinds))
    arguments = dict(expression=expression, shapes=[list(shape) for shape in shapes], seed=seed, dtype=dtype,
                     kinds=kinds, **options)
    return {"what": f"{expression} with {inputs} ({dtype})", "names": names, "kinds": kinds, "arguments": arguments}


def check_gradients(student, reference, cases):
    """The output's value and each input's gradient, the student's against the reference's, for every case."""
    results = ask_each(student, reference, "gradients", [(case["what"], case["arguments"]) for case in cases])
    for case, (what, got, expected) in zip(cases, results):
        tol = tolerance(expected["value"])
        assert_close(got["value"], expected["value"], f"{what}: forward value", **tol)
        for name, kind, got_grad, grad in zip(case["names"], case["kinds"], got["grads"], expected["grads"]):
            if grad is None:
                assert_true(got_grad is None, f"{what}: {name} ({kind}) must not receive a gradient, but it did")
                continue
            assert_true(got_grad is not None, f"{what}: after backward(), {name}.grad is still None")
            assert_close(got_grad, grad, f"{what}: gradient of {name} ({name}.grad)", **tol)


@pytest.mark.points(3)
def test_add_and_sub_with_broadcasting(student, reference):
    check_gradients(student, reference, [
        gradient_case(expression, shapes, seed, dtype=dtype)
        for dtype in DTYPES for seed, shapes in enumerate(BROADCAST_PAIRS) for expression in ("a + b", "a - b")
    ])


@pytest.mark.points(3)
def test_mul_and_div_with_broadcasting(student, reference):
    check_gradients(student, reference, [
        gradient_case(expression, shapes, 10 + seed, dtype=dtype)
        for dtype in DTYPES for seed, shapes in enumerate(BROADCAST_PAIRS) for expression in ("a * b", "a / b")
    ])


@pytest.mark.points(3)
def test_pow_with_numbers_and_variables(student, reference):
    cases = [gradient_case(expression, [(3, 4)], 20, positive=True)
             for expression in ("a ** 2", "a ** 3", "a ** 0.5", "a ** -1.5", "a ** 1")]
    cases += [gradient_case("a ** b", shapes, 21 + seed, positive=True)
              for seed, shapes in enumerate([((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), ())])]
    cases += [gradient_case("a ** b", [(2, 3), (2, 3)], 25, positive=True, kinds=["variable", "constant"]),
              gradient_case("a ** b", [(2, 3), (2, 3)], 26, positive=True, kinds=["constant", "variable"])]
    check_gradients(student, reference, cases)


@pytest.mark.points(3)
def test_numbers_and_ndarrays_on_either_side(student, reference):
    cases = [gradient_case(expression, [(2, 3)], 30, dtype=dtype)
             for dtype in DTYPES
             for expression in ("a + 2", "2 + a", "a - 0.5", "0.5 - a", "a * -3", "-3 * a", "a / 4", "4 / a",
                                "2 ** a", "0.5 ** a", "-a")]
    for expression in ("a + b", "a - b", "a * b", "a / b"):
        for seed, shapes in enumerate([((2, 3), (2, 3)), ((3, 1), (4,)), ((4,), (3, 1))]):
            cases.append(gradient_case(expression, shapes, 31 + seed, kinds=["ndarray", "variable"]))
            cases.append(gradient_case(expression, shapes, 35 + seed, kinds=["variable", "ndarray"]))
    cases.append(gradient_case("a ** b", [(3,), (2, 3)], 38, positive=True, kinds=["ndarray", "variable"]))
    check_gradients(student, reference, cases)


MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((1, 3), (3, 1)),
                 ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 1)), ((2, 3), (4, 3, 2)), ((3,), (5, 3, 4)),
                 ((3, 1, 2, 3), (4, 3, 2))]


@pytest.mark.points(3)
def test_matmul_gradients(student, reference):
    cases = [gradient_case("a @ b", shapes, 40 + seed, dtype=dtype)
             for dtype in DTYPES for seed, shapes in enumerate(MATMUL_SHAPES)]
    cases += [gradient_case("a @ b", [(4, 3), (3, 2)], 51, kinds=["constant", "variable"]),
              gradient_case("a @ b", [(4, 3), (3, 2)], 52, kinds=["ndarray", "variable"]),
              gradient_case("a @ b", [(4, 3), (3,)], 53, kinds=["variable", "ndarray"])]
    check_gradients(student, reference, cases)


@pytest.mark.points(3)
def test_nodes_used_along_several_paths(student, reference):
    """A node's gradient is the sum over every path from it to the output."""
    check_gradients(student, reference, [
        gradient_case("a * b + a", [(3, 4), (3, 4)], 60),
        gradient_case("a * b + a", [(3, 1), (4,)], 61),
        gradient_case("a * a", [(2, 3)], 62),
        gradient_case("a * a * a - a", [(2, 3)], 63),
        gradient_case("(a + b) * (a - b)", [(2, 3), (3,)], 64),
        gradient_case("h = a * b; h * h + h.exp()", [(2, 3), (2, 1)], 65),
        gradient_case("a @ a.T + a.sum(axis=1, keepdims=True)", [(3, 4)], 66),
    ])


@pytest.mark.points(2)
def test_sum_and_mean_gradients(student, reference):
    cases = [gradient_case(expression, [(2, 3, 4)], 70)
             for expression in ("a.sum()", "a.sum(axis=0)", "a.sum(axis=1, keepdims=True)", "a.sum(axis=-1)",
                                "a.sum(axis=(0, 2))", "a.sum(axis=(0, 2), keepdims=True)", "a.mean()",
                                "a.mean(axis=1)", "a.mean(axis=(0, 1), keepdims=True)")]
    cases += [gradient_case("a.sum()", [(3,)], 71, dtype="float32"), gradient_case("a.sum(axis=0)", [(5,)], 72)]
    check_gradients(student, reference, cases)


@pytest.mark.points(2)
def test_max_and_min_gradients(student, reference):
    cases = [gradient_case(expression, [(2, 3, 4)], 80)
             for expression in ("a.max()", "a.max(axis=0)", "a.max(axis=1, keepdims=True)", "a.max(axis=-1)",
                                "a.max(axis=(0, 2))", "a.min()", "a.min(axis=1)", "a.min(axis=0, keepdims=True)")]
    cases.append(gradient_case("a.max(axis=0)", [(6, 2)], 81, dtype="float32"))
    check_gradients(student, reference, cases)


@pytest.mark.points(1)
def test_max_splits_ties_evenly(student, reference):
    """Equal maxima share the gradient equally (values drawn from {0, 1, 2}, so ties are everywhere)."""
    check_gradients(student, reference, [
        gradient_case(expression, [(4, 5)], 85, ties=True)
        for expression in ("a.max()", "a.max(axis=0)", "a.max(axis=1, keepdims=True)", "a.min(axis=1)")
    ])


@pytest.mark.points(2)
def test_exp_log_and_sqrt(student, reference):
    check_gradients(student, reference, [
        case for dtype in DTYPES for case in (gradient_case("a.exp()", [(3, 4)], 90, dtype=dtype),
                                              gradient_case("a.log()", [(3, 4)], 91, dtype=dtype, positive=True),
                                              gradient_case("a.sqrt()", [(3, 4)], 92, dtype=dtype, positive=True))
    ])


@pytest.mark.points(2)
def test_relu_sigmoid_and_tanh(student, reference):
    cases = [gradient_case(expression, [(3, 4)], 95, dtype=dtype)
             for dtype in DTYPES for expression in ("a.relu()", "a.sigmoid()", "a.tanh()")]
    # relu at exactly 0 sends no gradient (as torch); ties=True draws from {0, 1, 2}
    cases.append(gradient_case("a.relu()", [(4, 5)], 96, ties=True))
    check_gradients(student, reference, cases)


@pytest.mark.points(2)
def test_reshape_and_transpose_gradients(student, reference):
    cases = [gradient_case(expression, [(2, 3, 4)], 100)
             for expression in ("a.reshape(6, 4)", "a.reshape((4, -1))", "a.reshape([24])", "a.reshape(2, 1, 12)",
                                "a.transpose()", "a.transpose(1, 0, 2)", "a.transpose((2, 0, 1))",
                                "a.transpose([1, 2, 0])", "a.T")]
    cases += [gradient_case("a.T", [(3, 5)], 101, dtype="float32"),
              gradient_case("a.reshape(4, 6).T * b", [(2, 3, 4), (4,)], 102)]
    check_gradients(student, reference, cases)


@pytest.mark.points(2)
def test_indexing_scatters_gradients(student, reference):
    """Each gradient entry goes back to the element it was read from; repeated indices add up."""
    check_gradients(student, reference, [
        gradient_case(expression, [(4, 5)], 110)
        for expression in ("a[1]", "a[-1]", "a[:, 1]", "a[1:3, ::2]", "a[np.array([0, 0, 2, 3, 0])]",
                           "a[np.array([0, 0, 1, 3]), np.array([2, 2, 0, 4])]", "a[a.data.data > 0]",
                           "a[Tensor(np.array([3, 1, 3]))]", "a[np.arange(4), np.array([1, 0, 4, 4])]")
    ])


@pytest.mark.points(1)
def test_compositions_of_many_operations(student, reference):
    network = "((x @ w + b).tanh() @ v).sigmoid().log().mean()"
    layers = [(6, 4), (4, 5), (5,), (5, 2)]
    check_gradients(student, reference, [
        gradient_case(network, layers, 120, names="xwbv", kinds=["constant", "variable", "variable", "variable"]),
        gradient_case(network, layers, 123, names="xwbv", dtype="float32",
                      kinds=["constant", "variable", "variable", "variable"]),
        gradient_case("(a - a.max(axis=1, keepdims=True)).exp().sum(axis=1).log()", [(4, 6)], 121),
        gradient_case("((a * b).relu() + (a / b).sigmoid() ** 2).sum(axis=0) / 3", [(3, 4), (4,)], 122),
    ])
