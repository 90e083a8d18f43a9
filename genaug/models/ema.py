"""Exponential moving average of a network's weights, used for sampling (smoother than the raw weights)."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(ema: nn.Module, live: nn.Module, decay: float, step: int) -> None:
    """Move ``ema``'s parameters towards ``live``'s; buffers (batch-norm statistics) are copied.

    The decay warms up as min(decay, (1 + step) / (10 + step)) so early, poor weights fade quickly.
    """
    decay = min(decay, (1 + step) / (10 + step))
    for ema_p, live_p in zip(ema.parameters(), live.parameters(), strict=True):
        ema_p.lerp_(live_p, 1.0 - decay)
    for ema_b, live_b in zip(ema.buffers(), live.buffers(), strict=True):
        ema_b.copy_(live_b)
