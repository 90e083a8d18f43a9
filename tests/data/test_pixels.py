"""Pixel rules shared by every loader: dtypes, layouts, alpha, PIL modes, channel count and size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genaug.data import DataWarning, load
from genaug.data.pixels import pil_to_batch
from genaug.data.problems import LoadNotes
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")

Y = np.array([0, 1, 0, 1])


def gray(dtype=np.uint8, high=256, shape=(4, 5, 6)) -> np.ndarray:
    return np.random.default_rng(0).integers(0, high, shape).astype(dtype)


# --- dtypes -----------------------------------------------------------------------------------------------


def test_uint8_is_kept_exactly():
    x = gray()
    data = load((x, Y))
    assert data.images.shape == (4, 1, 5, 6) and data.images.dtype == torch.uint8
    assert np.array_equal(data.images[:, 0].numpy(), x)


def test_bool_becomes_0_and_255():
    x = gray(high=2).astype(bool)
    assert np.array_equal(load((x, Y)).images[:, 0].numpy(), x * 255)


def test_other_integers_in_range_are_kept():
    x = gray(np.int64)
    assert np.array_equal(load((x, Y)).images[:, 0].numpy(), x)


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.uint32])
def test_integers_outside_0_255_are_refused_with_min_and_max(dtype):
    x = gray(dtype)
    x[0, 0, 0] = 300
    with pytest.raises(DataError, match=r"outside 0\.\.255 \(min 0, max 300\)"):
        load((x, Y))
    if np.issubdtype(dtype, np.signedinteger):
        x[0, 0, 0] = -1
        with pytest.raises(DataError, match=r"min -1"):
            load((x, Y))


def test_uint16_is_scaled_with_a_warning():
    x = gray(np.uint16, 65536)
    with pytest.warns(DataWarning, match=r"4 image\(s\) had 16-bit pixels.*precision is reduced"):
        data = load((x, Y))
    assert np.array_equal(data.images[:, 0].numpy(), np.rint(x * (255 / 65535)).astype(np.uint8))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_floats_in_unit_range_are_scaled(dtype):
    x = (gray() / 255).astype(dtype)
    expected = np.rint(x.astype(np.float64) * 255)
    assert np.abs(load((x, Y)).images[:, 0].numpy() - expected).max() <= 1


def test_floats_outside_unit_range_tell_the_user_to_divide():
    with pytest.raises(DataError, match=r"outside \[0, 1\] \(min 0, max 255\); divide by 255"):
        load((gray().astype(np.float32), Y))


def test_nan_and_inf_are_refused_with_count_and_first_index():
    x = gray() / 255
    x[1, 2, 3] = np.nan
    x[2, 0, 0] = np.inf
    with pytest.raises(DataError, match=r"2 NaN or infinite pixel value\(s\), the first at index \(1, 2, 3\)"):
        load((x, Y))


def test_unsupported_dtype_is_refused():
    with pytest.raises(DataError, match="dtype complex128"):
        load((gray().astype(complex), Y))


# --- layouts ----------------------------------------------------------------------------------------------


def test_flat_rows_are_refused_with_a_reshape_hint():
    with pytest.raises(DataError, match=r"shape \(4, 64\).*Reshape it to N×H×W.*x\.reshape\(-1, 8, 8\)"):
        load((gray(shape=(4, 64)), Y))
    with pytest.raises(DataError, match=r"x\.reshape\(-1, H, W\)"):
        load((gray(shape=(4, 60)), Y))


def test_nhwc_and_nchw_give_the_same_images():
    nhwc = gray(shape=(4, 5, 6, 3))
    a = load((nhwc, Y))
    b = load((nhwc.transpose(0, 3, 1, 2), Y))
    assert a.image_shape == (3, 5, 6) and torch.equal(a.images, b.images)
    assert np.array_equal(a.images.permute(0, 2, 3, 1).numpy(), nhwc)


@pytest.mark.parametrize("shape", [(4, 5, 6, 7), (4, 2, 6, 2)])
def test_4d_without_a_channel_axis_is_refused(shape):
    with pytest.raises(DataError, match="neither N×H×W×C nor N×C×H×W"):
        load((gray(shape=shape), Y))


@pytest.mark.parametrize("shape", [(4,), (4, 1, 5, 6, 3)])
def test_other_ranks_are_refused(shape):
    with pytest.raises(DataError, match="must be N×H×W, N×H×W×C or N×C×H×W"):
        load((gray(shape=shape), Y))


def test_four_channels_are_rgba_composited_onto_black():
    rgba = gray(shape=(4, 5, 6, 4))
    rgba[1:, ..., 3] = 255  # only image 0 is transparent
    with pytest.warns(DataWarning, match=r"1 image\(s\) had transparent pixels.*onto black"):
        data = load((rgba, Y))
    assert data.image_shape == (3, 5, 6)
    expected = np.rint(rgba[..., :3] * (rgba[..., 3:] / 255))
    assert np.abs(data.images.permute(0, 2, 3, 1).numpy() - expected).max() <= 1


# --- PIL modes --------------------------------------------------------------------------------------------


def pil(img: Image.Image) -> tuple[np.ndarray, LoadNotes]:
    notes = LoadNotes()
    return pil_to_batch(img, notes)[0].numpy(), notes


def test_pil_gray_and_rgb_modes():
    rgb = gray(shape=(5, 6, 3))
    out, notes = pil(Image.fromarray(rgb))
    assert np.array_equal(out.transpose(1, 2, 0), rgb) and notes == LoadNotes()
    out, _ = pil(Image.fromarray(rgb[..., 0]))
    assert out.shape == (1, 5, 6) and np.array_equal(out[0], rgb[..., 0])
    out, _ = pil(Image.fromarray(rgb[..., 0] > 127))  # mode "1"
    assert out.shape == (1, 5, 6) and set(np.unique(out)) <= {0, 255}


def test_pil_palette_without_and_with_transparency():
    rgb = gray(shape=(5, 6, 3))
    palette = Image.fromarray(rgb).convert("P")
    out, notes = pil(palette)
    assert out.shape == (3, 5, 6) and np.array_equal(out.transpose(1, 2, 0), np.asarray(palette.convert("RGB")))
    assert notes.alpha_dropped == 0
    palette.info["transparency"] = int(np.asarray(palette)[0, 0])
    out, notes = pil(palette)
    assert out.shape == (3, 5, 6) and notes.alpha_dropped == 1 and out[:, 0, 0].tolist() == [0, 0, 0]


def test_pil_alpha_modes_are_composited_and_counted_only_when_transparent():
    g = gray(shape=(5, 6))
    la = Image.fromarray(np.dstack([g, np.full_like(g, 255)]), "LA")
    out, notes = pil(la)
    assert out.shape == (1, 5, 6) and np.array_equal(out[0], g) and notes.alpha_dropped == 0
    la = Image.fromarray(np.dstack([g, np.zeros_like(g)]), "LA")
    out, notes = pil(la)
    assert not out.any() and notes.alpha_dropped == 1


def test_pil_16_bit_and_float_modes():
    deep = np.array([[0, 65535], [32768, 257]], np.uint16)
    out, notes = pil(Image.fromarray(deep))
    assert out[0].tolist() == [[0, 255], [128, 1]] and notes.reduced_to_8bit == 1
    out, _ = pil(Image.fromarray(deep.astype(np.int32)))  # mode "I"
    assert out[0].tolist() == [[0, 255], [128, 1]]
    out, _ = pil(Image.fromarray(np.array([[0.0, 1.0]], np.float32)))  # mode "F" in [0, 1]
    assert out[0].tolist() == [[0, 255]]
    out, _ = pil(Image.fromarray(np.array([[0.0, 300.0]], np.float32)))  # mode "F" as 0..255, clipped
    assert out[0].tolist() == [[0, 255]]
    with pytest.raises(DataError, match="NaN"):
        pil(Image.fromarray(np.array([[np.nan]], np.float32)))


def test_pil_other_modes_become_rgb():
    rgb = Image.fromarray(gray(shape=(5, 6, 3)))
    out, _ = pil(rgb.convert("CMYK"))
    assert out.shape == (3, 5, 6)


# --- channels and size ------------------------------------------------------------------------------------


def test_channels_none_keeps_gray_and_makes_mixed_sets_rgb():
    assert load((gray(), Y)).image_shape == (1, 5, 6)
    assert load((gray(shape=(4, 5, 6, 3)), Y)).image_shape == (3, 5, 6)


def test_channels_3_replicates_and_1_converts_to_gray():
    x = gray()
    rgb = load((x, Y), channels=3)
    assert rgb.image_shape == (3, 5, 6) and all(torch.equal(rgb.images[:, c], rgb.images[:, 0]) for c in (1, 2))
    assert np.array_equal(rgb.images[:, 0].numpy(), x)
    back = load(rgb, channels=1)
    assert back.image_shape == (1, 5, 6) and np.array_equal(back.images[:, 0].numpy(), x)
    colour = gray(shape=(4, 5, 6, 3))
    expected = np.rint(colour @ np.array([0.2989, 0.587, 0.114]))
    assert np.abs(load((colour, Y), channels=1).images[:, 0].numpy() - expected).max() <= 1


@pytest.mark.parametrize("channels", [0, 2, 4, "rgb"])
def test_bad_channels_are_refused(channels):
    with pytest.raises(DataError, match="channels must be None, 1 or 3"):
        load((gray(), Y), channels=channels)


def test_image_size_int_and_pair_stretch():
    x = gray(shape=(4, 10, 20))
    assert load((x, Y), image_size=8).image_shape == (1, 8, 8)
    assert load((x, Y), image_size=(6, 12)).image_shape == (1, 6, 12)
    flat = np.full((4, 10, 20), 200, np.uint8)
    assert (load((flat, Y), image_size=7).images == 200).all()  # antialiasing keeps flat images flat


@pytest.mark.parametrize("size", [0, -3, (8, 0), (8,), "32", 2.5, True])
def test_bad_image_size_is_refused(size):
    with pytest.raises(DataError, match="image_size must be None, a positive int"):
        load((gray(), Y), image_size=size)
