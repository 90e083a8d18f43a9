"""The photos-* data sets: patches of bundled photographs, in predefined splits that never overlap."""

from __future__ import annotations

import re
import sys
from itertools import combinations

import numpy as np
import pytest
import torch

from genaug.data import ImageSet, load
from genaug.data.photos import (
    CELL,
    COLUMNS,
    HEIGHT,
    PATCH,
    PHOTOS,
    ROWS,
    SPLITS,
    WIDTH,
    Photo,
    cell_split,
    patch_corners,
    photo_patches,
    photo_pixels,
)
from genaug.errors import DataError
from genaug.optional import MissingExtraError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")

PER_CLASS = {"train": 160, "reference": 28, "test": 28}  # one patch per reference or test cell


@pytest.fixture(scope="module")
def photos() -> dict[str, ImageSet]:
    return {split: load(f"photos-{split}") for split in SPLITS}


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_holds_rgb_patches_of_every_photograph(photos, split):
    data = photos[split]
    assert data.images.dtype == torch.uint8 and data.image_shape == (3, PATCH, PATCH)
    assert data.classes == [photo.name for photo in PHOTOS] and data.num_classes >= 8
    assert data.class_counts() == [PER_CLASS[split]] * len(PHOTOS)
    assert f"photos-{split}" in data.source and data.skipped == []


def test_patches_are_colour_and_vary(photos):
    images = photos["train"].images.float()
    assert (images[:, 0] - images[:, 2]).abs().mean() > 5  # not grey photographs stored as RGB
    assert images.std(dim=(1, 2, 3)).median() > 5  # real content, not flat corners


def test_the_same_patches_every_time(photos):
    again = photo_patches("test")
    assert torch.equal(again.batches[0], photos["test"].images) and torch.equal(again.labels, photos["test"].labels)


def test_patches_lie_inside_the_photograph_and_splits_keep_apart():
    for split in SPLITS:
        assert all(0 <= top <= HEIGHT - PATCH and 0 <= left <= WIDTH - PATCH for top, left in patch_corners(split))
    for one, other in combinations(SPLITS, 2):
        for top, left in patch_corners(one):
            for top2, left2 in patch_corners(other):
                gap = max(top2 - (top + PATCH), top - (top2 + PATCH), left2 - (left + PATCH), left - (left2 + PATCH))
                assert gap >= 4, (one, (top, left), other, (top2, left2))
    for split in SPLITS:  # every pixel of a patch lies in a cell of its split
        for top, left in patch_corners(split):
            cells = {(y // CELL, x // CELL) for y in (top, top + PATCH - 1) for x in (left, left + PATCH - 1)}
            assert {cell_split(row, col) for row, col in cells} == {split}, (split, top, left)


def test_held_out_cells_are_many_and_apart():
    """Each held-out split is 28 separate regions of every photograph: none of its cells touches another."""
    for split in ("reference", "test"):
        cells = [(row, col) for row in range(ROWS) for col in range(COLUMNS) if cell_split(row, col) == split]
        assert len(cells) == 28 == PER_CLASS[split]
        assert all(max(abs(r - r2), abs(c - c2)) > 1 for (r, c), (r2, c2) in combinations(cells, 2))


def test_no_test_or_reference_patch_repeats_a_training_patch_but_flat_black(photos):
    def patch_bytes(split: str) -> set[bytes]:
        return {image.numpy().tobytes() for image in photos[split].images}

    black = torch.zeros(3, PATCH, PATCH, dtype=torch.uint8).numpy().tobytes()  # the astronaut's black background
    train = patch_bytes("train")
    assert train & patch_bytes("test") <= {black} and train & patch_bytes("reference") <= {black}


def test_unknown_split():
    with pytest.raises(DataError, match="split must be one of train, reference, test, got 'val'"):
        photo_patches("val")


def test_without_scikit_image_names_the_install_command(monkeypatch):
    for name in {"skimage", *(name for name in sys.modules if name.startswith("skimage."))}:
        monkeypatch.setitem(sys.modules, name, None)  # as if scikit-image were not installed
    message = "genaug.data.load('photos-train') needs skimage: pip install 'genaug[datasets]'"
    with pytest.raises(MissingExtraError, match=re.escape(message)):
        load("photos-train")


def test_photographs_are_cropped_to_one_size():
    pixels = photo_pixels(PHOTOS[0])
    assert pixels.shape == (HEIGHT, WIDTH, 3) and pixels.dtype == np.uint8


def test_a_photograph_missing_from_its_package_says_to_reinstall():
    with pytest.raises(DataError, match=r"skimage has no data/gone.png, the photograph of class 'gone'.*reinstall"):
        photo_pixels(Photo("gone", "skimage", "data/gone.png"))
