"""Deterministic splits and subsets of an ImageSet, for experiments on small and imbalanced data.

Per-class subsets for one seed are nested: each class gets one fixed random order (drawn from
`numpy.random.default_rng(seed)`, class by class), and a subset takes the first n of it, so the
10-per-class subset is contained in the 20-per-class one.
"""

from __future__ import annotations

import numpy as np

from genaug.data.imageset import ImageSet
from genaug.errors import DataError


def train_test_split(data: ImageSet, test_size: float | int = 0.2, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """Stratified, deterministic split into (train, test); `test_size` is a fraction or a number of images."""
    from sklearn.model_selection import train_test_split as sklearn_split

    _require_counts(data, [2] * data.num_classes, "a stratified split")
    labels = data.labels.numpy()
    try:
        train, test = sklearn_split(np.arange(len(data)), test_size=test_size, stratify=labels, random_state=seed)
    except ValueError as e:  # e.g. a test set smaller than the number of classes
        raise DataError(f"cannot split {len(data)} images with test_size={test_size!r}: {e}") from e
    return data.subset(np.sort(train)), data.subset(np.sort(test))


def per_class_subset(data: ImageSet, n_per_class: int, seed: int = 0) -> ImageSet:
    """Exactly `n_per_class` images of every class; nested across n for the same seed."""
    if n_per_class < 1:
        raise DataError(f"n_per_class must be at least 1, got {n_per_class}")
    return _take(data, [n_per_class] * data.num_classes, seed)


def per_class_split(data: ImageSet, n_per_class: int, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """``per_class_subset(data, n_per_class, seed)`` and the rest of ``data``: the labelled budget of a
    semi-supervised experiment and the images whose labels it hides (``genaug.fit(..., unlabelled=rest.images)``)."""
    if n_per_class < 1:
        raise DataError(f"n_per_class must be at least 1, got {n_per_class}")
    chosen = _chosen(data, [n_per_class] * data.num_classes, seed)
    rest = np.setdiff1d(np.arange(len(data)), chosen)
    return data.subset(chosen), data.subset(rest)


def long_tailed_subset(data: ImageSet, max_per_class: int, imbalance_ratio: float, seed: int = 0) -> ImageSet:
    """An imbalanced subset: class k (of K, in class order) keeps
    round(max_per_class * imbalance_ratio ** (-k / (K - 1))) images, at least 1; nested like per_class_subset.
    """
    if max_per_class < 1:
        raise DataError(f"max_per_class must be at least 1, got {max_per_class}")
    if imbalance_ratio < 1:
        raise DataError(f"imbalance_ratio is largest / smallest class size and must be >= 1, got {imbalance_ratio}")
    k_last = max(data.num_classes - 1, 1)
    counts = [max(1, round(max_per_class * imbalance_ratio ** (-k / k_last))) for k in range(data.num_classes)]
    return _take(data, counts, seed)


def _take(data: ImageSet, counts: list[int], seed: int) -> ImageSet:
    return data.subset(_chosen(data, counts, seed))


def _chosen(data: ImageSet, counts: list[int], seed: int) -> np.ndarray:
    """Sorted indices of the first counts[k] images of class k in its fixed random order (the module docstring)."""
    _require_counts(data, counts, "this subset")
    rng = np.random.default_rng(seed)
    labels = data.labels.numpy()
    chosen = []
    for k, want in enumerate(counts):
        members = np.flatnonzero(labels == k)
        chosen.append(members[rng.permutation(len(members))[:want]])
    return np.sort(np.concatenate(chosen))


def _require_counts(data: ImageSet, needed: list[int], purpose: str) -> None:
    for name, have, want in zip(data.classes, data.class_counts(), needed, strict=True):
        if have < want:
            raise DataError(
                f"class {name!r} has {have} image(s) but {purpose} needs {want}; add images to it or remove the class"
            )
