"""BatchAugment: generative augmentation of whole batches in the training step, on the training device.

Called after the DataLoader, like torchvision's ``v2.MixUp`` / ``v2.CutMix``::

    aug = genaug.augment.BatchAugment(model, mode="perturb", p=0.5, strength=0.25, filter=keep, seed=0)
    for x, y in loader:
        x, y = aug(x.to(device), y.to(device))

On a CPU, run it in the DataLoader's worker processes instead, where it generates while the training step runs::

    loader = DataLoader(data, batch_size=64, shuffle=True, num_workers=2, collate_fn=aug.collate)

Each call draws which images to augment (each with probability ``p``), makes their synthetic versions in one
generator call (see ``genaug.augment.core`` for the modes and the filter), and returns a new batch in the
input's dtype, shape and device; the labels come back unchanged. The caller's tensors are never modified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import default_collate, get_worker_info

from genaug.augment.core import check_mode, synthesize
from genaug.augment.image_types import from_unit_float
from genaug.augment.modes import AugmentSettings
from genaug.filters import ImageFilter, check_filter
from genaug.metrics.classifier import as_float
from genaug.models.base import GenerativeModel, make_generator
from genaug.models.inputs import fit_to_shape
from genaug.models.io import load


class BatchAugment(nn.Module):
    """Replace or perturb a share ``p`` of each batch with a trained genaug model (an ``nn.Module``).

    - ``model``: a loaded genaug model or a checkpoint directory. It is moved to each batch's device.
    - ``mode``: ``"replace"`` (fresh samples of the image's class) or ``"perturb"`` (a variation of the image
      itself; models with an encoder: ae, cvae, diffusion).
    - ``p``: probability that an image is augmented; ``strength``: perturb's noise in code standard deviations
      (diffusion: the noise level, in (0, 1]).
    - ``filter``: a ``genaug.filters`` filter (``keep(images, labels) -> bool``); a rejected synthetic image is
      redrawn up to ``redraws`` times, then the real image stays.
    - ``seed`` / ``generator``: the source of every random choice (a CPU generator; the same seed gives the
      same batches on any device). ``None`` draws a seed from torch's global RNG. In a DataLoader worker (see
      ``collate``) each worker draws from a stream of its own, seeded by this seed and the worker's seed, so
      workers and epochs never repeat each other's draws and ``torch.manual_seed`` makes an epoch reproducible.
    - ``sampling_options``: the model's own sampling options in replace mode (``truncation`` for cgan,
      ``temperature`` for cvae and ae, ``steps`` and ``guidance`` for diffusion).

    ``forward(x, y)`` takes images N x C x H x W (uint8, or float in [0, 1], i.e. before any normalisation)
    and labels: int64 class indices N, or one-hot / soft labels N x K (after MixUp / CutMix), which condition
    on their most probable class and come back unchanged. Images of another size or channel count than the
    model's are resized for the model and the results resized back.

    It pickles (``pickle``, ``torch.save``, spawned workers) when its filter does: the model as a reference to its
    checkpoint or as config + weights (``genaug.models.pickling``; it arrives on the CPU), the generator with its
    state, so the copy goes on with the same batches.
    """

    def __init__(
        self,
        model: GenerativeModel | str | Path,
        mode: str = AugmentSettings.mode,
        p: float = AugmentSettings.p,
        strength: float = AugmentSettings.strength,
        filter: ImageFilter | None = None,  # shadows the builtin: the name the API promises
        redraws: int = AugmentSettings.redraws,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        **sampling_options: Any,
    ):
        super().__init__()
        if not isinstance(model, GenerativeModel):
            if not isinstance(model, (str, Path)):
                raise TypeError(f"model must be a genaug model or a checkpoint directory, got {type(model).__name__}")
            model = load(model)
        self.settings = AugmentSettings(mode=mode, p=p, strength=strength, redraws=redraws)
        check_mode(mode, model.family)
        if sampling_options and mode != "replace":
            raise ValueError(
                f"sampling options {sorted(sampling_options)} apply to mode='replace' (they shape model.sample); "
                f"mode={mode!r} takes strength"
            )
        if seed is not None and generator is not None:
            raise ValueError("pass seed or generator, not both")
        self.model = model
        self.filter = check_filter(filter)
        self.sampling_options = sampling_options
        self.generator = make_generator(generator if generator is not None else seed)
        self._worker_seed: int | None = None  # the DataLoader worker seed _worker_generator was made for
        self._worker_generator: torch.Generator | None = None

    def collate(self, samples: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """``default_collate`` of ``(image, label)`` samples, then this augmentation: ``collate_fn=aug.collate``
        runs the generator in the DataLoader's workers (with the model on the CPU), which on a CPU hides its cost
        behind the training step."""
        images, labels = default_collate(samples)
        return self(images, labels)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch with a share ``p`` of its images augmented, and ``labels`` unchanged."""
        classes = self._class_indices(labels, images)
        generator = self._stream()
        chosen = torch.rand(len(images), generator=generator) < self.settings.p  # N, CPU
        if not chosen.any():
            return images, labels
        if self.model.device != images.device:
            self.model.to(images.device)
        index = torch.nonzero(chosen).flatten().to(images.device)
        real = as_float(images[index])
        synthetic, accepted = synthesize(
            self.model,
            self.settings.mode,
            fit_to_shape(real, self.model.image_shape),
            classes[index],
            strength=float(self.settings.strength),
            generator=generator,
            options=self.sampling_options,
            keep=self.filter,
            redraws=self.settings.redraws,
        )
        keep = accepted.to(images.device)
        out = images.clone()
        fitted = fit_to_shape(synthetic[keep.to(synthetic.device)], real.shape[1:]).to(images.device).clamp(0.0, 1.0)
        out[index[keep]] = from_unit_float(fitted, images.dtype)
        return out, labels

    def _stream(self) -> torch.Generator:
        """The generator of this call: ``self.generator``, or in a DataLoader worker one seeded from its initial
        seed and the worker's (which DataLoader draws anew for each worker in each epoch)."""
        worker = get_worker_info()
        if worker is None:
            return self.generator
        if self._worker_generator is None or self._worker_seed != worker.seed:
            entropy = [self.generator.initial_seed(), worker.seed]
            seed = int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0]) >> 1  # torch wants < 2**63
            self._worker_seed, self._worker_generator = worker.seed, torch.Generator().manual_seed(seed)
        return self._worker_generator

    def _class_indices(self, labels: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """Class indices N (int64, on the images' device) from hard or soft labels, checked."""
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] not in (1, 3):
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"BatchAugment takes images N x C x H x W with C = 1 or 3, got {shape}")
        if images.dtype != torch.uint8 and not images.is_floating_point():
            raise TypeError(f"images must be uint8 or float in [0, 1], got {images.dtype}")
        if images.is_floating_point() and len(images):
            low, high = images.aminmax()
            if not (torch.isfinite(low) and torch.isfinite(high) and low >= 0 and high <= 1):
                raise ValueError(
                    f"float images must be finite and lie in [0, 1] (got min {float(low):.4g}, max {float(high):.4g}); "
                    "apply BatchAugment before normalising the batch"
                )
        if not isinstance(labels, torch.Tensor):
            raise TypeError(f"labels must be a tensor (int64 N, or soft labels N x K), got {type(labels).__name__}")
        k = self.model.num_classes
        if labels.ndim == 2 and labels.is_floating_point():
            if labels.shape != (len(images), k):
                raise ValueError(f"soft labels must be N x {k} for this model's {k} classes, got {tuple(labels.shape)}")
            return labels.argmax(dim=1).to(images.device)
        if labels.ndim != 1 or labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
            raise ValueError(
                f"labels must be int64 class indices N or soft labels N x {k}, got {labels.dtype} {tuple(labels.shape)}"
            )
        if len(labels) != len(images):
            raise ValueError(f"got {len(labels)} labels for {len(images)} images")
        if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= k):
            bad = labels[(labels < 0) | (labels >= k)][0]
            raise ValueError(
                f"label {int(bad)} is outside this model's classes 0-{k - 1} ({self.model.classes}); "
                "map the data set's labels to the model's class order"
            )
        return labels.long().to(images.device)

    def extra_repr(self) -> str:
        s = self.settings
        options = "".join(f", {k}={v!r}" for k, v in self.sampling_options.items())
        return f"mode={s.mode!r}, p={s.p}, strength={s.strength}, filter={self.filter!r}, redraws={s.redraws}{options}"
