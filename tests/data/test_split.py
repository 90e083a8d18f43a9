"""Splits and subsets: stratified, deterministic, nested across sizes, and clear about classes too small."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.data import ImageSet, long_tailed_subset, per_class_split, per_class_subset, train_test_split
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")


def numbered(counts: list[int]) -> ImageSet:
    """An ImageSet whose image i is filled with the value i, so a subset shows which images it took."""
    labels = torch.cat([torch.full((n,), k) for k, n in enumerate(counts)])
    images = torch.arange(len(labels), dtype=torch.uint8).reshape(-1, 1, 1, 1).expand(-1, 1, 2, 2)
    return ImageSet(images.clone(), labels, [f"c{k}" for k in range(len(counts))], "numbered")


def ids(data: ImageSet) -> set[int]:
    return set(data.images[:, 0, 0, 0].tolist())


def test_train_test_split_is_stratified_disjoint_and_complete(digits):
    train, test = train_test_split(digits, test_size=0.2, seed=0)
    assert len(train) + len(test) == len(digits) and len(test) == 360
    for total, held_out in zip(digits.class_counts(), test.class_counts(), strict=True):
        assert abs(held_out - 0.2 * total) <= 1
    assert train.classes == digits.classes and train.source == digits.source
    data = numbered([30, 20, 10])
    a, b = train_test_split(data, test_size=0.3)
    assert ids(a).isdisjoint(ids(b)) and ids(a) | ids(b) == set(range(60))


def test_train_test_split_is_deterministic_per_seed():
    data = numbered([30, 20, 10])
    first, again, other = (train_test_split(data, seed=s)[1] for s in (0, 0, 1))
    assert ids(first) == ids(again) and ids(first) != ids(other)
    assert len(train_test_split(data, test_size=6)[1]) == 6


def test_train_test_split_needs_two_images_per_class():
    with pytest.raises(DataError, match=r"class 'c1' has 1 image\(s\) but a stratified split needs 2"):
        train_test_split(numbered([5, 1, 5]))
    with pytest.raises(DataError, match=r"cannot split 60 images with test_size=2"):
        train_test_split(numbered([30, 20, 10]), test_size=2)


def test_per_class_subset_takes_exactly_n_per_class(mnist5k):
    small = per_class_subset(mnist5k, 10, seed=0)
    assert small.class_counts() == [10] * 10 and small.classes == mnist5k.classes
    assert torch.equal(small.images, per_class_subset(mnist5k, 10, seed=0).images)
    assert not torch.equal(small.images, per_class_subset(mnist5k, 10, seed=1).images)


def test_per_class_subsets_are_nested():
    data = numbered([50, 40, 60])
    sizes = [1, 5, 10, 20, 40]
    subsets = [ids(per_class_subset(data, n, seed=3)) for n in sizes]
    assert all(small < big for small, big in zip(subsets, subsets[1:], strict=False))
    assert ids(per_class_subset(data, 5, seed=4)) != subsets[1]


def test_per_class_split_is_the_subset_and_everything_else():
    data = numbered([50, 40, 60])
    labelled, rest = per_class_split(data, 10, seed=3)
    assert ids(labelled) == ids(per_class_subset(data, 10, seed=3))
    assert ids(labelled) | ids(rest) == ids(data) and not ids(labelled) & ids(rest)
    assert rest.class_counts() == [40, 30, 50] and rest.classes == data.classes
    with pytest.raises(DataError, match="n_per_class must be at least 1"):
        per_class_split(data, 0)


def test_per_class_subset_errors():
    with pytest.raises(DataError, match=r"class 'c1' has 4 image\(s\) but this subset needs 5"):
        per_class_subset(numbered([10, 4, 10]), 5)
    with pytest.raises(DataError, match="n_per_class must be at least 1"):
        per_class_subset(numbered([10]), 0)


def test_long_tailed_subset_counts_follow_the_ratio(mnist5k):
    tail = long_tailed_subset(mnist5k, max_per_class=100, imbalance_ratio=10, seed=0)
    expected = [round(100 * 10 ** (-k / 9)) for k in range(10)]
    assert tail.class_counts() == expected == [100, 77, 60, 46, 36, 28, 22, 17, 13, 10]


def test_long_tailed_subset_is_nested_in_the_per_class_subset():
    data = numbered([50, 40, 60])
    tail = long_tailed_subset(data, 30, 100, seed=2)
    assert tail.class_counts() == [30, 3, 1]  # 30 * 100 ** -0.5 = 3, 30 / 100 rounds to 0 → at least 1
    assert ids(tail) < ids(per_class_subset(data, 30, seed=2))
    assert long_tailed_subset(numbered([5]), 4, 10).class_counts() == [4]  # one class: no tail


def test_long_tailed_subset_errors():
    with pytest.raises(DataError, match="imbalance_ratio .* must be >= 1"):
        long_tailed_subset(numbered([10, 10]), 5, 0.5)
    with pytest.raises(DataError, match="max_per_class must be at least 1"):
        long_tailed_subset(numbered([10, 10]), 0, 2)
    with pytest.raises(DataError, match=r"class 'c0' has 10 image\(s\) but this subset needs 20"):
        long_tailed_subset(numbered([10, 10]), 20, 2)


def test_subsets_of_a_split_keep_working(digits):
    train, _ = train_test_split(digits, seed=0)
    assert per_class_subset(train, 20, seed=0).class_counts() == [20] * 10
    assert np.array_equal(np.unique(train.labels.numpy()), np.arange(10))
