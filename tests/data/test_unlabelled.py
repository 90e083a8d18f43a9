"""load_unlabelled: unlabelled images at the labelled set's size and channel count; labels ignored, empty sets
reported."""

from __future__ import annotations

import warnings

import pytest
import torch

import genaug
from genaug.data import DataWarning
from genaug.data.unlabelled import load_unlabelled


def test_images_of_another_size_and_channel_count_are_converted_like_load_does(digits16):
    colour_8x8 = genaug.data.load("digits", channels=3).images[:5]  # 3 x 8 x 8
    loaded = load_unlabelled(colour_8x8, like=digits16)
    assert loaded.images.shape == (5, 1, 16, 16)
    torch.testing.assert_close(loaded.images, genaug.data.load(colour_8x8, image_size=16, channels=1).images)


def test_a_folder_of_loose_images_is_read_without_a_warning(rgb_folder, digits16):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_unlabelled(rgb_folder / "cat", like=digits16)
    assert loaded.images.shape == (4, 1, 16, 16)


def test_a_class_folder_tree_warns_that_its_labels_are_ignored(rgb_folder, digits16):
    with pytest.warns(DataWarning, match=r"carries labels: 12 images in 3 classes. They are ignored"):
        assert len(load_unlabelled(rgb_folder, like=digits16)) == 12


@pytest.mark.parametrize("empty", [(), (torch.zeros(0, 16, 16, dtype=torch.uint8), [])], ids=["tuple", "pair"])
def test_an_empty_source_gives_none_with_a_warning(digits16, empty):
    with pytest.warns(DataWarning, match="holds no images"):
        assert load_unlabelled(empty, like=digits16) is None
