# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 6: Training
#
# You now have every ingredient of learning: layers that compute, a loss that scores, autograd that finds
# gradients, and optimizers that use them. Training is the loop that runs them in order, thousands of times:
#
# ```python
# for inputs, targets in loader:           # one batch of examples
#     loss = loss_fn(model(inputs), targets)
#     optimizer.zero_grad()                # forget the previous batch's gradients
#     loss.backward()                      # gradients of this batch's loss
#     optimizer.step()                     # move every parameter a little
# ```
#
# The loop is five lines, yet most of the trouble in deep learning happens here: a learning rate that makes the
# loss explode, a model that memorises the training set, a bug that makes nothing learn at all while the code
# runs without error. In this module you build the machinery around those five lines and learn to read what
# it records:
#
# 1. **Data**: a `Dataset`, a `DataLoader` that cuts it into shuffled batches, reproducibly, and three real
#    data sets that need no download (package `tinytorch.core.data`).
# 2. **The loop**, written by hand once, then as a `Trainer` that records a `History`: loss, accuracy,
#    learning rate and gradient norm, per step and per epoch (package `tinytorch.core.training`).
# 3. **Callbacks**: early stopping, checkpoints, CSV and TensorBoard logs, and a rescue for a learning rate
#    that is too high.
# 4. **Diagnostics**: what loss curves look like when the learning rate is too high, too low, or when the
#    model overfits; overfitting a single batch as a test of the whole pipeline; watching gradient norms.

# %% nbgrader={"grade": false, "grade_id": "data-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.training
#| export core.data
import math
from typing import NamedTuple

import numpy as np

# %%
import matplotlib.pyplot as plt
import pytest

# %% [markdown]
# ## Part 1: data
#
# ### Datasets
#
# A **dataset** is anything with a length whose examples can be fetched by position: `len(dataset)` and
# `dataset[i]`. An example is a tuple, usually `(input, target)`. That is the whole contract, and it is the one
# PyTorch uses. It lets the rest of the code ignore where the examples come from: arrays in memory, files on
# disk, or a function that generates them on the fly.
#
# Training consumes examples in **batches**, so the base class also has `get_batch(indices)`: the examples at
# those positions, each part stacked along a new first axis. The default fetches them one by one and stacks
# them, which works for any dataset. A dataset held in arrays can do much better: numpy picks many rows at once
# with one fancy-indexing operation, `x[[3, 0, 7]]`.
#
# `TensorDataset(x, y)` is that dataset: it holds arrays whose first axes have the same length, and example
# `i` is `(x[i], y[i])`.
#
# ### The TensorDataset class
#
# The class below holds only `__init__`, which you write: it checks the arrays and keeps them. Its other three
# methods come after it, one per cell; each cell defines a function and attaches it to the class, as in
# `TensorDataset.get_batch = _tensor_dataset_get_batch`. Until a method is attached, the one `Dataset` has is
# used, and for `__len__` and `__getitem__` that one raises NotImplementedError.

# %% nbgrader={"grade": false, "grade_id": "dataset-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export core.data
class Dataset:
    """A sized collection of examples: `len(dataset)` and `dataset[i]`, an example being a tuple of arrays."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def get_batch(self, indices):
        """The examples at `indices` (a sequence of ints), each part stacked: a tuple of arrays."""
        examples = [self[int(index)] for index in indices]
        return tuple(np.stack(parts) for parts in zip(*examples))


# %% nbgrader={"grade": false, "grade_id": "tensor-dataset", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
class TensorDataset(Dataset):
    """Examples stored as arrays of equal length: example i is (arrays[0][i], arrays[1][i], ...).

    __len__, __getitem__ and get_batch are attached after the class, one per cell.
    """

    def __init__(self, *arrays):
        """Keep `arrays` (each turned into an ndarray with np.asarray, not copied) in `self.arrays`, a tuple.

        Raise a ValueError if no array is given, or if the arrays' first axes differ in length (say which
        lengths you found).
        """
        ### BEGIN SOLUTION
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(np.asarray(array) for array in arrays)
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset arrays must have the same length, got lengths {lengths}")
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tensor-dataset-init", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_tensor_dataset_init():
    """TensorDataset keeps its arrays as a tuple of ndarrays and refuses arrays of different lengths."""
    x = np.arange(12.0).reshape(6, 2)
    y = [0, 1, 0, 1, 1, 0]
    dataset = TensorDataset(x, y)
    assert isinstance(dataset.arrays, tuple) and len(dataset.arrays) == 2, (
        f"arrays: expected a tuple of 2 arrays, got {dataset.arrays!r}"
    )
    assert isinstance(dataset.arrays[1], np.ndarray), f"a list should become an ndarray, got {type(dataset.arrays[1])}"
    assert np.array_equal(dataset.arrays[1], y), f"arrays[1]: expected {y}, got {dataset.arrays[1]}"
    x[0, 0] = 100.0
    assert dataset.arrays[0][0, 0] == 100.0, "TensorDataset should keep the ndarray it is given (np.asarray), not a copy"
    with pytest.raises(ValueError):
        TensorDataset(x, y[:4])
    ### BEGIN HIDDEN TESTS
    assert dataset.arrays[0] is x, "an ndarray should be kept without copying"
    with pytest.raises(ValueError):
        TensorDataset()
    ### END HIDDEN TESTS

test_tensor_dataset_init()

# %% [markdown]
# ### Length and examples
#
# `len(dataset)` is the number of examples, the length of any array's first axis (they are all the same).
# `dataset[i]` is example `i`: one entry of each array, as a tuple, so that `x, y = dataset[i]` works. Write
# `_tensor_dataset_len`, then `_tensor_dataset_getitem`.

# %% nbgrader={"grade": false, "grade_id": "tensor-dataset-len", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
def _tensor_dataset_len(self):
    """`TensorDataset.__len__`: the number of examples, the length of the first axis."""
    ### BEGIN SOLUTION
    return len(self.arrays[0])
    ### END SOLUTION


TensorDataset.__len__ = _tensor_dataset_len

# %% nbgrader={"grade": true, "grade_id": "test-tensor-dataset-len", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def test_tensor_dataset_len():
    """len(dataset) is the number of examples."""
    dataset = TensorDataset(np.zeros((6, 2)), np.arange(6))
    assert len(dataset) == 6, f"len: expected 6 examples, got {len(dataset)}"
    single = TensorDataset(np.zeros((1, 5)))
    assert len(single) == 1, f"one example of 5 features: expected length 1, got {len(single)}"

test_tensor_dataset_len()

# %% nbgrader={"grade": false, "grade_id": "tensor-dataset-getitem", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
def _tensor_dataset_getitem(self, index):
    """`TensorDataset.__getitem__`: example `index`, the tuple (array[index] for each array)."""
    ### BEGIN SOLUTION
    return tuple(array[index] for array in self.arrays)
    ### END SOLUTION


TensorDataset.__getitem__ = _tensor_dataset_getitem

# %% nbgrader={"grade": true, "grade_id": "test-tensor-dataset-getitem", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def test_tensor_dataset_getitem():
    """dataset[i] is the tuple of the arrays' entries at i."""
    x = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 1, 0])
    dataset = TensorDataset(x, y)
    first = dataset[2]
    assert isinstance(first, tuple) and len(first) == 2, f"dataset[2] should be a tuple (x, y), got {first!r}"
    assert np.array_equal(first[0], [4.0, 5.0]) and first[1] == 0, f"dataset[2]: expected ([4, 5], 0), got {first}"
    last = dataset[-1]
    assert np.array_equal(last[0], [10.0, 11.0]) and last[1] == 0, f"dataset[-1]: expected ([10, 11], 0), got {last}"

test_tensor_dataset_getitem()

# %% [markdown]
# ### A batch at once
#
# The `get_batch` of `Dataset` fetches examples one by one and stacks them. For arrays, one fancy-indexing
# operation per array, `array[indices]`, gives the same result in one step. Write `_tensor_dataset_get_batch`.

# %% nbgrader={"grade": false, "grade_id": "tensor-dataset-get-batch", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
def _tensor_dataset_get_batch(self, indices):
    """`TensorDataset.get_batch`: the examples at `indices`, with one fancy-indexing operation per array:
    (array[indices], ...)."""
    ### BEGIN SOLUTION
    indices = np.asarray(indices, dtype=np.intp)
    return tuple(array[indices] for array in self.arrays)
    ### END SOLUTION


TensorDataset.get_batch = _tensor_dataset_get_batch

# %% nbgrader={"grade": true, "grade_id": "test-tensor-dataset-get-batch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def test_tensor_dataset_get_batch():
    """get_batch fetches the examples at the given positions, in that order, as a tuple of arrays."""
    x = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 1, 0])
    dataset = TensorDataset(x, y)
    batch = dataset.get_batch([5, 0, 3])
    assert isinstance(batch, tuple) and len(batch) == 2, f"get_batch should return a tuple (x, y), got {batch!r}"
    batch_x, batch_y = batch
    assert np.array_equal(batch_x, x[[5, 0, 3]]), f"get_batch([5, 0, 3]) inputs: expected\n{x[[5, 0, 3]]}\ngot\n{batch_x}"
    assert np.array_equal(batch_y, [0, 0, 1]), f"get_batch([5, 0, 3]) targets: expected [0, 0, 1], got {batch_y}"
    empty_x, _ = dataset.get_batch(np.array([], dtype=int))
    assert empty_x.shape == (0, 2), f"get_batch([]) inputs: expected shape (0, 2), got {empty_x.shape}"

test_tensor_dataset_get_batch()

# %% [markdown]
# ### Batches and shuffling
#
# A `DataLoader` walks through a dataset one batch at a time. Each pass over the whole dataset is an
# **epoch**. Two choices matter:
#
# - **Shuffling.** Stochastic gradient descent assumes each batch is a fair sample of the data. If the
#   examples are sorted (all the zeros, then all the ones...), every batch holds a single class and the model
#   chases whichever class it saw last. A training loader draws a new random order every epoch; a validation
#   or test loader keeps the stored order, since the order does not change an average.
# - **Reproducibility.** A random order makes two runs differ, which makes bugs hard to chase and
#   comparisons unfair. The loader owns a random generator, `np.random.default_rng(seed)`, made once in the
#   constructor; each epoch asks it for a fresh permutation. The same seed then gives the same sequence of
#   epoch orders, run after run, and each epoch still differs from the one before.
#
# With 10 examples and `batch_size=4`, the batches hold 4, 4 and 2 examples. The short last batch is fine
# for most models; `drop_last=True` skips it, which keeps every batch the same size (useful when a layer's
# statistics depend on the batch, as batch normalisation's do).
#
# The constructor below is given and checks `batch_size`. Write `__len__`, the number of batches in one
# epoch; `order` and `__iter__` follow, each in its own cell.

