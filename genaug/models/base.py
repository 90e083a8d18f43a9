"""GenerativeModel: the interface every family shares (sampling, labels, seeds, save)."""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from genaug.checks import check_int
from genaug.errors import ArgumentTypeError
from genaug.models.io import save_model
from genaug.models.pickling import model_reduction
from genaug.models.registry import family_names, get_family

MIN_IMAGE_SIZE = 8
MAX_IMAGE_SIZE = 128
# Noise is drawn for NOISE_BLOCK samples at a time, whatever n and batch_size: sample i depends only on the seed,
# its label and i, so the first k images of sample(n) are sample(k). 64 matches genaug.synthetic's chunks.
NOISE_BLOCK = 64
# Which images a seed gives: bumped whenever the same seed and model give other images (2: noise in NOISE_BLOCK
# blocks). Exports and benchmark results record it, so files of two layouts are never mixed.
SAMPLING_VERSION = 2
# The most bytes of images one sample() call returns (2 GiB of float32: about 680,000 images of 1x28x28, 43,000
# of 3x64x64); more is refused up front rather than exhausting memory late. Stream larger counts instead.
MAX_SAMPLE_BYTES = 2 * 1024**3

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

    Subclasses build their networks from a hyper-parameter dataclass and implement sampling in three steps:
    ``_sampling_options`` (check the options), ``_draw_noise`` (noise rows from the generator) and ``_decode_noise``.
    Models pickle as a checkpoint reference or as config + weights (``genaug.models.pickling``).
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

    def for_inference(self) -> GenerativeModel:
        """This model, in place, in eval mode with its convolution weights in channels-last memory format: the
        layout oneDNN's CPU convolutions run fastest in (sampling and perturbing 1.2-1.9x faster; the command and
        numbers are in benchmarks/results/augment_speed.md), and the one GPUs prefer. Trained and loaded models
        come this way; the weights' values and checkpoints are unchanged."""
        return self.to(memory_format=torch.channels_last).eval()

    def labels_tensor(
        self, labels: Sequence[int | str] | torch.Tensor | np.ndarray | int | str | None, n: int
    ) -> torch.Tensor:
        """Class indices (int64, CPU) for ``n`` samples.

        ``labels`` may be None (classes in turn: 0, 1, ..., K-1, 0, ...), one label for all, or one per sample
        (a sequence, or a 1-D torch tensor or numpy array of any integer dtype); a label is a class index (an int,
        a numpy integer, a 0-d integer tensor or array) or a class name. Unknown labels raise a ValueError naming
        the valid classes.
        """
        if labels is None:
            return torch.arange(n, dtype=torch.int64) % self.num_classes
        if isinstance(labels, (torch.Tensor, np.ndarray)):
            if labels.ndim > 1:
                raise ValueError(f"labels must be one label or a 1-D sequence of them, got shape {tuple(labels.shape)}")
            labels = labels.tolist()  # plain Python values (uint64's top half stays positive); 0-d: one value
        if isinstance(labels, (str, numbers.Number)):  # one label for all (class_index refuses bools and floats)
            labels = [labels] * n
        items = list(labels)
        if len(items) != n:
            raise ValueError(f"got {len(items)} labels for {n} samples; pass one label per sample or a single label")
        return torch.tensor([self.class_index(item) for item in items], dtype=torch.int64)

    def class_index(self, label: int | str) -> int:
        """The index of a class given by index (an int, a numpy integer, a 0-d integer tensor or array) or by name."""
        if isinstance(label, (torch.Tensor, np.ndarray)) and label.ndim == 0:
            label = label.item()
        known = f"this model knows {self.num_classes} classes: indices 0-{self.num_classes - 1} or names {self.classes}"
        if isinstance(label, str):
            if label in self.classes:
                return self.classes.index(label)
            raise ValueError(f"unknown class label {label!r}: not a class name; {known}")
        if isinstance(label, numbers.Integral) and not isinstance(label, bool):
            if 0 <= label < self.num_classes:
                return int(label)
            raise ValueError(f"unknown class label {int(label)}: out of range; {known}")
        raise ArgumentTypeError(
            f"a class label is a class index (an int) or a class name (a str), got {type(label).__name__} {label!r}; "
            f"{known}"
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

        The same seed gives the same images, and image i depends only on the seed, its label and i: the first k
        images of ``sample(n)`` are ``sample(k)``'s, whatever ``batch_size`` (which only bounds the work done at
        once). Calls returning more than ``MAX_SAMPLE_BYTES`` (2 GiB) are refused up front with a ValueError;
        ``genaug.SyntheticDataset`` and ``genaug.export`` generate any count in chunks. ``options`` are
        family-specific (``truncation`` for cgan, ``temperature`` for cvae and ae, ``steps`` and ``guidance`` for
        diffusion).
        """
        n = check_int("n", n, minimum=0)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        check_output_size(n, self.image_shape)
        label_idx = self.labels_tensor(labels, n)
        options = self._sampling_options(dict(options))
        generator = make_generator(seed)
        out = torch.empty(n, *self.image_shape, device=self.device)
        was_training = self.training
        self.eval()
        try:
            noise: torch.Tensor | None = None  # rows drawn but not used yet
            for start in range(0, n, batch_size):
                size = min(batch_size, n - start)
                while noise is None or len(noise) < size:  # whole blocks, in order, whatever batch_size
                    block = self._draw_noise(NOISE_BLOCK, generator, **options)
                    noise = block if noise is None else torch.cat([noise, block])
                out[start : start + size] = self._decode_noise(noise[:size], label_idx[start : start + size], **options)
                noise = noise[size:]
        finally:
            self.train(was_training)
        return out.clamp_(0.0, 1.0)

    def sample_per_class(
        self, per_class: int, seed: SeedLike = None, classes: int | None = None, **options: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``per_class`` samples of each class (of the first ``classes`` ones; None: all), sorted by class, on the
        CPU, with their labels (int64): the balanced set a sample grid or a quality metric looks at. ``seed`` and
        ``options`` as for ``sample``."""
        per_class = check_int("per_class", per_class, minimum=0)
        classes = (
            self.num_classes if classes is None else check_int("classes", classes, minimum=1, maximum=self.num_classes)
        )
        labels = torch.arange(classes).repeat_interleave(per_class)
        return self.sample(len(labels), labels=labels, seed=seed, **options).cpu(), labels

    def _sampling_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The family's sampling options, checked, with defaults (a TypeError names unknown ones)."""
        raise NotImplementedError

    def _draw_noise(self, n: int, generator: torch.Generator, **options: Any) -> torch.Tensor:
        """Noise for ``n`` samples (CPU, one row each) from ``generator``, given the checked sampling options."""
        raise NotImplementedError

    def _decode_noise(self, noise: torch.Tensor, labels: torch.Tensor, **options: Any) -> torch.Tensor:
        """Images in [0, 1] on the model's device from noise rows and class indices (both CPU), given the checked
        sampling options (a family whose options only shape the noise ignores them here)."""
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

    def __reduce__(self) -> tuple[Callable[..., GenerativeModel], tuple[Any, ...]]:
        """Pickle as a checkpoint reference or as config + weights, never as modules (see ``models.pickling``)."""
        return model_reduction(self)

    def __copy__(self) -> GenerativeModel:
        """A shallow copy sharing the modules, as for any object (copy would otherwise go through ``__reduce__``)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> GenerativeModel:
        """An in-memory copy on the same device, in the same mode (not through ``__reduce__``)."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone


