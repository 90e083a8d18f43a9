"""Fréchet distance and KID: known answers on Gaussians, agreement with scipy and a naive KID, real digits."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from genaug.metrics import extract_features, frechet_distance, kid


def gaussian(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook formula with scipy.linalg.sqrtm, as in pytorch-fid."""
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def test_frechet_known_answers():
    a = gaussian(500, 16, 0)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shift = torch.linspace(-1, 2, 16, dtype=torch.float64)
    # same covariance, means apart by shift: the distance is exactly ||shift||²
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift.square().sum()), rel=1e-9)
    # centred b = 2a: equal means and C_b = 4 C_a, so Tr(C_a + 4 C_a - 2 * 2 C_a) = Tr(C_a)
    centred = a - a.mean(0)
    assert frechet_distance(centred, 2 * centred) == pytest.approx(float(torch.cov(a.T).trace()), rel=1e-9)
    # symmetric, and numpy input works
    b = gaussian(300, 16, 1) * 1.5 + 0.3
    assert frechet_distance(a.numpy(), b.numpy()) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_frechet_matches_scipy_sqrtm():
    a = gaussian(400, 12, 2) @ gaussian(12, 12, 3)  # correlated features
    b = gaussian(300, 12, 4) @ gaussian(12, 12, 5) + 0.5
    assert frechet_distance(a, b) == pytest.approx(scipy_frechet(a.numpy(), b.numpy()), rel=1e-6)


def test_frechet_with_fewer_samples_than_dimensions_is_finite():
    a, b = gaussian(20, 64, 6), gaussian(20, 64, 7)  # singular covariances
    value = frechet_distance(a, b)
    assert np.isfinite(value) and value > 0
    assert value == pytest.approx(scipy_frechet(a.numpy(), b.numpy()), rel=1e-4)


def naive_kid(a: torch.Tensor, b: torch.Tensor, subsets: int, m: int, seed: int) -> list[float]:
    """Bińkowski et al.'s estimator written out literally, with kid's subset draws."""
    draws, d, values = torch.Generator().manual_seed(seed), a.shape[1], []
    for _ in range(subsets):
        x, y = a[torch.randperm(len(a), generator=draws)[:m]], b[torch.randperm(len(b), generator=draws)[:m]]
        k_xx, k_yy, k_xy = ((x @ x.T / d + 1) ** 3), ((y @ y.T / d + 1) ** 3), ((x @ y.T / d + 1) ** 3)
        off = 1 - torch.eye(m, dtype=x.dtype)
        values.append(float(((k_xx * off).sum() + (k_yy * off).sum()) / (m * (m - 1)) - 2 * k_xy.mean()))
    return values


def test_kid_matches_the_naive_estimator():
    a, b = gaussian(120, 8, 8), gaussian(90, 8, 9) + 0.2
    expected = naive_kid(a, b, subsets=7, m=50, seed=11)
    mean, std = kid(a, b, subsets=7, subset_size=50, seed=11)
    assert mean == pytest.approx(np.mean(expected), rel=1e-9) and std == pytest.approx(np.std(expected), rel=1e-9)
    # subset_size larger than the sets: one subset is all of the smaller set
    assert kid(a, b, subsets=1, subset_size=10_000).mean == pytest.approx(naive_kid(a, b, 1, 90, 0)[0], rel=1e-9)


def test_kid_near_zero_for_one_distribution_and_positive_for_shifted():
    a, b = gaussian(1000, 32, 10), gaussian(1000, 32, 11)
    same = kid(a, b, subsets=20, subset_size=500)
    shifted = kid(a, b + 0.5, subsets=20, subset_size=500)
    assert abs(same.mean) < 3 * same.std + 1e-3
    assert shifted.mean > 10 * max(abs(same.mean), shifted.std)


def test_real_digits_closer_to_real_than_to_noise(reference_cnn, digit_splits):
    train, test = (extract_features(reference_cnn, digit_splits[p].images) for p in ("train", "test"))
    noise = extract_features(
        reference_cnn, torch.rand(len(test), 1, 16, 16, generator=torch.Generator().manual_seed(0))
    )
    assert frechet_distance(test, train) * 5 < frechet_distance(test, noise)
    assert kid(test, train, subsets=10, subset_size=200).mean * 5 < kid(test, noise, subsets=10, subset_size=200).mean


def test_bad_feature_sets_are_named():
    a = gaussian(10, 4, 0)
    with pytest.raises(ValueError, match="dimension"):
        frechet_distance(a, gaussian(10, 5, 1))
    with pytest.raises(ValueError, match="synthetic"):
        frechet_distance(a, a[:1])
    with pytest.raises(ValueError, match="NaN"):
        kid(a, a * float("nan"))
    with pytest.raises(ValueError, match="subsets"):
        kid(a, a, subsets=0)
