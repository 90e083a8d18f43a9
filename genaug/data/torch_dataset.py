"""Loader for any map-style torch Dataset whose items are `(image, label)` or just `image`.

Images may be PIL images, tensors (C×H×W, uint8 or float in [0, 1]) or numpy arrays (H×W or H×W×C);
class names come from `dataset.classes` when the dataset has that attribute (e.g. torchvision datasets).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
from tqdm import tqdm

from genaug.data.arrays import UNLABELLED
from genaug.data.decoded import Decoded
from genaug.data.labels import encode_labels, unlabelled
from genaug.data.pixels import as_numpy, image_to_batch, pil_to_batch
from genaug.data.problems import LoadNotes
from genaug.errors import DataError


def dataset_length(dataset: Dataset, reader: str) -> int:
    """``len(dataset)``, which must exist and be positive (``reader`` names who needs it, for the message)."""
    try:
        n = len(dataset)
    except TypeError as e:
        raise DataError(f"{type(dataset).__name__} has no len(); {reader} needs a map-style Dataset") from e
    if n == 0:
        raise DataError(f"{type(dataset).__name__} is empty (len 0)")
    return n


def decode_dataset(dataset: Dataset, classes: Sequence[object] | None) -> Decoded:
    """Read every item of `dataset` once, in index order."""
    n = dataset_length(dataset, "genaug")
    if classes is None:
        classes = getattr(dataset, "classes", None)
    notes = LoadNotes()
    batches, labels = [], []
    labelled = None
    for i in tqdm(range(n), desc=f"reading {type(dataset).__name__}", unit="img", disable=None):
        item = _get(dataset, i)
        has_label = isinstance(item, (tuple, list))
        if labelled is None:
            labelled = has_label
        if has_label != labelled or (has_label and len(item) != 2):
            raise DataError(
                f"dataset[{i}] is a {type(item).__name__}"
                + (f" of {len(item)} items" if has_label else "")
                + f"; every item must be {'(image, label)' if labelled else 'an image'}, like dataset[0]"
            )
        try:
            batches.append(dataset_image_to_batch(item[0] if labelled else item, notes))
        except DataError as e:
            raise DataError(f"dataset[{i}]: {e}") from e
        if labelled:
            labels.append(plain_label(item[1], i))
    source = f"{type(dataset).__name__} ({n} items)"
    if labelled:
        codes, names = encode_labels(np.array(labels, dtype=object), n, classes, name="labels")
    else:
        codes, names = unlabelled(n, classes, UNLABELLED)
    return Decoded(batches, codes, names, source, notes)


def _get(dataset: Dataset, i: int) -> object:
    try:
        return dataset[i]
    except Exception as e:
        raise DataError(f"reading dataset[{i}] failed with {type(e).__name__}: {e}") from e


def dataset_image_to_batch(image: object, notes: LoadNotes) -> torch.Tensor:
    """A PIL image, C×H×W tensor or H×W(×C) numpy array → uint8 1×C×H×W tensor."""
    if isinstance(image, Image.Image):
        return pil_to_batch(image, notes)
    if isinstance(image, (torch.Tensor, np.ndarray)) and image.ndim in (2, 3):
        layout = "HW" if image.ndim == 2 else "CHW" if isinstance(image, torch.Tensor) else "HWC"
        return image_to_batch(as_numpy(image), layout, notes)
    if isinstance(image, (torch.Tensor, np.ndarray)):
        raise DataError(f"image has shape {tuple(image.shape)}; tensors must be C×H×W and arrays H×W×C (or H×W)")
    raise DataError(f"images must be PIL images, tensors or numpy arrays, got {type(image).__name__}")


def plain_label(label: object, i: int) -> object:
    """A label as a plain Python value (one-element tensors and numpy scalars unwrapped)."""
    if isinstance(label, (torch.Tensor, np.ndarray)):
        size = label.numel() if isinstance(label, torch.Tensor) else label.size
        if size != 1:
            raise DataError(f"dataset[{i}] has a label of shape {tuple(label.shape)}; expected one class index")
        return label.item()
    return label
