"""Filters for generated images: callables ``keep(images, labels) -> bool tensor`` that SyntheticDataset
applies to every draw, keeping only the images they accept.

A filter gets float images N×C×H×W in [0, 1] and the class indices N they were conditioned on, and must be
deterministic (same images, same answer), so that a SyntheticDataset stays deterministic per index.

The filters here judge images by a classifier: a callable mapping float images N×C×H×W in [0, 1] to logits N×K
over the generative model's classes, in its class order (e.g. a ``genaug.metrics.SmallCNN`` trained on the real
data; wrap any normalisation it needs into it, e.g. ``nn.Sequential(v2.Normalize(mean, std), net)``). An
``nn.Module`` is run in eval mode, without gradients, on its own device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from genaug.checks import check_probability

# keep(images N×C×H×W float in [0, 1], conditioned labels N int64) → bool N, True for images to keep
ImageFilter = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_filter(keep: object) -> ImageFilter | None:
    """None, or a callable filter (see ``ImageFilter``)."""
    if keep is not None and not callable(keep):
        raise TypeError(
            f"filter must be callable as filter(images, labels) -> bool tensor, or None; got {type(keep).__name__}"
        )
    return keep


def keep_mask(keep: ImageFilter, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``keep(images, labels)``, checked to be one bool per image, as a tensor on the images' device."""
    mask = keep(images, labels)
    if not isinstance(mask, (torch.Tensor, np.ndarray)) or mask.dtype not in (torch.bool, np.bool_):
        raise TypeError(f"filter must return a bool tensor (one entry per image), got {_describe(mask)}")
    if tuple(mask.shape) != (len(images),):
        raise ValueError(f"filter returned a mask of shape {tuple(mask.shape)} for {len(images)} images")
    return torch.as_tensor(mask).to(images.device)


def _describe(value: object) -> str:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"a {value.dtype} {type(value).__name__} of shape {tuple(value.shape)}"
    return type(value).__name__


class _ClassifierFilter:
    """What the classifier-based filters share: checking the classifier and its output, probabilities."""

    def __init__(self, classifier: Callable[[torch.Tensor], torch.Tensor]):
        if not callable(classifier):
            raise TypeError(f"classifier must be callable (images -> logits), got {type(classifier).__name__}")
        self.classifier = classifier

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """A bool mask (on the CPU) of the images to keep."""
        probabilities = self.probabilities(images)
        if probabilities.ndim != 2 or len(probabilities) != len(images):
            raise ValueError(
                f"classifier returned shape {tuple(probabilities.shape)} for {len(images)} images; "
                "expected logits N x K (one row per image, one column per class)"
            )
        if len(labels) and int(labels.max()) >= probabilities.shape[1]:
            raise ValueError(
                f"classifier scores {probabilities.shape[1]} classes but an image is of class {int(labels.max())}; "
                "the classifier must score every class of the generative model, in the same order"
            )
        return self.accepts(probabilities, labels.to(probabilities.device)).cpu()

    def accepts(self, probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Bool N: which images to keep, given their class probabilities N×K and conditioned classes N."""
        raise NotImplementedError

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities N×K of ``images`` under the classifier."""
        classifier = self.classifier
        if isinstance(classifier, nn.Module):
            was_training = classifier.training
            classifier.eval()
            try:
                device = next(classifier.parameters(), images).device
                logits = classifier(images.to(device))
            finally:
                classifier.train(was_training)
        else:
            logits = classifier(images)
        if not isinstance(logits, torch.Tensor):
            raise TypeError(f"classifier must return a logits tensor N x K, got {type(logits).__name__}")
        return logits.float().softmax(dim=-1)


class ConfidenceFilter(_ClassifierFilter):
    """Keeps the images that ``classifier`` (see the module docstring) assigns to their conditioned class with
    probability >= ``threshold``."""

    def __init__(self, classifier: Callable[[torch.Tensor], torch.Tensor], threshold: float = 0.9):
        super().__init__(classifier)
        self.threshold = check_probability("threshold", threshold)

    def accepts(self, probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return probabilities.gather(1, labels[:, None])[:, 0] >= self.threshold

    def __repr__(self) -> str:
        return f"ConfidenceFilter({type(self.classifier).__name__}, threshold={self.threshold})"


class PredictionFilter(_ClassifierFilter):
    """Keeps the images whose most probable class under ``classifier`` (see the module docstring) is their
    conditioned class, however confident: a consistency check, e.g. with a classifier trained on the same few
    real images (the benchmark's ``classical+filtered_synthetic`` arm).
    """

    def accepts(self, probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return probabilities.argmax(dim=1) == labels

    def __repr__(self) -> str:
        return f"PredictionFilter({type(self.classifier).__name__})"
