"""Embeddings of images in the feature space of a trained reference classifier (the penultimate layer).

The quality metrics (Fréchet distance, KID, precision/recall, density/coverage, memorisation) all compare
images in this space: a classifier trained on held-out real images of the same domain stands in for the
Inception network of FID, so no weights are downloaded and the features suit small, non-ImageNet images.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genaug.metrics.classifier import map_batches


def extract_features(reference: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """``reference.features`` of N x C x H x W images (uint8 or float in [0, 1]): float32 N x D on the CPU.

    ``reference`` is a trained ``SmallCNN`` / ``SmallResNet`` (anything with a ``features(x)`` method); it runs
    in eval mode, without gradients, in batches of ``batch_size`` on its own device.
    """
    if not callable(getattr(reference, "features", None)):
        raise TypeError(
            f"reference must have a features(x) method (e.g. genaug.metrics.SmallCNN), got {type(reference)}"
        )
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty N x C x H x W tensor, got shape {tuple(images.shape)}")
    reference.eval()
    return map_batches(reference.features, images, batch_size, next(reference.parameters()).device).float()


def feature_matrices(min_rows: int = 2, **sets: torch.Tensor | np.ndarray) -> list[torch.Tensor]:
    """The named feature sets as float64 CPU N x D tensors, in the order given.

    Raises a ValueError naming the set that is not 2-D, has fewer than ``min_rows`` rows, holds NaN/inf, or
    whose dimension D differs from the first set's.
    """
    matrices = []
    for name, x in sets.items():
        x = torch.as_tensor(x).detach().to("cpu", torch.float64)
        if x.ndim != 2 or len(x) < min_rows:
            raise ValueError(f"{name} must be an N x D matrix with N >= {min_rows}, got shape {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} holds NaN or infinite values; check the images and the reference classifier")
        if matrices and x.shape[1] != matrices[0].shape[1]:
            raise ValueError(f"{name} has dimension {x.shape[1]}, but {next(iter(sets))} has {matrices[0].shape[1]}")
        matrices.append(x)
    return matrices
