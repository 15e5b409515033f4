"""Hidden tests of the autograd module: the submission's engine against the reference's, through probes.py only.

One property per test, checked so that it does not depend on the others, and the failure message names it
first. unbroadcast and topological_order on their own; backward itself (accumulation across calls, a node used
along several paths, zero_grad, detach, explicit and implicit gradients, deep graphs, gradients kept on leaves
only); float32; then each operation the student writes (forward value and the gradient of each input after
backward with a seeded gradient) on float64 inputs of equal shapes, each node used once. Broadcasting, ties of
max and relu or pow at 0 have tests of their own. The float32 test judges only the expressions whose float64
values and gradients are right, so a wrong operation fails its own test alone, and a submission that does not
compute (or forges its reports) has no right values to show. Multiplication is given code (the lesson's worked
example): it appears only inside expressions that test the student's engine.
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
    got = ask(student.unbroadcast_cases, "unbroadcast: 16 cases", cases=UNBROADCAST_CASES, seed=1)
    expected = reference.unbroadcast_cases(cases=UNBROADCAST_CASES, seed=1)
    for (grad_shape, shape), got_case, case in zip(UNBROADCAST_CASES, got, expected):
        what = f"unbroadcast: unbroadcast(a gradient of shape {tuple(grad_shape)}, {tuple(shape)})"
        value = got_case["value"]
        leading_only = tuple(grad_shape[len(grad_shape) - len(shape):])  # the added axes summed, nothing else
        if isinstance(value, np.ndarray) and value.shape != tuple(shape) and value.shape == leading_only:
            raise AssertionError(f"{what}: expected shape {tuple(shape)}, got shape {value.shape}: the leading axes "
                                 "were summed, but not the axes where the shape has size 1 (sum over those with "
                                 "keepdims=True)")
        assert_close(value, case["value"], what, **tolerance(case["value"]))
        assert_close(got_case["the gradient afterwards"], case["the gradient afterwards"],
                     f"{what}: the gradient it was given, afterwards (unbroadcast must not change it)",
                     rtol=0.0, atol=0.0)


# Each graph lists some children before their parents, and some parents before their children: neither the order
# given nor its reverse is an answer.
GRAPHS = {
    "e = a * b + a": ({"d": ["a", "b"], "a": [], "e": ["d", "a"], "b": []}, "e"),
    "a diamond": ({"b": ["a"], "a": [], "d": ["b", "c"], "c": ["a"]}, "d"),
    "a node shared by three": ({"q": ["y", "x"], "x": [], "r": ["p", "y", "q"], "y": ["x"], "p": ["y"]}, "r"),
    "a node used twice by one": ({"b": ["a", "a"], "a": [], "c": ["b", "b", "a"]}, "c"),
    "a lone leaf": ({"a": []}, "a"),
    "a root that ignores some nodes": ({"c": ["a"], "a": [], "e": ["c", "a"], "b": [], "d": ["b"]}, "e"),
    "two ladders": ({"c": ["a", "b"], "a": [], "e": ["c", "d"], "b": ["a"], "g": ["a", "f", "c"], "d": ["b", "c"],
                     "f": ["d", "e"]}, "g"),
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
    cases = [(f"topological order: topological_order on {name}", dict(parents=parents, root=root))
             for name, (parents, root) in GRAPHS.items()]
    orders = [order for _, order, _ in ask_each(student, reference, "topological", cases)]
    for (name, (parents, root)), order in zip(GRAPHS.items(), orders):
        what = f"topological order: topological_order on {name} (parents: {parents}), from {root!r}"
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
    what = "a deep graph: topological_order on a 5,000-node chain"
    got = ask(student.chain_order, what, length=5000)
    assert_true(got != "RecursionError", f"{what} hit Python's recursion limit: walk the graph with an explicit "
                                         "stack, not recursion")
    assert_true(got == reference.chain_order(length=5000),
                f"{what} should list the nodes oldest first, each exactly once")


# -- building Variables: 2 points ------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_variable_construction_and_dtypes(student, reference):
    got = ask(student.construction, "construction: building Variables")
    for call, expected in reference.construction().items():
        if isinstance(expected, np.ndarray):
            assert_close(got[call], expected, f"construction: {call} (float data is stored without a copy, so the "
                                              "change shows)", rtol=0.0, atol=0.0)
            continue
        what = f"construction: {call} (integers and bools become float64, floats keep their dtype)"
        assert_true(isinstance(got[call], dict), f"{what}: {got[call]}")
        assert_close(got[call]["value"], expected["value"], f"{what}: value, in its dtype")
        key = "grad after (v.exp() * 3).sum().backward()"
        grad, grad_expected = got[call][key], expected[key]
        what = f"construction: v = {call}, then (v.exp() * 3).sum().backward()"
        if grad_expected is None:
            assert_equal(grad, None, f"{what}: v.grad (a Variable made with requires_grad=False gets no gradient)")
        else:
            assert_close(grad, grad_expected, f"{what}: v.grad (a new Variable requires gradients by default and "
                                              "its grad starts as None)", **tolerance(grad_expected))


# -- backward: 17 points -------------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_gradients_accumulate_across_backward_calls(student, reference):
    """A leaf's .grad adds up over backward calls (each graph uses every node once)."""
    got = ask(student.accumulation, "accumulation across backward calls", seed=2)
    check_results(got, reference.accumulation(seed=2), "accumulation across backward calls: a leaf's .grad adds up "
                                                       "until zero_grad()")