# %% nbgrader={"grade": false, "grade_id": "data-loader", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
class DataLoader:
    """Iterate over a dataset in batches, optionally in a new random order each epoch.

    `for inputs, targets in loader:` gives tuples of arrays with a leading batch axis (whatever the
    dataset's `get_batch` returns). Iterating again starts a new epoch.
    order and __iter__ are attached after the class, one per cell.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, seed=None, drop_last=False):
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"invalid batch_size: {batch_size!r} (must be an integer >= 1)")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        """The number of batches in one epoch: a short last batch counts unless drop_last is set."""
        ### BEGIN SOLUTION
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return math.ceil(len(self.dataset) / self.batch_size)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-data-loader-len", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_data_loader_len():
    """len(loader) counts the batches of an epoch, the short last one included unless drop_last is set."""
    dataset = TensorDataset(np.zeros((10, 1)), np.arange(10))
    assert len(DataLoader(dataset, batch_size=4)) == 3, (
        f"10 examples in batches of 4: expected 3 batches, got {len(DataLoader(dataset, batch_size=4))}"
    )
    assert len(DataLoader(dataset, batch_size=5)) == 2, "10 examples in batches of 5: expected 2 batches"
    assert len(DataLoader(dataset, batch_size=4, drop_last=True)) == 2, (
        f"drop_last: expected 2 batches, got {len(DataLoader(dataset, batch_size=4, drop_last=True))}"
    )
    assert len(DataLoader(dataset, batch_size=16)) == 1, "a batch larger than the dataset: expected 1 batch"
    assert len(DataLoader(dataset, batch_size=16, drop_last=True)) == 0, (
        "a batch larger than the dataset with drop_last: expected 0 batches"
    )

test_data_loader_len()

# %% [markdown]
# ### The order of an epoch
#
# `order()` gives the positions an epoch visits, in the order it visits them. Without shuffling, that is
# 0, 1, 2, ...; with it, a new permutation drawn from the loader's generator `self.rng`, so that each call gives
# a different order and the seed fixes the whole sequence. Write `_data_loader_order`.

# %% nbgrader={"grade": false, "grade_id": "data-loader-order", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
def _data_loader_order(self):
    """`DataLoader.order`: the positions of the examples in the order this epoch visits them, as an ndarray
    of ints.

    With shuffle, `self.rng.permutation(len(self.dataset))` (one new permutation per call);
    without, `np.arange(len(self.dataset))`.
    """
    ### BEGIN SOLUTION
    if self.shuffle:
        return self.rng.permutation(len(self.dataset))
    return np.arange(len(self.dataset))
    ### END SOLUTION


DataLoader.order = _data_loader_order

# %% nbgrader={"grade": true, "grade_id": "test-data-loader-order", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_data_loader_order():
    """Without shuffle the order is 0..n-1; with it, each call is the next permutation of default_rng(seed)."""
    dataset = TensorDataset(np.zeros((10, 1)), np.arange(10))
    plain = DataLoader(dataset, batch_size=4).order()
    assert np.array_equal(plain, np.arange(10)), f"without shuffle: expected 0..9, got {plain}"
    shuffled = DataLoader(dataset, batch_size=3, shuffle=True, seed=0)
    first, second = shuffled.order(), shuffled.order()
    rng = np.random.default_rng(0)
    expected = [rng.permutation(10), rng.permutation(10)]
    assert np.array_equal(first, expected[0]) and np.array_equal(second, expected[1]), (
        f"orders should be default_rng(0)'s first two permutations {expected}, got {[first, second]}"
    )

test_data_loader_order()

# %% [markdown]
# ### Iterating over batches
#
# `for inputs, targets in loader:` calls `__iter__`, here a generator: a function with `yield` gives its values
# one at a time as the loop asks for them. It takes the epoch's order once, cuts it into `len(self)` slices of
# `batch_size` positions, and yields the dataset's batch for each slice. Write `_data_loader_iter`.

# %% nbgrader={"grade": false, "grade_id": "data-loader-iter", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
def _data_loader_iter(self):
    """`DataLoader.__iter__`: one epoch. Call `self.order()` once, cut it into `len(self)` consecutive slices
    of batch_size positions (the last one shorter, unless drop_last), and yield `self.dataset.get_batch(slice)`
    for each.
    """
    ### BEGIN SOLUTION
    order = self.order()
    for batch in range(len(self)):
        start = batch * self.batch_size
        yield self.dataset.get_batch(order[start:start + self.batch_size])
    ### END SOLUTION


DataLoader.__iter__ = _data_loader_iter

# %% nbgrader={"grade": true, "grade_id": "test-data-loader-iter", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_data_loader_iter():
    """Batches cover the data once per epoch, shuffling is reproducible, and drop_last drops the short batch."""
    x = np.arange(10.0).reshape(10, 1)
    y = np.arange(10)
    dataset = TensorDataset(x, y)

    plain = DataLoader(dataset, batch_size=4)
    sizes = [len(batch_y) for _, batch_y in plain]
    assert sizes == [4, 4, 2], f"batch sizes: expected [4, 4, 2], got {sizes}"
    seen = np.concatenate([batch_y for _, batch_y in plain])
    assert np.array_equal(seen, np.arange(10)), f"without shuffle the order is 0..9, got {seen}"

    dropping = DataLoader(dataset, batch_size=4, drop_last=True)
    assert [len(b) for _, b in dropping] == [4, 4], "drop_last: every batch should hold 4 examples"

    shuffled = DataLoader(dataset, batch_size=3, shuffle=True, seed=0)
    first = np.concatenate([batch_y for _, batch_y in shuffled])
    second = np.concatenate([batch_y for _, batch_y in shuffled])
    assert sorted(first) == list(range(10)), f"an epoch visits every example once, got {first}"
    assert not np.array_equal(first, second), "each epoch should draw a new order"
    rng = np.random.default_rng(0)
    expected = [rng.permutation(10), rng.permutation(10)]
    assert np.array_equal(first, expected[0]) and np.array_equal(second, expected[1]), (
        f"epoch orders should be default_rng(0)'s first two permutations {expected}, got {[first, second]}"
    )
    again = DataLoader(dataset, batch_size=3, shuffle=True, seed=0)
    assert np.array_equal(np.concatenate([b for _, b in again]), first), "the same seed gives the same order"
    ### BEGIN HIDDEN TESTS
    for inputs, targets in DataLoader(dataset, batch_size=5, shuffle=True, seed=3):
        assert np.array_equal(inputs[:, 0], targets), "inputs and targets must stay paired after shuffling"
    ### END HIDDEN TESTS

test_data_loader_iter()

# %% [markdown]
# ### Three splits
#
# A model is trained on one part of the data, tuned on a second and judged on a third:
#
# - the **training set** is what the gradients see;
# - the **validation set** is for the decisions you make while training: which learning rate, which
#   epoch to stop at, which model to keep. Because you choose by it, its score flatters the model a little;
# - the **test set** is looked at once, at the end, for an honest estimate of how the model does on data it
#   has never influenced.
#
# `train_val_test_split` shuffles the positions with a seeded generator and cuts them into three parts. The
# result is a `Splits` tuple whose fields `train`, `validation` and `test` are each a pair `(x, y)`.

# %% nbgrader={"grade": false, "grade_id": "splits-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export core.data
class Splits(NamedTuple):
    """A data set cut three ways; each field is a pair (inputs, targets) of arrays."""

    train: tuple
    validation: tuple
    test: tuple

    def sizes(self):
        """The number of examples in each split, as a dict."""
        return {name: len(part[1]) for name, part in zip(self._fields, self)}


# %% nbgrader={"grade": false, "grade_id": "train-val-test-split", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export core.data
def train_val_test_split(x, y, validation_fraction=0.1, test_fraction=0.2, seed=0):
    """Cut the examples (x[i], y[i]) into Splits(train, validation, test) in a seeded random order.

    order = np.random.default_rng(seed).permutation(len(x)); n_test = int(test_fraction * len(x)) and
    n_validation = int(validation_fraction * len(x)) (rounded down). The first n_test positions of `order`
    are the test set, the next n_validation the validation set, and the rest the training set.
    Raise a ValueError unless x and y have the same length, each fraction is in [0, 1) and their sum is
    below 1.
    """
    ### BEGIN SOLUTION
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    for name, fraction in (("validation_fraction", validation_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"invalid {name}: {fraction!r} (must be in [0, 1))")
    if validation_fraction + test_fraction >= 1.0:
        raise ValueError("validation_fraction + test_fraction must be below 1, to leave a training set")
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(test_fraction * len(x))
    n_validation = int(validation_fraction * len(x))
    test, validation, train = np.split(order, [n_test, n_test + n_validation])
    return Splits(train=(x[train], y[train]), validation=(x[validation], y[validation]), test=(x[test], y[test]))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-train-val-test-split", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_train_val_test_split():
    """The three splits partition the data in a seeded order, with sizes rounded down."""
    x = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)
    splits = train_val_test_split(x, y, validation_fraction=0.2, test_fraction=0.3, seed=1)
    assert splits.sizes() == {"train": 13, "validation": 5, "test": 7}, (
        f"25 examples, 20% validation, 30% test: expected sizes 13, 5, 7, got {splits.sizes()}"
    )
    order = np.random.default_rng(1).permutation(25)
    assert np.array_equal(splits.test[1], order[:7]), f"test set: expected positions {order[:7]}, got {splits.test[1]}"
    assert np.array_equal(splits.validation[1], order[7:12]), (
        f"validation set: expected positions {order[7:12]}, got {splits.validation[1]}"
    )
    assert np.array_equal(splits.train[0][:, 0], 2 * splits.train[1]), "inputs and targets must stay paired"
    with pytest.raises(ValueError):
        train_val_test_split(x, y, validation_fraction=0.5, test_fraction=0.5)
    ### BEGIN HIDDEN TESTS
    with pytest.raises(ValueError):
        train_val_test_split(x, y[:3])
    empty = train_val_test_split(x, y, validation_fraction=0.0, test_fraction=0.0)
    assert empty.sizes() == {"train": 25, "validation": 0, "test": 0}, "zero fractions leave everything for training"
    ### END HIDDEN TESTS

test_train_val_test_split()

# %% [markdown]
# ### Data that needs no download
#
# Three data sets, each small enough to train on in seconds and each generated or shipped locally:
#
# - **A noisy spiral.** Two or three arms of points winding around the origin, one class per arm. No
#   straight line separates them, so a linear model fails and a small MLP succeeds; `noise` (the standard
#   deviation of Gaussian noise added to each coordinate) sets how much the arms blur into each other.
# - **scikit-learn's digits.** 1,797 handwritten digits of 8×8 pixels, shipped inside scikit-learn. A small
#   MLP reaches about 97% test accuracy.
# - **MNIST-1D** (Greydanus, 2020). Ten one-dimensional "digit" templates of 40 points each, shifted,
#   scaled, sheared and noised. Unlike MNIST, it separates models: a linear classifier gets about a third of
#   the test set right and an MLP around 60%, yet it trains in seconds on a laptop. The `mnist1d` package
#   generates it locally; its standard split has 4,000 training and 1,000 test signals.
#
# Each loader returns `Splits`, with inputs as floats (the `dtype` you ask for) and class labels as int64.
# These functions are written for you; scikit-learn and mnist1d are imported inside them, so the rest of the
# package needs nothing but numpy.

# %% nbgrader={"grade": false, "grade_id": "data-loaders", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export core.data
def make_spiral(samples_per_arm=200, arms=3, noise=0.1, seed=0, validation_fraction=0.2, test_fraction=0.2,
                dtype=np.float64):
    """Points on `arms` interleaved spiral arms in the plane, labelled by arm, cut into Splits.

    Arm k starts at the origin at angle 2*pi*k/arms and turns once as its radius grows from 0 to 1; each
    coordinate gets Gaussian noise of standard deviation `noise`. Inputs have shape (N, 2).
    """
    if arms < 2:
        raise ValueError(f"invalid arms: {arms!r} (a spiral needs at least 2)")
    if noise < 0:
        raise ValueError(f"invalid noise: {noise!r} (must be >= 0)")
    rng = np.random.default_rng(seed)
    radius = np.linspace(0.0, 1.0, samples_per_arm)
    points, labels = [], []
    for arm in range(arms):
        angle = 2 * np.pi * arm / arms + 2 * np.pi * radius
        arm_points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        points.append(arm_points + noise * rng.normal(size=arm_points.shape))
        labels.append(np.full(samples_per_arm, arm, dtype=np.int64))
    x = np.concatenate(points).astype(dtype)
    y = np.concatenate(labels)
    return train_val_test_split(x, y, validation_fraction, test_fraction, seed)


def load_digits(validation_fraction=0.1, test_fraction=0.2, seed=0, dtype=np.float64):
    """scikit-learn's 8x8 handwritten digits as Splits: inputs (N, 64) scaled to [0, 1], labels 0..9."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    return train_val_test_split(x, y, validation_fraction, test_fraction, seed)


def load_mnist1d(num_samples=5000, validation_fraction=0.1, seed=42, dtype=np.float64):
    """MNIST-1D generated locally: inputs (N, 40), labels 0..9, as Splits.

    The package's own split is kept for the test set (the last 20% of the `num_samples` signals); the
    validation set is `validation_fraction` of the rest, drawn with `train_val_test_split`. `seed` is the
    generator's seed; 42 gives the standard data set. Nothing is downloaded or written to disk, and the
    global random state that mnist1d uses is restored afterwards.
    """
    import random

    from mnist1d.data import get_dataset_args, make_dataset

    arguments = get_dataset_args()
    arguments.num_samples = num_samples
    arguments.seed = seed
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(arguments)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    x, y = data["x"].astype(dtype), data["y"].astype(np.int64)
    parts = train_val_test_split(x, y, validation_fraction, 0.0, seed)
    test = (data["x_test"].astype(dtype), data["y_test"].astype(np.int64))
    return Splits(train=parts.train, validation=parts.validation, test=test)


