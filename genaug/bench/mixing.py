"""How synthetic images enter a classifier's training batches, as batch functions ``(x, y) -> (x, y)``.

Replace and perturb run through the public ``genaug.augment.BatchAugment``; here are the pieces around it: the
fixed synthetic pools of the dataset mode and of balancing, and composing batch functions. All work on whole
batches (float N x C x H x W in [0, 1] with int64 labels), never per image in Python.
"""

from __future__ import annotations

import torch

from genaug.filters import ImageFilter
from genaug.metrics.classifier import BatchTransform, LabelledBatchTransform
from genaug.models.base import GenerativeModel
from genaug.synthetic import SyntheticDataset


def synthetic_pool(
    model: GenerativeModel, per_class: int, seed: int, keep: ImageFilter | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` samples of every class (float, CPU), with their labels, sorted by class; with a filter
    ``keep``, only images it accepts (drawn through a SyntheticDataset, which redraws the rejected ones)."""
    if keep is None:
        return model.sample_per_class(per_class, seed=seed)
    accepted = SyntheticDataset(model, per_class, seed=seed, filter=keep).materialize(progress=False)
    return torch.stack([image for image, _ in accepted]), torch.as_tensor(accepted.targets, dtype=torch.int64)


def chain(*steps: BatchTransform | LabelledBatchTransform) -> LabelledBatchTransform:
    """Apply batch functions in order: a step returning a tensor keeps the labels, one returning ``(x, y)`` (e.g.
    ``BatchAugment``, MixUp) passes its labels on; the result is always ``(x, y)``."""

    def chained(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for step in steps:
            out = step(x, y)
            x, y = out if isinstance(out, tuple) else (out, y)
        return x, y

    return chained


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
