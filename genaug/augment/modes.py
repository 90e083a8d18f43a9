"""What GenerativeAugment does, shared by its torchvision and albumentations forms.

Modes:
- ``"replace"``: with probability p the image becomes a synthetic image of its class (taken from the sample bank);
  needs the sample's class label;
- ``"perturb"`` (families with an encoder: ae, cvae): the image is encoded, its code moved by ``strength``
  standard deviations of noise and decoded: a variation of that very image. An ae needs no label; a cvae decodes
  under the sample's label.

Every call is split in two, as both libraries expect: ``draw`` makes the random choices (from a seed the caller
drew from its RNG) and ``apply`` carries them out deterministically.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from genaug.augment.bank import default_bank_size, sample_bank
from genaug.augment.image_types import ImageFormat
from genaug.augment.model_source import ModelSource
from genaug.checks import check_choice, check_int, check_probability
from genaug.models.base import EncodingModel, GenerativeModel
from genaug.models.inputs import as_image_batch
from genaug.models.options import check_strength
from genaug.models.registry import family_names, get_family

MODES = ("replace", "perturb")
SEED_BOUND = 2**62  # callers draw seeds from [0, SEED_BOUND)


@dataclass(frozen=True)
class AugmentSettings:
    """The arguments of GenerativeAugment, checked on creation (a ValueError names the bad one)."""

    mode: str = "replace"  # "replace" or "perturb"
    p: float = 0.5  # probability of augmenting a sample
    strength: float = 1.0  # perturb: standard deviations of code noise (0: a reconstruction)
    # replace: images generated per class in one batch (1: one sample() per call; None: bank.default_bank_size, 16 on
    # CPUs, 256 on GPUs). Each DataLoader worker has its own bank, and up to classes x bank_size of its images go
    # unused when it exits at the end of an epoch.
    bank_size: int | None = None

    def __post_init__(self) -> None:
        check_choice("mode", self.mode, MODES)
        check_probability("p", self.p)
        check_strength(self.strength)
        if self.bank_size is not None:
            check_int("bank_size", self.bank_size, minimum=1, note="or None: chosen by device")


@dataclass(frozen=True)
class Draw:
    """The random choices of one applied call."""

    synthetic: torch.Tensor | None = None  # replace: the bank's uint8 C×H×W image
    seed: int | None = None  # perturb: seed of the code noise
    class_index: int | None = None  # perturb under a class (cvae)


def perturbing_families() -> list[str]:
    """Families whose models have an encoder, and so can perturb an image."""
    return [key for key in family_names() if issubclass(get_family(key).model_class, EncodingModel)]


class GenerativeAugmenter:
    """A model, the settings, and the two halves of a call: ``draw`` (random) and ``apply`` (deterministic).

    ``label_hint`` tells the user where the transform looks for the label, for the missing-label error.
    """

    def __init__(self, model: GenerativeModel | str | Path, settings: AugmentSettings, label_hint: str):
        self.source = ModelSource(model)
        self.settings = settings
        self.label_hint = label_hint
        family = self.source.family
        if settings.mode == "perturb" and family not in perturbing_families():
            encoding = ", ".join(perturbing_families())
            raise ValueError(
                f"mode='perturb' encodes each image, which needs a model with an encoder ({encoding}); "
                f"this model is a {family}: use mode='replace', or train one of {encoding}"
            )
        if settings.mode == "replace":
            self.needs_label = True
        else:
            self.needs_label = "labels" in inspect.signature(get_family(family).model_class.perturb).parameters

    def draw(self, applied: bool, label: Any, seed: int, stream: Hashable = None) -> Draw | None:
        """The choices of one call: None if not ``applied``. ``label`` is checked on every call (applied or not), so
        a bad label fails on the first sample; ``stream`` identifies the caller's RNG stream (see SampleBank)."""
        class_index = self._class_index(label) if self.needs_label else None
        if self.settings.mode == "perturb":
            return Draw(seed=seed, class_index=class_index) if applied else None
        model = self.source.model
        bank = sample_bank(model, self.settings.bank_size or default_bank_size(model), stream)
        bank.observe(seed)
        return Draw(synthetic=bank.take(class_index, seed)) if applied else None

    def apply(self, image: Any, draw: Draw | None) -> Any:
        """``image`` augmented as ``draw`` says, in its own form (type, dtype, range, channels, size)."""
        form = ImageFormat.of(image)
        if draw is None:
            return image
        if draw.synthetic is not None:
            return form.render(draw.synthetic[None].float().div_(255.0), like=image)
        return form.render(self._perturb(image, draw), like=image)

    def _perturb(self, image: Any, draw: Draw) -> torch.Tensor:
        model = self.source.model
        batch = as_image_batch(image, model.image_shape)  # 1 x C x H x W in the model's shape
        labels = {} if draw.class_index is None else {"labels": [draw.class_index]}
        return model.perturb(batch, strength=float(self.settings.strength), generator=draw.seed, **labels)

    def _class_index(self, label: Any) -> int:
        if label is None:
            raise ValueError(
                f"mode={self.settings.mode!r} with a {self.source.family} model needs each sample's class label, "
                f"and this sample has none: {self.label_hint}"
            )
        if isinstance(label, torch.Tensor) and label.ndim == 0:
            label = label.item()
        if isinstance(label, numbers.Integral) and not isinstance(label, bool):
            label = int(label)
        if not isinstance(label, (int, str)) or isinstance(label, bool):
            raise TypeError(f"a class label must be an int or a class name, got {type(label).__name__} {label!r}")
        return self.source.model.class_index(label)
