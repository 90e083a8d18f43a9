"""Fidelity and diversity of synthetic features against real ones, from k-nearest-neighbour balls.

Each real feature r_i gets a ball whose radius is the distance to its k-th nearest other real feature
(likewise for synthetic features).

- precision (Kynkäänniemi et al. 2019): share of synthetic features inside at least one real ball (realism);
- recall: share of real features inside at least one synthetic ball (how much of the real variety is produced);
- density (Naeem et al. 2020): (1 / kM) Σ_j #{real balls holding synthetic j}; about 1 for matching
  distributions ((k+1)/k exactly when the sets are identical), above 1 when samples crowd into dense real regions;
- coverage (Naeem et al. 2020): share of real balls that hold at least one synthetic feature; unlike recall, it is
  not inflated by synthetic outliers.
"""

from __future__ import annotations

import numpy as np
import torch

from genaug.checks import check_int
from genaug.metrics.features import feature_matrices
from genaug.metrics.neighbours import distance_chunks, kth_nearest_distance


def manifold_scores(
    real: torch.Tensor | np.ndarray, synthetic: torch.Tensor | np.ndarray, k: int = 5, chunk: int = 1024
) -> dict[str, float]:
    """Precision, recall, density and coverage of N x D ``synthetic`` features against N x D ``real`` ones, with
    ``k``-NN radii (k = 5 as in both papers); exact, via chunked Euclidean distances."""
    check_int("k", k, minimum=1, note="the number of nearest neighbours")
    real, synthetic = feature_matrices(k + 1, real=real, synthetic=synthetic)
    real_radii = kth_nearest_distance(real, real, k + 1, chunk)  # the point itself is its first neighbour
    synthetic_radii = kth_nearest_distance(synthetic, synthetic, k + 1, chunk)

    in_real_balls = torch.zeros(len(synthetic), dtype=torch.long)  # per synthetic feature: how many real balls
    covered = torch.zeros(len(real), dtype=torch.bool)  # per real ball: holds a synthetic feature
    for rows, distances in distance_chunks(synthetic, real, chunk):
        inside = distances <= real_radii  # c x N
        in_real_balls[rows] = inside.sum(1)
        covered |= inside.any(0)
    in_synthetic_balls = torch.cat(
        [(distances <= synthetic_radii).any(1) for _, distances in distance_chunks(real, synthetic, chunk)]
    )
    return {
        "precision": float((in_real_balls > 0).double().mean()),
        "recall": float(in_synthetic_balls.double().mean()),
        "density": float(in_real_balls.sum()) / (k * len(synthetic)),
        "coverage": float(covered.double().mean()),
    }
