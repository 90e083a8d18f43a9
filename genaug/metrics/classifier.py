"""A small CNN classifier trained on in-memory tensors: the reference model that labels synthetic images
(label fidelity) and the default downstream classifier of the benchmarks."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class SmallCNN(nn.Module):
    """Two conv stages (32 and 64 channels) and a 128-unit feature layer; works for 8 to 128 px inputs."""

    feature_dim = 128

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(64 * 4, self.feature_dim), nn.ReLU(), nn.Dropout(0.3),
        )  # fmt: skip
        self.head = nn.Linear(self.feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * 2.0 - 1.0)  # N x 128

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # N x K logits


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [0, 1]; float images unchanged."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images.float()


def train_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> SmallCNN:
    """Train a SmallCNN on N x C x H x W images (uint8 or float in [0, 1]) with AdamW and cosine decay.

    ``augment`` maps a float batch to an augmented float batch of the same shape (it is given the batch
    after sampling, so batch-level GPU-style augmentation stays cheap).
    """
    torch.manual_seed(seed)
    batches = torch.Generator().manual_seed(seed)
    model = SmallCNN(images.shape[1], num_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.15)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(images), (min(batch_size, len(images)),), generator=batches)
        x = as_float(images[idx])
        if augment is not None:
            x = augment(x)
        loss = F.cross_entropy(model(x), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def predict(model: SmallCNN, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted class indices (int64, CPU) for uint8 or float images."""
    model.eval()
    return torch.cat([model(as_float(images[i : i + batch_size])).argmax(1) for i in range(0, len(images), batch_size)])


def accuracy(model: SmallCNN, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` whose predicted class equals ``labels``."""
    return float((predict(model, images) == labels.cpu()).float().mean())
