"""GenerativeAugment as an albumentations 2.x transform (``genaug.albumentations.GenerativeAugment``).

It works with both distributions of the ``albumentations`` import name: albumentations 2.0.x (MIT) and its successor
albumentationsx (AGPL-3.0). albumentationsx 2.5 replaced the sampling hook ``get_params_dependent_on_data`` by
``sample_parameters`` and rejects a transform that defines the old one, so the class defines whichever hook the
installed library calls.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np

from genaug.augment.modes import SEED_BOUND, AugmentSettings, GenerativeAugmenter
from genaug.filters import ImageFilter
from genaug.models.base import GenerativeModel
from genaug.optional import require

A = require("albumentations", extra="albumentations", feature="genaug.albumentations")
HAS_SAMPLE_PARAMETERS = hasattr(A.BasicTransform, "sample_parameters")  # newer albumentationsx (2.4.13, 2.5.x)


class GenerativeAugment(A.ImageOnlyTransform):
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
        label_key: the key of the class label in the call, e.g. ``A.Compose([...])(image=x, class_label=3)``.
        filter: a ``genaug.filters`` filter (``keep(images, labels) -> bool``) that judges each synthetic image as
            the sample's class (so the call needs the label); a rejected one is redrawn up to ``redraws`` times,
            then the image is left as it was. A filter holds a classifier, not plain data: a pipeline with one
            pickles (when the filter does) but ``A.to_dict`` / ``A.save`` cannot record it.

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
        p: float = AugmentSettings.p,
        mode: str = AugmentSettings.mode,
        strength: float = AugmentSettings.strength,
        bank_size: int | None = None,
        label_key: str = "class_label",
        filter: ImageFilter | None = None,  # shadows the builtin: the name the API promises
        redraws: int = AugmentSettings.redraws,
    ):
        settings = AugmentSettings(mode=mode, p=p, strength=strength, bank_size=bank_size, redraws=redraws)
        if not isinstance(label_key, str) or not label_key:
            raise ValueError(f"label_key must be a non-empty string, got {label_key!r}")
        super().__init__(p=p)
        self.mode, self.strength, self.bank_size, self.label_key = mode, strength, bank_size, label_key
        self.filter, self.redraws = filter, redraws
        hint = (
            "the label is a class index (an int, a numpy integer, or an integer tensor or array holding one value) "
            f"or a class name, passed with the image, e.g. A.Compose([...])(image=image, {label_key}=3)"
        )
        self._augmenter = GenerativeAugmenter(model, settings, label_hint=hint, keep=filter)
        # What A.to_dict records: plain data, not weights. None for a model never saved: albumentations builds every
        # repr from the same record, so the error is raised when such a pipeline is loaded (see ModelSource).
        self.model = self._augmenter.source.checkpoint_dir

    def to_dict_private(self) -> dict[str, Any]:
        if self.filter is not None:
            raise ValueError(
                "A.to_dict / A.save record plain settings, and this GenerativeAugment has a filter (a classifier): "
                "pickle the pipeline instead, or rebuild it in code with filter=..."
            )
        return super().to_dict_private()

    @classmethod
    def get_class_fullname(cls) -> str:
        return "genaug.albumentations.GenerativeAugment"  # the public name, recorded by A.to_dict

    def _draw_params(self, data: dict[str, Any], rng: np.random.Generator, stream: Hashable) -> dict[str, Any]:
        """The choices of one call, drawn from the RNG ``rng`` of the stream ``stream`` (see SampleBank); ``apply``
        receives them as ``draw``."""
        seed = int(rng.integers(0, SEED_BOUND))
        return {"draw": self._augmenter.draw(True, data.get(self.label_key), seed, stream)}

    if HAS_SAMPLE_PARAMETERS:

        def sample_parameters(self, params: dict[str, Any], data: dict[str, Any], targets: Any, sampling: Any) -> Any:
            from albumentations.core.transform_params import SampledParams

            # albumentationsx seeds each call from the root pipeline and leaves self.seed unset: a stream per pipeline
            stream = ("albumentations", sampling.invocation.root_key)
            return SampledParams(params=self._draw_params(data, sampling.random_generator, stream))

    else:

        def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
            return self._draw_params(data, self.random_generator, ("albumentations", self.seed))

    def apply(self, img: np.ndarray, draw: Any = None, **params: Any) -> np.ndarray:
        return self._augmenter.apply(img, draw)