@pytest.mark.points(1)
def test_backward_after_zero_grad_starts_afresh(student, reference):
    got = ask(student.zero_grad, "a backward pass after zero_grad", seed=3)
    check_results(got, reference.zero_grad(seed=3), "a backward pass after zero_grad (a leaf whose .grad is None "
                                                    "gets a new one): w of shape (2, 3), w.exp().sum().backward(), "
                                                    "w.zero_grad()")


@pytest.mark.points(1)
def test_constants_receive_no_gradient(student, reference):
    got = ask(student.constants, "constants", seed=4)
    check_results(got, reference.constants(seed=4), "constants (requires_grad=False) receive no gradient: w of shape "
                                                    "(2, 3), c = Variable(..., requires_grad=False), w.detach()")


@pytest.mark.points(2)
def test_backward_with_an_explicit_gradient(student, reference):
    got = ask(student.explicit_gradient, "backward(gradient)", seed=5)
    check_results(got, reference.explicit_gradient(seed=5), "backward(gradient): w of shape (2, 3)")


@pytest.mark.points(2)
def test_backward_without_a_gradient(student, reference):
    got, expected = ask(student.implicit_gradient, "backward()", seed=6), reference.implicit_gradient(seed=6)
    what = "backward() without a gradient: (w * 2).backward() with w of shape (2, 3)"
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
def test_backward_through_a_deep_chain(student, reference):
    check_deep_graph(student, reference, "chain", 2500,
                     "a deep graph: y = y * 1.0001 + 0.001, 2,500 times (5,000 nodes, each used once)")


@pytest.mark.points(3)
def test_nodes_used_along_several_paths(student, reference):
    """A node's gradient is the sum over every path from it to the output (equal shapes, float64)."""
    check_gradients(student, reference, "several paths (a node used twice must add both gradients)", [
        gradient_case("a * b + a", [(3, 4), (3, 4)], 60),
        gradient_case("a * a", [(2, 3)], 62),
        gradient_case("a * a * a + a", [(2, 3)], 63),
        gradient_case("(a + b) * (a + b * -1)", [(2, 3), (2, 3)], 64),
        gradient_case("h = a * b; h * h + h.exp()", [(2, 3), (2, 3)], 65),
        gradient_case("(a @ a.T).sum(axis=1) + a.sum(axis=1)", [(3, 4)], 66),
    ])


@pytest.mark.points(1)
def test_backward_runs_each_shared_node_once(student, reference):
    """Each y is used twice: 2**60 paths lead from x to the output, through only 240 nodes. A walk that follows
    every path instead of every node would never finish."""
    check_deep_graph(student, reference, "ladder", 60,
                     "a node shared by two paths, 60 times over: y = y.tanh() * 0.5 + y * 0.5 (2**60 paths, 240 "
                     "nodes; each node's gradient is the sum over both its children, and its closure runs once)")