# %% [markdown]
# Here are the spiral and a few MNIST-1D signals. The left panel shows why the spiral needs hidden layers:
# each class wraps around the others.

# %%
spiral = make_spiral(samples_per_arm=200, arms=3, noise=0.05, seed=0)
mnist1d = load_mnist1d()
print("spiral:", spiral.sizes())
print("MNIST-1D:", mnist1d.sizes())

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw={"width_ratios": [1, 2]})
spiral_x, spiral_y = spiral.train
left.scatter(spiral_x[:, 0], spiral_x[:, 1], c=spiral_y, cmap="brg", s=8)
left.set_title("spiral, 3 arms, noise 0.05")
left.set_aspect("equal")
signals, labels = mnist1d.train
for digit in range(4):
    example = np.flatnonzero(labels == digit)[0]
    right.plot(signals[example] + 4 * digit, label=f"digit {digit}")
right.set_title("MNIST-1D: a signal of each of the digits 0 to 3 (shifted apart)")
right.set_yticks([])
right.legend(loc="upper right", fontsize=8)
plt.show()

# %% [markdown]
# ## Part 2: the loop by hand
#
# Before wrapping anything in a class, here is training in full on the spiral: an MLP with two hidden layers,
# cross-entropy, Adam, and the five lines from the introduction. The comments number the steps.
#
# The order of `zero_grad` and `backward` matters: gradients *accumulate* (module 2), so clearing them must
# happen before this batch's `backward()`, never between `backward()` and `step()`.

# %%
from tinytorch.core.autograd import Variable
from tinytorch.core.layers import Linear, ReLU, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam


def spiral_mlp(hidden=64, seed=0):
    """2 -> hidden -> hidden -> 3, with ReLU; `seed` fixes the initial weights."""
    return Sequential(Linear(2, hidden, rng=seed), ReLU(), Linear(hidden, hidden, rng=seed + 1), ReLU(),
                      Linear(hidden, 3, rng=seed + 2))


model = spiral_mlp()
loss_fn = CrossEntropyLoss()
optimizer = Adam(model.parameters(), learning_rate=0.01)
loader = DataLoader(TensorDataset(*spiral.train), batch_size=32, shuffle=True, seed=0)

step_losses = []
for epoch in range(60):
    for inputs, targets in loader:
        outputs = model(Variable(inputs, requires_grad=False))  # 1. forward
        loss = loss_fn(outputs, targets)                        # 2. loss
        optimizer.zero_grad()                                   # 3. clear the previous gradients
        loss.backward()                                         # 4. gradients of this batch's loss
        optimizer.step()                                        # 5. update
        step_losses.append(loss.item())

val_x, val_y = spiral.validation
val_predictions = model(Variable(val_x, requires_grad=False)).data.data.argmax(axis=1)
print(f"{len(step_losses)} steps, last loss {step_losses[-1]:.3f}, "
      f"validation accuracy {np.mean(val_predictions == val_y):.1%}")

# %% [markdown]
# The loss of each step is noisy, because each batch is a different sample of the data; the trend is what
# counts. On the right, the class the model predicts at every point of the plane: the boundaries follow the
# arms.

# %%
grid = np.stack(np.meshgrid(np.linspace(-1.3, 1.3, 150), np.linspace(-1.3, 1.3, 150)), axis=-1).reshape(-1, 2)
regions = model(Variable(grid, requires_grad=False)).data.data.argmax(axis=1)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(step_losses, linewidth=0.6)
left.set_xlabel("step")
left.set_ylabel("training loss")
left.set_yscale("log")
right.scatter(grid[:, 0], grid[:, 1], c=regions, cmap="brg", s=1, alpha=0.15)
right.scatter(val_x[:, 0], val_x[:, 1], c=val_y, cmap="brg", s=8)
right.set_title("predicted class; dots: validation set")
right.set_aspect("equal")
plt.show()

# %% [markdown]
# ## Part 3: a Trainer
#
# The hand-written loop works, but every experiment needs the same extras around it, and each is easy to get
# subtly wrong when rewritten each time:
#
# - **recording** the loss, accuracy, learning rate and gradient norm, for every step and every epoch;
# - **evaluating** on the validation set after each epoch, in evaluation mode (so dropout is off and batch
#   normalisation uses its running statistics), then switching back to training mode;
# - **scheduling** the learning rate, per epoch or per batch;
# - **clipping** the gradients before the update;
# - **callbacks**: code that runs at fixed points of training (stop early, save the model, write logs).
#
# A `Trainer` holds the model, the loss function and the optimizer, and does all of this. What it records goes
# into a `History`:
#
# | per epoch (`history.epochs[name]`) | meaning |
# | --- | --- |
# | `epoch` | 1, 2, 3, ... (numbering continues over several `fit` calls) |
# | `loss`, `accuracy` | over the epoch's training examples, measured while training |
# | `val_loss`, `val_accuracy` | on the validation loader after the epoch, or `nan` without one |
# | `learning_rate` | the rate of the epoch's first step |
# | `grad_norm` | the mean over the epoch's steps of the global gradient norm (before clipping) |
#
# | per step (`history.steps[name]`) | meaning |
# | --- | --- |
# | `step` | 1, 2, 3, ...: the number of optimizer updates so far |
# | `epoch` | the epoch the step belongs to |
# | `loss` | the loss of the step's batch |
# | `learning_rate` | the rate the update used |
# | `grad_norm` | the global gradient norm of the step, before clipping |
#
# The **global gradient norm** is the length of all gradients taken together as one long vector,
# $\sqrt{\sum_p \lVert g_p \rVert^2}$: `gradient_norm` from the optimizers module. It is the cheapest
# health check there is: if it is zero nothing learns, if it jumps by orders of magnitude training is about
# to blow up.
#
# An epoch's training loss is the mean over its examples: the mean of the batch losses weighted by batch size,
# so a short last batch counts for its size. It is measured while the weights change, so it lags behind
# the model at the end of the epoch; that is why training loss is often a bit above validation loss early on.

# %% nbgrader={"grade": false, "grade_id": "training-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import csv
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tinytorch.core.autograd import Variable
from tinytorch.core.optimizers import clip_gradients, gradient_norm

# What History records, in this order (see the tables above).
EPOCH_FIELDS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "grad_norm")
STEP_FIELDS = ("step", "epoch", "loss", "learning_rate", "grad_norm")

# %% nbgrader={"grade": false, "grade_id": "history", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class History:
    """What training measured: `epochs[name]` and `steps[name]` are lists, one entry per epoch or per step."""

    def __init__(self):
        self.epochs = {name: [] for name in EPOCH_FIELDS}
        self.steps = {name: [] for name in STEP_FIELDS}
        self.events = []  # what callbacks did to the run (LRRescue's interventions): dicts with a "step" and a "reason"

    def record_epoch(self, logs):
        """Append one epoch's values; a field missing from `logs` (no validation loader) is recorded as nan."""
        for name in EPOCH_FIELDS:
            self.epochs[name].append(_number(logs.get(name, math.nan)))

    def record_step(self, logs):
        for name in STEP_FIELDS:
            self.steps[name].append(_number(logs[name]))

    def __len__(self):
        """The number of epochs recorded."""
        return len(self.epochs["epoch"])

    def last(self):
        """The most recent epoch as a dict {field: value}."""
        if not len(self):
            raise IndexError("the history is empty: no epoch has finished yet")
        return {name: values[-1] for name, values in self.epochs.items()}

    def __repr__(self):
        if not len(self):
            return "History(no epochs)"
        return f"History({len(self)} epochs, {len(self.steps['step'])} steps, last: {format_logs(self.last())})"


def _number(value):
    """An int stays an int; anything else becomes a Python float."""
    return value if isinstance(value, int) else float(value)


def format_logs(logs):
    """A one-line summary of a dict of measurements, skipping the counters and anything that is nan."""
    parts = []
    for name, value in logs.items():
        if name in ("epoch", "step") or isinstance(value, float) and math.isnan(value):
            continue
        parts.append(f"{name} {value:.3g}" if name == "learning_rate" else f"{name} {value:.4f}")
    return "  ".join(parts)


def accuracy(outputs, targets):
    """The fraction of rows of `outputs` (N, C) whose largest entry sits at the target class in `targets` (N,)."""
    outputs, targets = np.asarray(outputs), np.asarray(targets)
    if outputs.ndim != 2 or outputs.shape[1] < 2:
        raise ValueError(f"accuracy needs outputs of shape (N, classes), got {outputs.shape}: "
                         "pass accuracy=None to the Trainer for a model that does not classify")
    return float(np.mean(outputs.argmax(axis=1) == targets))


class StepResult(NamedTuple):
    """What one training step returns."""

    loss: float          # the batch's loss
    grad_norm: float     # the global gradient norm before clipping
    outputs: np.ndarray  # the model's outputs for the batch


# %% [markdown]
# ### Callbacks
#
# A callback is an object whose methods the Trainer calls at fixed points. Each method receives the trainer,
# so a callback can read the model, the optimizer and the history, and change them: lower the learning rate,
# restore weights, or ask training to stop by setting `trainer.stop_training = True` (checked after each
# epoch). The base class does nothing at every point; a subclass overrides the ones it needs.
#
# ```
# on_train_begin
#   on_epoch_begin(epoch)
#     on_batch_begin(step)  train_step  on_batch_end(step, logs)     ... once per batch
#     [validation]  [scheduler step, per epoch]
#   on_epoch_end(epoch, logs)
#   ...
# on_train_end
# ```

# %% nbgrader={"grade": false, "grade_id": "callback-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Callback:
    """Hooks the Trainer calls during `fit`. `epoch` and `step` count from 1; `logs` is a dict of floats:
    an epoch's row of History.epochs (val_* only with a validation loader) or a step's row of History.steps.
    """

    def on_train_begin(self, trainer):
        pass

    def on_train_end(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_batch_begin(self, trainer, step):
        pass

    def on_batch_end(self, trainer, step, logs):
        pass


class _Progress:
    """The display of `fit`: nothing (verbose=0), a rich progress bar per epoch (1), or a line per epoch (2).

    In Jupyter, rich draws the bars into an ipywidgets output that a thread redraws four times a second and
    that is not redrawn when the bars stop; so the bars are redrawn at the end of every epoch and before they
    stop, and each one is left as its epoch ended. The metrics of an epoch wrap under its bar in a column of
    their own rather than run past the right edge of the notebook.
    """

    WIDTH = 100  # characters of a line in Jupyter (where rich cannot measure the page) and in a file

    def __init__(self, verbose, epochs):
        if verbose not in (0, 1, 2):
            raise ValueError(f"invalid verbose: {verbose!r} (0: silent, 1: progress bars, 2: one line per epoch)")
        self.verbose, self.epochs, self.bars, self.task = verbose, epochs, None, None
        if verbose == 1:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.table import Column

            try:  # rich draws live bars in Jupyter through ipywidgets; without it, print the bars at the end
                import ipywidgets  # noqa: F401
                console = Console()
            except ImportError:
                console = Console(force_jupyter=False)
            if not console.is_terminal:
                console.width = self.WIDTH
            self.bars = Progress(TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[metrics]}", table_column=Column(ratio=1)),
                                 console=console)
            self.bars.start()

    def start_epoch(self, epoch, batches):
        if self.bars is not None:
            self.task = self.bars.add_task(f"epoch {epoch}/{self.epochs}", total=batches, metrics="")

    def advance(self, loss):
        if self.bars is not None:
            self.bars.update(self.task, advance=1, metrics=f"loss {loss:.4f}")

    def end_epoch(self, logs):
        if self.bars is not None:
            shown = {name: logs[name] for name in ("loss", "accuracy", "val_loss", "val_accuracy") if name in logs}
            self.bars.update(self.task, metrics=format_logs(shown))
            self.bars.refresh()
        elif self.verbose == 2:
            print(f"epoch {logs['epoch']}/{self.epochs}  {format_logs(logs)}")

    def close(self):
        if self.bars is not None:
            self.bars.refresh()  # the last state, also where the run stopped in the middle of an epoch
            self.bars.stop()


