"""Feedback in the notebook: each test cell's pass line, and the check-up cell that ends the student notebook."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

from tito.build.check_up_cell import CHECK_UP_ID
from tito.build.reference_fill import fill_with_reference
from tito.checkup import check_up
from tito.release import build_outputs
from tito.source import KERNELSPEC
from tito.workspace import notebook_path, start_module

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def notebooks(course, name):
    info = course.module(name)
    release = nbformat.read(course.paths.release / info.slug / info.notebook_name, as_version=4)
    source = nbformat.read(course.paths.source / info.slug / info.notebook_name, as_version=4)
    return release, source


def run_in_folder(notebook, folder):
    """Execute like Run All in Jupyter, the kernel in `folder`, going on after errors."""
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}}
    ).execute()
    return notebook


def cell_text(cell) -> str:
    """Everything a code cell showed, as plain text without colours."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return ANSI.sub("", "".join(parts))


def by_id(notebook, cell_id):
    return next(cell for cell in notebook.cells if cell.get("id") == cell_id)


def test_test_cells_print_their_pass_line_after_the_call(built_course):
    """Does each test cell call its test, then print its name and points, in both notebooks?"""
    release, source = notebooks(built_course, "alpha")
    for notebook in (release, source):
        assert by_id(notebook, "test-add-one").source.endswith('test_add_one()\nprint("test_add_one passed (10 points)")')
        assert by_id(notebook, "test-doubler").source.endswith('test_doubler()\nprint("test_doubler passed (5 points)")')


def test_the_public_test_file_leaves_the_pass_lines_out(built_course):
    """Does importing the public tests print nothing, the pass lines being left out with the calls?"""
    text = (built_course.paths.release / "01_alpha" / "test_alpha.py").read_text()
    assert "passed (" not in text and "print(" not in text


def test_the_check_up_is_the_last_cell_locked_and_ungraded(built_course):
    """Is the check-up the last cell of both notebooks, locked, worth nothing, and recorded in the manifest?"""
    release, source = notebooks(built_course, "alpha")
    for notebook in (release, source):
        cell = notebook.cells[-1]
        assert cell.id == CHECK_UP_ID and cell.cell_type == "code"
        meta = cell.metadata.nbgrader
        assert meta.locked and not meta.grade and not meta.solution and "points" not in meta
    assert release.cells[-1].metadata.editable is False
    assert release.cells[-1].source == (
        "# Check-up: where you stand, as `tito module complete alpha` reports it. Run it whenever you like:\n"
        "# it runs the visible tests above again in this kernel and reads your written answers from the saved notebook.\n"
        "from tito.checkup import check_up\n"
        "\n"
        "check_up(\n"
        "    globals(),\n"
        '    module="alpha",\n'
        '    notebook="alpha.ipynb",\n'
        "    tests={\n"
        '        "test_add_one": 10,\n'
        '        "test_doubler": 5,\n'
        "    },\n"
        "    written={\n"
        '        "why-add-one": 5,\n'
        "    },\n"
        ")"
    )
    manifest = (built_course.paths.release / "01_alpha" / "manifest.json").read_text()
    assert f'"grade_id": "{CHECK_UP_ID}"' in manifest


def test_release_notebooks_carry_the_kernelspec_jupyterlab_writes(mini_course):
    """Do both notebooks carry ipykernel's kernelspec and language_info, so opening one changes nothing?"""
    import platform

    for path, text in build_outputs(mini_course, mini_course.module("alpha")).items():
        if path.suffix != ".ipynb":
            continue
        metadata = nbformat.reads(text, as_version=4).metadata
        assert metadata.kernelspec == KERNELSPEC == {
            "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3",
        }
        assert metadata.language_info == {
            "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3", "version": platform.python_version(),
        }


def test_the_filled_notebook_says_what_passed_and_gives_full_marks(built_course, tmp_path):
    """Run All on the reference answers, saved in the notebook's folder: pass lines, full marks, answers seen?"""
    release, source = notebooks(built_course, "alpha")
    notebook = fill_with_reference(release, source)
    nbformat.write(notebook, tmp_path / "alpha.ipynb")
    run_in_folder(notebook, tmp_path)
    assert cell_text(by_id(notebook, "test-add-one")) == "test_add_one passed (10 points)\n"
    assert cell_text(by_id(notebook, "test-doubler")) == "test_doubler passed (5 points)\n"
    text = cell_text(notebook.cells[-1])
    assert "Auto-graded: 15/15 points (2 of 2 tests passed)" in text
    assert "Written answer why-add-one (5 points, graded by hand): answered" in text
    assert "Written answers are read from alpha.ipynb as last saved." in text