@pytest.mark.points(2)
def test_only_leaves_keep_gradients(student, reference):
    got = ask(student.leaves_only, "only leaves keep gradients", seed=9)
    check_results(got, reference.leaves_only(seed=9),
                  "only leaves keep gradients: (w * x).exp().sum().backward() with x not requiring gradients (intermediate gradients are dropped)")


# -- float32: 3 points ----------------------------------------------------------------------------------------

FLOAT32_CASES = [
    ("a + b", [(3, 4), (3, 4)], {}), ("a * 0.5", [(3, 4)], {}), ("0.5 - a", [(3, 4)], {}), ("a / 4", [(3, 4)], {}),
    ("a ** 2", [(3, 4)], {}), ("a ** b", [(3, 4), (3, 4)], {"positive": True}), ("2 ** a", [(3, 4)], {}),
    ("a @ b", [(3, 4), (4, 2)], {}), ("a.sum(axis=0)", [(3, 4)], {}), ("a.max(axis=1)", [(3, 4)], {}),
    ("a.exp()", [(3, 4)], {}), ("a.log()", [(3, 4)], {"positive": True}), ("a.relu()", [(3, 4)], {}),
    ("a.sigmoid()", [(3, 4)], {}), ("a.tanh()", [(3, 4)], {}), ("a.reshape((4, -1))", [(3, 4)], {}),
    ("a.T", [(3, 4)], {}), ("a[1]", [(3, 4)], {}),
    ("a.tanh()", [(3, 4)], {"gradient_dtype": "float64"}),
    ("((x @ w).tanh() @ v).sigmoid().log().mean()", [(6, 4), (4, 5), (5, 2)],
     {"names": "xwv", "kinds": ["constant", "variable", "variable"]}),
]


@pytest.mark.points(3)
def test_float32_stays_float32(student, reference):
    """float32 Variables stay float32, next to Python numbers and float64 gradients, in values and gradients.

    Each expression is judged only where the submission's float64 value and gradients are right, so a wrong
    operation fails its own test, not this one."""
    concept = "float32 stays float32"
    cases = {dtype: [gradient_case(expression, shapes, 130 + index, dtype=dtype, **options)
                     for index, (expression, shapes, options) in enumerate(FLOAT32_CASES)]
             for dtype in ("float64", "float32")}
    results = {dtype: run_gradients(student, reference, concept, cases[dtype]) for dtype in cases}
    judged = [index for index, (case, (what, got, expected)) in enumerate(zip(cases["float64"], results["float64"]))
              if gradients_mismatch(case, got, expected) is None]
    if 2 * len(judged) < len(FLOAT32_CASES):
        first = next(gradients_mismatch(case, got, expected)
                     for case, (_, got, expected) in zip(cases["float64"], results["float64"])
                     if gradients_mismatch(case, got, expected) is not None)
        raise AssertionError(f"{concept}: only {len(judged)} of {len(FLOAT32_CASES)} expressions gave the right "
                             "float64 values and gradients, too few to judge float32 (fix those first; the tests of "
                             f"each operation say which), e.g. {first}")
    got = ask(student.float32_construction, f"{concept}: building Variables from float32 data")
    for call, expected in reference.float32_construction().items():
        assert_close(got[call], expected, f"{concept}: {call}, the value it holds (float data keeps its dtype and "
                                          "is not copied)", rtol=0.0, atol=0.0)
    for index in judged:
        case, (what, got_case, expected_case) = cases["float32"][index], results["float32"][index]
        compare_gradients(case, what, got_case, expected_case)


# -- operations: 29 points (float64, equal shapes, each node used once) ---------------------------------------

BROADCAST_PAIRS = [((3, 1), (1, 4)), ((5, 4), (4,)), ((4,), (5, 4)), ((), (2, 3)), ((2, 3), ()),
                   ((2, 1, 3), (4, 1)), ((2, 3, 4), (3, 1))]