def check_output_size(n: int, image_shape: tuple[int, int, int]) -> None:
    """A ValueError when ``n`` float32 images of ``image_shape`` exceed ``MAX_SAMPLE_BYTES``."""
    size = n * math.prod(image_shape) * 4  # float32
    if size > MAX_SAMPLE_BYTES:
        raise ValueError(
            f"sample(n={n}) would return about {size:,} bytes ({size / 2**30:.1f} GiB) of images, more than the "
            f"{MAX_SAMPLE_BYTES / 2**30:.0f} GiB one call may return (genaug.models.base.MAX_SAMPLE_BYTES); for large "
            "counts use genaug.SyntheticDataset(model, n_per_class=...), which draws images lazily, or "
            "genaug.export(model, out, n_per_class=...), which writes them to disk in chunks"
        )


def keep_detail(images: torch.Tensor, moved: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """A perturbed image that keeps what the decoder cannot draw: the image plus the change that moving its code
    made to its decoding (``moved - decoded``), clipped to [0, 1]. Decoding the moved code alone loses the detail
    a small code leaves out; on photograph patches that cost the downstream classifier about twice as much
    (README, the detail-keeping perturb)."""
    return (images + (moved - decoded)).clamp_(0, 1)  # the change first: at strength 0 it is exactly 0


class EncodingModel(GenerativeModel):
    """A family with an encoder (ae, cvae; diffusion inverts its flow): images can be encoded, decoded, reconstructed
    and perturbed."""

    perturb_uses_labels: ClassVar[bool] = False  # whether ``perturb`` decodes under the images' labels (cvae)
    # Which images ``perturb`` gives for a seed: bumped when a family's perturb changes (ae and cvae 2: the image
    # plus the change of its decoding, see ``keep_detail``). Benchmark results record it, so rows are never mixed.
    perturb_version: ClassVar[int] = 1

    def _as_batch(self, images: torch.Tensor) -> torch.Tensor:
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"expected images of shape N x {self.image_shape}, got {shape}")
        if not images.is_floating_point():
            images = images.float() / 255.0
        return images.to(self.device)