# %% [markdown]
# ### The Trainer
#
# Three methods are yours; `fit`, which strings them together with the callbacks and the display, is given.
#
# - `train_step(inputs, targets)`, in the class below: the five lines of Part 2, plus the gradient norm
#   between `backward()` and `step()`. With `clip_norm` set, `clip_gradients` scales the gradients down and
#   returns the norm they had before; without, `gradient_norm` only measures it. Either way, use the
#   optimizer's parameter list (`self.optimizer.parameters`): those are the ones the update moves.
# - `evaluate(loader)` and `train_epoch(loader, callbacks)` come after the class, each in its own cell that
#   defines a function and attaches it to the class, as in `Trainer.evaluate = _evaluate`.
#
# A scheduler is stepped either after every batch or after every epoch, and getting it wrong is silent: a
# `StepLR(step_size=10)` meant for epochs, stepped per batch with 50 batches an epoch, decays 50 times too fast.
# So the Trainer makes you say which: `scheduler_interval="epoch"` or `"batch"`, with no default.

# %% nbgrader={"grade": false, "grade_id": "trainer", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Trainer:
    """Trains `model` with `loss_fn` and `optimizer`, and records a History.

    scheduler: an optional learning-rate scheduler, stepped after every batch or after every epoch, as
        scheduler_interval ("batch" or "epoch") says; it is required when a scheduler is given.
    clip_norm: if set, gradients are clipped to this global norm before each update.
    accuracy: a function (outputs, targets) -> fraction correct, or None for a model that does not classify.
    evaluate and train_epoch are attached after the class, one per cell.
    """

    def __init__(self, model, loss_fn, optimizer, scheduler=None, scheduler_interval=None, clip_norm=None,
                 accuracy=accuracy):
        if scheduler is not None and scheduler_interval not in ("epoch", "batch"):
            raise ValueError(f"invalid scheduler_interval: {scheduler_interval!r}: with a scheduler, say "
                             "scheduler_interval='epoch' or 'batch'")
        if scheduler is None and scheduler_interval is not None:
            raise ValueError("scheduler_interval is set but there is no scheduler")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"invalid clip_norm: {clip_norm!r} (must be > 0, or None)")
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval
        self.clip_norm = clip_norm
        self.accuracy = accuracy
        self.history = History()
        self.epoch = 0          # epochs finished (or started, during an epoch)
        self.global_step = 0    # optimizer updates so far
        self.stop_training = False

    def train_step(self, inputs, targets):
        """One update on one batch; return StepResult(loss, grad_norm, outputs).

        1. outputs = self.model(Variable(inputs, requires_grad=False)); loss = self.loss_fn(outputs, targets)
        2. self.optimizer.zero_grad(), then loss.backward()
        3. grad_norm: clip_gradients(self.optimizer.parameters, self.clip_norm) if clip_norm is set,
           otherwise gradient_norm(self.optimizer.parameters)
        4. self.optimizer.step()
        Return the loss as a float (loss.item()), grad_norm as a float, and outputs as an ndarray.
        """
        ### BEGIN SOLUTION
        outputs = self.model(Variable(inputs, requires_grad=False))
        loss = self.loss_fn(outputs, targets)
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_norm is None:
            norm = gradient_norm(self.optimizer.parameters)
        else:
            norm = clip_gradients(self.optimizer.parameters, self.clip_norm)
        self.optimizer.step()
        return StepResult(loss=loss.item(), grad_norm=float(norm), outputs=outputs.data.data)
        ### END SOLUTION

    def fit(self, train_loader, epochs, val_loader=None, callbacks=(), verbose=1):
        """Train for `epochs` more epochs (fewer if a callback sets stop_training); return self.history.

        verbose: 0 prints nothing, 1 shows a progress bar per epoch (rich), 2 prints one line per epoch.
        """
        if not (isinstance(epochs, int) and epochs >= 1):
            raise ValueError(f"invalid epochs: {epochs!r} (must be an integer >= 1)")
        callbacks = list(callbacks)
        progress = _Progress(verbose, self.epoch + epochs)
        self.stop_training = False
        try:
            for callback in callbacks:
                callback.on_train_begin(self)
            for _ in range(epochs):
                self.epoch += 1
                for callback in callbacks:
                    callback.on_epoch_begin(self, self.epoch)
                progress.start_epoch(self.epoch, len(train_loader))
                logs = self.train_epoch(train_loader, callbacks, progress)
                if val_loader is not None:
                    measured = self.evaluate(val_loader)
                    logs["val_loss"], logs["val_accuracy"] = measured["loss"], measured["accuracy"]
                self.history.record_epoch(logs)
                if self.scheduler_interval == "epoch":
                    self.scheduler.step()
                for callback in callbacks:
                    callback.on_epoch_end(self, self.epoch, logs)
                progress.end_epoch(logs)
                if self.stop_training:
                    break
            for callback in callbacks:
                callback.on_train_end(self)
        finally:
            progress.close()
        return self.history


# %% nbgrader={"grade": true, "grade_id": "test-train-step", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def test_train_step():
    """train_step does forward, loss, zero_grad, backward, (clip), step, and reports loss and gradient norm."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD

    rng = np.random.default_rng(0)
    inputs, targets = rng.normal(size=(5, 3)), np.array([0, 1, 2, 1, 0])
    model, twin = Linear(3, 3, rng=1), Linear(3, 3, rng=1)
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1))
    for parameter in model.parameters():
        parameter.grad = Variable(np.full(parameter.shape, 100.0), requires_grad=False)  # stale gradients

    result = trainer.train_step(inputs, targets)

    loss = CrossEntropyLoss()(twin(Variable(inputs, requires_grad=False)), targets)
    loss.backward()
    gradients = [parameter.grad.data.data for parameter in twin.parameters()]
    norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients))
    assert isinstance(result.loss, float) and np.isclose(result.loss, loss.item()), (
        f"loss: expected the batch loss {loss.item():.6f}, got {result.loss!r}"
    )
    assert np.isclose(result.grad_norm, norm), f"grad_norm: expected {norm:.6f}, got {result.grad_norm!r}"
    assert result.outputs.shape == (5, 3), f"outputs: expected a (5, 3) array, got {np.shape(result.outputs)}"
    for name, mine, other, gradient in zip(("weight", "bias"), model.parameters(), twin.parameters(), gradients):
        expected = other.data.data - 0.1 * gradient
        assert np.allclose(mine.data.data, expected), (
            f"{name} after one SGD step: expected\n{expected}\ngot\n{mine.data.data}\n"
            "(were the old gradients cleared before backward?)"
        )

    clipped = Trainer(twin, CrossEntropyLoss(), SGD(twin.parameters(), learning_rate=1.0), clip_norm=0.01)
    before = [p.data.data.copy() for p in twin.parameters()]
    result = clipped.train_step(inputs, targets)
    moved = np.sqrt(sum(np.sum((p.data.data - b) ** 2) for p, b in zip(twin.parameters(), before)))
    assert result.grad_norm > 0.01, f"grad_norm should be the norm before clipping, got {result.grad_norm}"
    assert np.isclose(moved, 0.01, rtol=1e-3), f"with clip_norm=0.01 and lr 1 the update should have length 0.01, got {moved:.6f}"

test_train_step()

# %% [markdown]
# ### Measuring without training
#
# `evaluate(loader)` runs the model over a whole loader and returns the mean loss and accuracy, without any
# update. It switches the model to evaluation mode, so that dropout keeps every unit, and afterwards puts it
# back in the mode it found it in: `fit` calls `evaluate` between training epochs, and the next epoch must
# train with dropout on. Both means are over examples: a last batch of 1 example counts for 1, not for a
# whole batch. Write `_evaluate`.

# %% nbgrader={"grade": false, "grade_id": "trainer-evaluate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _evaluate(self, loader):
    """`Trainer.evaluate`: {"loss": mean loss, "accuracy": fraction correct (nan if self.accuracy is None)}
    over `loader`.

    Switch the model to evaluation mode (model.eval()), and back to the mode it had (model.training)
    at the end. Both means are over examples: weight each batch's loss and accuracy by its number of
    examples, len(targets). An empty loader raises a ValueError. No update, no gradient is kept.
    """
    ### BEGIN SOLUTION
    was_training = self.model.training
    self.model.eval()
    total_loss = total_correct = count = 0.0
    try:
        for inputs, targets in loader:
            outputs = self.model(Variable(inputs, requires_grad=False))
            size = len(targets)
            total_loss += self.loss_fn(outputs, targets).item() * size
            if self.accuracy is not None:
                total_correct += self.accuracy(outputs.data.data, targets) * size
            count += size
    finally:
        self.model.train(was_training)
    if count == 0:
        raise ValueError("evaluate() got a loader with no examples")
    return {"loss": total_loss / count,
            "accuracy": total_correct / count if self.accuracy is not None else math.nan}
    ### END SOLUTION


Trainer.evaluate = _evaluate

# %% nbgrader={"grade": true, "grade_id": "test-evaluate", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_evaluate():
    """evaluate averages over examples, in evaluation mode, and restores the model's mode."""
    from tinytorch.core.layers import Dropout, Linear, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(7, 4)), np.array([0, 1, 2, 0, 1, 2, 0])
    model = Sequential(Linear(4, 3, rng=2), Dropout(0.5, rng=3))
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1))
    before = model[0].weight.data.data.copy()

    measured = trainer.evaluate([(x[:3], y[:3]), (x[3:6], y[3:6]), (x[6:], y[6:])])  # any iterable of batches

    logits = model[0](Variable(x, requires_grad=False))
    expected_loss = CrossEntropyLoss()(logits, y).item()
    expected_accuracy = np.mean(logits.data.data.argmax(axis=1) == y)
    assert set(measured) == {"loss", "accuracy"}, f"expected keys loss and accuracy, got {sorted(measured)}"
    assert np.isclose(measured["loss"], expected_loss), (
        f"loss over 7 examples in batches of 3, 3, 1: expected {expected_loss:.6f} (dropout off, each example "
        f"counted once), got {measured['loss']:.6f}"
    )
    assert np.isclose(measured["accuracy"], expected_accuracy), (
        f"accuracy: expected {expected_accuracy:.4f}, got {measured['accuracy']:.4f}"
    )
    assert model.training and model[1].training, "evaluate should leave a model in training mode as it found it"
    assert np.array_equal(model[0].weight.data.data, before), "evaluate must not change the weights"
    ### BEGIN HIDDEN TESTS
    model.eval()
    trainer.evaluate(DataLoader(TensorDataset(x, y), batch_size=4))
    assert not model.training, "a model in evaluation mode should stay in evaluation mode"
    no_metric = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.1), accuracy=None)
    assert np.isnan(no_metric.evaluate(DataLoader(TensorDataset(x, y)))["accuracy"]), "accuracy=None gives nan"
    ### END HIDDEN TESTS

test_evaluate()

# %% [markdown]
# ### One epoch
#
# `train_epoch` is one pass over the training loader: a `train_step` per batch, with the bookkeeping around
# it. It counts the steps, records each step's row in the History, steps a per-batch scheduler, calls the
# callbacks' batch hooks and advances the display, and at the end returns the epoch's means. The learning rate
# recorded for a step is the one the step used, so read it before the step (and before the scheduler moves
# it). Write `_train_epoch`; the tests after it run `fit`, which calls it once per epoch.

# %% nbgrader={"grade": false, "grade_id": "trainer-train-epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _train_epoch(self, loader, callbacks=(), progress=None):
    """`Trainer.train_epoch`: one pass over `loader` in training mode; return the epoch's logs (without
    the val_* fields).

    `fit` has already set self.epoch to this epoch's number.

    Call self.model.train() first. For each batch:
      - add 1 to self.global_step; call on_batch_begin(self, self.global_step) on every callback;
      - note the optimizer's learning_rate, then run train_step;
      - step_logs = {"step": self.global_step, "epoch": self.epoch, "loss": ..., "learning_rate": the
        rate noted before the step, "grad_norm": ...}; record it with self.history.record_step(step_logs);
      - if self.scheduler_interval == "batch", self.scheduler.step();
      - call on_batch_end(self, self.global_step, step_logs) on every callback;
      - if progress is not None, progress.advance(loss).
    Return {"epoch": self.epoch, "loss": the mean loss over the epoch's examples (batch losses weighted
    by len(targets)), "accuracy": likewise with self.accuracy(outputs, targets), or nan if it is None,
    "learning_rate": the rate of the first step, "grad_norm": the mean of the steps' grad_norm}.
    """
    ### BEGIN SOLUTION
    self.model.train()
    total_loss = total_correct = count = 0.0
    norms, rates = [], []
    for inputs, targets in loader:
        self.global_step += 1
        for callback in callbacks:
            callback.on_batch_begin(self, self.global_step)
        rate = self.optimizer.learning_rate
        result = self.train_step(inputs, targets)
        size = len(targets)
        total_loss += result.loss * size
        if self.accuracy is not None:
            total_correct += self.accuracy(result.outputs, targets) * size
        count += size
        norms.append(result.grad_norm)
        rates.append(rate)
        step_logs = {"step": self.global_step, "epoch": self.epoch, "loss": result.loss,
                     "learning_rate": rate, "grad_norm": result.grad_norm}
        self.history.record_step(step_logs)
        if self.scheduler_interval == "batch":
            self.scheduler.step()
        for callback in callbacks:
            callback.on_batch_end(self, self.global_step, step_logs)
        if progress is not None:
            progress.advance(result.loss)
    if count == 0:
        raise ValueError("train_epoch() got a loader with no batches")
    return {"epoch": self.epoch, "loss": total_loss / count,
            "accuracy": total_correct / count if self.accuracy is not None else math.nan,
            "learning_rate": rates[0], "grad_norm": float(np.mean(norms))}
    ### END SOLUTION


