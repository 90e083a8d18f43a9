"""MixedDataset: real and synthetic samples in one map-style Dataset, with a fixed synthetic share per epoch;
MixedSampler: draws afresh, every epoch, which synthetic samples that share uses.

Real and synthetic items usually differ in type: an ImageSet yields uint8 images, a SyntheticDataset float
images in [0, 1]. Pass ``transform=v2.ToDtype(torch.float32, scale=True)`` (or a Compose that starts with it)
to give both the same type: MixedDataset applies ``transform`` to the image of every item, real or synthetic.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import Dataset, Sampler

from genaug.checks import check_int, check_number


class MixedDataset(Dataset):
    """Every real sample once per epoch, plus synthetic samples making up ``synthetic_fraction`` of the epoch.

    Length: ``len(mix) = round(len(real) / (1 - synthetic_fraction))``, of which ``mix.num_synthetic`` are
    synthetic (0.5 doubles the data; 0 gives the real data alone).

    Indices: ``mix[i]`` is ``real[i]`` for ``i < len(real)``. From ``len(real)`` on, indices address the
    synthetic samples in a fixed order whose first ``num_synthetic`` entries are spread evenly over the
    synthetic set, so a class-sorted SyntheticDataset contributes every class. A plain
    ``DataLoader(mix, shuffle=True)`` therefore sees every real sample and the same evenly spread synthetic
    samples every epoch. ``MixedSampler`` instead draws a fresh set of synthetic samples each epoch from all
    synthetic indices, which run up to ``mix.num_indices`` (at least ``len(mix)``); past ``len(real) +
    len(synthetic)`` they wrap around. Iterating over ``mix`` gives the ``len(mix)`` items of one epoch.

    Items are ``(image, label)`` pairs; ``transform`` (if given) is applied to the image of both kinds. When
    both data sets have a ``classes`` attribute they must be equal, so labels mean the same thing.
    """

    def __init__(
        self,
        real: Dataset,
        synthetic: Dataset,
        synthetic_fraction: float = 0.5,
        transform: Callable[[Any], Any] | None = None,
    ):
        share = "the share of each epoch that is synthetic"
        fraction = check_number(
            "synthetic_fraction", synthetic_fraction, minimum=0, maximum=1, max_inclusive=False, note=share
        )
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")
        self.real, self.synthetic = real, synthetic
        self.synthetic_fraction = fraction
        self.transform = transform
        self.classes = _shared_classes(real, synthetic)
        _check_image_shapes(real, synthetic)
        n_real, n_pool = _length(real, "real"), _length(synthetic, "synthetic")
        if n_real == 0:
            raise ValueError("real is empty; MixedDataset needs at least one real sample")
        self.num_real = n_real
        self.num_synthetic = round(n_real / (1 - self.synthetic_fraction)) - n_real
        if self.num_synthetic and not n_pool:
            raise ValueError(
                f"synthetic is empty but synthetic_fraction={synthetic_fraction} asks for "
                f"{self.num_synthetic} synthetic samples per epoch; pass a non-empty synthetic data set"
            )
        self._synthetic_order = _spread_first(self.num_synthetic, n_pool)

    def __len__(self) -> int:
        return self.num_real + self.num_synthetic

    @property
    def num_indices(self) -> int:
        """Number of valid indices: the real ones, then every synthetic sample (or one epoch's worth, if more)."""
        return self.num_real + max(len(self._synthetic_order), self.num_synthetic)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"MixedDataset indices must be integers, got {type(i).__name__}")
        if not 0 <= i < self.num_indices:
            raise IndexError(f"index {i} is out of range for a MixedDataset with {self.num_indices} indices")
        if i < self.num_real:
            image, label = self.real[i]
        else:
            order = self._synthetic_order
            image, label = self.synthetic[int(order[(i - self.num_real) % len(order)])]
        return (image if self.transform is None else self.transform(image)), label

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        # Without this, Python would iterate through every valid index, past one epoch.
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return (
            f"MixedDataset({self.num_real} real + {self.num_synthetic} synthetic per epoch, "
            f"drawn from {len(self._synthetic_order)} synthetic samples)"
        )


class MixedSampler(Sampler[int]):
    """Indices of one epoch of a MixedDataset: every real sample once, plus ``num_synthetic`` synthetic
    samples drawn afresh each epoch, without replacement unless the epoch needs more than there are.

    Like ``DistributedSampler``, call ``set_epoch(epoch)`` before each epoch; the draw and the order depend
    only on ``seed + epoch``, so runs repeat exactly. ``shuffle=False`` yields the real indices in order,
    then the drawn synthetic ones.
    """

    def __init__(self, mixed: MixedDataset, seed: int = 0, shuffle: bool = True):
        if not isinstance(mixed, MixedDataset):
            raise TypeError(f"MixedSampler needs a MixedDataset, got {type(mixed).__name__}")
        self.mixed, self.seed, self.shuffle = mixed, check_int("seed", seed), shuffle
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose synthetic draw and order the next iteration yields."""
        self.epoch = check_int("epoch", epoch, minimum=0)

    def __len__(self) -> int:
        return len(self.mixed)

    def __iter__(self) -> Iterator[int]:
        mixed = self.mixed
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        pool = len(mixed.synthetic)
        passes = math.ceil(mixed.num_synthetic / pool) if pool else 0
        draws = [torch.randperm(pool, generator=generator) for _ in range(passes)]
        synthetic = torch.cat(draws)[: mixed.num_synthetic] if draws else torch.empty(0, dtype=torch.int64)
        indices = torch.cat([torch.arange(mixed.num_real), mixed.num_real + synthetic])
        if self.shuffle:
            indices = indices[torch.randperm(len(indices), generator=generator)]
        return iter(indices.tolist())


def _length(data: Dataset, name: str) -> int:
    try:
        return len(data)
    except TypeError:
        raise TypeError(f"{name} must be a map-style Dataset with a length, got {type(data).__name__}") from None


def _shared_classes(real: Dataset, synthetic: Dataset) -> list | None:
    """The class names both data sets use (None if neither says); a ValueError if they disagree."""
    real_classes, synthetic_classes = getattr(real, "classes", None), getattr(synthetic, "classes", None)
    if real_classes is not None and synthetic_classes is not None and list(real_classes) != list(synthetic_classes):
        raise ValueError(
            f"real and synthetic have different classes: real {list(real_classes)}, synthetic "
            f"{list(synthetic_classes)}; make the synthetic data with a model trained on the real data's classes"
        )
    classes = real_classes if real_classes is not None else synthetic_classes
    return None if classes is None else list(classes)


def _check_image_shapes(real: Dataset, synthetic: Dataset) -> None:
    real_shape, synthetic_shape = getattr(real, "image_shape", None), getattr(synthetic, "image_shape", None)
    if real_shape is not None and synthetic_shape is not None and tuple(real_shape) != tuple(synthetic_shape):
        raise ValueError(
            f"real images are {tuple(real_shape)} (C, H, W) but synthetic images are {tuple(synthetic_shape)}; "
            "sample from a model trained at the real data's size and channel count"
        )


def _spread_first(n_chosen: int, n_pool: int) -> torch.Tensor:
    """A permutation of range(n_pool) starting with min(n_chosen, n_pool) evenly spaced entries."""
    if n_chosen == 0 or n_chosen >= n_pool:
        return torch.arange(n_pool)
    chosen = torch.arange(n_chosen) * n_pool // n_chosen  # distinct, since the step n_pool / n_chosen > 1
    rest = torch.ones(n_pool, dtype=torch.bool)
    rest[chosen] = False
    return torch.cat([chosen, torch.nonzero(rest).flatten()])
