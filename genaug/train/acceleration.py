"""Optional speed-ups of the networks for GPUs: channels-last memory format and torch.compile."""

from __future__ import annotations

import torch
from torch import nn

from genaug.models.blocks import DownsamplingTrunk, UpsamplingTrunk
from genaug.models.unet import UNet


def accelerate(model: nn.Module, channels_last: bool, compile: bool) -> None:
    """Convert ``model`` in place: conv weights to channels-last, and/or its conv trunks compiled.

    The trunks are what every family's objective calls (the generator and decoders, the discriminator's and
    encoders' feature extractors, the diffusion U-Net); compiling them leaves parameter names, state dicts and
    checkpoints as they are. The first steps are slow while torch.compile traces and builds kernels.
    """
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if compile:
        for module in model.modules():
            if isinstance(module, (UpsamplingTrunk, DownsamplingTrunk, UNet)):
                module.compile()
