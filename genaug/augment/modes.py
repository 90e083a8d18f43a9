"""What GenerativeAugment does, shared by its torchvision and albumentations forms.

The modes themselves (``"replace"``, ``"perturb"``) and the filter are ``genaug.augment.core``'s, shared with
``BatchAugment``. Per image, replace takes its synthetic image from the sample bank (filled by ``model.sample``);
perturb runs the core's perturb on a batch of one. A rejected synthetic image is redrawn up to ``redraws`` times
(replace: the bank's next image of the class) and otherwise leaves the image as it was.

Every call is split in two, as both libraries expect: ``draw`` makes the random choices (from a seed the caller
drew from its RNG) and ``apply`` carries them out deterministically.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from genaug.augment.bank import default_bank_size, sample_bank
from genaug.augment.core import MODES, check_mode, synthesize
from genaug.augment.image_types import ImageFormat
from genaug.augment.model_source import ModelSource
from genaug.augment.sample_label import as_class_label, not_a_label
from genaug.checks import check_choice, check_int, check_probability
from genaug.filters import ImageFilter, check_filter, keep_mask
from genaug.models.base import GenerativeModel, make_generator
from genaug.models.inputs import as_image_batch
from genaug.models.options import check_strength
from genaug.models.registry import get_family

SEED_BOUND = 2**62  # callers draw seeds from [0, SEED_BOUND)


@dataclass(frozen=True)
class AugmentSettings:
    """The arguments of GenerativeAugment and BatchAugment, checked on creation (a ValueError names the bad one)."""

    mode: str = "replace"  # "replace" or "perturb"
    p: float = 0.5  # probability of augmenting a sample
    # perturb: standard deviations of code noise (0: the image itself); diffusion: noise level. 0.25: the strength
    # genaug-bench measures by default and recommended wherever it chose genaug (README, Benchmarks)
    strength: float = 0.25
    # replace: images generated per class in one batch (1: one sample() per call; None: bank.default_bank_size, 16 on
    # CPUs, 256 on GPUs). Each DataLoader worker has its own bank, and up to classes x bank_size of its images go
    # unused when it exits at the end of an epoch.
    bank_size: int | None = None
    redraws: int = 0  # with a filter: new tries for a rejected synthetic image before the real one is kept

    def __post_init__(self) -> None:
        check_choice("mode", self.mode, MODES)
        check_probability("p", self.p)
        check_strength(self.strength)
        if self.bank_size is not None:
            check_int("bank_size", self.bank_size, minimum=1, note="or None: chosen by device")
        check_int("redraws", self.redraws, minimum=0)


@dataclass(frozen=True)
class Draw:
    """The random choices of one applied call."""

    synthetic: torch.Tensor | None = None  # replace: the bank's uint8 C×H×W image (None: the filter rejected all)
    seed: int | None = None  # perturb: seed of the code noise
    class_index: int | None = None  # the sample's class, where the mode or the filter needs it


class GenerativeAugmenter:
    """A model, the settings, the filter, and the two halves of a call: ``draw`` (random) and ``apply``
    (deterministic).

    ``label_hint`` tells the user what a label is and where the transform looks for it, for the errors about
    a missing or malformed label (see genaug.augment.sample_label).
    """

    def __init__(
        self,
        model: GenerativeModel | str | Path,
        settings: AugmentSettings,
        label_hint: str,
        keep: ImageFilter | None = None,
    ):
        self.source = ModelSource(model)
        self.settings = settings
        self.label_hint = label_hint
        self.keep = check_filter(keep)
        family = self.source.family
        check_mode(settings.mode, family)
        if settings.mode == "replace" or keep is not None:  # a filter judges an image as its class
            self.needs_label = True
        else:
            self.needs_label = get_family(family).model_class.perturb_uses_labels  # as the core's perturb reads it

    def draw(self, applied: bool, label: Any, seed: int, stream: Hashable = None) -> Draw | None:
        """The choices of one call: None if not ``applied``. ``label`` is checked on every call (applied or not), so
        a bad label fails on the first sample; ``stream`` identifies the caller's RNG stream (see SampleBank)."""
        class_index = self._class_index(label) if self.needs_label else None
        if self.settings.mode == "perturb":
            return Draw(seed=seed, class_index=class_index) if applied else None
        model = self.source.model
        bank = sample_bank(model, self.settings.bank_size or default_bank_size(model), stream)
        bank.observe(seed)
        if not applied:
            return None
        for _ in range(1 + (self.settings.redraws if self.keep is not None else 0)):
            synthetic = bank.take(class_index, seed)
            if self.keep is None or self._accepts(synthetic[None].float().div(255.0), class_index):
                return Draw(synthetic=synthetic, class_index=class_index)
        return Draw(class_index=class_index)  # every try rejected: the image stays as it is

    def apply(self, image: Any, draw: Draw | None) -> Any:
        """``image`` augmented as ``draw`` says, in its own form (type, dtype, range, channels, size)."""
        form = ImageFormat.of(image)
        if draw is None:
            return image
        if draw.synthetic is not None:
            return form.render(draw.synthetic[None].float().div_(255.0), like=image)
        if draw.seed is None:
            return image
        perturbed, accepted = self._perturb(image, draw)
        return form.render(perturbed, like=image) if bool(accepted[0]) else image

    def _perturb(self, image: Any, draw: Draw) -> tuple[torch.Tensor, torch.Tensor]:
        model = self.source.model
        batch = as_image_batch(image, model.image_shape).to(model.device)  # 1 x C x H x W in the model's shape
        labels = torch.tensor([draw.class_index if draw.class_index is not None else 0], device=model.device)
        return synthesize(
            model,
            "perturb",
            batch,
            labels,
            strength=float(self.settings.strength),
            generator=make_generator(draw.seed),
            options={},
            keep=self.keep,
            redraws=self.settings.redraws,
        )

    def _accepts(self, image: torch.Tensor, class_index: int) -> bool:
        return bool(keep_mask(self.keep, image, torch.tensor([class_index]))[0])

    def _class_index(self, label: Any) -> int:
        if label is None:
            raise ValueError(
                f"mode={self.settings.mode!r} with a {self.source.family} model needs each sample's class label, "
                f"and this sample has none: {self.label_hint}"
            )
        plain = as_class_label(label)
        if plain is None:
            raise not_a_label(label, self.label_hint)
        return self.source.model.class_index(plain)
