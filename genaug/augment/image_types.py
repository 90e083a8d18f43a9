"""The images augmentation transforms accept, and how a synthetic image is given back in the same form.

Accepted (one image per call):
- PIL images in 8-bit modes ("L", "RGB", "RGBA", "LA", "P", "1", ...), not "I", "I;16" or "F";
- torch tensors and ``tv_tensors.Image``: C×H×W with C = 1 or 3, uint8 (0..255) or float in [0, 1];
- numpy arrays: H×W, H×W×1 or H×W×3, uint8 or float in [0, 1] (albumentations' layout).

A result has the input's type, mode or dtype, value range, channel count, size and device: a synthetic image of
another size is resized (stretched, antialiased) and gray/RGB converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision import tv_tensors

from genaug.models.inputs import fit_to_shape

_GRAY_BANDS = ("1", "L", "I", "F")
_HIGH_DEPTH_PIL_MODES = ("I", "F")  # and I;16 variants


@dataclass(frozen=True)
class ImageFormat:
    """The form of one input image: enough to give a synthetic image back in the same form."""

    kind: str  # "pil", "tensor" or "numpy"
    channels: int  # 1 or 3: the colour channels the image holds (PIL alpha and palettes aside)
    height: int
    width: int
    dtype: Any = None  # torch or numpy dtype (tensor, numpy)
    mode: str | None = None  # PIL mode
    has_channel_axis: bool = True  # False for H×W numpy arrays

    @classmethod
    def of(cls, image: Any) -> ImageFormat:
        """Check ``image`` (see the module docstring) and describe its form."""
        if isinstance(image, Image.Image):
            return _pil_format(image)
        if isinstance(image, torch.Tensor):
            return _tensor_format(image)
        if isinstance(image, np.ndarray):
            return _array_format(image)
        raise TypeError(
            f"GenerativeAugment takes a PIL image, a C×H×W tensor or an H×W(×C) numpy array, got {type(image).__name__}"
        )

    def render(self, images: torch.Tensor, like: Any) -> Any:
        """A float 1×C'×H'×W' batch in [0, 1] (any channels, size, device) in this format, like ``like``."""
        batch = fit_to_shape(images.float(), (self.channels, self.height, self.width))[0]  # C x H x W
        if self.kind == "tensor":
            out = from_unit_float(batch.to(like.device), self.dtype)
            return tv_tensors.wrap(out, like=like) if isinstance(like, tv_tensors.Image) else out
        pixels = batch.cpu().permute(1, 2, 0).numpy()  # H x W x C, float in [0, 1]
        if self.kind == "numpy":
            pixels = pixels if self.has_channel_axis else pixels[:, :, 0]
            return _to_uint8(pixels) if self.dtype == np.uint8 else pixels.astype(self.dtype)
        img = Image.fromarray(_to_uint8(pixels[:, :, 0] if self.channels == 1 else pixels), _base_mode(self.channels))
        return img if img.mode == self.mode else img.convert(self.mode)


def _base_mode(channels: int) -> str:
    return "L" if channels == 1 else "RGB"


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    return np.rint(pixels * 255.0).astype(np.uint8)


def from_unit_float(batch: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Float images in [0, 1] as ``dtype``: uint8 rounded to 0..255, a float dtype as they are."""
    if dtype == torch.uint8:
        return batch.mul(255.0).round_().to(torch.uint8)
    return batch.to(dtype).contiguous()


def _pil_format(image: Image.Image) -> ImageFormat:
    if image.mode in _HIGH_DEPTH_PIL_MODES or image.mode.startswith("I;16"):
        raise TypeError(
            f"GenerativeAugment takes 8-bit PIL images, got mode {image.mode!r}; convert it first, "
            "e.g. image.convert('L') or image.convert('RGB')"
        )
    channels = 1 if image.getbands()[0] in _GRAY_BANDS else 3
    return ImageFormat("pil", channels, image.height, image.width, mode=image.mode)


def _tensor_format(image: torch.Tensor) -> ImageFormat:
    if isinstance(image, tv_tensors.TVTensor) and not isinstance(image, tv_tensors.Image):
        raise TypeError(f"GenerativeAugment transforms images, not {type(image).__name__}")
    if image.ndim != 3 or image.shape[0] not in (1, 3) or 0 in image.shape:
        raise ValueError(
            f"GenerativeAugment takes one C×H×W image tensor with C = 1 or 3, got shape {tuple(image.shape)}; "
            "it augments dataset samples one at a time (use it in the Dataset's transform, not on batches)"
        )
    _check_pixels(image.dtype == torch.uint8, image.is_floating_point(), image, str(image.dtype))
    return ImageFormat("tensor", int(image.shape[0]), int(image.shape[1]), int(image.shape[2]), dtype=image.dtype)


def _array_format(image: np.ndarray) -> ImageFormat:
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3))) or image.size == 0:
        raise ValueError(f"GenerativeAugment takes one H×W, H×W×1 or H×W×3 numpy image, got shape {image.shape}")
    _check_pixels(image.dtype == np.uint8, image.dtype.kind == "f", image, str(image.dtype))
    channels = 1 if image.ndim == 2 else int(image.shape[2])
    return ImageFormat(
        "numpy", channels, image.shape[0], image.shape[1], dtype=image.dtype, has_channel_axis=image.ndim == 3
    )


def _check_pixels(is_uint8: bool, is_float: bool, image: Any, dtype: str) -> None:
    if is_uint8:
        return
    if not is_float:
        raise TypeError(f"GenerativeAugment takes uint8 images or float images in [0, 1], got dtype {dtype}")
    low, high = float(image.min()), float(image.max())
    if not (low >= 0.0 and high <= 1.0):  # also catches NaN
        raise ValueError(
            f"float images must lie in [0, 1], got values from {low:.4g} to {high:.4g}; put GenerativeAugment "
            "before any normalisation (v2.Normalize, A.Normalize) and scale 0..255 floats by 1/255"
        )
