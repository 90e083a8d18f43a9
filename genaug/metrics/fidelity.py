"""Label fidelity: how often a reference classifier assigns a synthetic image the class it was conditioned on."""

from __future__ import annotations

import torch

from genaug.metrics.classifier import SmallCNN, accuracy
from genaug.models.base import GenerativeModel


def label_fidelity(model: GenerativeModel, reference: SmallCNN, n_per_class: int = 200, seed: int = 0) -> float:
    """Accuracy of ``reference`` on ``n_per_class`` samples of every class of ``model``."""
    labels = torch.arange(model.num_classes).repeat_interleave(n_per_class)
    images = model.sample(len(labels), labels=labels, seed=seed).cpu()
    return accuracy(reference, images, labels)
