# %% [markdown]
# # Alpha
#
# A module small enough to read in one go.

# %% nbgrader={"grade": false, "grade_id": "alpha-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.alpha
#| export
import numpy as np

# %% nbgrader={"grade": false, "grade_id": "add-one", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def add_one(x):
    """Return x + 1 as a numpy array."""
    ### BEGIN SOLUTION
    return np.asarray(x) + 1
    ### END SOLUTION


class Doubler:
    """Doubles things."""

    def double(self, x):
        """Return 2 * x."""
        ### BEGIN SOLUTION
        return 2 * np.asarray(x)
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-add-one", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_add_one():
    """add_one adds one elementwise."""
    assert np.array_equal(add_one([1, 2]), [2, 3]), f"expected [2, 3], got {add_one([1, 2])}"
    ### BEGIN HIDDEN TESTS
    assert add_one(41) == 42  # secret-hidden-check
    ### END HIDDEN TESTS

test_add_one()

# %% nbgrader={"grade": true, "grade_id": "test-doubler", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_doubler():
    assert Doubler().double(3) == 6, f"expected 6, got {Doubler().double(3)}"

test_doubler()

# %% [markdown]
# Why add one?

# %% [markdown] nbgrader={"grade": true, "grade_id": "why-add-one", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# Because counting starts somewhere.
