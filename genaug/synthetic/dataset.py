"""SyntheticDataset: a generative model's images as a map-style torch Dataset, generated lazily and
deterministically, with torchvision-dataset conventions."""

from __future__ import annotations

import bisect
import itertools
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from genaug.checks import check_int
from genaug.filters import ImageFilter, check_filter
from genaug.models.base import GenerativeModel
from genaug.synthetic.chunks import CHUNK_SIZE, chunk_spans, render_chunk
from genaug.synthetic.counts import counts_per_class


class SyntheticDataset(Dataset):
    """``counts[k]`` synthetic images of every class ``k`` of ``model``, sorted by class.

    Say how many with exactly one of: ``n_per_class`` (the same for every class), ``class_counts``
    ({class name or index: count}, other classes get none) or ``balance_with`` (a real data set: an ImageSet,
    a dataset with ``targets``, or one yielding (image, label); every class is topped up to its largest class).

    ``ds[i]`` is ``(image, label)``: the image a float C×H×W tensor in [0, 1] (before ``transform``), the label
    the class index (before ``target_transform``). The same index always gives the same image, whatever the
    worker or access order: images come in chunks of ``CHUNK_SIZE`` seeded by ``(seed, class, chunk)``, drawn
    when first needed and cached (on the CPU). ``materialize()`` draws them all at once, e.g. before a
    DataLoader with worker processes, which then share the cache instead of each drawing its own (and which
    cannot use a model on a GPU). The data set pickles for workers started with spawn (the default on macOS and
    Windows): the model travels as a reference to its checkpoint or as config + weights and arrives on the CPU
    (``genaug.models.pickling``), with the cache drawn so far.

    ``filter(images, labels) -> bool tensor`` rejects generated images (e.g. ``genaug.filters.ConfidenceFilter``);
    rejected ones are replaced by further draws, deterministically per chunk. Like torchvision datasets it
    has ``classes``, ``class_to_idx`` and ``targets``; ``counts`` holds the number of images per class.
    """

    def __init__(
        self,
        model: GenerativeModel,
        n_per_class: int | None = None,
        *,
        class_counts: Mapping[int | str, int] | None = None,
        balance_with: Dataset | None = None,
        seed: int = 0,
        transform: Callable[[torch.Tensor], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        filter: ImageFilter | None = None,  # shadows the builtin: the name the API promises
    ):
        if not isinstance(model, GenerativeModel):
            raise TypeError(f"model must be a genaug GenerativeModel (see genaug.load), got {type(model).__name__}")
        for name, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be callable or None, got {type(value).__name__}")
        self.model = model
        self.counts = counts_per_class(model, n_per_class, class_counts, balance_with)
        self.seed = check_int("seed", seed, minimum=0)
        self.filter = check_filter(filter)
        self.transform, self.target_transform = transform, target_transform
        self.classes = list(model.classes)
        self.class_to_idx = {name: k for k, name in enumerate(self.classes)}
        self.targets = [k for k, n in enumerate(self.counts) for _ in range(n)]
        self.image_shape = model.image_shape
        self._ends = list(itertools.accumulate(self.counts))  # one past each class's last index
        self._chunks: dict[tuple[int, int], torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"SyntheticDataset indices must be integers, got {type(i).__name__}")
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} is out of range for a SyntheticDataset of {len(self)} images")
        i = int(i) % len(self)
        k = bisect.bisect_right(self._ends, i)
        j = i - (self._ends[k - 1] if k else 0)
        image = self._chunk(k, j // CHUNK_SIZE)[j % CHUNK_SIZE].clone()  # a copy: transforms may work in place
        label = k
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def materialize(self, progress: bool = True) -> SyntheticDataset:
        """Draw every image now (with a progress bar) and keep them cached; returns the dataset itself."""
        todo = [(k, c) for k, n in enumerate(self.counts) for c, _ in chunk_spans(n) if (k, c) not in self._chunks]
        for k, c in tqdm(todo, desc="generating", unit="chunk", disable=None if progress else True):
            self._chunk(k, c)
        return self

    def _chunk(self, class_index: int, chunk_index: int) -> torch.Tensor:
        key = (class_index, chunk_index)
        if key not in self._chunks:
            self._chunks[key] = render_chunk(self.model, self.seed, class_index, chunk_index, self.filter)
        return self._chunks[key]

    def __repr__(self) -> str:
        return (
            f"SyntheticDataset({len(self)} {self.model.family} images of {self.image_shape}, "
            f"{len(self.classes)} classes, seed={self.seed})"
        )