def gradient_case(expression, shapes, seed, names="abcd", dtype="float64", kinds=None, **options):
    """One `gradients` case: how to show it, and the probe's arguments."""
    kinds = kinds or ["variable"] * len(shapes)
    inputs = ", ".join(f"{name}{' (an ndarray)' if kind == 'ndarray' else ''}"
                       f"{' (requires_grad=False)' if kind == 'constant' else ''} of shape {tuple(shape)}"
                       for name, shape, kind in zip(names, shapes, kinds))
    arguments = dict(expression=expression, shapes=[list(shape) for shape in shapes], seed=seed, dtype=dtype,
                     kinds=kinds, **options)
    note = " and a float64 gradient given to backward" if options.get("gradient_dtype") else ""
    return {"what": f"{expression} with {inputs} ({dtype}{note})", "names": names, "kinds": kinds,
            "arguments": arguments}


def run_gradients(student, reference, concept, cases):
    return ask_each(student, reference, "gradients", [(f"{concept}: {case['what']}", case["arguments"])
                                                      for case in cases])


def compare_gradients(case, what, got, expected):
    """The output's value and each input's gradient, the student's against the reference's."""
    tol = tolerance(expected["value"])
    value, expected_value = got["value"], expected["value"]
    if isinstance(value, np.ndarray) and value.dtype != expected_value.dtype and value.dtype == np.float64 \
            and value.shape == expected_value.shape:
        close = np.allclose(value, expected_value, rtol=1e-4, atol=1e-5, equal_nan=True)
        hint = " (the numbers are right: float32 met a float64 array or number on the way, or was converted)"
        raise AssertionError(f"{what}: forward value: expected dtype {expected_value.dtype}, got dtype float64"
                             f"{hint if close else ''}")
    assert_close(value, expected_value, f"{what}: forward value", **tol)
    for name, kind, got_grad, grad in zip(case["names"], case["kinds"], got["grads"], expected["grads"]):
        if grad is None:
            assert_true(got_grad is None, f"{what}: {name} ({kind}) must not receive a gradient, but it did")
            continue
        assert_true(got_grad is not None, f"{what}: after backward(), {name}.grad is still None")
        where = f"{what}: gradient of {name} ({name}.grad)"
        if isinstance(got_grad, np.ndarray) and got_grad.shape != grad.shape:
            output = np.shape(expected["value"])
            hint = (f"; it has the output's shape {output}: sum it back to {name}'s shape (unbroadcast in "
                    "_accumulate)" if got_grad.shape == output else "")
            raise AssertionError(f"{where}: expected shape {grad.shape}, got shape {got_grad.shape}{hint}")
        if isinstance(got_grad, np.ndarray) and got_grad.dtype != grad.dtype and got_grad.dtype == np.float64:
            close = np.allclose(got_grad, grad, rtol=1e-4, atol=1e-5, equal_nan=True)
            hint = (" (the numbers are right: float32 met a float64 array or number on the way, or was converted)"
                    if close else "")
            raise AssertionError(f"{where}: expected dtype {grad.dtype}, got dtype float64{hint}")
        assert_close(got_grad, grad, where, **tol)


def gradients_mismatch(case, got, expected):
    """Why the submission's value or gradients differ from the reference's, or None when they agree."""
    try:
        compare_gradients(case, case["what"], got, expected)
    except AssertionError as error:
        return str(error)
    return None


def check_gradients(student, reference, concept, cases):
    for case, (what, got, expected) in zip(cases, run_gradients(student, reference, concept, cases)):
        compare_gradients(case, what, got, expected)


@pytest.mark.points(3)
def test_sum_gradients(student, reference):
    check_gradients(student, reference, "sum", [
        *(gradient_case(expression, [(2, 3, 4)], 70)
          for expression in ("a.sum()", "a.sum(axis=0)", "a.sum(axis=1, keepdims=True)", "a.sum(axis=-1)",
                             "a.sum(axis=(0, 2))", "a.sum(axis=(0, 2), keepdims=True)")),
        gradient_case("a.sum(axis=0)", [(5,)], 72),
    ])