Trainer.train_epoch = _train_epoch

# %% nbgrader={"grade": true, "grade_id": "test-fit-history", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
def test_fit_history():
    """fit records every step and epoch, calls the hooks in order, and matches a hand-written loop."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(10, 2)), rng.integers(0, 3, size=10)
    val_x, val_y = rng.normal(size=(4, 2)), rng.integers(0, 3, size=4)

    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_train_begin(self, trainer):
            self.events.append("train_begin")

        def on_epoch_begin(self, trainer, epoch):
            self.events.append(f"epoch_begin {epoch}")

        def on_batch_end(self, trainer, step, logs):
            self.events.append(f"batch_end {step}")

        def on_epoch_end(self, trainer, epoch, logs):
            self.events.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, trainer):
            self.events.append("train_end")

    model = Linear(2, 3, rng=0)
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), learning_rate=0.5))
    recorder = Recorder()
    # plain lists of batches: fit takes any loader with len() and iteration, and this test then checks fit alone
    batches = [(x[0:4], y[0:4]), (x[4:8], y[4:8]), (x[8:], y[8:])]
    history = trainer.fit(batches, epochs=2, val_loader=[(val_x, val_y)], callbacks=[recorder], verbose=0)

    assert history is trainer.history and len(history) == 2, f"expected 2 epochs in trainer.history, got {history!r}"
    assert history.steps["step"] == [1, 2, 3, 4, 5, 6], f"steps: expected 1..6, got {history.steps['step']}"
    assert history.steps["epoch"] == [1, 1, 1, 2, 2, 2], f"step epochs: expected [1, 1, 1, 2, 2, 2], got {history.steps['epoch']}"
    keys = sorted(EPOCH_FIELDS)
    expected_events = (["train_begin", "epoch_begin 1"] + [f"batch_end {s}" for s in (1, 2, 3)]
                       + [f"epoch_end 1 {keys}", "epoch_begin 2"] + [f"batch_end {s}" for s in (4, 5, 6)]
                       + [f"epoch_end 2 {keys}", "train_end"])
    assert recorder.events == expected_events, f"hooks: expected\n{expected_events}\ngot\n{recorder.events}"

    # the hand-written loop: your train_step on a twin, batch after batch
    twin = Linear(2, 3, rng=0)
    by_hand = Trainer(twin, CrossEntropyLoss(), SGD(twin.parameters(), learning_rate=0.5))
    step_losses, epoch_losses = [], []
    for epoch in range(2):
        losses = [by_hand.train_step(inputs, targets).loss for inputs, targets in batches]
        step_losses += losses
        epoch_losses.append((4 * losses[0] + 4 * losses[1] + 2 * losses[2]) / 10)
    assert np.allclose(history.steps["loss"], step_losses), (
        f"step losses: expected {np.round(step_losses, 6)}, got {np.round(history.steps['loss'], 6)}"
    )
    assert np.allclose(history.epochs["loss"], epoch_losses), (
        f"epoch losses (batch losses weighted by batch size): expected {epoch_losses}, got {history.epochs['loss']}"
    )
    assert history.epochs["learning_rate"] == [0.5, 0.5], f"learning_rate: expected [0.5, 0.5], got {history.epochs['learning_rate']}"
    assert np.allclose(history.epochs["grad_norm"], [np.mean(history.steps["grad_norm"][:3]), np.mean(history.steps["grad_norm"][3:])]), (
        "an epoch's grad_norm is the mean of its steps' grad_norm"
    )
    final = trainer.evaluate([(val_x, val_y)])
    assert np.isclose(history.epochs["val_loss"][-1], final["loss"]), (
        f"val_loss after the last epoch: expected {final['loss']:.6f}, got {history.epochs['val_loss'][-1]:.6f}"
    )
    ### BEGIN HIDDEN TESTS
    more = trainer.fit(batches, epochs=1, verbose=0)
    assert more.epochs["epoch"] == [1, 2, 3], f"a second fit continues the numbering, got {more.epochs['epoch']}"
    assert np.isnan(more.epochs["val_loss"][-1]), "without a validation loader, val_loss is nan"
    assert more.steps["step"][-1] == 9, "a second fit continues the step count"
    ### END HIDDEN TESTS

test_fit_history()

# %% nbgrader={"grade": true, "grade_id": "test-scheduler-interval", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_scheduler_interval():
    """A scheduler steps after every batch or after every epoch, as scheduler_interval says."""
    from tinytorch.core.layers import Linear
    from tinytorch.core.losses import MSELoss
    from tinytorch.core.optimizers import SGD, StepLR

    x, y = np.linspace(-1, 1, 6).reshape(6, 1), np.linspace(0, 1, 6).reshape(6, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=2)
    rates = {}
    for interval in ("batch", "epoch"):
        model = Linear(1, 1, rng=0)
        optimizer = SGD(model.parameters(), learning_rate=0.8)
        trainer = Trainer(model, MSELoss(), optimizer, scheduler=StepLR(optimizer, step_size=1, gamma=0.5),
                          scheduler_interval=interval, accuracy=None)
        history = trainer.fit(loader, epochs=2, verbose=0)
        rates[interval] = (history.steps["learning_rate"], history.epochs["learning_rate"])
    assert np.allclose(rates["batch"][0], [0.8, 0.4, 0.2, 0.1, 0.05, 0.025]), (
        f"per batch, the rate halves after every step: got {rates['batch'][0]}"
    )
    assert np.allclose(rates["epoch"][0], [0.8, 0.8, 0.8, 0.4, 0.4, 0.4]), (
        f"per epoch, the rate halves after every epoch: got {rates['epoch'][0]}"
    )
    assert np.allclose(rates["batch"][1], [0.8, 0.1]), f"an epoch's learning_rate is its first step's, got {rates['batch'][1]}"
    with pytest.raises(ValueError):
        optimizer = SGD(Linear(1, 1).parameters(), learning_rate=0.1)
        Trainer(Linear(1, 1), MSELoss(), optimizer, scheduler=StepLR(optimizer, step_size=1))

test_scheduler_interval()

# %% [markdown]
# ### Curves in one figure
#
# `plot_history` draws what a History holds: the loss of every step (faint) with the epoch means of training
# and validation on top, the accuracies, the learning rate and the gradient norm, all against epochs.

# %% nbgrader={"grade": false, "grade_id": "plot-history", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _step_positions(history):
    """Each step's position on the epoch axis: step k (from 1) of an epoch of n steps sits at epoch - 1 + k / n."""
    epochs = np.asarray(history.steps["epoch"])
    positions = np.empty(len(epochs))
    for epoch in np.unique(epochs):
        where = np.flatnonzero(epochs == epoch)
        positions[where] = epoch - 1 + np.arange(1, len(where) + 1) / len(where)
    return positions


def plot_history(history, title=None):
    """A matplotlib Figure with four panels: loss, accuracy, learning rate and gradient norm, against epochs."""
    import matplotlib.pyplot as plt

    epochs, steps = history.epochs, history.steps
    at_epoch, at_step = np.asarray(epochs["epoch"]), _step_positions(history)
    fig, ((loss_ax, accuracy_ax), (rate_ax, norm_ax)) = plt.subplots(2, 2, figsize=(10, 6), sharex=True)

    loss_ax.plot(at_step, steps["loss"], color="tab:blue", alpha=0.25, linewidth=0.8, label="train (step)")
    loss_ax.plot(at_epoch, epochs["loss"], "o-", color="tab:blue", markersize=3, label="train")
    loss_ax.plot(at_epoch, epochs["val_loss"], "o-", color="tab:orange", markersize=3, label="validation")
    if np.all(np.asarray(steps["loss"]) > 0):
        loss_ax.set_yscale("log")
    styles = {"spike": "tab:purple", "gradient explosion": "tab:red", "not finite": "black"}
    for reason in dict.fromkeys(event["reason"] for event in getattr(history, "events", [])):
        where = [at_step[steps["step"].index(event["step"])] for event in history.events
                 if event["reason"] == reason and event["step"] in steps["step"]]
        for index, position in enumerate(where):  # one vertical line per intervention, one legend entry per reason
            loss_ax.axvline(position, color=styles.get(reason, "tab:gray"), linestyle=":", linewidth=1,
                            label=f"LRRescue: {reason}" if index == 0 else None)
    loss_ax.set_ylabel("loss")
    loss_ax.legend(fontsize=8)

    accuracy_ax.plot(at_epoch, epochs["accuracy"], "o-", color="tab:blue", markersize=3, label="train")
    accuracy_ax.plot(at_epoch, epochs["val_accuracy"], "o-", color="tab:orange", markersize=3, label="validation")
    accuracy_ax.set_ylabel("accuracy")
    accuracy_ax.legend(fontsize=8)

    rate_ax.plot(at_step, steps["learning_rate"], color="tab:green")
    rate_ax.set_ylabel("learning rate")
    rate_ax.set_xlabel("epoch")

    norm_ax.plot(at_step, steps["grad_norm"], color="tab:red", alpha=0.3, linewidth=0.8, label="step")
    norm_ax.plot(at_epoch, epochs["grad_norm"], "o-", color="tab:red", markersize=3, label="epoch mean")
    norm_ax.set_ylabel("gradient norm")
    norm_ax.set_xlabel("epoch")
    norm_ax.legend(fontsize=8)

    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# %% [markdown]
# ### Training on MNIST-1D
#
# An MLP with two hidden layers of 128 units, Adam, a cosine schedule stepped per epoch. Fifteen epochs take a
# few seconds. The progress bars (`verbose=1`) show each epoch as it runs.

# %%
from tinytorch.core.optimizers import CosineAnnealingLR


def mlp(inputs, hidden, classes, seed=0):
    """inputs -> hidden -> hidden -> classes, with ReLU."""
    return Sequential(Linear(inputs, hidden, rng=seed), ReLU(), Linear(hidden, hidden, rng=seed + 1), ReLU(),
                      Linear(hidden, classes, rng=seed + 2))


model = mlp(40, 128, 10)
optimizer = Adam(model.parameters(), learning_rate=0.003)
trainer = Trainer(model, CrossEntropyLoss(), optimizer, scheduler=CosineAnnealingLR(optimizer, T_max=15),
                  scheduler_interval="epoch")
train_loader = DataLoader(TensorDataset(*mnist1d.train), batch_size=64, shuffle=True, seed=0)
val_loader = DataLoader(TensorDataset(*mnist1d.validation), batch_size=500)
history = trainer.fit(train_loader, epochs=15, val_loader=val_loader, verbose=1)
test_result = trainer.evaluate(DataLoader(TensorDataset(*mnist1d.test), batch_size=500))
print(f"MNIST-1D test accuracy: {test_result['accuracy']:.1%}")

# %%
figure = plot_history(history, title="MLP on MNIST-1D")
plt.show()

# %% [markdown]
# Training accuracy keeps climbing while validation accuracy levels off well below it: the MLP starts to
# memorise. An MLP sees the 40 points of a signal as 40 unrelated numbers, so a digit shifted by a few
# positions looks like a new input to it; a convolutional network, which knows that neighbouring points belong
# together, reaches over 90% on the same data.
#
# ### Training on digits
#
# The same recipe on scikit-learn's 8×8 digits, where an MLP does very well.

