"""StreamingData: a labelled image Dataset read item by item during training, for sets too big for memory.

genaug.data.load reads a whole data set into an in-memory ImageSet. When that does not fit, wrap a lazily
reading Dataset (e.g. ``torchvision.datasets.ImageFolder``) in StreamingData and pass it to the Trainer (or
use the ``data=stream/imagefolder`` recipe): items are converted as genaug.data.load converts them (PIL images,
tensors or arrays to uint8 C x H x W, resized, channel-converted) but one at a time, in DataLoader workers.

Limits: labels come from ``dataset.targets`` (torchvision datasets have it) or else from one pass over the
items; the channel count and (without ``image_size``) the size are taken from the first item; per-image
notes (alpha dropped, 16-bit reduced) are not reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm.auto import tqdm

from genaug.data.imageset import ImageSet
from genaug.data.labels import encode_labels
from genaug.data.load import checked_size
from genaug.data.pixels import conform
from genaug.data.problems import LoadNotes
from genaug.data.torch_dataset import dataset_image_to_batch, dataset_length, plain_label
from genaug.errors import DataError

READ_BATCH = 256  # images per DataLoader batch when reading a StreamingData into memory
MIN_PER_CLASS = 50  # images per class (when it has them) in the reference subset, whatever the memory budget


class StreamingData(Dataset):
    """A map-style Dataset of (image, label) items, read lazily; ``data[i]`` is ``(uint8 C×H×W, int)``.

    dataset: any map-style Dataset whose items are ``(image, label)``; images may be PIL images, C×H×W tensors
        or H×W(×C) arrays, as for genaug.data.load.
    image_size: None keeps the first item's size (every item must share it); an int or (h, w) resizes.
    channels: None takes the first item's (1 for grayscale, else 3); 1 or 3 converts every item.
    classes: class names (default: ``dataset.classes``, else the sorted label values).
    """

    def __init__(
        self,
        dataset: Dataset,
        image_size: int | tuple[int, int] | None = None,
        channels: int | None = None,
        classes: Sequence[str] | None = None,
    ):
        n = dataset_length(dataset, "StreamingData")
        if channels not in (None, 1, 3):
            raise DataError(f"channels must be None, 1 or 3, got {channels!r}")
        self.dataset = dataset
        self._size = checked_size(image_size)
        first = conform([self._raw_image(0)], self._size, channels)
        self._channels = int(first.shape[1])
        self.image_shape: tuple[int, int, int] = tuple(first.shape[1:])
        targets = getattr(dataset, "targets", None)
        if targets is None:
            targets = [self._raw_label(i) for i in tqdm(range(n), desc="reading labels", unit="img", disable=None)]
        targets = targets.tolist() if isinstance(targets, (torch.Tensor, np.ndarray)) else list(targets)
        names = classes if classes is not None else getattr(dataset, "classes", None)
        self.labels, self.classes = encode_labels(np.array(targets, dtype=object), n, names, name="labels")
        self.source = f"{type(dataset).__name__} ({n} items, streamed)"

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        batch = self._raw_image(i)
        if self._size is None and tuple(batch.shape[-2:]) != self.image_shape[1:]:
            raise DataError(
                f"dataset[{i}] is {tuple(batch.shape[-2:])} pixels but dataset[0] is {self.image_shape[1:]}; "
                "pass image_size to StreamingData to resize every image to one size"
            )
        return conform([batch], self._size, self._channels)[0], int(self.labels[i])

    def __repr__(self) -> str:
        return f"StreamingData({len(self)} images of {self.image_shape}, {len(self.classes)} classes)"

    @property
    def nbytes(self) -> int:
        """Bytes the whole set would take in memory as uint8."""
        return len(self) * int(np.prod(self.image_shape))

    def summary(self) -> str:
        return f"{self.source}: {len(self)} images of {self.image_shape}, {len(self.classes)} classes (streamed)"

    def read(self, indices: Sequence[int] | None = None, num_workers: int = 0) -> ImageSet:
        """Items ``indices`` (default: all) read into an in-memory ImageSet, through DataLoader workers."""
        subset = self if indices is None else Subset(self, list(indices))
        loader = DataLoader(subset, batch_size=READ_BATCH, num_workers=num_workers)
        parts = list(tqdm(loader, desc="reading images", unit="batch", disable=None))
        images = torch.cat([images for images, _ in parts])
        labels = torch.cat([labels for _, labels in parts]).to(torch.int64)
        return ImageSet(images, labels, self.classes, self.source)

    def reference(self, max_images: int, seed: int, num_workers: int = 0) -> ImageSet:
        """A class-stratified random subset of about ``max_images`` images (at least ``MIN_PER_CLASS`` of each
        class when it has them), in memory: what the Trainer fits the ae's code density and "auto" settings on.
        """
        generator = torch.Generator().manual_seed(seed)
        per_class = max(MIN_PER_CLASS, max_images // len(self.classes))
        chosen = []
        for c in range(len(self.classes)):
            members = torch.nonzero(self.labels == c).flatten()
            chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
        return self.read(torch.cat(chosen).sort().values.tolist(), num_workers)

    def _raw_item(self, i: int) -> Any:
        try:
            item = self.dataset[i]
        except Exception as e:
            raise DataError(f"reading dataset[{i}] failed with {type(e).__name__}: {e}") from e
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise DataError(f"dataset[{i}] is a {type(item).__name__}; StreamingData needs (image, label) items")
        return item

    def _raw_image(self, i: int) -> torch.Tensor:
        try:
            return dataset_image_to_batch(self._raw_item(i)[0], LoadNotes())
        except DataError as e:
            raise DataError(f"dataset[{i}]: {e}") from e

    def _raw_label(self, i: int) -> object:
        return plain_label(self._raw_item(i)[1], i)


def fit_memory_budget(
    data: ImageSet | StreamingData, memory_budget_mb: float, seed: int, num_workers: int
) -> tuple[ImageSet | StreamingData, ImageSet, bool]:
    """How the Trainer holds ``data``: ``(data, reference, streamed)``.

    A StreamingData within the budget is read into memory once. Data over the budget is streamed (an ImageSet
    too: its images then stay in host memory instead of being copied to the device). ``reference`` is the
    in-memory set that "auto" settings and the ae's code density are fitted on: the data itself, or for
    streamed StreamingData a class-stratified subset of about the budget's size.
    """
    budget = int(memory_budget_mb * 2**20)
    if isinstance(data, StreamingData) and data.nbytes <= budget:
        data = data.read(num_workers=num_workers)
    if isinstance(data, ImageSet):
        return data, data, data.images.numel() > budget
    return data, data.reference(budget // math.prod(data.image_shape), seed, num_workers), True