@pytest.mark.points(2)
def test_add_gradients(student, reference):
    check_gradients(student, reference, "add", [
        gradient_case("a + b", [(3, 4), (3, 4)], 1),
        gradient_case("a + b", [(), ()], 2),
        gradient_case("a + b", [(2, 3, 4), (2, 3, 4)], 3),
        gradient_case("a + b", [(3, 4), (3, 4)], 4, kinds=["variable", "constant"]),
        gradient_case("a + b", [(3, 4), (3, 4)], 5, kinds=["constant", "variable"]),
        gradient_case("a + b", [(3, 4), (3, 4)], 6, kinds=["ndarray", "variable"]),
        gradient_case("a + 2", [(3, 4)], 7),
        gradient_case("2 + a", [(3, 4)], 8),
    ])


@pytest.mark.points(3)
def test_pow_gradients(student, reference):
    """Number exponents on bases of either sign (fractional ones on positive bases), Variable exponents."""
    cases = [gradient_case(expression, [(3, 4)], 20) for expression in ("a ** 0", "a ** 1", "a ** 2", "a ** 3")]
    cases += [gradient_case(expression, [(3, 4)], 21, positive=True) for expression in ("a ** 0.5", "a ** -1.5")]
    cases += [gradient_case("a ** b", [(3, 4), (3, 4)], 22, positive=True),
              gradient_case("a ** b", [(2, 3), (2, 3)], 25, positive=True, kinds=["variable", "constant"]),
              gradient_case("a ** b", [(2, 3), (2, 3)], 26, positive=True, kinds=["constant", "variable"]),
              gradient_case("2 ** a", [(2, 3)], 27)]
    check_gradients(student, reference, "pow", cases)


@pytest.mark.points(1)
def test_pow_gradient_where_the_base_is_zero(student, reference):
    """Bases and exponents from {0, 1, 2}: d a**0 / da is 0 at a = 0, and d a**p / dp is 0 at a = 0 (as torch)."""
    check_gradients(student, reference, "pow at a base of 0 (0, not nan, where the formula multiplies 0 by an "
                                        "infinity)", [
        *(gradient_case(expression, [(4, 5)], 28, ties=True) for expression in ("a ** 0", "a ** 1", "a ** 2")),
        gradient_case("a ** b", [(4, 5), (4, 5)], 29, ties=True),
    ])


MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((1, 3), (3, 1)),
                 ((5, 2, 3), (5, 3, 4))]


@pytest.mark.points(3)
def test_matmul_gradients(student, reference):
    """Matrices, vectors and stacks of matrices of the same batch shape (broadcast batches: the broadcasting test)."""
    cases = [gradient_case("a @ b", shapes, 40 + seed) for seed, shapes in enumerate(MATMUL_SHAPES)]
    cases += [gradient_case("a @ b", [(4, 3), (3, 2)], 51, kinds=["constant", "variable"]),
              gradient_case("a @ b", [(4, 3), (3, 2)], 52, kinds=["ndarray", "variable"]),
              gradient_case("a @ b", [(4, 3), (3,)], 53, kinds=["variable", "ndarray"])]
    check_gradients(student, reference, "matmul", cases)


@pytest.mark.points(3)
def test_broadcast_operands_get_gradients_of_their_shape(student, reference):
    """The gradient of a stretched operand is summed back to its shape (unbroadcast, called by _accumulate)."""
    cases = [gradient_case(expression, shapes, seed, positive=(expression == "a ** b"))
             for seed, shapes in enumerate(BROADCAST_PAIRS) for expression in ("a + b", "a * b", "a ** b")]
    cases += [gradient_case("a + b", [(3, 1), (4,)], 8, kinds=["ndarray", "variable"]),
              gradient_case("a * b", [(4,), (3, 1)], 9, kinds=["variable", "ndarray"])]
    cases += [gradient_case("a @ b", shapes, 10 + seed)
              for seed, shapes in enumerate([((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)), ((3,), (5, 3, 4)),
                                             ((3, 1, 2, 3), (4, 3, 2))])]
    check_gradients(student, reference, "broadcasting (a stretched operand's gradient is summed back to its "
                                        "shape)", cases)


