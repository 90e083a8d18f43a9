"""Real test images for the model tests: scikit-learn's digits 0-2, at any size."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

CLASSES = ["zero", "one", "two"]


@functools.cache
def digits(size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """sklearn's digits 0-2 as uint8 N x 1 x size x size, with their labels."""
    data = load_digits(n_class=3)
    images = torch.tensor(data.images, dtype=torch.float32)[:, None] / 16.0
    if size != 8:
        images = F.interpolate(images, size=size, mode="bilinear", antialias=True)
    return (images * 255).round().to(torch.uint8), torch.tensor(data.target)
