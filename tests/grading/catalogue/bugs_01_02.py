"""Single-concept bugs of modules 01_tensor and 02_autograd: see catalogue/__init__.py."""

from __future__ import annotations

from . import bug

TENSOR = [
    bug("tensor-rsub-reversed", "tensor", "`__rsub__` computes self - other", "tensor",
        [("return Tensor(_as_array(other) - self.data)", "return Tensor(self.data - _as_array(other))")],
        ["test_reflected_operator_keeps_the_order[sub]"], ["reflected"], "the reflected operator",
        ["test_tensor_sub"]),
    bug("tensor-rmatmul-reversed", "tensor", "`__rmatmul__` computes self @ other", "tensor",
        [("return Tensor(_as_array(other) @ self.data)", "return Tensor(self.data @ _as_array(other))")],
        ["test_reflected_operator_keeps_the_order[matmul]"], ["reflected"], "the reflected operator",
        ["test_tensor_matmul"]),
    bug("tensor-mul-promotes-float32", "tensor", "`*` turns Python numbers into float64 arrays (float32 * 0.5 is "
        "float64)", "tensor",
        [("return Tensor(self.data * _as_array(other))", "return Tensor(self.data * np.array(_as_array(other)))")],
        ["test_float32_stays_float32"], ["float32"], "float32 stays float32", ["test_tensor_mul"]),
    bug("tensor-sum-ignores-keepdims", "tensor", "`sum` ignores keepdims", "tensor",
        [("return Tensor(self.data.sum(axis=axis, keepdims=keepdims))", "return Tensor(self.data.sum(axis=axis))")],
        ["test_keepdims_keeps_the_reduced_axes"], ["keepdims"], "keepdims", ["test_tensor_sum"]),
    bug("tensor-init-copies", "tensor", "`__init__` copies the array it is given", "tensor",
        [("self.data = np.asarray(_as_array(data), dtype=dtype)",
          "self.data = np.array(_as_array(data), dtype=dtype)")],
        ["test_tensors_share_the_arrays_they_wrap"], ["share"], "sharing, not copying", ["test_tensor_creation"]),
    bug("tensor-neg-in-place", "tensor", "negation overwrites its operand", "tensor",
        [("return Tensor(-self.data)", "return Tensor(np.negative(self.data, out=self.data))")],
        ["test_operators_leave_their_operands_unchanged"], ["operands"], "operands left unchanged",
        ["test_tensor_neg"]),
    bug("tensor-transpose-without-arguments", "tensor", "`transpose()` without arguments fails", "tensor",
        [("return Tensor(self.data.transpose(axes or None))", "return Tensor(self.data.transpose(axes))")],
        ["test_transpose_accepts_every_form"], ["transpose"], "transpose()", ["test_tensor_transpose"]),
]

STRETCHED_AXES = """\
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
"""
ITERATIVE_ORDER = """\
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
"""
RECURSIVE_ORDER = """\
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node._parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order
"""
LEAF_FIRST_GRAD = "node.grad = Variable(grad.astype(node.dtype), requires_grad=False)"

AUTOGRAD = [
    bug("autograd-unbroadcast-forgets-size-one-axes", "autograd",
        "`unbroadcast` sums the added leading axes but not the stretched size-1 axes", "autograd",
        [(STRETCHED_AXES, "")],
        ["test_unbroadcast_sums_back_to_each_shape", "test_broadcast_operands_get_gradients_of_their_shape"],
        ["unbroadcast", "broadcast"], "unbroadcast", ["test_unbroadcast", "test_accumulate"]),
    bug("autograd-pending-gradient-overwritten", "autograd",
        "`_accumulate` overwrites a node's pending gradient instead of adding to it", "autograd",
        [("self._pending_grad = self._pending_grad + grad", "self._pending_grad = grad")],
        ["test_nodes_used_along_several_paths", "test_backward_runs_each_shared_node_once"],
        ["several_paths", "shared_node"], "several paths",
        ["test_accumulate", "test_backward", "test_paths_add_up"]),
    bug("autograd-leaf-gradient-replaced", "autograd", "a second `backward()` replaces a leaf's `.grad` instead "
        "of adding to it", "autograd",
        [("node.grad.data.data += grad", LEAF_FIRST_GRAD)],
        ["test_gradients_accumulate_across_backward_calls"], ["accumulate"], "accumulation across backward calls",
        ["test_backward", "test_accumulation"]),
    bug("autograd-leaf-gradient-shares-upstream", "autograd", "a leaf's first `.grad` keeps the array that arrived "
        "(shared with other leaves, or a read-only broadcast view) and later calls add into it", "autograd",
        [(LEAF_FIRST_GRAD, LEAF_FIRST_GRAD.replace("astype(node.dtype)", "astype(node.dtype, copy=False)"))],
        ["test_gradients_accumulate_across_backward_calls"], ["accumulate"], "accumulation across backward calls",
        ["test_accumulation"]),
    bug("autograd-topological-order-recurses", "autograd", "`topological_order` recurses once per node (deep "
        "graphs hit the recursion limit)", "autograd",
        [(ITERATIVE_ORDER, RECURSIVE_ORDER)],
        ["test_topological_order_of_a_long_chain", "test_backward_through_a_deep_chain"], ["long_chain", "deep"],
        "recursion limit", ["test_topological_order", "test_backward", "test_accumulation"]),
    bug("autograd-float32-promoted", "autograd", "`Variable.__init__` turns float32 data into float64", "autograd",
        [('if array.dtype.kind != "f":', "if array.dtype != np.float64:")],
        ["test_float32_stays_float32"], ["float32"], "float32 stays float32", ["test_variable_creation"]),
    bug("autograd-max-ties-get-everything", "autograd", "`max` gives every tied maximum the whole gradient",
        "autograd",
        [("winners * (grad / winners.sum(axis=axis, keepdims=True))", "winners * grad")],
        ["test_max_splits_ties_evenly"], ["ties"], "max with ties", ["test_max_backward"]),
    bug("autograd-relu-passes-at-zero", "autograd", "`relu` passes the gradient at 0", "autograd",
        [("self._accumulate(grad * (a > 0))", "self._accumulate(grad * (a >= 0))")],
        ["test_relu_gradient_at_zero"], ["relu"], "relu at 0", ["test_relu_backward"]),
    bug("autograd-backward-implies-ones-for-any-shape", "autograd", "`backward()` without a gradient runs on an "
        "output of any shape instead of refusing", "autograd",
        [("if self.size != 1:", "if False:")],
        ["test_backward_without_a_gradient"], ["without_a_gradient"], "backward() without a gradient",
        ["test_backward"]),
    bug("autograd-pow-nan-at-zero", "autograd", "the gradient of `a ** 0` at `a = 0` is nan (`p * a ** (p - 1)` "
        "as written)", "autograd",
        [("self._accumulate(grad * np.where(p == 0, 0, p * a ** (p - 1)))",
          "self._accumulate(grad * p * a ** (p - 1))")],
        ["test_pow_gradient_where_the_base_is_zero"], ["zero"], "pow at a base of 0", ["test_pow_backward"]),
]

BUGS = [*TENSOR, *AUTOGRAD]
