"""GenerativeModel: the interface every family shares (sampling, labels, seeds, save)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from genaug.checks import check_int
from genaug.models.io import save_model
from genaug.models.registry import family_names, get_family

MIN_IMAGE_SIZE = 8
MAX_IMAGE_SIZE = 128

SeedLike = int | torch.Generator | None


def check_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """Validate a (C, H, W) working shape: 1 or 3 channels, sides from 8 to 128 pixels."""
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (channels, height, width), got {tuple(image_shape)}")
    c, h, w = (int(v) for v in image_shape)
    if c not in (1, 3):
        raise ValueError(f"models take 1 or 3 channels, got {c}; load the data with channels=1 or channels=3")
    for side in (h, w):
        if not MIN_IMAGE_SIZE <= side <= MAX_IMAGE_SIZE:
            raise ValueError(
                f"image size {h}x{w} is outside {MIN_IMAGE_SIZE}-{MAX_IMAGE_SIZE} pixels; "
                f"pass image_size between {MIN_IMAGE_SIZE} and {MAX_IMAGE_SIZE} to resize the data"
            )
    return c, h, w


def make_generator(seed: SeedLike) -> torch.Generator:
    """A CPU generator from an int seed, a generator, or (None) a seed drawn from torch's global RNG.

    Noise is always drawn on the CPU and then moved, so a seed gives the same samples on every device.
    """
    if isinstance(seed, torch.Generator):
        return seed
    if seed is None:
        seed = int(torch.randint(0, 2**62, (), dtype=torch.int64))
    return torch.Generator().manual_seed(check_int("seed", seed, note="or a torch.Generator or None"))


class GenerativeModel(nn.Module):
    """A trained class-conditional generative model.

    Subclasses build their networks from a hyper-parameter dataclass and implement ``_sample_batch``.
    Images at the API edge are float tensors N x C x H x W in [0, 1].
    """

    family: ClassVar[str] = ""

    def __init__(self, config: Any, classes: Sequence[str], image_shape: Sequence[int]):
        super().__init__()
        if not dataclasses.is_dataclass(config):
            raise TypeError(f"config must be a model config dataclass, got {type(config).__name__}")
        if len(classes) < 1:
            raise ValueError("a model needs at least one class")
        self.config = config
        self.classes: list[str] = [str(c) for c in classes]
        self.image_shape: tuple[int, int, int] = check_image_shape(image_shape)
        # Where the weights were last saved to or loaded from, and their SHA-256 (None until then): lets
        # transforms reload the model in worker processes and exports record which model made them.
        self.checkpoint_dir: Path | None = None
        self.weights_sha256: str | None = None

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def labels_tensor(self, labels: Sequence[int | str] | torch.Tensor | int | str | None, n: int) -> torch.Tensor:
        """Class indices (int64, CPU) for ``n`` samples.

        ``labels`` may be None (classes in turn: 0, 1, ..., K-1, 0, ...), one label for all, or one per sample;
        a label is a class index or a class name. Unknown labels raise a ValueError naming the valid classes.
        """
        if labels is None:
            return torch.arange(n, dtype=torch.int64) % self.num_classes
        if isinstance(labels, (int, str)) or (isinstance(labels, torch.Tensor) and labels.ndim == 0):
            labels = [labels.item() if isinstance(labels, torch.Tensor) else labels] * n
        items = labels.tolist() if isinstance(labels, torch.Tensor) else list(labels)
        if len(items) != n:
            raise ValueError(f"got {len(items)} labels for {n} samples; pass one label per sample or a single label")
        return torch.tensor([self.class_index(item) for item in items], dtype=torch.int64)

    def class_index(self, label: int | str) -> int:
        """The index of a class given by index or by name."""
        if isinstance(label, str) and label in self.classes:
            return self.classes.index(label)
        if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < self.num_classes:
            return label
        raise ValueError(
            f"unknown class label {label!r}; this model knows {self.num_classes} classes: "
            f"indices 0-{self.num_classes - 1} or names {self.classes}"
        )

    @torch.no_grad()
    def sample(
        self,
        n: int,
        labels: Sequence[int | str] | torch.Tensor | int | str | None = None,
        seed: SeedLike = None,
        batch_size: int = 256,
        **options: Any,
    ) -> torch.Tensor:
        """``n`` synthetic images (float N x C x H x W in [0, 1], on the model's device).

        The same seed gives the same images. ``options`` are family-specific (``truncation`` for cgan,
        ``temperature`` for cvae and ae).
        """
        n = check_int("n", n, minimum=0)
        check_int("batch_size", batch_size, minimum=1)
        label_idx = self.labels_tensor(labels, n)
        generator = make_generator(seed)
        was_training = self.training
        self.eval()
        try:
            chunks = [
                self._sample_batch(label_idx[start : start + batch_size], generator, **options)
                for start in range(0, n, batch_size)
            ]
        finally:
            self.train(was_training)
        if not chunks:
            return torch.empty(0, *self.image_shape, device=self.device)
        return torch.cat(chunks).clamp_(0.0, 1.0)

    def _sample_batch(self, labels: torch.Tensor, generator: torch.Generator, **options: Any) -> torch.Tensor:
        """Images in [0, 1] for a batch of class indices; noise comes from ``generator`` (CPU)."""
        raise NotImplementedError

    def anomaly_score(self, images: Any, **options: Any) -> torch.Tensor:
        """One score per image, higher for images less like the training data; each family documents its score."""
        raise self._lacks("anomaly_score")

    def translate(self, images: Any, target_labels: Any, **options: Any) -> torch.Tensor:
        """Class transfer: each image redrawn as its target class, keeping its style; families document how."""
        raise self._lacks("translate")

    def _lacks(self, method: str) -> NotImplementedError:
        having = [
            key
            for key in family_names()
            if getattr(get_family(key).model_class, method) is not getattr(GenerativeModel, method)
        ]
        return NotImplementedError(
            f"{self.family or type(self).__name__} models have no {method}(); families with one: {having}"
        )

    def save(self, directory: str | Path) -> Path:
        """Write ``config.json`` and ``weights.safetensors`` into ``directory`` (each atomically)."""
        return save_model(self, directory)


class EncodingModel(GenerativeModel):
    """A family with an encoder (ae, cvae): images can be encoded, decoded, reconstructed and perturbed."""

    perturb_uses_labels: ClassVar[bool] = False  # whether ``perturb`` decodes under the images' labels (cvae)

    def _as_batch(self, images: torch.Tensor) -> torch.Tensor:
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"expected images of shape N x {self.image_shape}, got {shape}")
        if not images.is_floating_point():
            images = images.float() / 255.0
        return images.to(self.device)
