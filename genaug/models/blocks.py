"""Network pieces shared by the families: resolution planning, up-sampling and down-sampling trunks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

MIN_BASE = 4


@dataclass(frozen=True)
class ResolutionPlan:
    """How a network reaches an H x W image: a small base grid doubled ``stages`` times, then cropped."""

    base_h: int
    base_w: int
    stages: int

    @classmethod
    def for_size(cls, height: int, width: int) -> ResolutionPlan:
        stages = max(0, int(math.floor(math.log2(min(height, width) / MIN_BASE))))
        scale = 2**stages
        return cls(math.ceil(height / scale), math.ceil(width / scale), stages)

    def widths(self, base_width: int, max_multiplier: int = 8) -> list[int]:
        """Channel widths from the base grid (widest) to full resolution (``base_width``)."""
        return [base_width * min(2 ** (self.stages - i), max_multiplier) for i in range(self.stages + 1)]


def center_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Crop a N x C x H' x W' batch (H' >= H, W' >= W) to its centre H x W."""
    top = (x.shape[-2] - height) // 2
    left = (x.shape[-1] - width) // 2
    return x[..., top : top + height, left : left + width]


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are looked up per class (one class: a learned affine)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        gain = self.gain(labels)[:, :, None, None]
        bias = self.bias(labels)[:, :, None, None]
        return self.norm(x) * gain + bias


class UpBlock(nn.Module):
    """norm -> ReLU -> 2x nearest up-sampling -> 3x3 conv; the norm may be class-conditional."""

    def __init__(self, in_ch: int, out_ch: int, num_classes: int | None):
        super().__init__()
        self.norm = ConditionalBatchNorm2d(in_ch, num_classes) if num_classes else nn.BatchNorm2d(in_ch)
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.norm(x, labels) if labels is not None else self.norm(x)
        return self.conv(F.interpolate(F.relu(x), scale_factor=2.0, mode="nearest"))


class UpsamplingTrunk(nn.Module):
    """Latent vector (N x in_dim) -> image logits (N x C x H x W): the GAN generator and the decoders.

    With ``num_classes`` the norms are class-conditional (cgan); otherwise plain batch norm.
    """

    def __init__(
        self,
        in_dim: int,
        image_shape: tuple[int, int, int],
        base_width: int,
        num_classes: int | None = None,
    ):
        super().__init__()
        channels, self.height, self.width = image_shape
        self.plan = ResolutionPlan.for_size(self.height, self.width)
        widths = self.plan.widths(base_width)
        self.base_shape = (widths[0], self.plan.base_h, self.plan.base_w)
        self.project = nn.Linear(in_dim, widths[0] * self.plan.base_h * self.plan.base_w)
        self.blocks = nn.ModuleList(UpBlock(a, b, num_classes) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.out_norm = ConditionalBatchNorm2d(widths[-1], num_classes) if num_classes else nn.BatchNorm2d(widths[-1])
        self.out_conv = nn.Conv2d(widths[-1], channels, 3, padding=1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.project(z).view(-1, *self.base_shape)  # N x C0 x h0 x w0
        for block in self.blocks:
            x = block(x, labels)  # doubles H and W
        x = self.out_norm(x, labels) if labels is not None else self.out_norm(x)
        x = self.out_conv(F.relu(x))
        return center_crop(x, self.height, self.width)  # N x C x H x W (logits)


class DownsamplingTrunk(nn.Module):
    """Image (N x C x H x W in [0, 1]) -> feature map, halving the size per stage: discriminator and encoders.

    ``spectral=True`` wraps every conv in spectral normalisation (GAN discriminator).
    """

    def __init__(self, image_shape: tuple[int, int, int], base_width: int, spectral: bool = False):
        super().__init__()
        channels, height, width = image_shape
        plan = ResolutionPlan.for_size(height, width)
        widths = list(reversed(plan.widths(base_width)))  # full resolution (narrow) -> base grid (wide)
        wrap = spectral_norm if spectral else (lambda m: m)
        layers: list[nn.Module] = [wrap(nn.Conv2d(channels, widths[0], 3, padding=1)), nn.LeakyReLU(0.2)]
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [wrap(nn.Conv2d(a, b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.layers = nn.Sequential(*layers)
        self.out_channels = widths[-1]
        with torch.no_grad():
            self.out_hw = tuple(self.layers(torch.zeros(1, channels, height, width)).shape[-2:])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x * 2.0 - 1.0)  # N x C_out x h x w
