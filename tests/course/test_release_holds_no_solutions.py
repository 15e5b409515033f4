"""The student notebooks and public tests hold no solution text and no hidden test text."""

from __future__ import annotations

import ast

import nbformat

from tito import cells as C
from tito.build.notebooks import source_notebook
from tito.validate import load_module_source

MARKERS = (C.SOLUTION_BEGIN, C.SOLUTION_END, C.HIDDEN_BEGIN, C.HIDDEN_END)


def secret_and_visible_lines(notebook) -> tuple[set[str], set[str]]:
    """Lines inside solution/hidden regions (and whole written answers) versus every other line."""
    secret, visible = set(), set()
    for cell in notebook.cells:
        if C.is_written_answer(cell) and C.SOLUTION_BEGIN not in cell.source:
            secret.update(line.strip() for line in cell.source.split("\n"))
            continue
        inside = False
        for line in cell.source.split("\n"):
            if any(marker in line for marker in MARKERS):
                inside = C.SOLUTION_BEGIN in line or C.HIDDEN_BEGIN in line
                continue
            (secret if inside else visible).add(line.strip())
    return secret - {""}, visible


def release_text(course, module) -> str:
    """Everything in release/NN_name/, in order, each line stripped of its indentation."""
    folder = course.paths.release / module.slug
    student = nbformat.read(folder / module.notebook_name, as_version=4)
    texts = [cell.source for cell in student.cells]
    others = sorted(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    texts += [other.read_text() for other in others if other.suffix != ".ipynb"]
    return "\n".join(line.strip() for text in texts for line in text.split("\n"))


def release_lines(course, module) -> set[str]:
    return set(release_text(course, module).split("\n"))


def test_no_solution_or_hidden_test_line_is_released(course, module):
    """Is every line of every solution and hidden-test block absent from everything in release/?

    A line that also appears outside the blocks (say, `return result` in given code) is visible
    anyway and is not counted.
    """
    secret, visible = secret_and_visible_lines(source_notebook(load_module_source(module)))
    assert secret, "the module has no solutions to protect?"
    leaked = sorted((secret - visible) & release_lines(course, module))
    assert not leaked, f"{module.slug} releases solution or hidden-test lines: {leaked[:10]}"


def test_nothing_from_the_autograder_is_released(course, module):
    """Is no hidden-suite file, and no hidden test's or probe's body, in release/?

    Generic lines (`rng = np.random.default_rng(seed)`) and even test names may appear in both by
    coincidence; what must not leak is the suite itself: its files and the code of its tests and probes.
    """
    suite = course.paths.autograder / module.slug
    if not suite.is_dir():
        return
    released = release_text(course, module)
    for path in suite.rglob("*.py"):
        text = path.read_text()
        tree = ast.parse(text)
        bodies = {
            node.name: "\n".join(line.strip() for line in ast.get_source_segment(text, node).split("\n")[1:])
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
        }
        assert bodies, f"{path.name} defines no tests or probes?"
        leaked = sorted(name for name, body in bodies.items() if body.strip() and body.strip() in released)
        assert not leaked, f"{path.name} leaks into release/{module.slug}: {leaked[:5]}"
