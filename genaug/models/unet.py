"""The diffusion family's denoising network: a small U-Net with time and class embeddings.

Residual blocks with GroupNorm whose scale and shift come from the embedding of (time, class), one down-sampling
between resolution levels, self-attention at the lowest resolution only (cheap there: at most a few hundred
tokens). Class index ``num_classes`` is the null class, used for classifier-free guidance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from genaug.models.blocks import MIN_BASE

MAX_GROUPS = 8  # GroupNorm groups where the width allows (fewer for narrow tiny-test networks)
TIME_SCALE = 1000.0  # t in [0, 1] is embedded as t * 1000, so the sinusoids span the usual frequencies


def group_norm(channels: int) -> nn.GroupNorm:
    """GroupNorm with the most groups up to MAX_GROUPS that divide ``channels``."""
    return nn.GroupNorm(math.gcd(MAX_GROUPS, channels), channels)


def sinusoidal_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """N x dim sin/cos features of times ``t`` (N, in [0, 1]) at geometrically spaced frequencies."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = TIME_SCALE * t.float()[:, None] * frequencies[None]  # N x half
    return torch.cat([angles.sin(), angles.cos(), angles.new_zeros(len(t), dim - 2 * half)], dim=1)


def level_count(height: int, width: int, requested: int) -> int:
    """How many resolution levels an H x W image gets: ``requested``, fewer if the lowest would drop below
    MIN_BASE pixels on its shorter side."""
    return max(1, min(requested, 1 + int(math.floor(math.log2(min(height, width) / MIN_BASE)))))


class ResBlock(nn.Module):
    """norm -> SiLU -> conv -> norm modulated by the embedding -> SiLU -> conv, plus a (1x1 conv) skip."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int):
        super().__init__()
        self.norm1 = group_norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.modulation = nn.Linear(emb_dim, 2 * out_ch)  # scale and shift of norm2
        self.norm2 = group_norm(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)  # each block starts as the identity: stable early training
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.modulation(emb)[:, :, None, None].chunk(2, dim=1)  # N x C x 1 x 1 each
        h = self.conv2(F.silu(self.norm2(h) * (1 + scale) + shift))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Multi-head self-attention over the H x W positions of a feature map, as a residual."""

    def __init__(self, channels: int, heads: int = 4):
        super().__init__()
        self.norm = group_norm(channels)
        self.attention = nn.MultiheadAttention(channels, math.gcd(heads, channels), batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = self.norm(x).flatten(2).transpose(1, 2)  # N x HW x C
        out, _ = self.attention(tokens, tokens, tokens, need_weights=False)
        return x + out.transpose(1, 2).reshape(n, c, h, w)


class UNet(nn.Module):
    """Predicts the flow velocity of noisy images: (N x C x H x W, times N, class indices N) -> N x C x H x W.

    Sizes that do not halve evenly are padded (zeros) up to a multiple of the total down-sampling and the output
    cropped back, so any side from 8 pixels works.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        base_width: int,
        channel_multipliers: Sequence[int],
        blocks_per_level: int,
        attention: bool,
        num_classes: int,
    ):
        super().__init__()
        channels, self.height, self.width = image_shape
        levels = level_count(self.height, self.width, len(channel_multipliers))
        widths = [base_width * m for m in channel_multipliers[:levels]]
        self.multiple = 2 ** (levels - 1)  # the padded size divides by this
        self.blocks_per_level = blocks_per_level
        emb_dim = 4 * base_width
        self.time_embed = nn.Sequential(nn.Linear(base_width, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_embed = nn.Embedding(num_classes + 1, emb_dim)  # the last index is the null class
        self.stem = nn.Conv2d(channels, widths[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skips, width = [widths[0]], widths[0]
        for level, level_width in enumerate(widths):
            for _ in range(blocks_per_level):
                self.down.append(ResBlock(width, level_width, emb_dim))
                width = level_width
                skips.append(width)
            if level < levels - 1:
                self.downsample.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
                skips.append(width)
        self.mid = nn.ModuleList([ResBlock(width, width, emb_dim), ResBlock(width, width, emb_dim)])
        self.mid_attention = SelfAttention(width) if attention else nn.Identity()
        self.bottleneck_channels = width
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for level in reversed(range(levels)):
            for _ in range(blocks_per_level + 1):  # one more than down: it also takes the stem's or a down-sampler's
                self.up.append(ResBlock(width + skips.pop(), widths[level], emb_dim))
                width = widths[level]
            if level > 0:
                self.upsample.append(nn.Conv2d(width, width, 3, padding=1))
        self.out_norm = group_norm(width)
        self.out_conv = nn.Conv2d(width, channels, 3, padding=1)
        nn.init.zeros_(self.out_conv.weight)  # starts predicting zero velocity
        nn.init.zeros_(self.out_conv.bias)

    def embed(self, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """N x emb_dim embedding of times (N, in [0, 1]) and class indices (N; num_classes: none)."""
        return self.time_embed(sinusoidal_embedding(t, self.time_embed[0].in_features)) + self.class_embed(labels)

    def encode(self, x: torch.Tensor, emb: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The down path and middle: the bottleneck feature map and the skips for the up path."""
        pad_h, pad_w = (-self.height) % self.multiple, (-self.width) % self.multiple
        h = self.stem(F.pad(x, (0, pad_w, 0, pad_h)))  # N x C0 x H' x W', H' and W' divisible by multiple
        skips = [h]
        blocks = iter(self.down)
        for level in range(len(self.downsample) + 1):
            for _ in range(self.blocks_per_level):
                h = next(blocks)(h, emb)
                skips.append(h)
            if level < len(self.downsample):
                h = self.downsample[level](h)  # halves H and W
                skips.append(h)
        h = self.mid[0](h, emb)
        return self.mid[1](self.mid_attention(h), emb), skips

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        emb = self.embed(t, labels)
        h, skips = self.encode(x, emb)
        blocks = iter(self.up)
        for level in range(len(self.upsample) + 1):
            for _ in range(self.blocks_per_level + 1):
                h = next(blocks)(torch.cat([h, skips.pop()], dim=1), emb)
            if level < len(self.upsample):
                h = self.upsample[level](F.interpolate(h, scale_factor=2.0, mode="nearest"))  # doubles H and W
        out = self.out_conv(F.silu(self.out_norm(h)))
        return out[..., : self.height, : self.width]  # N x C x H x W (the padding was added bottom and right)
