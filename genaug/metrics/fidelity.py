"""Label fidelity: how often a reference classifier assigns a synthetic image the class it was conditioned on."""

from __future__ import annotations

from genaug.metrics.classifier import SmallCNN, accuracy
from genaug.models.base import GenerativeModel


def label_fidelity(model: GenerativeModel, reference: SmallCNN, n_per_class: int = 200, seed: int = 0) -> float:
    """Accuracy of ``reference`` on ``n_per_class`` samples of every class of ``model``."""
    return accuracy(reference, *model.sample_per_class(n_per_class, seed=seed))
