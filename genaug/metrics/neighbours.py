"""Euclidean nearest-neighbour distances between feature sets, in row chunks so memory stays O(chunk x N).

Distances are computed directly, not through torch's faster matrix-product expansion: that one is neither exact
nor symmetric (a point's distance to itself comes out around 1e-2 for 128-d features), which would move points
across the k-NN ball boundaries and hide exact copies from the memorisation check.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from genaug.checks import check_int


def distance_chunks(
    queries: torch.Tensor, keys: torch.Tensor, chunk: int = 1024
) -> Iterator[tuple[slice, torch.Tensor]]:
    """(rows, distances from ``queries[rows]`` to every key) for consecutive blocks of ``chunk`` query rows."""
    for start in range(0, len(queries), chunk):
        rows = slice(start, start + chunk)
        yield rows, torch.cdist(queries[rows], keys, compute_mode="donot_use_mm_for_euclid_dist")  # c x N_keys


def kth_nearest_distance(queries: torch.Tensor, keys: torch.Tensor, k: int, chunk: int = 1024) -> torch.Tensor:
    """Distance from each query to its ``k``-th nearest key (k = 1: the nearest). When ``queries`` are the keys
    themselves, each point is its own nearest neighbour, so pass k + 1 for the k-th *other* point."""
    check_int("k", k, minimum=1, maximum=len(keys), note=f"{len(keys)} is the number of keys")
    return torch.cat([d.topk(k, dim=1, largest=False).values[:, -1] for _, d in distance_chunks(queries, keys, chunk)])
