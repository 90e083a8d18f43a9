"""The reconstruction likelihood shared by the encoding families (cvae, ae).

The decoder outputs logits; its mean image is ``sigmoid(logits)`` under both likelihoods:

* ``"bernoulli"``: binary cross-entropy with logits, summed over pixels (near-binary data such as MNIST);
* ``"gaussian"``: Gaussian negative log-likelihood around the mean image with one learned scalar
  log-sigma (as in the sigma-VAE, Rybkin et al., 2021), summed over pixels (photos, grey-level data).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from genaug.checks import AUTO, check_choice

LIKELIHOODS = ("bernoulli", "gaussian")

# Near-binary data: at least NEAR_BINARY_MIN_FRACTION of the pixels lie within NEAR_BINARY_BAND of black or
# white. Measured fractions: MNIST 0.91 (28 px), 0.86 (32 px), 0.79 (16 px), 0.68 (8 px); sklearn digits
# 0.65 (8 px), 0.46 (resized to 16 px); 32 px patches of sklearn's sample photos 0.29 and 0.34.
NEAR_BINARY_BAND = 0.1
NEAR_BINARY_MIN_FRACTION = 0.5
MAX_IMAGES_MEASURED = 2048

# Range of the learned log-sigma: from one grey level (1/255) to the whole [0, 1] range.
LOG_SIGMA_MIN = math.log(1 / 255)
LOG_SIGMA_MAX = 0.0
LOG_SIGMA_INIT = math.log(0.1)  # Adam moves it ~lr per step, so start near typical reconstruction errors


def near_binary_fraction(images: torch.Tensor) -> float:
    """Fraction of pixels within ``NEAR_BINARY_BAND`` of black or white (uint8 or [0, 1] float images)."""
    step = max(1, len(images) // MAX_IMAGES_MEASURED)
    x = images[::step]
    x = x.float() / 255.0 if not x.is_floating_point() else x
    return float(((x <= NEAR_BINARY_BAND) | (x >= 1.0 - NEAR_BINARY_BAND)).float().mean())


def resolve_likelihood(likelihood: str, images: torch.Tensor) -> str:
    """``likelihood`` checked, with ``"auto"`` decided from the training images (bernoulli if near-binary)."""
    if likelihood == AUTO:
        return "bernoulli" if near_binary_fraction(images) >= NEAR_BINARY_MIN_FRACTION else "gaussian"
    check_likelihood(likelihood)
    return likelihood


def check_likelihood(likelihood: str) -> None:
    """Raise a ValueError unless ``likelihood`` is a resolved likelihood name."""
    if likelihood == AUTO:
        raise ValueError(
            "likelihood='auto' is decided from the training images: build the model from "
            "config.resolved_for(images), or set likelihood to 'bernoulli' or 'gaussian'"
        )
    check_config_likelihood(likelihood)


def check_config_likelihood(likelihood: str) -> None:
    """Raise a ValueError unless ``likelihood`` is a name a config takes: "auto" or a likelihood."""
    check_choice("likelihood", likelihood, (AUTO, *LIKELIHOODS))


class ReconstructionLikelihood(nn.Module):
    """Per-image negative log-likelihood of images under decoder logits; holds the Gaussian's log-sigma."""

    def __init__(self, kind: str):
        super().__init__()
        check_likelihood(kind)
        self.kind = kind
        if kind == "gaussian":
            self.log_sigma = nn.Parameter(torch.tensor(LOG_SIGMA_INIT))

    def sigma(self) -> torch.Tensor:
        """The Gaussian's standard deviation (a scalar); only for ``"gaussian"``."""
        return self.log_sigma.clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX).exp()

    def nll(self, logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood per image (N), summed over pixels; computed in float32."""
        logits, images = logits.float(), images.float()
        if self.kind == "bernoulli":
            nll = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
        else:
            log_sigma = self.log_sigma.clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX)
            squared = (images - torch.sigmoid(logits)).square()
            nll = 0.5 * squared * torch.exp(-2.0 * log_sigma) + log_sigma + 0.5 * math.log(2.0 * math.pi)
        return nll.flatten(1).sum(dim=1)  # N
