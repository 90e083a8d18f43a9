"""A narrow ResNet for small images: the stronger of the benchmark's two downstream classifiers."""

from __future__ import annotations

from torch import nn
from torchvision.models.resnet import BasicBlock

from genaug.metrics.feature_classifier import FeatureClassifier


def _stage(in_channels: int, channels: int, stride: int) -> nn.Sequential:
    """Two torchvision BasicBlocks; the first changes width / resolution through a 1x1 projection shortcut."""
    shortcut = None
    if stride != 1 or in_channels != channels:
        shortcut = nn.Sequential(nn.Conv2d(in_channels, channels, 1, stride, bias=False), nn.BatchNorm2d(channels))
    return nn.Sequential(BasicBlock(in_channels, channels, stride, shortcut), BasicBlock(channels, channels))


class SmallResNet(FeatureClassifier):
    """ResNet-14 style (3x3 stem, three stages of two BasicBlocks, widths ``width``/2 x ``width``/128, no stem
    downsampling so 8 px inputs keep a spatial map); same ``features``/``head`` interface as ``SmallCNN``."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 32):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            _stage(w, w, 1), _stage(w, 2 * w, 2), _stage(2 * w, self.feature_dim, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Linear(self.feature_dim, num_classes)
