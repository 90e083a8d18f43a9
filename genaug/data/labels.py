"""Label conversion shared by the array, .npz and Dataset loaders: any label array → int64 class indices
plus class names.

Integer labels (any int dtype, or floats holding whole numbers) that are exactly 0..K-1 are kept, with
class names "0".."K-1"; other integer sets (e.g. {1, 3, 7}) are remapped to 0..K-1 in sorted order and
named after the original values. String labels become classes in sorted order. With explicit `classes`,
integer labels must index into them and string labels must be among them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from genaug.errors import DataError

LABEL_LIMIT = 2**63  # labels are stored as int64, so a class index is below this


def class_names(classes: Sequence[object]) -> list[str]:
    """Explicit class names as a list of unique strings (accepts lists, tuples and numpy arrays)."""
    names = [str(c) for c in (classes.tolist() if isinstance(classes, np.ndarray) else classes)]
    if not names or isinstance(classes, str):
        raise DataError(f"classes must be a non-empty list of class names, got {classes!r}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"classes must be unique; these appear more than once: {duplicates}")
    return names


def unlabelled(n: int, classes: Sequence[object] | None, default_name: str) -> tuple[torch.Tensor, list[str]]:
    """Labels for an unlabelled set: all images in one class, named `default_name` or by `classes`."""
    names = class_names(classes) if classes is not None else [default_name]
    if len(names) != 1:
        raise DataError(f"the data has no labels, so it is one class; classes= must name one class, got {names}")
    return torch.zeros(n, dtype=torch.int64), names


def encode_labels(
    y: np.ndarray, n: int, classes: Sequence[object] | None = None, name: str = "y"
) -> tuple[torch.Tensor, list[str]]:
    """Validate labels `y` for `n` images → (int64 class indices, class names)."""
    if y.ndim != 1:
        raise DataError(f"{name} must be 1-D with one label per image, got shape {y.shape}; try {name}.ravel()")
    if len(y) != n:
        raise DataError(f"{name} has {len(y)} labels but there are {n} images; they must match one to one")
    names = class_names(classes) if classes is not None else None
    if y.dtype.kind == "O" and not any(isinstance(v, (str, bytes)) for v in y.tolist()):
        y = np.array(y.tolist())  # e.g. Python ints in an object array
    if y.dtype.kind in "USO":
        return _encode_strings(y, names, name)
    values = _whole_numbers(y, name)
    negative = np.flatnonzero(values < 0)
    if len(negative):
        i = int(negative[0])
        raise DataError(f"{name}[{i}] = {y[i]} is negative; labels must be class indices 0, 1, 2, ...")
    if names is not None:
        beyond = np.flatnonzero(values >= len(names))
        if len(beyond):
            i = int(beyond[0])
            raise DataError(
                f"{name}[{i}] = {y[i]} is not an index into the {len(names)} classes given (valid: 0..{len(names) - 1})"
            )
        return torch.from_numpy(values), names
    present = np.unique(values)
    if np.array_equal(present, np.arange(len(present))):
        return torch.from_numpy(values), [str(v) for v in present]
    return torch.from_numpy(np.searchsorted(present, values)), [str(v) for v in present]


def _whole_numbers(y: np.ndarray, name: str) -> np.ndarray:
    """Integer, bool or whole-number float labels → int64; values int64 cannot hold (uint64's top half, huge
    floats) are refused as out of range rather than wrapped round to negative numbers."""
    if y.dtype.kind not in "iubf":
        raise DataError(f"{name} has dtype {y.dtype}; labels must be integers or strings")
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"{name}[{i}] = {y[i]} is not a whole number; labels must be integer class indices or strings"
            )
    if y.dtype.kind in "uf":
        beyond = np.flatnonzero(np.abs(y) >= LABEL_LIMIT)
        if len(beyond):
            i = int(beyond[0])
            raise DataError(
                f"{name}[{i}] = {y[i]} is out of range: labels must be class indices 0, 1, 2, ... below 2**63"
            )
    return y.astype(np.int64)


def _encode_strings(y: np.ndarray, names: list[str] | None, name: str) -> tuple[torch.Tensor, list[str]]:
    not_str = [i for i, v in enumerate(y.tolist()) if not isinstance(v, (str, bytes))]
    if not_str:
        i = not_str[0]
        raise DataError(f"{name}[{i}] = {y[i]!r} is not a string, but other labels are; use one kind of label")
    text = y.astype(str).tolist()
    if names is None:
        names = sorted(set(text))
    index = {c: k for k, c in enumerate(names)}
    unknown = [i for i, v in enumerate(text) if v not in index]
    if unknown:
        i = unknown[0]
        raise DataError(f"{name}[{i}] = {text[i]!r} is not one of the classes given: {names}")
    return torch.tensor([index[v] for v in text], dtype=torch.int64), names
