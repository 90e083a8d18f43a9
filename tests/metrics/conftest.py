"""Fixtures of the metrics tests: a reference CNN trained on the reference part of digits16."""

from __future__ import annotations

import pytest
import torch

from genaug.data import ImageSet
from genaug.metrics import SmallCNN, train_classifier


@pytest.fixture(scope="session")
def reference_cnn(digit_splits: dict[str, ImageSet]) -> SmallCNN:
    """A SmallCNN trained briefly (80 steps) on the reference part: about 97% accuracy on the test part."""
    reference = digit_splits["reference"]
    with torch.random.fork_rng():
        return train_classifier(reference.images, reference.labels, reference.num_classes, steps=80, seed=0)
