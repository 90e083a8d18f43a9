"""Fixtures of the metrics tests: digits16 split three ways and a reference CNN trained on its reference part."""

from __future__ import annotations

import pytest
import torch

from genaug.data import ImageSet, train_test_split
from genaug.metrics import SmallCNN, train_classifier


@pytest.fixture(scope="session")
def digit_splits(digits16: ImageSet) -> dict[str, ImageSet]:
    """Disjoint stratified parts of digits16 (1,797 images, 1 x 16 x 16): reference (~40%), train and test."""
    rest, reference = train_test_split(digits16, test_size=0.4, seed=0)
    train, test = train_test_split(rest, test_size=0.5, seed=0)
    return {"reference": reference, "train": train, "test": test}


@pytest.fixture(scope="session")
def reference_cnn(digit_splits: dict[str, ImageSet]) -> SmallCNN:
    """A SmallCNN trained briefly (80 steps) on the reference part: about 97% accuracy on the test part."""
    reference = digit_splits["reference"]
    with torch.random.fork_rng():
        return train_classifier(reference.images, reference.labels, reference.num_classes, steps=80, seed=0)
