"""Paths through a model's latent space, for interpolation strips: end points, the path, and class blends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from genaug.checks import check_int

PARALLEL_COSINE = 0.9995  # end points closer in direction than this are joined by a straight line


def latent_end_point(value: Any, latent_dim: int, encode: Callable[[Any], torch.Tensor] | None) -> torch.Tensor:
    """A path's end point (``latent_dim`` floats, CPU): ``value`` itself if it is a 1-D tensor or array of
    ``latent_dim`` numbers, else the code of the one image ``value`` holds (``encode`` maps images to N×d codes;
    None for models without an encoder)."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 1:
        if len(value) != latent_dim:
            raise ValueError(f"a latent point must have latent_dim={latent_dim} numbers, got {len(value)}")
        return torch.as_tensor(value, dtype=torch.float32).cpu()
    if encode is None:
        raise TypeError(
            f"this model has no encoder, so it cannot interpolate between images; pass two latent points "
            f"(1-D tensors of {latent_dim} numbers, e.g. torch.randn({latent_dim}))"
        )
    codes = encode(value)
    if len(codes) != 1:
        raise ValueError(f"an end point must be one image (or one latent point), got {len(codes)} images")
    return codes[0].float().cpu()


def latent_path(start: torch.Tensor, end: torch.Tensor, steps: int, spherical: bool = True) -> torch.Tensor:
    """``steps`` points (steps × d) from ``start`` to ``end``, both included.

    ``spherical`` follows the great circle between the two directions (slerp; White, 2016, "Sampling Generative
    Networks"), which keeps intermediate points as far from the origin as a Gaussian prior expects; otherwise a
    straight line. Nearly parallel end points are joined by a straight line either way.
    """
    steps = check_int("steps", steps, minimum=2, note="the two end points included")
    t = torch.linspace(0.0, 1.0, steps)[:, None]  # steps x 1
    cosine = torch.nn.functional.cosine_similarity(start, end, dim=0)
    if not spherical or cosine.abs() > PARALLEL_COSINE:
        return (1 - t) * start + t * end
    omega = torch.arccos(cosine)
    return (torch.sin((1 - t) * omega) * start + torch.sin(t * omega) * end) / torch.sin(omega)


def class_blend(labels: Any, steps: int, class_index: Callable[[Any], int], num_classes: int) -> torch.Tensor:
    """Class weights along a path (steps × num_classes): one class throughout, or a pair (start class, end class)
    blended linearly. Classes are given by index or name."""
    if labels is None:
        raise ValueError("labels are required: one class for the whole path, or a pair (start class, end class)")
    pair = list(labels) if isinstance(labels, (list, tuple)) else [labels, labels]
    if len(pair) != 2:
        raise ValueError(f"labels must be one class or a pair (start class, end class), got {len(pair)} classes")
    first, last = (torch.nn.functional.one_hot(torch.tensor(class_index(c)), num_classes).float() for c in pair)
    t = torch.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * first + t * last