def test_the_blank_notebook_fails_its_tests_and_the_check_up_names_the_stubs(built_course, tmp_path):
    """Run All going on after errors: do the test cells raise as before, and the check-up give 0 and name stubs?"""
    release, _ = notebooks(built_course, "alpha")
    nbformat.write(release, tmp_path / "alpha.ipynb")
    run_in_folder(release, tmp_path)
    failed = cell_text(by_id(release, "test-add-one"))
    assert "passed" not in failed and "NotImplementedError: add_one: write this function" in failed
    text = cell_text(release.cells[-1])
    assert "Auto-graded: 0/15 points (0 of 2 tests passed)" in text
    assert "NotImplementedError: Doubler.double: write this method" in text
    assert "why-add-one (5 points, graded by hand): not answered yet" in text


def test_without_the_notebook_file_the_check_up_cannot_tell_about_answers(built_course, tmp_path):
    """With no saved notebook next to the kernel, does the check-up still run the tests and say it cannot tell?"""
    release, source = notebooks(built_course, "alpha")
    notebook = run_in_folder(fill_with_reference(release, source), tmp_path)
    text = cell_text(notebook.cells[-1])
    assert "Auto-graded: 15/15 points (2 of 2 tests passed)" in text
    assert "why-add-one (5 points, graded by hand): cannot tell (the notebook file was not found" in text


def test_a_test_not_yet_defined_is_reported_not_run():
    """Does the check-up, run before a test cell, report that test as not run rather than fail itself?"""
    from io import StringIO

    from rich.console import Console

    def test_defined():
        pass

    out = StringIO()
    check_up({"test_defined": test_defined}, "alpha", "alpha.ipynb", {"test_defined": 3, "test_later": 4}, {},
             console=Console(file=out, width=200))
    text = out.getvalue()
    assert re.search(r"test_later\s+│ not run\s+│ 0/4\s+│ not defined in this kernel yet", text)
    assert "Auto-graded: 3/7 points (1 of 2 tests passed)" in text


def summary(lines: list[str]) -> tuple[list[list[str]], list[str]]:
    """The table's rows (test, result, points, first line of what happened) and the lines after the table."""
    cells = [[column.strip() for column in line.strip("│┃").split(line[0])] for line in lines if line and line[0] in "│┃"]
    rows = [row for row in cells if row[0]]
    after = lines[next(index for index, line in enumerate(lines) if line.startswith("└")) + 1:]
    return rows, after


def test_the_check_up_prints_the_table_tito_module_complete_prints(built_course):
    """For one saved notebook, do the check-up and `tito module complete` show the same rows and totals?

    Both show a failed assertion by its own message, without pytest's explanation or the exception's name.
    """
    info = built_course.module("alpha")
    start_module(built_course, info)
    release, source = notebooks(built_course, "alpha")
    filled = fill_with_reference(release, source)
    by_id(filled, "add-one").source = by_id(filled, "add-one").source.replace("np.asarray(x) + 1", "np.asarray(x) + 2")
    path = notebook_path(built_course, info)
    nbformat.write(filled, path)
    done = subprocess.run(
        [sys.executable, "-m", "tito.cli", "--root", str(built_course.paths.root), "module", "complete", "alpha"],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": ""},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    run_in_folder(filled, path.parent)
    cli_rows, cli_after = summary(done.stdout.splitlines())
    rows, after = summary(cell_text(filled.cells[-1]).splitlines())
    assert cli_rows == rows == [
        ["test", "result", "points", "what happened"],
        ["test_add_one", "failed", "0/10", "expected [2, 3], got [3 4]"],
        ["test_doubler", "pass", "5/5", ""],
    ]
    assert after[:len(cli_after)] == cli_after == [
        "Auto-graded: 5/15 points (1 of 2 tests passed)",
        "Written answer why-add-one (5 points, graded by hand): answered",
    ]
