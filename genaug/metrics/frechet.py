"""Distribution distances between two feature sets: the Fréchet distance (as in FID) and the kernel distance
KID (Bińkowski et al. 2018, "Demystifying MMD GANs").

Computed on reference-CNN features (``extract_features``), these are *not* comparable with Inception-based
FID/KID numbers from papers: the feature space, its dimension and its scale differ. Compare generators only
with the same reference classifier and the same sample sizes (the Fréchet distance is biased upwards for
small samples; KID is unbiased).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from genaug.checks import check_int
from genaug.metrics.features import feature_matrices


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (eigenvalues below 0 from round-off clipped)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(real: torch.Tensor | np.ndarray, synthetic: torch.Tensor | np.ndarray) -> float:
    """||mu_r - mu_s||² + Tr(C_r + C_s - 2 (C_r C_s)^½) between Gaussians fitted to two N x D feature sets.

    Tr((C_r C_s)^½) is taken as the sum of square roots of the eigenvalues of the symmetric PSD matrix
    C_r^½ C_s C_r^½ (same eigenvalues as C_r C_s), in float64: stable for the singular covariances that
    fewer samples than feature dimensions give, and no complex round-off as with a general matrix sqrt.
    """
    a, b = feature_matrices(real=real, synthetic=synthetic)
    mean_term = (a.mean(0) - b.mean(0)).square().sum()
    cov_a, cov_b = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    root_a = _psd_sqrt(cov_a)
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return max(0.0, float(mean_term + cov_a.trace() + cov_b.trace() - 2.0 * cross))


class KID(NamedTuple):
    """Kernel distance: mean and standard deviation of the unbiased MMD² over random subsets."""

    mean: float
    std: float


def _polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x @ y.T / x.shape[1] + 1.0) ** 3  # k(x, y) = (x·y / D + 1)³


def _polynomial_kernel_diagonal(x: torch.Tensor) -> torch.Tensor:
    return (x.square().sum(1) / x.shape[1] + 1.0) ** 3  # k(x_i, x_i)


def _subset_kernel_sums(
    x: torch.Tensor, y: torch.Tensor, x_members: torch.Tensor, y_members: torch.Tensor, chunk: int = 1024
) -> torch.Tensor:
    """Per subset s, the sum of k(x_i, y_j) over i in x subset s and j in y subset s.

    ``x_members`` (S x N_x) and ``y_members`` (S x N_y) are 0/1 membership matrices. The kernel matrix is built
    once, ``chunk`` rows at a time, and every subset sum is read from it with matrix products: O(N_x N_y (D + S))
    instead of O(S m² D) for kernels per subset.
    """
    sums = torch.zeros(len(x_members), dtype=x.dtype)
    for start in range(0, len(x), chunk):
        rows = _polynomial_kernel(x[start : start + chunk], y)  # c x N_y
        sums += ((rows @ y_members.T) * x_members[:, start : start + chunk].T).sum(0)
    return sums


def kid(
    real: torch.Tensor | np.ndarray,
    synthetic: torch.Tensor | np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> KID:
    """KID as in Bińkowski et al. 2018: the unbiased MMD² with the cubic polynomial kernel k(x, y) = (x·y/D + 1)³,

        MMD²_u = (Σ_{i≠j} k(r_i, r_j) + Σ_{i≠j} k(s_i, s_j)) / (m (m - 1)) - 2 Σ_{i,j} k(r_i, s_j) / m²,

    on ``subsets`` random subsets of m = ``min(subset_size, N_real, N_synthetic)`` rows of each set (drawn
    without replacement, a fresh pair per subset, from a generator seeded with ``seed``); mean and population
    standard deviation over the subsets. About 0 (it can be slightly negative) for equal distributions."""
    a, b = feature_matrices(real=real, synthetic=synthetic)
    check_int("subsets", subsets, minimum=1)
    check_int("subset_size", subset_size, minimum=2)
    m = min(subset_size, len(a), len(b))
    draws = torch.Generator().manual_seed(seed)
    a_members, b_members = torch.zeros(subsets, len(a), dtype=a.dtype), torch.zeros(subsets, len(b), dtype=b.dtype)
    for s in range(subsets):
        a_members[s, torch.randperm(len(a), generator=draws)[:m]] = 1.0
        b_members[s, torch.randperm(len(b), generator=draws)[:m]] = 1.0
    # the within-set sums leave out the diagonal k(x_i, x_i)
    within_a = _subset_kernel_sums(a, a, a_members, a_members) - a_members @ _polynomial_kernel_diagonal(a)
    within_b = _subset_kernel_sums(b, b, b_members, b_members) - b_members @ _polynomial_kernel_diagonal(b)
    across = _subset_kernel_sums(a, b, a_members, b_members)
    values = (within_a + within_b) / (m * (m - 1)) - 2.0 * across / m**2
    return KID(float(values.mean()), float(values.std(correction=0)))
