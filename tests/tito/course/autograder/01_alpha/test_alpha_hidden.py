"""The alpha module's hidden tests (they run in the grader, reaching the submission through probes)."""

import pytest

from tito.grading.checks import assert_close, assert_equal


@pytest.mark.points(6)
def test_add_one_on_a_matrix(student, reference):
    values = [[1.0, 2.0], [3.0, -4.5]]
    assert_close(student.add_one_to(values=values), reference.add_one_to(values=values), "add_one on a 2x2 matrix")


@pytest.mark.points(4)
def test_add_one_keeps_float32(student):
    assert_equal(student.add_one_keeps_float32(), "float32", "dtype of add_one on float32 input")


@pytest.mark.points(5)
def test_doubler(student, reference):
    assert_close(student.double(value=2.5), reference.double(value=2.5), "Doubler().double(2.5)")
