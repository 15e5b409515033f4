"""tinytorch.core.data: datasets, the DataLoader's batches and order, the splits of the offline data sets."""

import random
import socket

import numpy as np
import pytest

from tinytorch.core.data import (
    DataLoader,
    Dataset,
    Splits,
    TensorDataset,
    load_digits,
    load_mnist1d,
    make_spiral,
    train_val_test_split,
)


def first_parts(loader):
    """The first array of every batch of one epoch, as lists."""
    return [batch[0].tolist() for batch in loader]


def test_tensor_dataset_indexes_all_arrays_together():
    """Does a TensorDataset return (x[i], y[i], w[i]) and fetch batches by fancy indexing?"""
    x, y, w = np.arange(20.0).reshape(10, 2), np.arange(10), np.linspace(0, 1, 10)
    dataset = TensorDataset(x, y, w)
    assert len(dataset) == 10
    item = dataset[3]
    assert np.array_equal(item[0], [6.0, 7.0]) and item[1] == 3 and item[2] == w[3]
    batch = dataset.get_batch(np.array([9, 1]))
    assert [part.tolist() for part in batch] == [x[[9, 1]].tolist(), [9, 1], w[[9, 1]].tolist()]
    with pytest.raises(ValueError, match="length"):
        TensorDataset(x, y[:9])


def test_a_custom_dataset_is_batched_by_stacking():
    """Does the base class's get_batch stack the examples of a dataset that only has __getitem__?"""

    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, index):
            return np.array([index, index ** 2], dtype=float), index % 2

    batches = list(DataLoader(Squares(), batch_size=3))
    assert [len(b[1]) for b in batches] == [3, 3, 1]
    assert np.array_equal(batches[1][0], [[3, 9], [4, 16], [5, 25]])
    assert np.array_equal(batches[2][1], [0])


@pytest.mark.parametrize("size, batch_size, drop_last, expected", [
    (10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (8, 4, False, [4, 4]), (8, 4, True, [4, 4]),
    (3, 5, False, [3]), (3, 5, True, []), (1, 1, False, [1]),
])
def test_batch_sizes_and_len(size, batch_size, drop_last, expected):
    """Do the batches have the expected sizes, and does len(loader) count them?"""
    loader = DataLoader(TensorDataset(np.zeros((size, 1)), np.arange(size)), batch_size=batch_size,
                        drop_last=drop_last)
    assert [len(batch[1]) for batch in loader] == expected
    assert len(loader) == len(expected)


def test_no_shuffle_keeps_the_stored_order_every_epoch():
    """Without shuffle, is every epoch 0..n-1 in order?"""
    loader = DataLoader(TensorDataset(np.arange(7)), batch_size=3)
    assert first_parts(loader) == first_parts(loader) == [[0, 1, 2], [3, 4, 5], [6]]


def test_shuffle_is_reproducible_and_new_each_epoch():
    """Does a seed fix the sequence of epoch orders, each epoch a fresh permutation of default_rng(seed)?"""
    dataset = TensorDataset(np.arange(50.0)[:, None], np.arange(50))
    first, second = DataLoader(dataset, 8, shuffle=True, seed=11), DataLoader(dataset, 8, shuffle=True, seed=11)
    epochs_a = [np.concatenate([b[1] for b in first]) for _ in range(3)]
    epochs_b = [np.concatenate([b[1] for b in second]) for _ in range(3)]
    rng = np.random.default_rng(11)
    for a, b in zip(epochs_a, epochs_b):
        assert np.array_equal(a, b)
        assert np.array_equal(a, rng.permutation(50))
        assert sorted(a.tolist()) == list(range(50))
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    other = DataLoader(dataset, 8, shuffle=True, seed=12)
    assert not np.array_equal(np.concatenate([b[1] for b in other]), epochs_a[0])


def test_shuffle_with_drop_last_drops_a_different_tail_each_epoch():
    """With shuffle and drop_last, are the batches full and the dropped examples the permutation's tail?"""
    dataset = TensorDataset(np.arange(10))
    loader = DataLoader(dataset, batch_size=4, shuffle=True, seed=0, drop_last=True)
    rng = np.random.default_rng(0)
    for _ in range(2):
        order = rng.permutation(10)
        batches = first_parts(loader)
        assert batches == [order[:4].tolist(), order[4:8].tolist()]


def test_shuffling_does_not_use_the_global_random_state():
    """Does the loader leave numpy's global random state alone (so other code's randomness is unaffected)?"""
    np.random.seed(0)
    expected = np.random.rand()
    np.random.seed(0)
    list(DataLoader(TensorDataset(np.arange(10)), batch_size=3, shuffle=True, seed=1))
    assert np.random.rand() == expected


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "4"])
def test_invalid_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.arange(3)), batch_size=batch_size)


