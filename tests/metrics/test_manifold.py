"""Precision/recall and density/coverage: known answers and a brute-force reference implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.metrics import extract_features, manifold_scores


def gaussian(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def brute_force(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """The formulas of Kynkäänniemi et al. 2019 and Naeem et al. 2020 on full distance matrices."""

    def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    real_radii = np.sort(distances(real, real), axis=1)[:, k]  # column 0 is the point itself
    fake_radii = np.sort(distances(fake, fake), axis=1)[:, k]
    fake_to_real = distances(fake, real)  # M x N
    inside = fake_to_real <= real_radii[None, :]
    return {
        "precision": inside.any(1).mean(),
        "recall": (distances(real, fake) <= fake_radii[None, :]).any(1).mean(),
        "density": inside.sum() / (k * len(fake)),
        "coverage": (fake_to_real.min(0) <= real_radii).mean(),
    }


def test_identical_sets():
    a = gaussian(200, 8, 0)
    scores = manifold_scores(a, a, k=5)
    assert scores["precision"] == scores["recall"] == scores["coverage"] == 1.0
    assert scores["density"] == pytest.approx(6 / 5)  # every real ball holds its centre and its 5 neighbours


def test_disjoint_sets():
    a = gaussian(200, 8, 0)
    assert manifold_scores(a, a + 100.0) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_matches_brute_force_with_small_chunks():
    real, fake = gaussian(150, 6, 1), gaussian(110, 6, 2) * 1.3 + 0.4
    expected = brute_force(real.numpy(), fake.numpy(), k=3)
    got = manifold_scores(real, fake, k=3, chunk=16)  # several chunks, one partial
    assert got == pytest.approx(expected, abs=1e-12)


def test_mode_collapse_keeps_precision_but_loses_recall_and_coverage():
    real = gaussian(400, 4, 3)
    collapsed = real[real[:, 0] > 1.0]  # only one corner of the real distribution
    scores = manifold_scores(real, collapsed)
    assert scores["precision"] == 1.0
    assert scores["recall"] < 0.5 and scores["coverage"] < 0.5


def test_real_digits(reference_cnn, digit_splits):
    train, test = (extract_features(reference_cnn, digit_splits[p].images) for p in ("train", "test"))
    real = manifold_scores(test, train)
    assert min(real["precision"], real["recall"], real["coverage"]) > 0.7 and 0.5 < real["density"] < 1.5
    ones = digit_splits["train"].labels == 1
    only_ones = manifold_scores(test, train[ones])  # a generator that only draws "1"
    assert only_ones["recall"] < 0.3 and only_ones["coverage"] < 0.3


def test_too_few_points_for_k():
    with pytest.raises(ValueError, match="synthetic"):
        manifold_scores(gaussian(10, 2, 0), gaussian(5, 2, 1), k=5)
    with pytest.raises(ValueError, match="k must"):
        manifold_scores(gaussian(10, 2, 0), gaussian(10, 2, 1), k=0)
