"""Memorisation check: does the generator reproduce its training images?

A held-out real test image is, by definition, not a copy of a training image, so the distances from test
images to their nearest training image show how close a *fresh* image of this domain typically comes to the
training set. The threshold is the ``quantile`` (default 5%) of those test-to-train nearest-neighbour distances,
and the memorised fraction is the share of synthetic images whose nearest training image is strictly closer
than it. A generator that produces fresh images of the training distribution scores about ``quantile``
(0.05); a clearly higher share means it copies (near-)training images. Exact copies (distance 0) always count
unless the threshold itself is 0, i.e. at least ``quantile`` of the test images duplicate a training image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from genaug.checks import check_number
from genaug.metrics.features import feature_matrices
from genaug.metrics.neighbours import kth_nearest_distance


class Memorisation(NamedTuple):
    fraction: float  # share of synthetic images closer to a training image than the threshold
    threshold: float  # the quantile of test-to-train nearest-neighbour distances


def memorised_fraction(
    train: torch.Tensor | np.ndarray,
    test: torch.Tensor | np.ndarray,
    synthetic: torch.Tensor | np.ndarray,
    quantile: float = 0.05,
    chunk: int = 1024,
) -> Memorisation:
    """Share of ``synthetic`` rows whose nearest ``train`` row is closer than the ``quantile`` of the nearest-train
    distances of the ``test`` rows (all N x D: reference-CNN features, or flattened pixels for a pixel-space check)."""
    check_number("quantile", quantile, minimum=0, maximum=1, min_inclusive=False, max_inclusive=False)
    train, test, synthetic = feature_matrices(1, train=train, test=test, synthetic=synthetic)
    threshold = torch.quantile(kth_nearest_distance(test, train, 1, chunk), quantile)
    nearest = kth_nearest_distance(synthetic, train, 1, chunk)
    return Memorisation(float((nearest < threshold).double().mean()), float(threshold))
