"""A small CNN classifier trained on in-memory tensors: the reference model that labels and embeds synthetic images
(label fidelity, feature-space quality metrics) and the default downstream classifier of the benchmarks."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from genaug.checks import check_choice
from genaug.metrics.feature_classifier import FeatureClassifier
from genaug.metrics.resnet import SmallResNet


class SmallCNN(FeatureClassifier):
    """Two conv stages (``width`` and 2 x ``width`` channels) and a 128-unit feature layer; works for 8 to 128 px
    inputs."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 32):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(2 * w * 4, self.feature_dim), nn.ReLU(), nn.Dropout(0.3),
        )  # fmt: skip
        self.head = nn.Linear(self.feature_dim, num_classes)


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [0, 1]; float images unchanged."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images.float()


BatchTransform = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (float images, labels) -> float images
# (float images, labels) -> (float images, labels as class indices N or class probabilities N x K), e.g. MixUp
LabelledBatchTransform = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]

CLASSIFIERS: dict[str, type[nn.Module]] = {"small_cnn": SmallCNN, "resnet": SmallResNet}


def build_classifier(architecture: str, in_channels: int, num_classes: int, width: int = 32) -> nn.Module:
    """An untrained classifier (``architecture``: a key of ``CLASSIFIERS``) in channels_last memory format: the
    same convolutions, about 15% faster per step on the CPU (measured on 2 cores)."""
    check_choice("architecture", architecture, sorted(CLASSIFIERS))
    return CLASSIFIERS[architecture](in_channels, num_classes, width=width).to(memory_format=torch.channels_last)


def train_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    augment: BatchTransform | LabelledBatchTransform | None = None,
    class_weights: torch.Tensor | None = None,
    architecture: str = "small_cnn",
    width: int = 32,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """Train a classifier (``architecture``: a key of ``CLASSIFIERS``) on N x C x H x W images (uint8 or float in
    [0, 1]) with AdamW and one-cycle decay.

    ``augment(x, y)`` maps each sampled float batch and its labels to an augmented float batch of the same shape
    (batch-level, so it stays cheap, e.g. ``classical_batch_augment``), or to a tuple ``(x, y)`` whose labels may
    be class probabilities N x K (soft labels, e.g. ``BatchLabelMix`` for MixUp / CutMix, or the public
    ``BatchAugment``): a returned tensor keeps the labels, a returned tuple replaces them. ``class_weights`` (K
    floats) weight the cross-entropy loss per class, e.g. inverse class frequencies for long-tailed data (with
    soft labels too: ``classification_loss``). ``width`` is the channel count of the first stage (the second has
    twice as many): 16 trains much faster than 32 on a CPU (README, the genaug-bench runs published in
    benchmarks/results/). The classifier trains on ``device``, where it is returned; each batch, and ``augment``,
    runs there (the batch draws are the same on any device).
    """
    device = torch.device(device)
    if class_weights is not None:
        class_weights = torch.as_tensor(class_weights, dtype=torch.float32, device=device)
        if class_weights.shape != (num_classes,):
            raise ValueError(f"class_weights must hold one weight per class ({num_classes}), got {class_weights.shape}")
    torch.manual_seed(seed)
    batches = torch.Generator().manual_seed(seed)
    model = build_classifier(architecture, images.shape[1], num_classes, width).to(device)
    images, labels = images.to(device), labels.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.15)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(images), (min(batch_size, len(images)),), generator=batches)
        idx = idx.to(device)
        x, y = as_float(images[idx]), labels[idx]
        if augment is not None:
            x, y = augment_batch(augment, x, y, num_classes)
        loss = classification_loss(model(x.contiguous(memory_format=torch.channels_last)), y, class_weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


def augment_batch(
    augment: BatchTransform | LabelledBatchTransform, x: torch.Tensor, y: torch.Tensor, num_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch and labels after ``augment``: a returned tensor keeps ``y``, a returned tuple ``(x, y)`` brings
    its own labels (class indices N, or class probabilities N x ``num_classes``)."""
    out = augment(x, y)
    if not isinstance(out, tuple):
        return out, y
    x, y = out
    if y.shape not in ((len(x),), (len(x), num_classes)):
        raise ValueError(
            f"augment returned labels of shape {tuple(y.shape)} for {len(x)} images: expected class indices "
            f"({len(x)},) or class probabilities ({len(x)}, {num_classes})"
        )
    return x, y


def classification_loss(
    logits: torch.Tensor, targets: torch.Tensor, class_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy for class indices (N) or class probabilities (N x K). With ``class_weights`` it is a mean
    weighted by each image's (expected) class weight, as torch does for indices, so one-hot probabilities give the
    same loss as their indices (torch divides by N for probabilities)."""
    if targets.ndim == 1 or class_weights is None:
        return F.cross_entropy(logits, targets, weight=class_weights)
    total = F.cross_entropy(logits, targets, weight=class_weights, reduction="sum")
    return total / (targets @ class_weights).sum()


@torch.no_grad()
def map_batches(
    fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, batch_size: int, device: torch.device
) -> torch.Tensor:
    """``fn`` applied to float batches of ``images`` (uint8 or float) on ``device``; results joined on the CPU."""
    return torch.cat(
        [fn(as_float(images[i : i + batch_size]).to(device)).cpu() for i in range(0, len(images), batch_size)]
    )


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted class indices (int64, CPU) for uint8 or float images, in batches on the model's device."""
    model.eval()
    return map_batches(lambda x: model(x).argmax(1), images, batch_size, next(model.parameters()).device)


def predict_proba(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Class probabilities N x K (float32, CPU) for uint8 or float images, in batches on the model's device."""
    model.eval()
    return map_batches(lambda x: model(x).float().softmax(1), images, batch_size, next(model.parameters()).device)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` whose predicted class equals ``labels``."""
    return float((predict(model, images) == labels.cpu()).float().mean())
