"""Images given to a model's analysis methods (anomaly scores, features, class transfer, interpolation), in
whatever form the user holds them, as one float N×C×H×W batch in [0, 1] of the model's working shape.

Accepted, as at the transforms' edge:
- torch tensors: N×C×H×W or one C×H×W image; uint8 (0..255) or float in [0, 1];
- PIL images, and lists or tuples of them;
- numpy arrays: one H×W or H×W×C image, or an N×H×W×C / N×C×H×W batch; uint8, other integers in 0..255,
  or floats in [0, 1] (the pixel rules of ``genaug.data``), and lists or tuples of single images.

Images of another size are resized (stretched, antialiased) and grayscale/RGB converted to the model's
channel count, so a model trained at 28×28 gray can score a 64×64 RGB photo.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from genaug.checks import check_int
from genaug.data.pixels import array_to_batch, image_to_batch, pil_to_batch
from genaug.data.problems import LoadNotes

_CHANNEL_COUNTS = (1, 3)

ImageInput = torch.Tensor | np.ndarray | Image.Image | list | tuple  # see the module docstring


def as_image_batch(images: ImageInput, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """``images`` (see the module docstring) as a float32 N×C×H×W batch in [0, 1] of ``image_shape``, on the CPU
    (a float tensor that already has the shape keeps its device)."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("images is an empty list; pass at least one image")
        return torch.cat([as_image_batch(item, image_shape) for item in images])
    if isinstance(images, torch.Tensor):
        batch = _tensor_batch(images)
    elif isinstance(images, Image.Image):
        batch = pil_to_batch(images, LoadNotes()).float() / 255.0
    elif isinstance(images, np.ndarray):
        batch = _array_batch(images).float() / 255.0
    else:
        raise TypeError(
            f"images must be a torch tensor, a PIL image, a numpy array or a list of them, got {type(images).__name__}"
        )
    return fit_to_shape(batch, image_shape)


def fit_to_shape(batch: torch.Tensor, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """A float N×C×H×W batch converted to ``image_shape``'s channel count (gray ↔ RGB) and size (stretched)."""
    channels, height, width = image_shape
    if batch.shape[1] != channels:
        if channels == 3:
            batch = batch.expand(-1, 3, -1, -1)
        else:
            from torchvision.transforms.v2.functional import rgb_to_grayscale

            batch = rgb_to_grayscale(batch)
    if tuple(batch.shape[-2:]) != (height, width):
        from torchvision.transforms.v2.functional import resize

        batch = resize(batch, [height, width], antialias=True).clamp_(0.0, 1.0)
    return batch


def in_batches(function: Callable[[slice], torch.Tensor], n: int, batch_size: int) -> torch.Tensor:
    """``function`` applied to consecutive slices ``[i, i + batch_size)`` of ``range(n)``, results concatenated."""
    batch_size = check_int("batch_size", batch_size, minimum=1)
    return torch.cat([function(slice(i, i + batch_size)) for i in range(0, n, batch_size)])


def _tensor_batch(images: torch.Tensor) -> torch.Tensor:
    if images.ndim == 3:
        images = images.unsqueeze(0)
    if images.ndim != 4 or images.shape[1] not in _CHANNEL_COUNTS:
        raise ValueError(
            f"image tensors must be N×C×H×W or C×H×W with C = 1 or 3, got shape {tuple(images.shape)}; "
            "permute an H×W×C image with image.permute(2, 0, 1)"
        )
    if len(images) == 0:
        raise ValueError("images holds no images (its first dimension is 0)")
    if images.dtype == torch.uint8:
        return images.float() / 255.0
    if not images.is_floating_point():
        raise TypeError(f"image tensors must be uint8 or float in [0, 1], got {images.dtype}")
    images = images.float()
    if not torch.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ValueError(
            f"float images must lie in [0, 1] (got min {float(images.min()):.4g}, max {float(images.max()):.4g}); "
            "divide by 255 and undo any normalisation first"
        )
    return images


def _array_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 N×C×H×W from one H×W / H×W×C image or an N×H×W×C / N×C×H×W batch."""
    if images.ndim == 2:
        return image_to_batch(images, "HW", LoadNotes(), "images")
    if images.ndim == 3:
        if images.shape[-1] not in (1, 3, 4):
            raise ValueError(
                f"a 3-D array is read as one H×W×C image, but its last axis has {images.shape[-1]} entries; "
                "pass a batch of grayscale images as N×H×W×1 (add an axis: images[..., None])"
            )
        return image_to_batch(images, "HWC", LoadNotes(), "images")
    if images.ndim == 4:
        return array_to_batch(images, LoadNotes(), "images")
    raise ValueError(f"numpy images must be H×W, H×W×C, N×H×W×C or N×C×H×W, got shape {images.shape}")
