"""How synthetic images enter a classifier's training batches, as batch functions ``(x, y) -> x``.

All work on whole batches (float N x C x H x W in [0, 1] with int64 labels), never per image in Python.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from genaug.filters import ImageFilter
from genaug.models.base import GenerativeModel
from genaug.synthetic import SyntheticDataset

BatchAugment = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def synthetic_pool(
    model: GenerativeModel, per_class: int, seed: int, keep: ImageFilter | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` samples of every class (float, CPU), with their labels, sorted by class; with a filter
    ``keep``, only images it accepts (drawn through a SyntheticDataset, which redraws the rejected ones)."""
    labels = torch.arange(model.num_classes).repeat_interleave(per_class)
    if keep is None:
        return model.sample(len(labels), labels=labels, seed=seed).cpu(), labels
    accepted = SyntheticDataset(model, per_class, seed=seed, filter=keep).materialize(progress=False)
    return torch.stack([image for image, _ in accepted]), labels


class ReplaceWithSynthetic:
    """With probability ``fraction``, each image becomes a random pool image of the same class."""

    def __init__(self, pool: torch.Tensor, pool_labels: torch.Tensor, fraction: float, seed: int):
        order = torch.argsort(pool_labels, stable=True)
        self.pool, counts = pool[order], torch.bincount(pool_labels, minlength=int(pool_labels.max()) + 1)
        if (counts == 0).any():
            raise ValueError(f"the synthetic pool lacks class(es) {torch.nonzero(counts == 0).flatten().tolist()}")
        self.counts, self.offsets = counts, torch.cumsum(counts, 0) - counts
        self.fraction = fraction
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        replace = torch.rand(len(x), generator=self.generator) < self.fraction  # N
        picks = (torch.rand(len(x), generator=self.generator) * self.counts[y]).long()  # N, index within class
        x = x.clone()
        x[replace] = self.pool[(self.offsets[y] + picks)[replace]]
        return x


class PerturbReal:
    """With probability ``fraction``, each image is encoded, its code perturbed and decoded (ae, cvae); with a
    filter ``keep``, a perturbed image that it rejects leaves its real image in place."""

    def __init__(
        self,
        perturb: Callable[..., torch.Tensor],
        fraction: float,
        strength: float,
        seed: int,
        keep: ImageFilter | None = None,
    ):
        self.perturb, self.fraction, self.strength, self.keep = perturb, fraction, strength, keep
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        chosen = torch.rand(len(x), generator=self.generator) < self.fraction
        if not chosen.any():
            return x
        perturbed = self.perturb(x[chosen], y[chosen], self.strength, self.generator).cpu()
        if self.keep is not None:
            accepted = self.keep(perturbed, y[chosen])
            chosen[torch.nonzero(chosen).flatten()[~accepted]] = False
            perturbed = perturbed[accepted]
        x = x.clone()
        x[chosen] = perturbed
        return x


def compose(*steps: BatchAugment) -> BatchAugment:
    """Apply batch functions in order."""

    def composed(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        for step in steps:
            x = step(x, y)
        return x

    return composed


def synthetic_top_up(
    images: torch.Tensor, labels: torch.Tensor, pool: torch.Tensor, pool_labels: torch.Tensor, want: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``images`` (as float) plus, for each class k, the first ``want[k] - count_k`` pool images of class k."""
    have = torch.bincount(labels, minlength=len(want))
    extra = []
    for k in range(len(want)):
        missing = int(want[k] - have[k])
        members = torch.nonzero(pool_labels == k).flatten()
        if missing > len(members):
            raise ValueError(f"class {k} needs {missing} synthetic images but the pool holds {len(members)}")
        extra.append(members[: max(missing, 0)])
    extra_idx = torch.cat(extra)
    float_images = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    return torch.cat([float_images, pool[extra_idx]]), torch.cat([labels, pool_labels[extra_idx]])
