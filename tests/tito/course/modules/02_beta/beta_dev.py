# %% nbgrader={"grade": false, "grade_id": "beta-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.beta
#| export
from tinytorch.core.alpha import add_one

# %% nbgrader={"grade": false, "grade_id": "add-two", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def add_two(x):
    """Return x + 2 using add_one."""
    ### BEGIN SOLUTION
    return add_one(add_one(x))
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-add-two", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_add_two():
    assert add_two(1) == 3, f"expected 3, got {add_two(1)}"

test_add_two()
