"""Image rows: every layout, dtype and value range read into uint8 batches and written back unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.data import ImageSet
from genaug.errors import DataError
from genaug.sklearn.image_rows import read_rows, write_rows


@pytest.fixture(scope="module")
def gray(digits: ImageSet) -> np.ndarray:
    """20 digits as uint8 N×8×8."""
    return digits.images[:20, 0].numpy()


def colour() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (6, 8, 10, 3), dtype=np.uint8)


def layouts(gray: np.ndarray) -> dict[str, tuple[np.ndarray, tuple | None]]:
    """name → (X, image_shape) for the same images in every supported form."""
    rgb = colour()
    return {
        "NHW": (gray, None),
        "NCHW": (gray[:, None], None),
        "NHWC": (gray[..., None], None),
        "flat HW": (gray.reshape(20, -1), (8, 8)),
        "flat HWC rgb": (rgb.reshape(6, -1), (8, 10, 3)),
        "flat CHW rgb": (rgb.transpose(0, 3, 1, 2).reshape(6, -1), (3, 8, 10)),
        "NHWC rgb": (rgb, None),
        "int64": (gray.astype(np.int64), None),
        "float32 [0, 1]": (gray.astype(np.float32) / 255, None),
        "float64 [0, 255]": (gray.astype(np.float64), None),
    }


@pytest.mark.parametrize(
    "name",
    ["NHW", "NCHW", "NHWC", "flat HW", "flat HWC rgb", "flat CHW rgb", "NHWC rgb", "int64", "float32 [0, 1]"],
)
def test_rows_survive_a_round_trip_exactly(gray, name):
    x, image_shape = layouts(gray)[name]
    batch, row_format = read_rows(x, image_shape)
    assert batch.dtype == torch.uint8 and batch.ndim == 4 and len(batch) == len(x)
    again = write_rows(batch.float() / 255, row_format)
    assert again.dtype == x.dtype and again.shape == x.shape
    np.testing.assert_array_equal(again, x)


def test_images_come_out_in_channel_first_order(gray):
    rgb = colour()
    for name in ("flat HWC rgb", "flat CHW rgb", "NHWC rgb"):
        batch, _ = read_rows(*layouts(gray)[name])
        np.testing.assert_array_equal(batch.numpy(), rgb.transpose(0, 3, 1, 2))
    batch, _ = read_rows(*layouts(gray)["flat HW"])
    np.testing.assert_array_equal(batch.numpy(), gray[:, None])


def test_float_rows_keep_their_range(gray):
    x = gray.astype(np.float64)  # 0..255
    batch, row_format = read_rows(x, None)
    np.testing.assert_array_equal(batch[:, 0].numpy(), gray)
    again = write_rows(batch.float() / 255, row_format)
    assert again.dtype == np.float64 and again.max() > 1
    np.testing.assert_allclose(again, x, atol=1e-4)
    ones = write_rows(torch.ones(2, 1, 8, 8), read_rows(gray.astype(np.float32) / 255, None)[1])
    assert ones.max() == 1.0


def test_integer_rows_are_rounded():
    _, row_format = read_rows(np.zeros((2, 8, 8), dtype=np.int32), None)
    written = write_rows(torch.full((1, 1, 8, 8), 0.5), row_format)
    assert written.dtype == np.int32 and (written == 128).all()


def test_flat_rows_need_a_matching_image_shape(gray):
    flat = gray.reshape(20, -1)
    with pytest.raises(ValueError, match=r"flat rows of 64 values; pass image_shape.*image_shape=\(8, 8\)"):
        read_rows(flat, None)
    with pytest.raises(ValueError, match=r"image_shape=\(8, 9\) holds 72 values but each row of X has 64"):
        read_rows(flat, (8, 9))
    with pytest.raises(ValueError, match="positive ints"):
        read_rows(flat, (64,))
    with pytest.raises(ValueError, match=r"image_shape=\(4, 16\) does not match X's rows of shape \(8, 8\)"):
        read_rows(gray, (4, 16))


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.zeros((2, 8, 8, 4), np.uint8), ValueError, "4 channels"),
        (np.zeros((2, 8, 8), bool), TypeError, "dtype bool"),
        (np.full((2, 8, 8), 300, np.int64), ValueError, r"outside 0\.\.255"),
        (np.full((2, 8, 8), 300.0), ValueError, "up to 300"),
        (np.full((2, 8, 8), np.nan), DataError, "NaN"),
        (np.zeros((0, 8, 8), np.uint8), ValueError, "no rows"),
        (np.zeros(64, np.uint8), ValueError, "got shape"),
    ],
)
def test_unusable_arrays_are_refused(x, error, match):
    with pytest.raises(error, match=match):
        read_rows(x, None)
