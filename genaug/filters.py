"""Filters for generated images: callables ``keep(images, labels) -> bool tensor`` that SyntheticDataset
applies to every draw, keeping only the images they accept.

A filter gets float images N×C×H×W in [0, 1] and the class indices N they were conditioned on, and must be
deterministic (same images, same answer), so that a SyntheticDataset stays deterministic per index.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from torch import nn


class ConfidenceFilter:
    """Keeps the images that ``classifier`` assigns to their conditioned class with probability >= ``threshold``.

    ``classifier`` maps float images N×C×H×W in [0, 1] to logits N×K over the model's classes, in the
    model's class order (e.g. a ``genaug.metrics.SmallCNN`` trained on the real data; wrap any normalisation
    it needs into it, e.g. ``nn.Sequential(v2.Normalize(mean, std), net)``). An ``nn.Module`` is run in eval
    mode, without gradients, on its own device.
    """

    def __init__(self, classifier: Callable[[torch.Tensor], torch.Tensor], threshold: float = 0.9):
        if not callable(classifier):
            raise TypeError(f"classifier must be callable (images -> logits), got {type(classifier).__name__}")
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be a probability in [0, 1], got {threshold!r}")
        self.classifier = classifier
        self.threshold = float(threshold)

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
        conditioned = probabilities.gather(1, labels.to(probabilities.device)[:, None])[:, 0]
        return (conditioned >= self.threshold).cpu()

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

    def __repr__(self) -> str:
        return f"ConfidenceFilter({type(self.classifier).__name__}, threshold={self.threshold})"
