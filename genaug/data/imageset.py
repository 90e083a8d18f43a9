"""ImageSet: a labelled set of same-sized uint8 images held in memory, as a map-style torch Dataset.

Everything genaug trains on is an ImageSet. Images stay uint8 (a quarter of the memory of float32) and are
converted to float in [0, 1] at the edge, with `as_float`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import Dataset

from genaug.data.problems import SkippedFile
from genaug.errors import DataError


@dataclass(eq=False, repr=False)
class ImageSet(Dataset):
    """In-memory labelled images; `data[i]` is `(uint8 C×H×W tensor, int label)`."""

    images: torch.Tensor  # uint8, N×C×H×W, C is 1 (grayscale) or 3 (RGB)
    labels: torch.Tensor  # int64, N, indices into `classes`
    classes: list[str]  # class names, in label order
    source: str = "in-memory tensors"  # where the images came from, for humans
    skipped: list[SkippedFile] = field(default_factory=list)  # files that could not be read

    def __post_init__(self) -> None:
        images, labels = self.images, self.labels
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
            raise DataError(f"ImageSet.images must be a uint8 torch.Tensor, got {_describe(images)}")
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise DataError(f"ImageSet.images must be N×C×H×W with C = 1 or 3, got shape {tuple(images.shape)}")
        if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64 or labels.ndim != 1:
            raise DataError(f"ImageSet.labels must be a 1-D int64 torch.Tensor, got {_describe(labels)}")
        if len(labels) != len(images):
            raise DataError(f"ImageSet.labels has {len(labels)} entries but ImageSet.images has {len(images)}")
        if isinstance(self.classes, str) or not all(isinstance(c, str) for c in self.classes):
            raise DataError(f"ImageSet.classes must be a list of str, got {self.classes!r}")
        self.classes = list(self.classes)
        if not self.classes or len(set(self.classes)) != len(self.classes):
            raise DataError(f"ImageSet.classes must be non-empty and unique, got {self.classes!r}")
        bad = torch.nonzero((labels < 0) | (labels >= len(self.classes)))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"ImageSet.labels[{i}] = {int(labels[i])} is not a class index in 0..{len(self.classes) - 1}"
            )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])

    def __repr__(self) -> str:
        return f"ImageSet({len(self)} images of {self.image_shape}, {self.num_classes} classes, source={self.source!r})"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of every image."""
        c, h, w = self.images.shape[1:]
        return int(c), int(h), int(w)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def class_counts(self) -> list[int]:
        """Number of images of each class, aligned with `classes`."""
        return torch.bincount(self.labels, minlength=self.num_classes).tolist()

    def subset(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> ImageSet:
        """The images at `indices` (in that order), with the same classes, source and skipped list."""
        idx = torch.as_tensor(np.asarray(indices), dtype=torch.int64).reshape(-1)
        return ImageSet(self.images[idx], self.labels[idx], list(self.classes), self.source, list(self.skipped))

    def as_float(self) -> torch.Tensor:
        """The images as float32 N×C×H×W in [0, 1], the convention at genaug's API edge."""
        return self.images.float().div_(255)

    def summary(self) -> str:
        """A few lines for humans: where the images came from, how many, their shape, class balance."""
        c, h, w = self.image_shape
        lines = [
            f"ImageSet from {self.source}",
            f"  {len(self)} images, {c}×{h}×{w} (channels × height × width), uint8",
            f"  {self.num_classes} classes (images per class):",
        ]
        lines += [f"    {name}: {count}" for name, count in zip(self.classes, self.class_counts(), strict=True)]
        lines.append(f"  {len(self.skipped)} file(s) skipped while loading (see .skipped)")
        return "\n".join(lines)


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__
