"""GenerativeAugment as a torchvision v2 transform (``genaug.transforms.GenerativeAugment``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from genaug.augment.modes import SEED_BOUND, AugmentSettings, GenerativeAugmenter
from genaug.augment.sample_label import as_class_label, not_a_label
from genaug.filters import ImageFilter
from genaug.models.base import GenerativeModel

LABEL_RULE = (
    "GenerativeAugment takes the first integer in the sample as its class label: an int, a numpy integer, or an "
    "integer tensor holding one value (tensor(3) or tensor([3])); strings are not read as class names (convert one "
    "with model.class_index(name)). Pass (image, label) pairs, e.g. transform(image, 3), or use it as a Dataset's "
    "transforms= on (image, label)"
)

# The label found by check_inputs, read by make_params of the same call (both run in one forward, in one thread).
_CALL = threading.local()


def is_pure_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and not isinstance(value, tv_tensors.TVTensor)


def find_label(flat_inputs: list[Any]) -> int | None:
    """The sample's class label: its first integer (see LABEL_RULE), or None if it has none."""
    for value in flat_inputs:
        label = None if isinstance(value, (str, tv_tensors.TVTensor)) else as_class_label(value)
        if label is not None:
            return label
    return None


def stray_label(flat_inputs: list[Any]) -> Any:
    """What may have been meant as the label of a sample without one: its first value that is not an image, mask,
    box or other array of two or more dimensions (None if there is none)."""
    for value in flat_inputs:
        if value is None or isinstance(value, (PIL.Image.Image, tv_tensors.TVTensor)):
            continue
        if not (isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim >= 2):
            return value
    return None


class GenerativeAugment(v2.Transform):
    """With probability ``p``, replace an image by a synthetic one of its class, or perturb it through the model.

    Args:
        model: a trained genaug model (``genaug.load(...)``) or its checkpoint directory.
        p: probability of augmenting a sample.
        mode: ``"replace"`` (a synthetic image of the sample's class) or ``"perturb"`` (ae, cvae, diffusion: a
            variation of the image itself, through the model's encoder).
        strength: perturb: standard deviations of noise added to the image's code (diffusion: the noise level,
            in (0, 1]).
        bank_size: replace: synthetic images made per class in one batch and handed out one by one, per process
            (None: 16 for a model on the CPU, 256 on a GPU). ``persistent_workers=True`` keeps DataLoader workers'
            banks from one epoch to the next.
        filter: a ``genaug.filters`` filter (``keep(images, labels) -> bool``) that judges each synthetic image as
            the sample's class (so the sample needs a label); a rejected one is redrawn up to ``redraws`` times,
            then the image is left as it was.

    Images: PIL, uint8 or float [0, 1] tensors and ``tv_tensors.Image``, C×H×W with 1 or 3 channels, any size; the
    result has the input's type, dtype, value range, channels and size. Other inputs (labels, masks, boxes) pass
    through unchanged. The class label is the first integer in the sample (``(image, label)``): an int, a numpy
    integer, or an integer tensor holding one value (``tensor(3)`` or ``tensor([3])``). When the mode needs a label
    and the sample has none, a float, bool or string where it belongs is named in the error.

    Randomness comes from torch's global RNG, so ``torch.manual_seed`` and DataLoader worker seeding make an
    epoch reproducible; use it in DataLoader workers (fork or spawn) for speed. A model with a checkpoint directory
    travels to spawned workers by path and is loaded there once, on the CPU.
    """

    _transformed_types = (tv_tensors.Image, PIL.Image.Image, is_pure_tensor)

    def __init__(
        self,
        model: GenerativeModel | str | Path,
        p: float = AugmentSettings.p,
        mode: str = AugmentSettings.mode,
        strength: float = AugmentSettings.strength,
        bank_size: int | None = None,
        filter: ImageFilter | None = None,  # shadows the builtin: the name the API promises
        redraws: int = AugmentSettings.redraws,
    ):
        super().__init__()
        settings = AugmentSettings(mode=mode, p=p, strength=strength, bank_size=bank_size, redraws=redraws)
        self.p, self.mode, self.strength, self.bank_size, self.redraws = p, mode, strength, bank_size, redraws
        self.filter = filter
        self._augmenter = GenerativeAugmenter(model, settings, label_hint=LABEL_RULE, keep=filter)

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        label = find_label(flat_inputs)
        if label is None and self._augmenter.needs_label:
            stray = stray_label(flat_inputs)
            if stray is not None:
                raise not_a_label(stray, LABEL_RULE)
        _CALL.label = label

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        applied = bool(torch.rand(()) < self.p)
        seed = int(torch.randint(0, SEED_BOUND, (), dtype=torch.int64))  # drawn on every call: see SampleBank
        draw = self._augmenter.draw(applied, _CALL.label, seed, stream=("torch", torch.initial_seed()))
        return {"draw": draw}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._augmenter.apply(inpt, params["draw"])
