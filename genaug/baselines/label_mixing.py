"""MixUp and CutMix (torchvision v2) as seeded batch functions ``(x, y) -> (x, soft y)`` for classifier training."""

from __future__ import annotations

import torch
from torchvision.transforms import v2

from genaug.baselines.batches import check_float_batch, drawing_from
from genaug.checks import check_choice, check_int, check_number
from genaug.models.base import SeedLike, make_generator

MIXES: dict[str, type[v2.Transform]] = {"mixup": v2.MixUp, "cutmix": v2.CutMix}


class BatchLabelMix:
    """torchvision's ``MixUp`` (``mix="mixup"``: each image blended with its neighbour in the batch) or ``CutMix``
    (``"cutmix"``: a box of the neighbour pasted in) on float N x C x H x W batches, with one ratio per batch
    drawn from Beta(alpha, alpha) as in torchvision (training batches are drawn at random, so neighbours are
    too). Labels (class indices N, or probabilities N x K) come back as probabilities N x ``num_classes`` mixed by
    the same ratio. ``seed``: an int, a ``torch.Generator`` (shared, advanced by every call) or None (drawn from
    torch's global generator)."""

    def __init__(self, mix: str, num_classes: int, alpha: float = 1.0, seed: SeedLike = 0):
        check_choice("mix", mix, sorted(MIXES))
        check_int("num_classes", num_classes, minimum=1)
        check_number("alpha", alpha, minimum=0, min_inclusive=False, note="the Beta distribution's parameter")
        self.transform = MIXES[mix](alpha=alpha, num_classes=num_classes)
        self.generator = make_generator(seed)

    def __call__(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mixed batch and its class probabilities (float)."""
        check_float_batch(x)
        with drawing_from(self.generator):
            return self.transform(x, labels)
