"""torchvision's augmentation policies (TrivialAugment Wide, RandAugment, AutoAugment) on float batches, with a
fresh random draw for every image.

A torchvision policy draws its operations once per call, so a whole batch tensor would get the same ones. Here
each image of a float N x C x H x W batch in [0, 1] (C = 1 or 3, as the policies accept) goes through the policy
on its own, as a uint8 image (the policies are defined on 8-bit levels: posterize, solarize, equalize), and comes
back as float. The policies keep torchvision's defaults (nearest interpolation, black fill); their random values
come from the transform's own generator (``batches.drawing_from``), so a seed gives the same batches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torchvision.transforms import v2

from genaug.baselines.batches import check_float_batch, drawing_from
from genaug.checks import check_choice
from genaug.models.base import SeedLike, make_generator

POLICIES: dict[str, Callable[[], v2.Transform]] = {
    "trivialaugment": v2.TrivialAugmentWide,  # one op of random magnitude per image
    "randaugment": v2.RandAugment,  # two ops of magnitude 9 (of 31 bins) per image
    "autoaugment": functools.partial(v2.AutoAugment, v2.AutoAugmentPolicy.IMAGENET),  # the ImageNet policy
}


class BatchPolicyAugment:
    """A per-image transform of C x H x W uint8 tensors (e.g. a torchvision policy), applied to every image of a
    float batch in [0, 1] with its own random draws; ``seed``: an int, a ``torch.Generator`` (shared, advanced by
    every call) or None (drawn from torch's global generator)."""

    def __init__(self, transform: Callable[[torch.Tensor], torch.Tensor], seed: SeedLike = 0):
        self.transform = transform
        self.generator = make_generator(seed)

    def __call__(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Augment a float batch; ``labels`` are accepted and ignored, so the object is also a batch function
        ``(x, y) -> x`` for ``train_classifier(augment=...)``."""
        check_float_batch(x)
        check_choice("channels", x.shape[1], (1, 3), note="grayscale or RGB, as torchvision's policies")
        pixels = x.mul(255).round_().clamp_(0, 255).to(torch.uint8)
        with drawing_from(self.generator):
            out = torch.stack([self.transform(image) for image in pixels])
        return out.to(x.dtype).div_(255)


def policy_batch_augment(policy: str, seed: SeedLike = 0) -> BatchPolicyAugment:
    """The torchvision policy ``policy`` (a key of ``POLICIES``) for float N x C x H x W batches, each image with
    its own random operations on every call."""
    check_choice("policy", policy, sorted(POLICIES))
    return BatchPolicyAugment(POLICIES[policy](), seed)
