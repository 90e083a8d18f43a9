"""The augmentation modes, one implementation each, shared by the batch class (``BatchAugment``) and the per-image
transforms (``genaug.transforms`` / ``genaug.albumentations``).

A mode turns chosen real images (float N x C x H x W in [0, 1], in the model's working shape) and their class
indices into synthetic images of the same classes, drawing its noise from one CPU ``torch.Generator``:

- ``"replace"``: fresh samples of each image's class (``model.sample``; the real image is not used);
- ``"perturb"`` (families with an encoder: ae, cvae, diffusion): the image itself, encoded, its code moved by
  ``strength`` standard deviations of noise, and the change this makes to its decoding added to it
  (``model.perturb``, which keeps the detail the decoder cannot draw); the cvae decodes under the image's class. A
  diffusion model noises the image to level ``strength`` in (0, 1] and denoises it under its class.

``filter`` (any ``genaug.filters`` filter) judges the synthetic images; rejected ones are redrawn up to
``redraws`` times and otherwise leave the real image in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from genaug.checks import check_choice
from genaug.filters import ImageFilter, keep_mask
from genaug.models.base import EncodingModel, GenerativeModel
from genaug.models.registry import family_names, get_family

ModeFunction = Callable[[GenerativeModel, torch.Tensor, torch.Tensor, float, torch.Generator, dict], torch.Tensor]


def _replace(
    model: GenerativeModel,
    images: torch.Tensor,
    labels: torch.Tensor,
    strength: float,
    generator: torch.Generator,
    options: dict[str, Any],
) -> torch.Tensor:
    return model.sample(len(labels), labels=labels.cpu(), seed=generator, **options)


def _perturb(
    model: GenerativeModel,
    images: torch.Tensor,
    labels: torch.Tensor,
    strength: float,
    generator: torch.Generator,
    options: dict[str, Any],  # sampling options belong to replace; BatchAugment refuses them with perturb
) -> torch.Tensor:
    by_class = {"labels": labels} if model.perturb_uses_labels else {}
    return model.perturb(images, strength=strength, generator=generator, **by_class)


MODES: dict[str, ModeFunction] = {"replace": _replace, "perturb": _perturb}


def perturbing_families() -> list[str]:
    """Families whose models have an encoder, and so can perturb an image."""
    return [key for key in family_names() if issubclass(get_family(key).model_class, EncodingModel)]


def check_mode(mode: str, family: str) -> str:
    """``mode`` if ``family``'s models can run it; a ValueError that says what to do otherwise."""
    check_choice("mode", mode, MODES)
    if mode == "perturb" and family not in perturbing_families():
        encoding = ", ".join(perturbing_families())
        raise ValueError(
            f"mode='perturb' encodes each image, which needs a model with an encoder ({encoding}); "
            f"this model is a {family}: use mode='replace', or train one of {encoding}"
        )
    return mode


def synthesize(
    model: GenerativeModel,
    mode: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    strength: float,
    generator: torch.Generator,
    options: dict[str, Any],
    keep: ImageFilter | None = None,
    redraws: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic images for ``images`` / ``labels`` (class indices) by ``mode``, and a bool mask (CPU) of those
    that pass ``keep`` (all True without one). Rejected images are redrawn up to ``redraws`` times."""
    make = MODES[mode]
    synthetic = make(model, images, labels, strength, generator, options)
    if keep is None:
        return synthetic, torch.ones(len(synthetic), dtype=torch.bool)
    accepted = keep_mask(keep, synthetic, labels).cpu()
    for _ in range(redraws):
        rejected = torch.nonzero(~accepted).flatten()
        if len(rejected) == 0:
            break
        on_device, their_labels = rejected.to(synthetic.device), labels[rejected.to(labels.device)]
        again = make(model, images[on_device], their_labels, strength, generator, options)
        passed = keep_mask(keep, again, their_labels).cpu()
        synthetic[on_device[passed.to(synthetic.device)]] = again[passed.to(again.device)]
        accepted[rejected[passed]] = True
    return synthetic, accepted