# %%
digits = load_digits()
model = mlp(64, 64, 10)
trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.003))
history = trainer.fit(DataLoader(TensorDataset(*digits.train), batch_size=32, shuffle=True, seed=0), epochs=10,
                      val_loader=DataLoader(TensorDataset(*digits.validation), batch_size=500), verbose=0)
print(history)
print(f"digits test accuracy: {trainer.evaluate(DataLoader(TensorDataset(*digits.test)))['accuracy']:.1%}")

# %% [markdown]
# ## Part 4: callbacks
#
# ### Early stopping
#
# Validation loss usually falls, flattens, then rises as the model starts to memorise the training set. The
# best model is the one at the bottom of that curve, and the number of epochs it takes to get there is not
# known in advance. **Early stopping** watches a measurement (the *monitor*, usually `val_loss`) after every
# epoch:
#
# - an epoch **improves** when the value beats the best so far by more than `min_delta` (lower for
#   `mode="min"`, higher for `mode="max"`): remember the value, the epoch and, with `restore_best`, a copy of
#   the weights (`model.state_dict()`), and reset the count of epochs without improvement (`wait`);
# - otherwise add one to `wait`; when `wait` reaches `patience`, stop training;
# - at the end of training, with `restore_best`, load the remembered weights back, so the model you are left
#   with is the best one seen, not the last one.
#
# `min_delta` keeps noise from counting as progress: a validation loss that wobbles by 0.001 should not reset
# the patience.

# %% nbgrader={"grade": false, "grade_id": "monitor-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def improves(value, best, mode="min", min_delta=0.0):
    """True if `value` beats `best` by more than min_delta: below it for mode "min", above for "max".

    nan never improves.
    """
    if mode == "min":
        return value < best - min_delta
    if mode == "max":
        return value > best + min_delta
    raise ValueError(f"invalid mode: {mode!r} (must be 'min' or 'max')")


def monitored_value(logs, monitor):
    """logs[monitor], or a ValueError that says why it is missing."""
    if monitor not in logs:
        hint = " (val_* values need a val_loader in fit)" if monitor.startswith("val_") else ""
        raise ValueError(f"cannot monitor {monitor!r}: this run measures {sorted(logs)}{hint}")
    return logs[monitor]


def _check_mode(mode):
    if mode not in ("min", "max"):
        raise ValueError(f"invalid mode: {mode!r} (must be 'min' or 'max')")


# %% nbgrader={"grade": false, "grade_id": "early-stopping", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs; optionally restore the best weights."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="min", restore_best=True):
        _check_mode(mode)
        if not (isinstance(patience, int) and patience >= 0):
            raise ValueError(f"invalid patience: {patience!r} (must be an integer >= 0)")
        if not min_delta >= 0:
            raise ValueError(f"invalid min_delta: {min_delta!r} (must be >= 0)")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best = mode, restore_best

    def on_train_begin(self, trainer):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None     # the epoch of the best value
        self.best_state = None     # a copy of the model's state_dict() at best_epoch (with restore_best)
        self.wait = 0              # epochs since the last improvement
        self.stopped_epoch = None  # the epoch at which training was stopped, if it was

    def on_epoch_end(self, trainer, epoch, logs):
        """Read value = monitored_value(logs, self.monitor). If improves(value, self.best, self.mode,
        self.min_delta): set best, best_epoch and wait = 0, and with restore_best keep
        trainer.model.state_dict() in best_state. Otherwise add 1 to wait; when wait >= patience, set
        stopped_epoch = epoch and trainer.stop_training = True.
        """
        ### BEGIN SOLUTION
        value = monitored_value(logs, self.monitor)
        if improves(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = trainer.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.stop_training = True
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-early-stopping", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
def test_early_stopping():
    """EarlyStopping counts epochs without an improvement larger than min_delta, stops, and remembers the best."""
    from types import SimpleNamespace
    from tinytorch.core.layers import Linear

    model = Linear(1, 1, bias=False)
    trainer = SimpleNamespace(model=model, stop_training=False)
    stopper = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.02)
    stopper.on_train_begin(trainer)
    losses = [1.0, 0.8, 0.85, 0.79, 0.9]
    stopped_at = None
    for epoch, loss in enumerate(losses, start=1):
        model.weight.data.data[...] = epoch  # mark the weights with the epoch number
        stopper.on_epoch_end(trainer, epoch, {"epoch": epoch, "val_loss": loss})
        if trainer.stop_training:
            stopped_at = epoch
            break
    assert stopped_at == 4, (
        f"val_loss {losses[:4]} with patience 2 and min_delta 0.02: 0.79 is not 0.02 better than 0.8, so "
        f"training should stop after epoch 4, but it stopped after {stopped_at}"
    )
    assert stopper.best == 0.8 and stopper.best_epoch == 2, (
        f"best: expected 0.8 at epoch 2, got {stopper.best} at epoch {stopper.best_epoch}"
    )
    assert stopper.stopped_epoch == 4, f"stopped_epoch: expected 4, got {stopper.stopped_epoch}"
    assert stopper.best_state is not None and stopper.best_state["weight"].item() == 2, (
        "with restore_best, best_state should hold a copy of the weights of epoch 2"
    )
    ### BEGIN HIDDEN TESTS
    trainer.stop_training = False
    higher = EarlyStopping(monitor="val_accuracy", patience=1, mode="max", restore_best=False)
    higher.on_train_begin(trainer)
    for epoch, value in enumerate([0.5, 0.6, 0.6], start=1):
        higher.on_epoch_end(trainer, epoch, {"val_accuracy": value})
    assert trainer.stop_training and higher.best_epoch == 2, "mode='max': 0.6 equal to the best is no improvement"
    assert higher.best_state is None, "restore_best=False keeps no weights"
    with pytest.raises(ValueError):
        higher.on_epoch_end(trainer, 4, {"loss": 1.0})
    ### END HIDDEN TESTS

test_early_stopping()

# %% [markdown]
# ### Restoring the best weights
#
# When training ends, whether the patience ran out or the epochs did, an `EarlyStopping` with `restore_best`
# loads the weights it kept back into the model. If no epoch ever improved, there is nothing to load. Write
# `_early_stopping_on_train_end`.

# %% nbgrader={"grade": false, "grade_id": "early-stopping-on-train-end", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _early_stopping_on_train_end(self, trainer):
    """`EarlyStopping.on_train_end`: with restore_best, load best_state into trainer.model (if some epoch
    improved)."""
    ### BEGIN SOLUTION
    if self.restore_best and self.best_state is not None:
        trainer.model.load_state_dict(self.best_state)
    ### END SOLUTION


EarlyStopping.on_train_end = _early_stopping_on_train_end

# %% nbgrader={"grade": true, "grade_id": "test-early-stopping-restores", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_early_stopping_restores():
    """At the end of training, restore_best brings back the weights of the best epoch; otherwise nothing."""
    from types import SimpleNamespace
    from tinytorch.core.layers import Linear

    model = Linear(1, 1, bias=False)
    trainer = SimpleNamespace(model=model, stop_training=False)
    stopper = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.02)
    stopper.on_train_begin(trainer)
    for epoch, loss in enumerate([1.0, 0.8, 0.85, 0.79], start=1):
        model.weight.data.data[...] = epoch  # mark the weights with the epoch number
        stopper.on_epoch_end(trainer, epoch, {"epoch": epoch, "val_loss": loss})
    stopper.on_train_end(trainer)
    assert model.weight.data.data.item() == 2, (
        f"restore_best should bring back the weights of epoch 2, got weights of epoch {model.weight.data.data.item()}"
    )

    trainer.stop_training = False
    keeping = EarlyStopping(monitor="val_accuracy", patience=1, mode="max", restore_best=False)
    keeping.on_train_begin(trainer)
    for epoch, value in enumerate([0.5, 0.6, 0.6], start=1):
        model.weight.data.data[...] = 10 + epoch
        keeping.on_epoch_end(trainer, epoch, {"val_accuracy": value})
    keeping.on_train_end(trainer)
    assert model.weight.data.data.item() == 13, "restore_best=False leaves the last weights"
    ### BEGIN HIDDEN TESTS
    nothing = EarlyStopping(monitor="val_loss", patience=1)
    nothing.on_train_begin(trainer)
    nothing.on_epoch_end(trainer, 1, {"val_loss": math.nan})
    nothing.on_train_end(trainer)
    assert model.weight.data.data.item() == 13, "with no improving epoch there is nothing to restore"
    ### END HIDDEN TESTS

test_early_stopping_restores()

# %% [markdown]
# ### Checkpoints and logs
#
# Three more callbacks are written for you:
#
# - `ModelCheckpoint(path)` saves the model's `state_dict()` to an `.npz` file (numpy's archive of named
#   arrays) whenever the monitored value improves, or after every epoch with `save_best_only=False`. A
#   `{epoch}` in the path is replaced by the epoch number. `load_checkpoint(model, path)` reads one back.
# - `CSVLogger(path)` writes one row per epoch with the columns of `EPOCH_FIELDS`, for a spreadsheet or
#   pandas.
# - `TensorBoardLogger(logdir)` writes TensorBoard event files with `tensorboardX`: run
#   `tensorboard --logdir runs` (TensorBoard installs with `pip install tensorboard`) and open the page it
#   names to watch the curves while training runs. Per-step values go under `step/`, per-epoch values under
#   `epoch/`.

