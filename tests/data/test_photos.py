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
    BLOCK,
    HEIGHT,
    PATCH,
    PHOTOS,
    SPLITS,
    WIDTH,
    Photo,
    patch_corners,
    photo_patches,
    photo_pixels,
)
from genaug.errors import DataError
from genaug.optional import MissingExtraError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")

PER_CLASS = {"train": 189, "reference": 63, "test": 63}  # 21, 7 and 7 blocks of 3×3 patches per photograph


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
    for split in SPLITS:  # patches never cross a block, so each split is a union of whole blocks
        assert all(top // BLOCK == (top + PATCH - 1) // BLOCK for top, _ in patch_corners(split))
        assert all(left // BLOCK == (left + PATCH - 1) // BLOCK for _, left in patch_corners(split))


def test_no_test_or_reference_patch_repeats_a_training_patch(photos):
    def patch_bytes(split: str) -> set[bytes]:
        return {image.numpy().tobytes() for image in photos[split].images}

    train = patch_bytes("train")  # a few flat black patches of the astronaut repeat inside train, never outside
    assert not train & patch_bytes("test") and not train & patch_bytes("reference")


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
