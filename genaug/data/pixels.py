"""Pixel conversion shared by every loader: numpy arrays and PIL images to uint8 N×C×H×W batches, then one
channel count and one size for the whole set.

Rules (one place, so every source behaves the same):
- uint8 is kept; bool becomes 0/255; uint16 is scaled by 255/65535 (a warning says precision is reduced);
  other integers must lie in 0..255; floats must be finite and lie in [0, 1].
- Alpha (RGBA, LA, palette transparency, 4-channel arrays) is composited onto black.
- Resizing stretches to the requested height × width: the aspect ratio is not kept.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import torch
from PIL import Image

from genaug.data.problems import LoadNotes
from genaug.errors import DataError

_COLOUR_COUNTS = (1, 3, 4)  # gray, RGB, RGBA
_PIL_DIRECT = {"L", "LA", "RGB", "RGBA"}
_PIL_CONVERT = {"1": "L", "La": "LA", "RGBa": "RGBA", "PA": "RGBA"}  # others: RGBA if transparent, else RGB


def as_numpy(values: object) -> np.ndarray:
    """A numpy view of an array-like; torch tensors are moved to the CPU first."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        return (values.float() if values.dtype == torch.bfloat16 else values).numpy()
    return np.asarray(values)


def array_to_batch(x: np.ndarray, notes: LoadNotes, name: str = "x") -> torch.Tensor:
    """N×H×W, N×H×W×C or N×C×H×W pixels (C in 1, 3, 4) → uint8 N×C×H×W tensor with C in 1, 3.

    A 4-D array whose last axis has 1, 3 or 4 entries is read as N×H×W×C, else as N×C×H×W.
    """
    layout = batch_layout(x, name)
    return _finish(_arrange(_to_uint8(x, notes, name, len(x)), layout), notes, name)


def image_to_batch(image: np.ndarray, layout: str, notes: LoadNotes, name: str = "image") -> torch.Tensor:
    """One image laid out as "HW", "HWC" or "CHW" (C in 1, 3, 4) → uint8 1×C×H×W tensor with C in 1, 3."""
    return _finish(_arrange(_to_uint8(image, notes, name, 1)[None], "N" + layout), notes, name)


def pil_to_batch(img: Image.Image, notes: LoadNotes) -> torch.Tensor:
    """One PIL image of any common mode → uint8 1×C×H×W tensor with C in 1, 3."""
    mode = img.mode
    if mode == "F" or mode == "I" or mode.startswith("I;16"):
        pixels = _single_band_to_uint8(np.asarray(img), mode, notes)
    else:
        if mode not in _PIL_DIRECT:
            transparent = "A" in img.getbands() or "transparency" in img.info
            img = img.convert(_PIL_CONVERT.get(mode, "RGBA" if transparent else "RGB"))
        pixels = np.asarray(img)
    return _drop_alpha(_arrange(pixels[None], "NHW" if pixels.ndim == 2 else "NHWC"), notes)


def conform(batches: list[torch.Tensor], image_size: tuple[int, int] | None, channels: int | None) -> torch.Tensor:
    """Bring uint8 N×C×H×W batches (C in 1, 3) to one channel count and size, and concatenate them.

    `channels=None` picks 1 if every image is grayscale, else 3 (grayscale is replicated, which is lossless);
    `image_size=None` requires every image to have the same size already.
    """
    if channels is None:
        channels = 1 if all(b.shape[1] == 1 for b in batches) else 3
    if image_size is None:
        _check_same_size(batches)
    if len({b.shape[1:] for b in batches}) == 1:
        batches = [torch.cat(batches)]  # one resize and channel conversion for the whole set
    return torch.cat([_resize(_to_channels(b, channels), image_size) for b in batches])


def batch_layout(x: np.ndarray, name: str) -> str:
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        example = f"{side}, {side}" if side * side == x.shape[1] else "H, W"
        raise DataError(
            f"{name} has shape {x.shape}: flat N×D rows, not images. Reshape it to N×H×W first, "
            f"e.g. {name}.reshape(-1, {example})"
        )
    if x.ndim == 3:
        return "NHW"
    if x.ndim == 4:
        if x.shape[3] in _COLOUR_COUNTS:
            return "NHWC"
        if x.shape[1] in _COLOUR_COUNTS:
            return "NCHW"
        raise DataError(f"{name} has shape {x.shape}: neither N×H×W×C nor N×C×H×W with C = 1, 3 or 4 channels")
    raise DataError(f"{name} must be N×H×W, N×H×W×C or N×C×H×W, got shape {x.shape}")


