"""Loaders for in-memory arrays: a bare array `X` (unlabelled), a pair `(X, y)`, and `.npz` files holding
arrays `x`, optional `y` and optional `classes`."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genaug.data.decoded import Decoded
from genaug.data.labels import encode_labels, unlabelled
from genaug.data.pixels import array_to_batch, as_numpy
from genaug.data.problems import LoadNotes
from genaug.errors import DataError

UNLABELLED = "unlabelled"  # the class name of an unlabelled array that has no name of its own


def decode_arrays(
    x: object,
    y: object | None,
    classes: Sequence[object] | None,
    source: str,
    unlabelled_name: str = UNLABELLED,
) -> Decoded:
    """Images `x` (N×H×W, N×H×W×C or N×C×H×W; numpy or torch) and labels `y` (None: unlabelled)."""
    pixels = as_numpy(x)
    if pixels.ndim == 0 or len(pixels) == 0:
        raise DataError(f"x holds no images (shape {pixels.shape})")
    notes = LoadNotes()
    batch = array_to_batch(pixels, notes)
    if y is None:
        labels, names = unlabelled(len(batch), classes, unlabelled_name)
    else:
        labels, names = encode_labels(as_numpy(y), len(batch), classes)
    return Decoded([batch], labels, names, source, notes)


def decode_pair(pair: tuple, classes: Sequence[object] | None) -> Decoded:
    """`(X, y)`: images and their labels."""
    if len(pair) != 2:
        raise DataError(f"a tuple source must be (X, y), got a tuple of {len(pair)} items")
    x = as_numpy(pair[0])
    return decode_arrays(x, pair[1], classes, f"arrays (X of shape {_shape(x)})")


def decode_array(x: object, classes: Sequence[object] | None) -> Decoded:
    """A bare image array: one unlabelled class."""
    x = as_numpy(x)
    return decode_arrays(x, None, classes, f"unlabelled array of shape {_shape(x)}")


def decode_npz(path: Path, classes: Sequence[object] | None) -> Decoded:
    """An .npz file with `x`, optional `y` (absent: one class named after the file) and optional `classes`."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            found = {key: arrays[key] for key in arrays.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(
            f"cannot read {path} as an .npz file ({type(e).__name__}: {e}); save it with "
            "np.savez(path, x=images, y=labels), with class names (if any) as a string array, not objects"
        ) from e
    if "x" not in found:
        raise DataError(
            f"{path} has no array named 'x' (found: {sorted(found) or 'none'}); "
            "save it with np.savez(path, x=images, y=labels)"
        )
    if classes is None and "classes" in found:
        classes = found["classes"].reshape(-1)
    try:
        return decode_arrays(found["x"], found.get("y"), classes, str(path), unlabelled_name=path.stem)
    except DataError as e:
        raise DataError(f"{path}: {e}") from e


def _shape(x: np.ndarray) -> str:
    return "×".join(str(d) for d in x.shape)
