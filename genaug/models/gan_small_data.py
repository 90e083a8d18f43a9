"""What fits a conditional GAN to a small data set: a discriminator width chosen from the number of training
images, the refusal of classes too small to learn, adaptive discriminator augmentation's update of its
probability (Karras et al. 2020) and the LeCam penalty (Tseng et al. 2021). ``genaug.models.gan`` uses them."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from genaug.errors import DataError

# discriminator_width="auto": SMALL_DATA_WIDTH below SMALL_DATA_IMAGES training images, else LARGE_DATA_WIDTH (the
# default, which reached 90.5% label fidelity on 2,500 MNIST images: benchmarks/results/train_quality.md). A
# discriminator that memorises its few real images is what collapses small-data GANs (Karras et al. 2020; Tseng et
# al. 2021); a lighter one has less capacity to. benchmarks/small_data.py compares them (cgan_small_data.md:
# no help at 10 images per class).
SMALL_DATA_IMAGES = 1000
SMALL_DATA_WIDTH = 16
LARGE_DATA_WIDTH = 32
# A class needs at least this many images for a cgan: with one image per class the discriminator's class
# projection memorises it at once and the generator can only copy it.
MIN_IMAGES_PER_CLASS = 2


def auto_discriminator_width(num_images: int) -> int:
    """The discriminator width ``discriminator_width="auto"`` picks for ``num_images`` training images."""
    return SMALL_DATA_WIDTH if num_images < SMALL_DATA_IMAGES else LARGE_DATA_WIDTH


def check_class_sizes(labels: torch.Tensor, classes: Sequence[str]) -> None:
    """A DataError (a ValueError) naming every class with fewer than ``MIN_IMAGES_PER_CLASS`` training images
    (``labels``: class indices into ``classes``), which a cgan cannot learn; the ae and cvae can."""
    counts = torch.bincount(torch.as_tensor(labels).cpu(), minlength=len(classes)).tolist()
    few = {classes[k]: count for k, count in enumerate(counts) if count < MIN_IMAGES_PER_CLASS}
    if few:
        shown = ", ".join(f"{name!r} ({count})" for name, count in few.items())
        raise DataError(
            f"too few images to train a cgan: class(es) {shown} have fewer than {MIN_IMAGES_PER_CLASS} images; "
            "its discriminator would memorise them and the generator could only copy them. Add images to "
            "these classes, or train family='ae' or family='cvae', which learn from single images"
        )


def lecam_penalty(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, real_anchor: torch.Tensor, fake_anchor: torch.Tensor
) -> torch.Tensor:
    """LeCam regulariser (Tseng et al. 2021, in the authors' one-sided form): D's logits on real images above the
    EMA anchor of its fake logits, and on fakes below the anchor of its real logits, are penalised squared. Zero
    while D does not score reals above what it gave fakes nor fakes below what it gave reals."""
    return torch.relu(real_logits - fake_anchor).pow(2).mean() + torch.relu(real_anchor - fake_logits).pow(2).mean()


def adjusted_augment_p(p: float, signal: float, target: float, images: int, ramp_images: int) -> float:
    """ADA's update of the augmentation probability ``p`` after ``images`` real images whose mean sign of D's
    logit was ``signal``: up (towards 1) when D overfits (signal > target), down when not, by images / ramp."""
    direction = (signal > target) - (signal < target)
    return min(1.0, max(0.0, p + direction * images / ramp_images))
