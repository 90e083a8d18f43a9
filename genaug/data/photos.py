"""The photos-* data sets: 32×32 RGB patches of real photographs that ship inside scikit-image and scikit-learn.

Patch recognition: one class per photograph. Every photograph is centre-cropped to 5:7 and resized to 360×504
(antialiased), then tiled into 10×14 cells of 36×36 pixels. Each cell belongs to one split, so the predefined
train, reference and test patches come from disjoint regions of each photograph and never overlap; splitting
the patches at random instead would put overlapping patches on both sides. Small cells spread over the whole
photograph give the held-out splits many separate regions (28 per photograph each), so that a difference between
two classifiers measured on them rests on more than a few regions. Nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import numpy as np
from PIL import Image, ImageOps

from genaug.data.arrays import decode_arrays
from genaug.data.decoded import Decoded
from genaug.errors import DataError
from genaug.optional import require

SPLITS = ("train", "reference", "test")
CELL = 36  # side of the square cells that are assigned to the splits
ROWS, COLUMNS = 10, 14  # cells per photograph
HEIGHT, WIDTH = ROWS * CELL, COLUMNS * CELL  # every photograph's size once cropped and resized
PATCH = 32  # side of a patch
MARGIN = 2  # pixels between a patch and any cell of another split, so that patches of two splits are 4 apart
TRAIN_STRIDE = 18  # training patches start every half cell, from MARGIN
VERSION = 2  # bumped whenever the patches change (1: 5×7 blocks of 64 px, 3×3 overlapping patches in each)


@dataclass(frozen=True)
class Photo:
    """One bundled photograph: its class name and where its file lies inside an installed package."""

    name: str
    package: str
    file: str  # path inside the package
    keep: float = 1.0  # fraction of each side kept around the centre before the 5:7 crop


# Provenance and licences (README.md, "Bundled data"): scikit-image's data/README.txt and the docstrings of the
# skimage.data functions; scikit-learn's datasets/images/README.txt.
PHOTOS = (
    Photo("astronaut", "skimage", "data/astronaut.png"),
    Photo("chelsea", "skimage", "data/chelsea.png"),
    Photo("coffee", "skimage", "data/coffee.png"),
    Photo("rocket", "skimage", "data/rocket.jpg"),
    Photo("hubble_deep_field", "skimage", "data/hubble_deep_field.jpg"),
    Photo("immunohistochemistry", "skimage", "data/ihc.png"),
    Photo("retina", "skimage", "data/retina.jpg", keep=0.7),  # the square inside the round fundus, not black corners
    Photo("china", "sklearn", "datasets/images/china.jpg"),
    Photo("flower", "sklearn", "datasets/images/flower.jpg"),
)


def photo_patches(split: str) -> Decoded:
    """The patches of `split` ("train", "reference" or "test"), photograph by photograph, top to bottom."""
    if split not in SPLITS:
        raise DataError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    require("skimage", extra="datasets", feature=f"genaug.data.load('photos-{split}')")
    corners = patch_corners(split)
    patches = [
        pixels[top : top + PATCH, left : left + PATCH]
        for pixels in (photo_pixels(photo) for photo in PHOTOS)
        for top, left in corners
    ]
    labels = np.repeat(np.arange(len(PHOTOS)), len(corners))
    names = [photo.name for photo in PHOTOS]
    source = (
        f"photos-{split} (version {VERSION}: 32×32 patches of {len(PHOTOS)} photographs bundled with scikit-image "
        "and scikit-learn)"
    )
    return decode_arrays(np.stack(patches), labels, names, source)


def cell_split(row: int, col: int) -> str:
    """The split of cell (row, col): (row + 2·col) mod 5 gives train for 0-2, reference for 3 and test for 4, which
    spreads every split over the whole photograph (28 of its 140 cells for each remainder; no two reference or two
    test cells touch, not even at a corner)."""
    return ("train", "train", "train", "reference", "test")[(row + 2 * col) % 5]


def patch_corners(split: str) -> list[tuple[int, int]]:
    """(top, left) of every patch of `split` in a cropped and resized photograph; the same for every photograph.

    A reference or test cell gives its central patch. Training patches start every TRAIN_STRIDE pixels wherever the
    patch and a MARGIN-pixel ring around it lie in training cells (patches inside one cell and across two)."""
    if split != "train":
        return [
            (row * CELL + MARGIN, col * CELL + MARGIN)
            for row in range(ROWS)
            for col in range(COLUMNS)
            if cell_split(row, col) == split
        ]
    starts = range(MARGIN, HEIGHT - PATCH + 1, TRAIN_STRIDE), range(MARGIN, WIDTH - PATCH + 1, TRAIN_STRIDE)
    return [(top, left) for top in starts[0] for left in starts[1] if inside_training_cells(top, left)]


def inside_training_cells(top: int, left: int) -> bool:
    """Whether the patch at (top, left) and the MARGIN-pixel ring around it (inside the photograph) touch only
    training cells."""
    rows = range(max(top - MARGIN, 0) // CELL, (min(top + PATCH + MARGIN, HEIGHT) - 1) // CELL + 1)
    cols = range(max(left - MARGIN, 0) // CELL, (min(left + PATCH + MARGIN, WIDTH) - 1) // CELL + 1)
    return all(cell_split(row, col) == "train" for row in rows for col in cols)


def photo_pixels(photo: Photo) -> np.ndarray:
    """The photograph as uint8 HEIGHT×WIDTH×3: its central `keep`, centre-cropped to 5:7, resized (Lanczos)."""
    path = files(photo.package).joinpath(photo.file)
    if not path.is_file():
        raise DataError(
            f"{photo.package} has no {photo.file}, the photograph of class {photo.name!r}; reinstall it: "
            "pip install --force-reinstall 'genaug[datasets]'"
        )
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    if photo.keep < 1:
        width, height = rgb.size
        left, top = round(width * (1 - photo.keep) / 2), round(height * (1 - photo.keep) / 2)
        rgb = rgb.crop((left, top, width - left, height - top))
    return np.asarray(ImageOps.fit(rgb, (WIDTH, HEIGHT), method=Image.Resampling.LANCZOS))
