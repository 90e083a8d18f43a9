"""k-NN distances are exact: a point is at distance 0 from itself and d(a, b) == d(b, a), bit for bit."""

from __future__ import annotations

import torch

from genaug.metrics.neighbours import distance_chunks, kth_nearest_distance


def test_distances_are_exact_and_symmetric_across_chunks():
    features = torch.randn(300, 128, generator=torch.Generator().manual_seed(0)) * 10 + 5
    assert torch.equal(kth_nearest_distance(features, features, 1, chunk=64), torch.zeros(300))
    distances = torch.cat([d for _, d in distance_chunks(features, features, chunk=64)])
    assert torch.equal(distances, distances.T)
