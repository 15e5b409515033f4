"""The student notebooks and public tests hold no solution text and no hidden test text."""

from __future__ import annotations

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


def release_lines(course, module) -> set[str]:
    folder = course.paths.release / module.slug
    lines = set()
    student = nbformat.read(folder / module.notebook_name, as_version=4)
    for cell in student.cells:
        lines.update(line.strip() for line in cell.source.split("\n"))
    for other in folder.iterdir():
        if other.suffix != ".ipynb":
            lines.update(line.strip() for line in other.read_text().split("\n"))
    return lines


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
    """Does no line of the hidden suite (beyond trivial ones) appear in release/?"""
    suite = course.paths.autograder / module.slug
    if not suite.is_dir():
        return
    suite_lines = {
        line.strip() for path in suite.rglob("*.py") for line in path.read_text().split("\n")
        if len(line.strip()) > 30 and not line.strip().startswith(("import ", "from ", "#", '"""'))
    }
    leaked = sorted(suite_lines & release_lines(course, module))
    assert not leaked, f"hidden-suite lines in release/{module.slug}: {leaked[:10]}"
