"""The line a test cell prints when its test passed: `test_sgd_momentum passed (5 points)`."""

from __future__ import annotations

import ast


def pass_line(name: str, points: float) -> str:
    """`print("test_sgd_momentum passed (5 points)")`: the line the build puts after a test's call."""
    unit = "point" if points == 1 else "points"
    return f'print("{name} passed ({points:g} {unit})")'


def is_pass_line(node: ast.stmt, name: str) -> bool:
    """Whether a top-level statement of a test cell is the pass line of test `name`."""
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "print"
        and len(node.value.args) == 1
        and isinstance(node.value.args[0], ast.Constant)
        and isinstance(node.value.args[0].value, str)
        and node.value.args[0].value.startswith(f"{name} passed (")
    )


def calls_test(node: ast.stmt, name: str) -> bool:
    """Whether a top-level statement of a test cell is a call of test `name`."""
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == name
    )
