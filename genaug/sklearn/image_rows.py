"""Image arrays as scikit-learn sees them (one row per sample: flat N×D, N×H×W or N×H×W×C / N×C×H×W; uint8,
other integers in 0..255, or floats in [0, 1] or [0, 255]) to genaug's uint8 N×C×H×W batches, and synthetic
images back to rows of exactly the input's layout, dtype and value range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from genaug.data.pixels import array_to_batch, batch_layout
from genaug.data.problems import LoadNotes


@dataclass(frozen=True)
class RowFormat:
    """How an array holds its images, so that new rows can be written the same way."""

    row_shape: tuple[int, ...]  # the shape of one row of X: (D,), (H, W), (H, W, C) or (C, H, W)
    layout: str  # of the rows as images: "NHW", "NHWC" or "NCHW"
    dtype: np.dtype
    scale: float  # the pixel value of white: 255 for integers and for floats in [0, 255], 1 for floats in [0, 1]


def read_rows(x: np.ndarray, image_shape: Sequence[int] | None) -> tuple[torch.Tensor, RowFormat]:
    """The images of ``x`` as a uint8 N×C×H×W batch, and the format to write new rows in.

    Flat rows (N×D) need ``image_shape``: (H, W) for grayscale, or (H, W, C) / (C, H, W) for how each row
    was flattened. A float array whose largest value exceeds 1 is read as [0, 255].
    """
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"X must be N×D (with image_shape), N×H×W or N×H×W×C, got shape {x.shape}")
    if len(x) == 0:
        raise ValueError("X holds no rows")
    if x.ndim == 2:
        images = x.reshape(len(x), *_flat_image_shape(x, image_shape))
    elif image_shape is not None and tuple(image_shape) != x.shape[1:]:
        raise ValueError(
            f"image_shape={tuple(image_shape)} does not match X's rows of shape {x.shape[1:]}; "
            "image_shape is for flat N×D rows, leave it None for arrays of images"
        )
    else:
        images = x
    layout = batch_layout(images, "X")
    channels = {"NHW": 1, "NHWC": images.shape[-1], "NCHW": images.shape[1]}[layout]
    if channels not in (1, 3):
        raise ValueError(f"X holds images with {channels} channels; genaug models take 1 (gray) or 3 (RGB)")
    pixels, scale = _unit_pixels(images)
    row_format = RowFormat(tuple(x.shape[1:]), layout, x.dtype, scale)
    return array_to_batch(pixels, LoadNotes(), "X"), row_format


def write_rows(images: torch.Tensor, row_format: RowFormat) -> np.ndarray:
    """Float N×C×H×W images in [0, 1] as rows of ``row_format`` (integers are rounded)."""
    pixels = images.detach().cpu().numpy()
    if row_format.layout == "NHW":
        pixels = pixels[:, 0]
    elif row_format.layout == "NHWC":
        pixels = pixels.transpose(0, 2, 3, 1)
    pixels = pixels * row_format.scale
    if row_format.dtype.kind in "iu":
        pixels = np.rint(pixels)
    return pixels.astype(row_format.dtype).reshape(len(pixels), *row_format.row_shape)


def _flat_image_shape(x: np.ndarray, image_shape: Sequence[int] | None) -> tuple[int, ...]:
    width = x.shape[1]
    if image_shape is None:
        side = math.isqrt(width)
        example = (
            f" (e.g. image_shape=({side}, {side}) if they are square grayscale images)" if side**2 == width else ""
        )
        raise ValueError(
            f"X has flat rows of {width} values; pass image_shape=(H, W) for grayscale or (H, W, C) / (C, H, W) "
            f"for colour so they can be read as images{example}"
        )
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape):
        raise ValueError(f"image_shape must be (H, W), (H, W, C) or (C, H, W) of positive ints, got {image_shape!r}")
    if math.prod(shape) != width:
        raise ValueError(
            f"image_shape={shape} holds {math.prod(shape)} values but each row of X has {width}; "
            "pass the shape each row was flattened from"
        )
    return shape


def _unit_pixels(images: np.ndarray) -> tuple[np.ndarray, float]:
    """Pixels genaug's loader reads losslessly (uint8, or floats in [0, 1]), and the value of white in X."""
    kind = images.dtype.kind
    if kind in "iu":
        if images.min() < 0 or images.max() > 255:
            raise ValueError(
                f"X has {images.dtype} pixel values outside 0..255 (min {images.min()}, max {images.max()}); "
                "scale them to 0..255 first"
            )
        return images.astype(np.uint8, copy=False), 255.0
    if kind != "f":
        raise TypeError(
            f"X has dtype {images.dtype}; pixels must be integers in 0..255 or floats in [0, 1] or [0, 255]"
        )
    top = images.max()
    if top > 255:
        raise ValueError(f"X has float pixel values up to {top}; scale them to [0, 1] or [0, 255] first")
    # NaN passes the test above (comparisons with NaN are false) and is reported by array_to_batch
    return (images / 255.0, 255.0) if top > 1 else (images, 1.0)
