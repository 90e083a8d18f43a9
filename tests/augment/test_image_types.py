"""ImageFormat: which images the transforms accept, and a synthetic image given back in the input's exact form
(type, PIL mode, dtype, range, channels, size), with clear errors for everything else."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors
from torchvision.transforms.v2.functional import resize, rgb_to_grayscale

from genaug.augment.image_types import ImageFormat

GRAY = torch.linspace(0, 1, 16 * 16).reshape(1, 1, 16, 16)  # a synthetic gray batch of the model's shape
RGB = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))


def render_like(image, synthetic: torch.Tensor = GRAY):
    return ImageFormat.of(image).render(synthetic, like=image)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "1"])
def test_pil_images_keep_mode_and_size(mode):
    image = Image.new("RGB", (17, 23), (10, 200, 30)).convert(mode)
    out = render_like(image, RGB)
    assert isinstance(out, Image.Image) and out.mode == mode and out.size == (17, 23)


def test_pil_gray_to_rgb_replicates_and_resizes():
    out = render_like(Image.new("RGB", (16, 16)))
    pixels = np.asarray(out)
    assert pixels.shape == (16, 16, 3) and (pixels[..., 0] == pixels[..., 2]).all()
    assert np.array_equal(pixels[..., 0], np.rint(GRAY[0, 0].numpy() * 255).astype(np.uint8))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float16, torch.float32, torch.float64])
def test_tensors_keep_dtype_range_and_size(dtype):
    image = torch.zeros(3, 9, 31, dtype=dtype)
    out = render_like(image)
    assert out.dtype == dtype and out.shape == (3, 9, 31) and out.is_contiguous()
    expected = resize(GRAY.expand(-1, 3, -1, -1), [9, 31], antialias=True).clamp(0, 1)[0]
    scale = 255 if dtype == torch.uint8 else 1
    assert torch.allclose(out.double(), (expected * scale).double(), atol=1.0 if dtype == torch.uint8 else 1e-2)


def test_rgb_to_gray_uses_luminance():
    out = render_like(torch.zeros(1, 16, 16), RGB)
    assert torch.allclose(out, rgb_to_grayscale(RGB)[0])


def test_tv_tensor_images_stay_tv_tensors():
    image = tv_tensors.Image(torch.zeros(1, 16, 16, dtype=torch.uint8))
    assert isinstance(render_like(image), tv_tensors.Image)


@pytest.mark.parametrize(("shape", "dtype"), [((12, 30), np.uint8), ((12, 30, 1), np.uint8), ((12, 30, 3), np.float32)])
def test_numpy_images_keep_layout_and_dtype(shape, dtype):
    out = render_like(np.zeros(shape, dtype))
    assert out.shape == shape and out.dtype == dtype


@pytest.mark.parametrize(
    ("image", "error", "message"),
    [
        ("a string", TypeError, "takes a PIL image"),
        (Image.new("I;16", (8, 8)), TypeError, "8-bit PIL images"),
        (Image.new("F", (8, 8)), TypeError, "convert it first"),
        (torch.zeros(4, 1, 8, 8), ValueError, "one C×H×W image"),
        (torch.zeros(4, 8, 8), ValueError, "C = 1 or 3"),
        (torch.zeros(1, 0, 8), ValueError, "C = 1 or 3"),
        (torch.zeros(1, 8, 8, dtype=torch.int16), TypeError, "uint8 images or float"),
        (torch.full((1, 8, 8), 2.0), ValueError, "before any normalisation"),
        (torch.full((1, 8, 8), float("nan")), ValueError, "must lie in"),
        (tv_tensors.Mask(torch.zeros(1, 8, 8, dtype=torch.uint8)), TypeError, "not Mask"),
        (np.zeros((8, 8, 4), np.uint8), ValueError, "H×W×3"),
        (np.zeros((8, 8), np.int32), TypeError, "dtype int32"),
        (np.full((8, 8), -0.5, np.float32), ValueError, "-0.5"),
    ],
    ids=lambda value: None if not isinstance(value, str) else value[:12],
)
def test_unsupported_images_fail_clearly(image, error, message):
    with pytest.raises(error, match=message):
        ImageFormat.of(image)
