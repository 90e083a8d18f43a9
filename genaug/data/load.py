"""genaug.data.load: turn whatever the user has (a built-in name, a folder, an .npz, arrays, a torch Dataset,
an ImageSet) into an ImageSet of one size and channel count."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset

from genaug.data.arrays import decode_array, decode_npz, decode_pair
from genaug.data.builtin import BUILTINS, builtin_names
from genaug.data.decoded import Decoded
from genaug.data.folder import decode_folder
from genaug.data.imageset import ImageSet
from genaug.data.pixels import conform
from genaug.data.problems import warn_small_classes
from genaug.data.torch_dataset import decode_dataset
from genaug.errors import DataError

ACCEPTED = (
    "a built-in name (" + ", ".join(builtin_names()) + "), a folder path (ImageFolder layout), an .npz path, "
    "a tuple (X, y), an image array X (numpy or torch), a map-style torch Dataset, or an ImageSet"
)


def load(
    source: Any,
    image_size: int | tuple[int, int] | None = None,
    channels: int | None = None,
    classes: Sequence[str] | None = None,
) -> ImageSet:
    """Load `source` into memory as an ImageSet of uint8 images.

    source: a built-in name ("mnist5k", "digits", "photos-train", "photos-reference", "photos-test"; built-in
        names win over folders of the same name, so write "./digits" for a folder), a folder in ImageFolder
        layout, an .npz with `x` (and `y`, `classes`), a tuple `(X, y)`, an array `X`, a map-style torch
        Dataset, or an ImageSet.
    image_size: None keeps the images' size (they must all share one); an int s or (h, w) resizes every
        image by stretching it to that size (antialiased; the aspect ratio is not kept).
    channels: None gives 1 if every image is grayscale, else 3; 1 converts colour to grayscale; 3 repeats
        grayscale.
    classes: class names for arrays, .npz files and Datasets (integer labels index into them).

    Unreadable files are skipped with one DataWarning (the list is on `ImageSet.skipped`); anything that
    cannot be used raises DataError saying what to do.
    """
    size = checked_size(image_size)
    if channels not in (None, 1, 3):
        raise DataError(f"channels must be None, 1 or 3, got {channels!r}")
    if isinstance(source, ImageSet):
        _refuse_classes(classes, "an ImageSet already has class names")
        images = conform([source.images], size, channels)
        return ImageSet(images, source.labels, source.classes, source.source, list(source.skipped))
    decoded = _decode(source, classes)
    decoded.notes.warn()
    images = conform(decoded.batches, size, channels)
    data = ImageSet(images, decoded.labels, decoded.classes, decoded.source, decoded.notes.skipped)
    warn_small_classes(data.classes, data.class_counts())
    return data


def _decode(source: Any, classes: Sequence[str] | None) -> Decoded:
    if isinstance(source, (str, os.PathLike)):
        return _decode_name_or_path(source, classes)
    if isinstance(source, tuple):
        return decode_pair(source, classes)
    if isinstance(source, (np.ndarray, torch.Tensor)):
        return decode_array(source, classes)
    if isinstance(source, Dataset) and not isinstance(source, IterableDataset):
        return decode_dataset(source, classes)
    raise TypeError(f"genaug.data.load cannot load a {type(source).__name__}; it accepts {ACCEPTED}")


def _decode_name_or_path(source: str | os.PathLike, classes: Sequence[str] | None) -> Decoded:
    if isinstance(source, str) and source in BUILTINS:
        _refuse_classes(classes, f"the built-in data set {source!r} has its own class names")
        return BUILTINS[source]()
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(
            f"{str(source)!r} is neither a built-in data set ({', '.join(builtin_names())}) nor an existing "
            "file or folder; a path must exist (check the spelling and the working directory)"
        )
    if path.is_dir():
        _refuse_classes(classes, "a folder's class names are the names of its sub-folders")
        return decode_folder(path)
    if not path.is_file():  # a named pipe would block np.load forever
        raise DataError(
            f"{path} is not a regular file (a named pipe, socket or device?); genaug reads files and folders"
        )
    if path.suffix.lower() == ".npz":
        return decode_npz(path, classes)
    raise DataError(
        f"{path} is a {path.suffix or 'extension-less'} file; genaug loads a folder of images "
        "(one sub-folder per class) or an .npz file with arrays x and y"
    )


def _refuse_classes(classes: Sequence[str] | None, why: str) -> None:
    if classes is not None:
        raise DataError(f"classes= cannot be used here: {why}")


def checked_size(image_size: Any) -> tuple[int, int] | None:
    """None, an int s (→ s×s) or a pair (h, w) of positive ints."""
    if image_size is None:
        return None
    is_int = isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool)
    pair = (image_size, image_size) if is_int else image_size
    if not (
        isinstance(pair, Sequence)
        and not isinstance(pair, str)
        and len(pair) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in pair)
    ):
        raise DataError(f"image_size must be None, a positive int or a (height, width) pair, got {image_size!r}")
    return int(pair[0]), int(pair[1])