def _arrange(x: np.ndarray, layout: str) -> np.ndarray:
    """A batch in `layout` ("NHW", "NHWC" or "NCHW") → N×C×H×W (a view)."""
    if layout == "NHW":
        return x[:, None]
    return x.transpose(0, 3, 1, 2) if layout == "NHWC" else x


def _finish(x: np.ndarray, notes: LoadNotes, name: str) -> torch.Tensor:
    if x.shape[1] not in _COLOUR_COUNTS:
        raise DataError(f"{name} has {x.shape[1]} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA)")
    return _drop_alpha(x, notes)


def _to_uint8(x: np.ndarray, notes: LoadNotes, name: str, images: int) -> np.ndarray:
    """Pixel values of any supported dtype → uint8 (see the module docstring); `images` counts warnings."""
    kind = x.dtype.kind
    if x.dtype == np.uint8:
        return x
    if kind == "b":
        return x.astype(np.uint8) * np.uint8(255)
    if x.dtype == np.uint16:
        notes.reduced_to_8bit += images
        return _scale_16bit(x)
    if kind in "iu":
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(
                f"{name} has {x.dtype} pixel values outside 0..255 (min {x.min()}, max {x.max()}); "
                "scale them to 0..255 (uint8) or to [0, 1] (float) first"
            )
        return x.astype(np.uint8)
    if kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(f"{name} has {int(bad.sum())} NaN or infinite pixel value(s), the first at index {first}")
        if x.size and (x.min() < 0 or x.max() > 1):
            raise DataError(
                f"{name} has float pixel values outside [0, 1] (min {x.min():.4g}, max {x.max():.4g}); "
                "divide by 255 (or by your maximum) first, and undo any normalisation"
            )
        return np.rint(x * 255).astype(np.uint8)
    raise DataError(f"{name} has dtype {x.dtype}; pixels must be uint8, bool, integer or float")


def _scale_16bit(x: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(x, 0, 65535) * (255 / 65535)).astype(np.uint8)


def _single_band_to_uint8(pixels: np.ndarray, mode: str, notes: LoadNotes) -> np.ndarray:
    """PIL's 16/32-bit integer modes (treated as 16-bit) and float mode "F" → uint8 H×W."""
    if mode != "F":
        notes.reduced_to_8bit += 1
        return _scale_16bit(pixels)
    if not np.isfinite(pixels).all():
        raise DataError("float image (mode F) has NaN or infinite pixel values")
    # a float image whose values all lie in [0, 1] is taken as [0, 1]; otherwise as 0..255, clipped
    scale = 255 if pixels.max(initial=0) <= 1 else 1
    return np.rint(np.clip(pixels * scale, 0, 255)).astype(np.uint8)


def _drop_alpha(x: np.ndarray, notes: LoadNotes) -> torch.Tensor:
    """Composite a trailing alpha channel (N×2 or N×4 channels) onto black; count images it changed."""
    if x.shape[1] in (2, 4):
        colour, alpha = x[:, :-1].astype(np.uint16), x[:, -1:].astype(np.uint16)
        notes.alpha_dropped += int((alpha < 255).any(axis=(1, 2, 3)).sum())
        x = ((colour * alpha + 127) // 255).astype(np.uint8)
    return torch.from_numpy(np.require(x, requirements=["C_CONTIGUOUS", "WRITEABLE"]))  # PIL's are read-only


def _to_channels(batch: torch.Tensor, channels: int) -> torch.Tensor:
    if batch.shape[1] == channels:
        return batch
    if channels == 3:
        return batch.expand(-1, 3, -1, -1)
    from torchvision.transforms.v2.functional import rgb_to_grayscale

    # on uint8 input torchvision truncates (gray 100 → RGB → 99); rounding a float result keeps gray exact
    return rgb_to_grayscale(batch.float()).round_().to(torch.uint8)


def _resize(batch: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    if size is None or tuple(batch.shape[-2:]) == size:
        return batch
    from torchvision.transforms.v2.functional import resize

    return resize(batch, list(size), antialias=True)


def _check_same_size(batches: list[torch.Tensor]) -> None:
    sizes = Counter()
    for b in batches:
        sizes[tuple(b.shape[-2:])] += len(b)
    if len(sizes) > 1:
        common = sizes.most_common()
        listed = ", ".join(f"{h}×{w} ({n} images)" for (h, w), n in common[:5])
        more = f" and {len(common) - 5} other sizes" if len(common) > 5 else ""
        raise DataError(
            f"the images have {len(common)} different sizes (height×width): {listed}{more}. "
            "Pass image_size= (e.g. image_size=64) to resize them all to one size"
        )
