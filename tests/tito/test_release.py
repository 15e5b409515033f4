"""`tito release`: the nbgrader source notebook, the student notebook, public tests and the manifest."""

import nbformat
from nbgrader.utils import compute_checksum

from tito.build.name_stubs import enclosing_name
from tito.release import build_outputs, release_module


def outputs(course, name):
    info = course.module(name)
    built = build_outputs(course, info)
    by_name = {path.relative_to(course.paths.root).as_posix(): text for path, text in built.items()}
    return info, by_name


def test_release_writes_the_four_files(mini_course):
    """Does a release produce the source notebook, student notebook, public test file and manifest?"""
    _, files = outputs(mini_course, "alpha")
    assert sorted(files) == [
        "release/01_alpha/alpha.ipynb",
        "release/01_alpha/manifest.json",
        "release/01_alpha/test_alpha.py",
        "source/01_alpha/alpha.ipynb",
    ]


def test_the_source_notebook_keeps_solutions_and_hidden_tests(mini_course):
    """Does the instructor's notebook keep everything, for nbgrader to generate from?"""
    _, files = outputs(mini_course, "alpha")
    source = files["source/01_alpha/alpha.ipynb"]
    assert "return np.asarray(x) + 1" in source
    assert "secret-hidden-check" in source
    assert "Because counting starts somewhere." in source


def test_the_student_notebook_has_named_stubs_and_no_secrets(mini_course):
    """Are solutions replaced by stubs naming the function to write, and hidden tests removed?"""
    _, files = outputs(mini_course, "alpha")
    student = nbformat.reads(files["release/01_alpha/alpha.ipynb"], as_version=4)
    text = files["release/01_alpha/alpha.ipynb"]
    assert "np.asarray(x) + 1" not in text
    assert "secret-hidden-check" not in text and "HIDDEN TESTS" not in text
    assert "Because counting starts somewhere." not in text
    solution = next(cell for cell in student.cells if cell.id == "add-one")
    assert "raise NotImplementedError('add_one: write this function (its docstring is the spec)')" in solution.source
    assert "raise NotImplementedError('Doubler.double: write this method (its docstring is the spec)')" in solution.source
    answer = next(cell for cell in student.cells if cell.id == "why-add-one")
    assert answer.source == "YOUR ANSWER HERE"


def test_locked_cells_carry_nbgraders_checksums_and_the_manifest_agrees(mini_course):
    """Does every nbgrader cell carry nbgrader's own checksum, and does the manifest record the same?"""
    import json

    _, files = outputs(mini_course, "alpha")
    student = nbformat.reads(files["release/01_alpha/alpha.ipynb"], as_version=4)
    manifest = json.loads(files["release/01_alpha/manifest.json"])
    recorded = {cell["grade_id"]: cell for cell in manifest["cells"]}
    graded = [cell for cell in student.cells if "nbgrader" in cell.metadata]
    assert len(graded) == len(recorded) == 6  # five of the module, and the check-up
    for cell in graded:
        entry = recorded[cell.metadata.nbgrader.grade_id]
        assert entry["checksum"] == cell.metadata.nbgrader.checksum == compute_checksum(cell)
    assert recorded["test-add-one"]["kind"] == "test" and recorded["test-add-one"]["test"] == "test_add_one"
    assert recorded["test-add-one"]["points"] == 10
    assert student.cells[3].metadata["editable"] is False  # tests are locked in Jupyter


def test_the_public_test_file_is_importable_and_marks_points(mini_course):
    """Does the public test file define each visible test with its points, without calling it on import?"""
    _, files = outputs(mini_course, "alpha")
    text = files["release/01_alpha/test_alpha.py"]
    assert "@pytest.mark.points(10, grade_id='test-add-one')\ndef test_add_one():" in text
    assert "@pytest.mark.points(5, grade_id='test-doubler')\ndef test_doubler():" in text
    assert "\ntest_add_one()" not in text and "secret-hidden-check" not in text
    compile(text, "test_alpha.py", "exec")


def test_release_is_byte_for_byte_reproducible(mini_course):
    """Does releasing twice write the same bytes, and report nothing changed the second time?"""
    info = mini_course.module("alpha")
    first = {path: path.read_bytes() for path, _ in release_module(mini_course, info)}
    second = release_module(mini_course, info)
    assert not any(changed for _, changed in second)
    assert {path: path.read_bytes() for path, _ in second} == first


def test_enclosing_name_finds_class_and_method():
    """Does the stub namer see through blank lines and nested blocks?"""
    lines = ["class A:", "    def f(self):", "        if x:", "", "            raise NotImplementedError()"]
    assert enclosing_name(lines, 4) == ("A", "f")
    assert enclosing_name(["x = 1", "raise NotImplementedError()"], 1) == (None, "")
