"""load(): dispatch on the source type, ImageSet sources, path errors, and where warnings point."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from genaug.data import DataWarning, ImageSet, SkippedFile, load
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")


def test_imageset_source_is_resized_and_converted(digits):
    data = ImageSet(digits.images[:20], digits.labels[:20], digits.classes, "part", [SkippedFile("a", "b")])
    same = load(data)
    assert torch.equal(same.images, data.images) and same.classes == data.classes
    assert same.source == "part" and same.skipped == data.skipped
    bigger = load(data, image_size=12, channels=3)
    assert bigger.image_shape == (3, 12, 12) and torch.equal(bigger.labels, data.labels)
    with pytest.raises(DataError, match="classes= cannot be used here: an ImageSet already has class names"):
        load(data, classes=digits.classes)


@pytest.mark.parametrize("source", [[np.zeros((2, 4, 4))], 3, {"x": np.zeros((2, 4, 4))}, None])
def test_unsupported_types_raise_type_error_listing_what_is_accepted(source):
    with pytest.raises(TypeError, match=rf"cannot load a {type(source).__name__}; it accepts a built-in name"):
        load(source)


def test_missing_path_is_named(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(DataError, match=rf"'{missing}' is neither a built-in data set .* a path must exist"):
        load(missing)


def test_unsupported_file_type_is_refused(tmp_path):
    (tmp_path / "one.png").write_bytes(b"x")
    with pytest.raises(DataError, match=r"one\.png is a \.png file; genaug loads a folder of images"):
        load(tmp_path / "one.png")


def test_folders_take_class_names_from_sub_folders(rgb_folder):
    with pytest.raises(DataError, match="a folder's class names are the names of its sub-folders"):
        load(rgb_folder, classes=["a", "b", "c"])


def test_warnings_point_at_the_caller():
    x = np.zeros((3, 4, 4), np.uint16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load((x, np.array([0, 0, 1])))
    assert [w.category for w in caught] == [DataWarning, DataWarning]  # 16-bit, then class '1' has 1 image
    assert all(w.filename == __file__ for w in caught)
