"""The interface shared by the metrics' classifiers: a feature ``body`` and a linear ``head``."""

from __future__ import annotations

import torch
from torch import nn


class FeatureClassifier(nn.Module):
    """``features`` (penultimate layer, used by the quality metrics) and ``forward`` (logits) for images in [0, 1].

    Subclasses build ``self.body`` (images in [-1, 1] to N x ``feature_dim``) and ``self.head`` (a linear layer).
    """

    feature_dim = 128
    body: nn.Module
    head: nn.Module

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * 2.0 - 1.0)  # N x feature_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # N x K logits
