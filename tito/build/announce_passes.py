"""A preprocessor that makes each test cell say, when its test passes, what the test was worth."""

from __future__ import annotations

import ast

from nbconvert.preprocessors import Preprocessor

from tito import cells as C
from tito.build.pass_lines import calls_test, is_pass_line, pass_line
from tito.build.public_tests import test_function_name


class AnnouncePasses(Preprocessor):
    """Puts the pass line right after the top-level call of each graded test (adding the call if there is none).

    A failing test raises before the line is reached, so nbgrader still gives the cell 0; a passing one prints
    its name and points. Runs on the source notebook, so nbgrader's own generate_assignment releases it as is.
    """

    def preprocess_cell(self, cell, resources, index):
        if not C.is_test_cell(cell):
            return cell, resources
        name = test_function_name(cell)
        line = pass_line(name, C.points(cell))
        tree = ast.parse(cell.source)
        if any(is_pass_line(node, name) for node in tree.body):
            return cell, resources
        calls = [node for node in tree.body if calls_test(node, name)]
        lines = cell.source.rstrip("\n").split("\n")
        if calls:
            lines.insert(calls[-1].end_lineno or calls[-1].lineno, line)
        else:
            lines += ["", f"{name}()", line]
        cell.source = "\n".join(lines)
        return cell, resources
