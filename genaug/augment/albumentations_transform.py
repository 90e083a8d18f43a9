"""GenerativeAugment as an albumentations 2.x transform (``genaug.albumentations.GenerativeAugment``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import albumentations as A
import numpy as np

from genaug.augment.modes import SEED_BOUND, AugmentSettings, GenerativeAugmenter
from genaug.models.base import GenerativeModel


class GenerativeAugment(A.ImageOnlyTransform):
    """With probability ``p``, replace an image by a synthetic one of its class, or perturb it through the model.

    Args:
        model: a trained genaug model (``genaug.load(...)``) or its checkpoint directory.
        p: probability of augmenting a sample.
        mode: ``"replace"`` (a synthetic image of the sample's class) or ``"perturb"`` (ae, cvae: a variation of
            the image itself, through the model's encoder).
        strength: perturb: standard deviations of noise added to the image's code.
        bank_size: replace: synthetic images made per class in one batch and handed out one by one, per process
            (None: 16 for a model on the CPU, 256 on a GPU). ``persistent_workers=True`` keeps DataLoader workers'
            banks from one epoch to the next.
        label_key: the key of the class label in the call, e.g. ``A.Compose([...])(image=x, class_label=3)``.

    Images: H×W, H×W×1 or H×W×3 numpy arrays, uint8 or float in [0, 1]; the result has the same shape and dtype.
    Randomness comes from the transform's own RNG (``A.Compose(..., seed=...)``). The transform stores only plain
    values: the model by its checkpoint directory, loaded once per process on first use, so pipelines pickle and
    round-trip through ``A.to_dict``/``A.from_dict`` and ``A.save``/``A.load`` (import ``genaug.albumentations``
    before loading one). A model that was never saved has no directory: such a pipeline still pickles (with the
    weights), but a saved copy of it cannot be loaded.
    """

    def __init__(
        self,
        model: GenerativeModel | str | Path,
        p: float = 0.5,
        mode: str = "replace",
        strength: float = 1.0,
        bank_size: int | None = None,
        label_key: str = "class_label",
    ):
        settings = AugmentSettings(mode=mode, p=p, strength=strength, bank_size=bank_size)
        if not isinstance(label_key, str) or not label_key:
            raise ValueError(f"label_key must be a non-empty string, got {label_key!r}")
        super().__init__(p=p)
        self.mode, self.strength, self.bank_size, self.label_key = mode, strength, bank_size, label_key
        hint = f"pass it with the image, e.g. A.Compose([...])(image=image, {label_key}=3)"
        self._augmenter = GenerativeAugmenter(model, settings, label_hint=hint)
        # What A.to_dict records: plain data, not weights. None for a model never saved: albumentations builds every
        # repr from the same record, so the error is raised when such a pipeline is loaded (see ModelSource).
        self.model = self._augmenter.source.checkpoint_dir

    @classmethod
    def get_class_fullname(cls) -> str:
        return "genaug.albumentations.GenerativeAugment"  # the public name, recorded by A.to_dict

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        seed = int(self.random_generator.integers(0, SEED_BOUND))
        stream = ("albumentations", self.seed)
        return {"draw": self._augmenter.draw(True, data.get(self.label_key), seed, stream)}

    def apply(self, img: np.ndarray, draw: Any = None, **params: Any) -> np.ndarray:
        return self._augmenter.apply(img, draw)