# %% nbgrader={"grade": false, "grade_id": "logging-callbacks", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _npz_path(path):
    """`path` as a Path ending in .npz (numpy adds the suffix anyway; this keeps the name we report exact)."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def save_checkpoint(model, path):
    """Write model.state_dict() to the .npz file `path`; return the Path written."""
    path = _npz_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **model.state_dict())
    return path


def load_checkpoint(model, path):
    """Load the arrays of a save_checkpoint file into `model` (in place); return the model."""
    with np.load(_npz_path(path)) as archive:
        model.load_state_dict({name: archive[name] for name in archive.files})
    return model


class ModelCheckpoint(Callback):
    """Save the model after each epoch that improves `monitor` (or after every epoch, save_best_only=False)."""

    def __init__(self, path, monitor="val_loss", mode="min", save_best_only=True):
        _check_mode(mode)
        self.path, self.monitor, self.mode, self.save_best_only = str(path), monitor, mode, save_best_only
        self.best = math.inf if mode == "min" else -math.inf
        self.saved = []  # the Paths written, in order

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_best_only:
            value = monitored_value(logs, self.monitor)
            if not improves(value, self.best, self.mode):
                return
            self.best = value
        self.saved.append(save_checkpoint(trainer.model, self.path.format(epoch=epoch)))


class CSVLogger(Callback):
    """Write one CSV row per epoch (the columns of EPOCH_FIELDS); append=True adds to an existing file."""

    def __init__(self, path, append=False):
        self.path, self.append = Path(path), append
        self._file = None

    def on_train_begin(self, trainer):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        continuing = self.append and self.path.is_file() and self.path.stat().st_size > 0
        # open until on_train_end: each epoch adds a row
        self._file = open(self.path, "a" if self.append else "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.DictWriter(self._file, fieldnames=EPOCH_FIELDS)
        if not continuing:
            self._writer.writeheader()

    def on_epoch_end(self, trainer, epoch, logs):
        self._writer.writerow({name: logs.get(name, math.nan) for name in EPOCH_FIELDS})
        self._file.flush()

    def on_train_end(self, trainer):
        self._file.close()


class TensorBoardLogger(Callback):
    """Write TensorBoard event files to `logdir`: step/loss, step/learning_rate, step/grad_norm (each step,
    unless log_steps=False) and epoch/<field> for each field of EPOCH_FIELDS that the run measures.
    """

    def __init__(self, logdir, log_steps=True):
        self.logdir, self.log_steps = Path(logdir), log_steps
        self.writer = None

    def on_train_begin(self, trainer):
        from tensorboardX import SummaryWriter

        self.writer = SummaryWriter(logdir=str(self.logdir))

    def on_batch_end(self, trainer, step, logs):
        if self.log_steps:
            for name in ("loss", "learning_rate", "grad_norm"):
                self.writer.add_scalar(f"step/{name}", logs[name], step)

    def on_epoch_end(self, trainer, epoch, logs):
        for name in EPOCH_FIELDS[1:]:
            if name in logs and not math.isnan(logs[name]):
                self.writer.add_scalar(f"epoch/{name}", logs[name], epoch)
        self.writer.flush()

    def on_train_end(self, trainer):
        self.writer.close()


# %% [markdown]
# All four together on digits, with more epochs than needed and a validation loss that bottoms out early.
# The files go to a temporary folder.

# %%
import tempfile

runs = Path(tempfile.mkdtemp())
model = mlp(64, 64, 10)
trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
stopper = EarlyStopping(monitor="val_loss", patience=3)
callbacks = [stopper, ModelCheckpoint(runs / "best"), CSVLogger(runs / "log.csv"), TensorBoardLogger(runs / "tb")]
history = trainer.fit(DataLoader(TensorDataset(*digits.train), batch_size=32, shuffle=True, seed=0), epochs=40,
                      val_loader=DataLoader(TensorDataset(*digits.validation), batch_size=500),
                      callbacks=callbacks, verbose=0)
print(f"stopped after epoch {stopper.stopped_epoch}; best val_loss {stopper.best:.4f} at epoch {stopper.best_epoch}")
print("files:", sorted(str(path.relative_to(runs)) for path in runs.rglob("*") if path.is_file()))
print(open(runs / "log.csv").read().splitlines()[0])

# %% [markdown]
# ### A training emergency: the loss spikes
#
# With a learning rate near the edge of stability, training goes well for a while, then a step overshoots,
# the loss jumps, and the next steps amplify the jump until the loss is `inf` or `nan`. Once a weight is `nan`,
# every later output is `nan` too: the run is lost. Halving the rate at the first sign of trouble often saves
# it. `LRRescue` watches every batch. You write the part that reads the loss, `check_loss`:
#
# - it keeps a smoothed loss, an exponential moving average `average = s * average + (1 - s) * loss`
#   (`s = smoothing`, and the first loss starts it), updated only by normal batches;
# - a batch whose loss is more than `spike` times the average is a **spike**;
# - a loss that is not finite (`nan` or `inf`) has already damaged the weights, because the update used its
#   gradients.
#
# The rest is given (`on_batch_end`). A spike multiplies the learning rate by `factor` (but not below `min_lr`).
# A loss that is not finite restores the model and the optimizer, then cuts the rate the same way; the rate is
# computed *before* restoring, because the optimizer's snapshot holds an older rate. Three options make the
# rescue more patient or more watchful (module 9 uses them; their defaults give the behaviour above):
#
# - `grad_spike`: a gradient norm (`logs["grad_norm"]`) above `grad_spike` times the smoothed norm of normal
#   batches is a **gradient explosion**, treated like a spike (the loss may not have moved yet);
# - `patience`: a spike or an explosion must last `patience` batches in a row before the rate is cut (a single
#   noisy batch is forgiven); a loss that is not finite is acted on at once;
# - `restore`: `"epoch"` goes back to the weights of the epoch's start; `"last_good"` to the weights after the
#   last normal batch, which loses less work.
#
# Each intervention is appended to `events` (and to the trainer's `History.events`, which `plot_history` marks on
# the loss panel) as a dict with the step, the loss, the new learning rate and the reason (`"spike"`,
# `"gradient explosion"` or `"not finite"`).

# %% nbgrader={"grade": false, "grade_id": "lr-rescue", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
RESTORE_POINTS = ("epoch", "last_good")


class LRRescue(Callback):
    """Cut the learning rate when a batch's loss spikes (or its gradient norm explodes); on a nan or inf loss, go back
    to good weights and cut it."""

    def __init__(self, factor=0.5, spike=2.0, smoothing=0.9, min_lr=0.0, grad_spike=None, patience=1,
                 restore="epoch"):
        if not 0 < factor < 1:
            raise ValueError(f"invalid factor: {factor!r} (must be in (0, 1))")
        if not spike > 1:
            raise ValueError(f"invalid spike: {spike!r} (must be > 1)")
        if not 0 <= smoothing < 1:
            raise ValueError(f"invalid smoothing: {smoothing!r} (must be in [0, 1))")
        if not min_lr >= 0:
            raise ValueError(f"invalid min_lr: {min_lr!r} (must be >= 0)")
        if grad_spike is not None and not grad_spike > 1:
            raise ValueError(f"invalid grad_spike: {grad_spike!r} (must be > 1, or None)")
        if not (isinstance(patience, int) and patience >= 1):
            raise ValueError(f"invalid patience: {patience!r} (must be an integer >= 1)")
        if restore not in RESTORE_POINTS:
            raise ValueError(f"invalid restore: {restore!r} (must be one of {RESTORE_POINTS})")
        self.factor, self.spike, self.smoothing, self.min_lr = factor, spike, smoothing, min_lr
        self.grad_spike, self.patience, self.restore_to = grad_spike, patience, restore

    def on_train_begin(self, trainer):
        self.average = None       # the smoothed loss of normal batches
        self.grad_average = None  # the smoothed gradient norm of normal batches (with grad_spike)
        self.bad_steps = 0        # spikes or explosions in a row, not yet acted on
        self.snapshot = None      # (model state_dict, optimizer state_dict) to go back to
        self.events = []

    def on_epoch_begin(self, trainer, epoch):
        if self.restore_to == "epoch" or self.snapshot is None:
            self.snapshot = (trainer.model.state_dict(), trainer.optimizer.state_dict())

    def restore(self, trainer):
        """Put the model and the optimizer back as they were at the snapshot."""
        model_state, optimizer_state = self.snapshot
        trainer.model.load_state_dict(model_state)
        trainer.optimizer.load_state_dict(optimizer_state)

    def smooth(self, average, value):
        """The moving average updated with `value` (started by it when average is None)."""
        return value if average is None else self.smoothing * average + (1 - self.smoothing) * value

    def check_loss(self, loss):
        """Judge one batch's loss: return "not finite" for nan or inf, "spike" if the average is set and
        loss > spike * average, otherwise None after updating self.average (use self.smooth(self.average, loss)).
        The average changes only on a None verdict.
        """
        ### BEGIN SOLUTION
        if not math.isfinite(loss):
            return "not finite"
        if self.average is not None and loss > self.spike * self.average:
            return "spike"
        self.average = self.smooth(self.average, loss)
        return None
        ### END SOLUTION

    def on_batch_end(self, trainer, step, logs):
        """check_loss, then the gradient norm (with grad_spike), patience, and the intervention (see above)."""
        loss = logs["loss"]
        reason = self.check_loss(loss)
        norm = logs.get("grad_norm")
        if reason is None and self.grad_spike is not None and norm is not None:
            if self.grad_average is not None and not norm <= self.grad_spike * self.grad_average:
                reason = "gradient explosion"
            else:
                self.grad_average = self.smooth(self.grad_average, norm)
        if reason is None:
            self.bad_steps = 0
            if self.restore_to == "last_good":
                self.snapshot = (trainer.model.state_dict(), trainer.optimizer.state_dict())
            return
        if reason != "not finite":
            self.bad_steps += 1
            if self.bad_steps < self.patience:
                return
        self.bad_steps = 0
        rate = max(trainer.optimizer.learning_rate * self.factor, self.min_lr)
        if reason == "not finite":
            self.restore(trainer)
        trainer.optimizer.learning_rate = rate
        event = {"step": step, "loss": loss, "learning_rate": rate, "reason": reason}
        self.events.append(event)
        history = getattr(trainer, "history", None)
        if history is not None and hasattr(history, "events"):
            history.events.append(dict(event))


# %% nbgrader={"grade": true, "grade_id": "test-lr-rescue", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_lr_rescue():
    """LRRescue halves the rate on a spike, and on nan also restores the weights of the epoch's start."""
    from types import SimpleNamespace
    from tinytorch.core.layers import Linear
    from tinytorch.core.optimizers import SGD

    model = Linear(2, 1, rng=0)
    start = model.weight.data.data.copy()
    trainer = SimpleNamespace(model=model, optimizer=SGD(model.parameters(), learning_rate=0.4))
    rescue = LRRescue(factor=0.5, spike=2.0, smoothing=0.5)
    rescue.on_train_begin(trainer)
    rescue.on_epoch_begin(trainer, 1)
    for step, loss in enumerate([1.0, 0.8, 1.0], start=1):
        rescue.on_batch_end(trainer, step, {"loss": loss})
    assert np.isclose(rescue.average, 0.95) and trainer.optimizer.learning_rate == 0.4, (
        f"losses 1.0, 0.8, 1.0 with smoothing 0.5: average 0.95 and no spike, "
        f"got average {rescue.average} and learning rate {trainer.optimizer.learning_rate}"
    )
    rescue.on_batch_end(trainer, 4, {"loss": 2.0})
    assert trainer.optimizer.learning_rate == 0.2, f"2.0 > 2 * 0.95 is a spike: rate 0.4 -> 0.2, got {trainer.optimizer.learning_rate}"
    assert np.isclose(rescue.average, 0.95), f"a spike must not change the average, got {rescue.average}"
    model.weight.data.data[...] = np.nan
    rescue.on_batch_end(trainer, 5, {"loss": float("nan")})
    assert np.array_equal(model.weight.data.data, start), "a nan loss should restore the weights of the epoch's start"
    assert trainer.optimizer.learning_rate == 0.1, f"after the nan the rate should be 0.2 * 0.5 = 0.1, got {trainer.optimizer.learning_rate}"
    reasons = [(event["step"], event["reason"], event["learning_rate"]) for event in rescue.events]
    assert reasons == [(4, "spike", 0.2), (5, "not finite", 0.1)], f"events: expected spike at 4, not finite at 5, got {reasons}"
    ### BEGIN HIDDEN TESTS
    floor = LRRescue(factor=0.1, min_lr=0.05)
    floor.on_train_begin(trainer)
    floor.on_epoch_begin(trainer, 2)
    floor.on_batch_end(trainer, 6, {"loss": 1.0})
    floor.on_batch_end(trainer, 7, {"loss": float("inf")})
    assert trainer.optimizer.learning_rate == 0.05, "the rate never goes below min_lr, and inf counts as not finite"
    ### END HIDDEN TESTS

test_lr_rescue()

# %% [markdown]
# Here is the rescue on the spiral with Adam at a learning rate of 0.3, far too high: the second batch's loss
# is about 25 times the first. The numbers below come from this run.

# %%
def spiral_run(learning_rate, data, hidden=64, epochs=50, batch_size=32, callbacks=()):
    """Adam on a spiral with the MLP above; returns the History."""
    model = spiral_mlp(hidden)
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=learning_rate))
    train = DataLoader(TensorDataset(*data.train), batch_size=batch_size, shuffle=True, seed=0)
    validation = DataLoader(TensorDataset(*data.validation), batch_size=500)
    return trainer.fit(train, epochs=epochs, val_loader=validation, callbacks=callbacks, verbose=0)


noisy_spiral = make_spiral(samples_per_arm=200, arms=3, noise=0.1, seed=0)
rescue = LRRescue()
unrescued = spiral_run(0.3, noisy_spiral)
rescued = spiral_run(0.3, noisy_spiral, callbacks=[rescue])
print("first rescue events:", [(event["step"], round(event["learning_rate"], 4)) for event in rescue.events[:5]])
print(f"validation accuracy without the rescue {unrescued.epochs['val_accuracy'][-1]:.1%}, "
      f"with it {rescued.epochs['val_accuracy'][-1]:.1%}")

# %% [markdown]
# ## Part 5: diagnostics
#
# ### Reading loss curves
#
# The four runs below differ only in Adam's learning rate. Each panel shows the loss of every step (faint),
# the training loss per epoch and the validation loss per epoch. Learn their shapes: you will meet them on
# every project.

# %%
settings = {"too low: 1e-4": 1e-4, "about right: 0.01": 0.01, "a bit high: 0.05": 0.05, "far too high: 0.3": 0.3}
runs = {name: (unrescued if rate == 0.3 else spiral_run(rate, noisy_spiral)) for name, rate in settings.items()}

fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), sharey=True)
for ax, (name, run) in zip(axes, runs.items()):
    ax.plot(_step_positions(run), run.steps["loss"], alpha=0.25, linewidth=0.7, color="tab:blue")
    ax.plot(run.epochs["epoch"], run.epochs["loss"], color="tab:blue", label="train")
    ax.plot(run.epochs["epoch"], run.epochs["val_loss"], color="tab:orange", label="validation")
    ax.axhline(np.log(3), color="gray", linestyle=":", linewidth=1)
    ax.set_title(f"learning rate {name}", fontsize=10)
    ax.set_xlabel("epoch")
    ax.set_ylim(0, 2.5)