def test_split_sizes_and_partition():
    """Do the three splits have floor(fraction * n) examples and together hold each example once?"""
    x, y = np.arange(101.0)[:, None], np.arange(101)
    splits = train_val_test_split(x, y, validation_fraction=0.15, test_fraction=0.25, seed=4)
    assert isinstance(splits, Splits)
    assert splits.sizes() == {"train": 61, "validation": 15, "test": 25}
    together = np.concatenate([splits.test[1], splits.validation[1], splits.train[1]])
    assert np.array_equal(together, np.random.default_rng(4).permutation(101))
    for part_x, part_y in splits:
        assert np.array_equal(part_x[:, 0], part_y)


@pytest.mark.parametrize("fractions", [(-0.1, 0.2), (0.2, 1.0), (0.6, 0.4), (0.5, 0.7)])
def test_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError):
        train_val_test_split(np.zeros(10), np.zeros(10), *fractions)


@pytest.mark.parametrize("arms", [2, 3])
def test_spiral(arms):
    """Does the spiral have the requested arms, balanced labels, 2-D points, and a noise level that matters?"""
    data = make_spiral(samples_per_arm=100, arms=arms, noise=0.0, seed=3)
    x = np.concatenate([part[0] for part in data])
    y = np.concatenate([part[1] for part in data])
    assert x.shape == (100 * arms, 2) and y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [100] * arms)
    assert data.sizes() == {"train": 60 * arms, "validation": 20 * arms, "test": 20 * arms}
    assert np.all(np.linalg.norm(x, axis=1) <= 1.0 + 1e-12), "without noise every point lies within radius 1"
    noisy = make_spiral(samples_per_arm=100, arms=arms, noise=0.3, seed=3)
    assert np.abs(noisy.train[0] - data.train[0]).mean() > 0.1
    again = make_spiral(samples_per_arm=100, arms=arms, noise=0.3, seed=3)
    assert np.array_equal(again.train[0], noisy.train[0])
    assert make_spiral(samples_per_arm=10, dtype=np.float32).train[0].dtype == np.float32


def test_spiral_rejects_one_arm():
    with pytest.raises(ValueError, match="arms"):
        make_spiral(arms=1)


def test_digits_splits():
    """Are sklearn's 1797 digits split 1259/179/359, scaled to [0, 1], with labels 0..9?"""
    data = load_digits()
    assert data.sizes() == {"train": 1259, "validation": 179, "test": 359}
    x, y = data.train
    assert x.shape[1] == 64 and x.dtype == np.float64 and 0.0 <= x.min() and x.max() <= 1.0
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    assert load_digits(dtype=np.float32).test[0].dtype == np.float32


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_mnist1d_is_generated_offline_and_leaves_global_state_alone(no_network, tmp_path, monkeypatch):
    """Is MNIST-1D generated without network or files, with the package's split, and the global RNGs restored?"""
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    random.seed(123)
    numpy_next, python_next = np.random.rand(), random.random()
    np.random.seed(123)
    random.seed(123)

    data = load_mnist1d(num_samples=1000, validation_fraction=0.1)

    assert np.random.rand() == numpy_next and random.random() == python_next
    assert list(tmp_path.iterdir()) == [], "nothing should be written to disk"
    assert data.sizes() == {"train": 720, "validation": 80, "test": 200}
    for x, y in data:
        assert x.shape[1] == 40 and x.dtype == np.float64 and y.dtype == np.int64
        assert set(np.unique(y)) <= set(range(10))
    again = load_mnist1d(num_samples=1000, validation_fraction=0.1)
    assert np.array_equal(again.train[0], data.train[0]) and np.array_equal(again.test[1], data.test[1])


def test_mnist1d_standard_size():
    """Does the default call give the standard 4000/1000 split, with 10% of the training part for validation?"""
    data = load_mnist1d(dtype=np.float32)
    assert data.sizes() == {"train": 3600, "validation": 400, "test": 1000}
    assert data.train[0].dtype == np.float32
