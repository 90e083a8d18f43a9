"""DiffAugment (Zhao et al., 2020): differentiable augmentations applied to real and fake images alike,
so a discriminator trained on a small data set cannot simply memorise it. Images are in [0, 1]."""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def _per_image(x: torch.Tensor) -> torch.Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device)


def adjust_color(x: torch.Tensor) -> torch.Tensor:
    """Random brightness, saturation and contrast per image (RGB only)."""
    x = x + (_per_image(x) - 0.5) * 0.5
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_per_image(x) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_per_image(x) + 0.5) + mean


def translate(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size, filling with zeros (black)."""
    n, _, h, w = x.shape
    max_dy, max_dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (n, 1, 1), device=x.device)
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + dy + 1).clamp(0, h + 1)  # n x h x 1
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + dx + 1).clamp(0, w + 1)  # n x 1 x w
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)  # n x h+2 x w+2 x c
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of ``ratio`` times the image size in each image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device) - ch // 2
    left = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device) - cw // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)  # n x h x w
    return x * (~inside).unsqueeze(1).to(x.dtype)


_OPS = {"color": adjust_color, "translation": translate, "cutout": cutout}


def check_policy(policy: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate a policy (names from POLICIES, applied in the order given)."""
    unknown = [name for name in policy if name not in _OPS]
    if unknown:
        raise ValueError(f"unknown DiffAugment op(s) {unknown}; valid ops: {list(POLICIES)}")
    return tuple(policy)


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], p: float = 1.0) -> torch.Tensor:
    """Apply each op of ``policy`` in turn, each to a random share ``p`` of the images (drawn per image and op,
    as adaptive discriminator augmentation does); ``p=1`` applies every op to every image (plain DiffAugment).
    An empty policy or ``p=0`` returns ``x`` unchanged."""
    for name in policy:
        if p >= 1.0:
            x = _OPS[name](x)
        elif p > 0.0:
            chosen = _per_image(x) < p
            x = torch.where(chosen, _OPS[name](x), x)
    return x