axes[0].set_ylabel("loss")
axes[0].legend()
plt.show()

# %% [markdown]
# | what you see | what it usually means | what to try |
# | --- | --- | --- |
# | loss falls in a slow, almost straight line | learning rate too low | multiply it by 3 to 10 |
# | loss falls fast, then flattens; curves smooth | about right | keep it; a schedule can lower it later |
# | loss falls but jumps up and down from epoch to epoch | learning rate a bit high | lower it, or decay it with a schedule |
# | loss jumps up in the first steps, then sits at ln(classes) | far too high: the network "died" | lower it by 10x; clip, warm up, or rescue |
# | loss becomes `nan` or `inf` | far too high, or a numerical bug (log of 0) | lower the rate; check the loss for stability |
# | training loss falls, validation loss rises | overfitting | more data, a smaller model, regularisation, early stopping |
#
# The dotted line is ln 3 ≈ 1.10, the loss of a model that gives each of the three classes probability 1/3,
# whatever the input. A loss stuck at ln(number of classes) means the model ignores its input. In the last
# panel the first steps pushed most ReLUs into the region where they output 0 for every example. A unit that
# is never active gets no gradient, so it never recovers, and the network is stuck with a constant output.
#
# ### Overfitting
#
# Give a wider network a sixth of the data, with more noise, and train for long. The training loss keeps
# falling while the validation loss turns around after a few epochs: from there on, the model learns the
# noise of its 60 training points rather than the spiral.

# %%
scarce = make_spiral(samples_per_arm=40, arms=3, noise=0.25, seed=1, validation_fraction=0.5, test_fraction=0.0)
overfit = spiral_run(0.01, scarce, hidden=128, epochs=150, batch_size=16)
best = int(np.argmin(overfit.epochs["val_loss"]))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
left.plot(overfit.epochs["epoch"], overfit.epochs["loss"], label="train")
left.plot(overfit.epochs["epoch"], overfit.epochs["val_loss"], label="validation")
left.axvline(best + 1, color="gray", linestyle=":", label=f"best validation loss (epoch {best + 1})")
left.set_xlabel("epoch")
left.set_ylabel("loss")
left.legend(fontsize=8)
right.plot(overfit.epochs["epoch"], overfit.epochs["accuracy"], label="train")
right.plot(overfit.epochs["epoch"], overfit.epochs["val_accuracy"], label="validation")
right.set_xlabel("epoch")
right.set_ylabel("accuracy")
right.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### Overfit one batch first
#
# Before a long run, train on one small batch, again and again. A model with thousands of parameters can
# memorise 32 examples, so the loss should go to nearly zero within a few hundred steps. If it does not,
# something between the data and the update is broken, and a full training run would only have hidden it
# behind noise: a loss that is wrong, an optimizer that gets the wrong parameters, gradients that never
# arrive. The test takes seconds.
#
# Write `overfit_one_batch`.

# %% nbgrader={"grade": false, "grade_id": "overfit-one-batch", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def overfit_one_batch(trainer, inputs, targets, steps=200):
    """Run trainer.train_step(inputs, targets) `steps` times on the same batch; return the losses (floats).

    A pipeline that works drives the loss close to zero. The History is not touched.
    """
    ### BEGIN SOLUTION
    return [trainer.train_step(inputs, targets).loss for _ in range(steps)]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-overfit-one-batch", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_overfit_one_batch():
    """overfit_one_batch repeats train_step on one batch and returns every loss; a small MLP memorises it."""
    from tinytorch.core.layers import Linear, ReLU, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import Adam

    rng = np.random.default_rng(4)
    inputs, targets = rng.normal(size=(16, 5)), rng.integers(0, 4, size=16)
    model = Sequential(Linear(5, 32, rng=0), ReLU(), Linear(32, 4, rng=1))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.01))
    losses = overfit_one_batch(trainer, inputs, targets, steps=150)
    assert len(losses) == 150 and all(type(loss) is float for loss in losses), (
        f"expected 150 float losses, got {len(losses)} values of types {sorted({type(l).__name__ for l in losses})}"
    )
    assert losses[-1] < 0.05 * losses[0], f"16 random examples should be memorised: loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    assert len(trainer.history) == 0 and trainer.history.steps["step"] == [], "overfit_one_batch should not record History"
    current = CrossEntropyLoss()(model(Variable(inputs, requires_grad=False)), targets).item()
    assert current < losses[-2], "the model should have been updated after each loss was measured"

test_overfit_one_batch()

# %% [markdown]
# Here is the check on a real batch of MNIST-1D, and on the same pipeline with a common bug: a `Softmax` layer
# at the end of the model, although `CrossEntropyLoss` expects logits and applies the softmax itself. Outputs
# squeezed into [0, 1] cannot express a confident prediction, so the loss hits a floor (here about 1.46)
# instead of going to zero. A full training run with this bug still learns something, and nothing in its
# curves would point at the cause.

# %%
from tinytorch.core.layers import Softmax

batch_x, batch_y = mnist1d.train[0][:32], mnist1d.train[1][:32]
fig, ax = plt.subplots(figsize=(6, 3.2))
for label, with_bug in (("correct", False), ("Softmax before CrossEntropyLoss", True)):
    model = mlp(40, 128, 10)
    if with_bug:
        model.append(Softmax())
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.003))
    ax.plot(overfit_one_batch(trainer, batch_x, batch_y, steps=150), label=label)
ax.set_yscale("log")
ax.set_xlabel("step (the same 32 examples)")
ax.set_ylabel("loss")
ax.legend()
plt.show()

# %% [markdown]
# ### Watching the gradient norm
#
# The gradient norm of each step tells what the loss curve hides. Below, the three runs at learning rates 0.01
# and 0.3 (without and with the rescue). In the healthy run the norm stays in a steady band. In the run at
# 0.3 it drops, after a first burst, to a fraction of that band and stays there: dead units send no gradient
# back, and what is left mostly nudges the output biases towards each batch's mix of classes. No optimizer
# can train weights that receive no gradient. With the rescue, the rate is cut before the damage is done and
# the norm looks like the healthy one's.
#
# Clipping (`clip_norm`) would not have saved this run. Adam divides each gradient by a running estimate of
# its own size, so scaling all gradients down barely changes Adam's step; its step length is set by the
# learning rate. Clipping protects SGD, whose step is proportional to the gradient, from one huge gradient.

# %%
fig, ax = plt.subplots(figsize=(8, 3.2))
for label, run in (("0.01", runs["about right: 0.01"]), ("0.3", unrescued), ("0.3 with LRRescue", rescued)):
    ax.plot(run.steps["step"], run.steps["grad_norm"], linewidth=0.7, label=f"learning rate {label}")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("global gradient norm")
ax.legend(fontsize=8)
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test-trainer-learns-digits", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_trainer_learns_digits():
    """Everything together: an MLP trained with your Trainer classifies held-out digits well."""
    from tinytorch.core.layers import Linear, ReLU, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import Adam

    data = load_digits(seed=0)
    model = Sequential(Linear(64, 64, rng=0), ReLU(), Linear(64, 10, rng=1))
    trainer = Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), learning_rate=0.005))
    history = trainer.fit(DataLoader(TensorDataset(*data.train), batch_size=32, shuffle=True, seed=0), epochs=6,
                          val_loader=DataLoader(TensorDataset(*data.validation), batch_size=256), verbose=0)
    test = trainer.evaluate(DataLoader(TensorDataset(*data.test), batch_size=256))
    assert len(history) == 6, f"expected 6 epochs in the history, got {len(history)}"
    assert history.epochs["loss"][-1] < history.epochs["loss"][0], "the training loss should fall"
    assert test["accuracy"] > 0.9, f"an MLP should classify over 90% of the test digits, got {test['accuracy']:.1%}"

test_trainer_learns_digits()

# %% [markdown]
# ## Question 1: diagnose the runs
#
# A classmate trains the MNIST-1D MLP three times and sends you only these summaries (per epoch, train loss /
# validation loss):
#
# - run A: 2.30/2.30, 2.30/2.30, 2.30/2.30, 2.30/2.30 ... for 20 epochs; the gradient norm is about 1e-7.
# - run B: 1.9/1.8, 1.4/1.4, 1.1/1.2, 0.8/1.1, 0.5/1.2, 0.3/1.4, 0.15/1.7.
# - run C: 1.9/1.9, 1.6/1.7, 4.8/5.1, 1.5/1.6, 1.3/1.4, 6.2/6.0, nan/nan.
#
# For each run, say what is happening, what you would check or change first, and why. For run A, name two
# different causes that fit the numbers (note: ln 10 ≈ 2.30).

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-diagnose-runs", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# **Run A** does not learn at all: 2.30 is ln 10, the loss of a model that gives every class probability 1/10
# whatever the input, and a gradient norm of 1e-7 says no signal reaches the weights. Causes that fit: the
# network is dead (a learning rate far too high in the first steps drove every ReLU to zero, or weights were
# initialised so that all units are inactive); the weights all start at zero, so every hidden unit computes
# the same thing and the output ignores the input; the output layer saturates (a softmax or sigmoid before
# the loss). Gradients that never reach the parameters (the optimizer got a different parameter list, or
# `zero_grad` runs after `backward`) would show a norm of exactly 0 rather than 1e-7, or a norm that is
# normal while the loss does not move. First check: overfit one batch and print the gradient norm per layer;
# look at the fraction of ReLUs that are active.
#
# **Run B** learns, then overfits from epoch 4: the training loss keeps falling while the validation loss
# rises from 1.1 to 1.7. The model memorises the training set. Keep the weights of epoch 4 (early stopping
# with restore_best), then reduce overfitting: more data or augmentation (shifting the signals), weight
# decay, dropout, or a smaller model. A model that knows that neighbouring points belong together (a
# convolution) generalises better on this data.
#
# **Run C** is unstable: the loss falls, jumps up, recovers, jumps higher and ends in nan. The learning rate is
# too high for some regions of the loss surface; a large step throws the weights far away, and eventually
# an overflow gives inf and then nan. Lower the learning rate (by 3 to 10x), or keep it and add gradient
# clipping (for SGD), a warm-up, or a rescue that halves the rate on a spike. Also check the loss for a
# numerically unstable computation (a log of a softmax computed separately can give log 0 = -inf).

# %% [markdown]
# ## Question 2: what the validation set is for
#
# In this module the validation set decides when to stop (early stopping) and which weights to keep
# (checkpoints), and you would use it to choose the learning rate. Why is the validation accuracy of the
# model you keep an optimistic estimate of its accuracy on new data? What would go wrong if you used the
# test set for these decisions instead, and when is a second, untouched split worth its cost?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-validation-set", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# Every decision that picks the option with the best validation score also picks up the luck of that
# particular validation sample. Among many epochs, checkpoints or learning rates, the winner is partly the
# one whose errors happened to fall on examples the validation set does not contain. Its score is therefore
# the maximum of several noisy estimates, and the maximum of noisy estimates is biased upwards; the more
# options compared and the smaller the validation set, the larger the bias.
#
# If the test set made these decisions, it would become a second validation set with the same bias, and
# nothing would be left to give an honest estimate: the reported test accuracy would overstate performance
# on new data, and comparisons between methods tuned this way would reward overfitting to the test set.
#
# A split that nothing was tuned on is what makes the final number trustworthy, so it is worth its cost
# whenever the number is reported or used to choose between finished models (a paper, a product decision).
# The cost is data not used for training; with little data, cross-validation for the decisions plus a
# test set touched once is the usual compromise.

# %% [markdown]
# ## What you built
#
# - `tinytorch.core.data`: `Dataset`, `TensorDataset`, a `DataLoader` that reshuffles each epoch from a
#   seed, `train_val_test_split`, and offline loaders for a spiral, scikit-learn's digits and MNIST-1D.
# - `tinytorch.core.training`: a `Trainer` whose `train_step`, `evaluate`, `train_epoch` and `fit` record a
#   `History` per step and per epoch; callbacks for early stopping, checkpoints, CSV and TensorBoard logs and
#   a learning-rate rescue; `overfit_one_batch` and `plot_history` for diagnostics.
#
# The habits matter more than the code: overfit one batch before a long run, watch validation loss next to
# training loss, keep an eye on the gradient norm, make every run reproducible with seeds, and look at the
# test set once.
