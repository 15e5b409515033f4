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

AUTOGRAD = [
]

BUGS = [*TENSOR, *AUTOGRAD]