@pytest.mark.points(2)
def test_max_gradients(student, reference):
    check_gradients(student, reference, "max", [
        gradient_case(expression, [(2, 3, 4)], 80)
        for expression in ("a.max()", "a.max(axis=0)", "a.max(axis=1, keepdims=True)", "a.max(axis=-1)",
                           "a.max(axis=(0, 2))")
    ])


@pytest.mark.points(1)
def test_max_splits_ties_evenly(student, reference):
    """Equal maxima share the gradient equally (values drawn from {0, 1, 2}, so ties are everywhere)."""
    check_gradients(student, reference, "max with ties (equal maxima share the gradient evenly)", [
        gradient_case(expression, [(4, 5)], 85, ties=True)
        for expression in ("a.max()", "a.max(axis=0)", "a.max(axis=1, keepdims=True)")
    ])


@pytest.mark.points(2)
def test_exp_and_log_gradients(student, reference):
    check_gradients(student, reference, "exp and log", [
        gradient_case("a.exp()", [(3, 4)], 90), gradient_case("a.log()", [(3, 4)], 91, positive=True),
    ])


@pytest.mark.points(1)
def test_relu_gradients(student, reference):
    check_gradients(student, reference, "relu", [gradient_case("a.relu()", [(3, 4)], 95),
                                                 gradient_case("a.relu()", [(2, 3, 4)], 96)])


@pytest.mark.points(1)
def test_relu_gradient_at_zero(student, reference):
    """relu at exactly 0 sends no gradient (as torch); values drawn from {0, 1, 2}."""
    check_gradients(student, reference, "relu at 0 (the gradient there is 0, as in torch)",
                    [gradient_case("a.relu()", [(4, 5)], 97, ties=True)])


@pytest.mark.points(2)
def test_sigmoid_and_tanh_gradients(student, reference):
    check_gradients(student, reference, "sigmoid and tanh", [
        gradient_case(expression, [(3, 4)], 98) for expression in ("a.sigmoid()", "a.tanh()")
    ])


@pytest.mark.points(2)
def test_reshape_and_transpose_gradients(student, reference):
    cases = [gradient_case(expression, [(2, 3, 4)], 100)
             for expression in ("a.reshape(6, 4)", "a.reshape((4, -1))", "a.reshape([24])", "a.reshape(2, 1, 12)",
                                "a.transpose()", "a.transpose(1, 0, 2)", "a.transpose((2, 0, 1))",
                                "a.transpose([1, 2, 0])", "a.T")]
    cases.append(gradient_case("a.T", [(3, 5)], 101))
    check_gradients(student, reference, "reshape and transpose", cases)


@pytest.mark.points(2)
def test_indexing_scatters_gradients(student, reference):
    """Each gradient entry goes back to the element it was read from; repeated indices add up."""
    check_gradients(student, reference, "indexing", [
        gradient_case(expression, [(4, 5)], 110)
        for expression in ("a[1]", "a[-1]", "a[:, 1]", "a[1:3, ::2]", "a[np.array([0, 0, 2, 3, 0])]",
                           "a[np.array([0, 0, 1, 3]), np.array([2, 2, 0, 4])]", "a[a.data.data > 0]",
                           "a[Tensor(np.array([3, 1, 3]))]", "a[np.arange(4), np.array([1, 0, 4, 4])]")
    ])


@pytest.mark.points(1)
def test_compositions_of_many_operations(student, reference):
    check_gradients(student, reference, "a composition", [
        gradient_case("((x @ w).tanh() @ v).sigmoid().log().mean()", [(6, 4), (4, 5), (5, 2)], 120, names="xwv",
                      kinds=["constant", "variable", "variable"]),
        gradient_case("((a * b).relu() + (c / d).sigmoid() ** 2).sum(axis=0) / 3", [(3, 4)] * 4, 122),
    ])
