"""Objective: the training process of one family (its losses, optimisers and one update step).

Each family's objective lives beside its networks; the Trainer (``genaug.train``) owns the loop around it and
hands it an ``UpdateRunner`` (the trainer's ``Precision``) that runs forward passes and optimiser steps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Protocol

import torch

from genaug.checks import check_number
from genaug.models.base import GenerativeModel


def check_betas(betas: Sequence[float]) -> tuple[float, ...]:
    """Adam's ``betas``: two numbers in [0, 1), as a tuple of floats."""
    if isinstance(betas, str) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise ValueError(f"betas must be two numbers in [0, 1) (Adam's betas), got {betas!r}")
    return tuple(check_number(f"betas[{i}]", b, minimum=0, maximum=1, max_inclusive=False) for i, b in enumerate(betas))


def optimizer_steps(optimizer: torch.optim.Optimizer) -> int:
    """Steps ``optimizer`` has taken (read from its state, so the count survives a resume)."""
    state = next(iter(optimizer.state.values()), None)
    return int(state["step"]) if state else 0


class UpdateRunner(Protocol):
    """How an objective runs its forward passes and optimiser steps (mixed precision, gradient sync)."""

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        """A context under which forward passes run (autocast to bf16/fp16 where enabled)."""
        ...

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Back-propagate ``loss`` and take one step of ``optimizer``."""
        ...

    def mean_over_ranks(self, value: torch.Tensor) -> torch.Tensor:
        """``value``'s mean over the training processes (itself in a single process), so that statistics an
        objective keeps beside its weights are the same on every process."""
        ...


class Objective:
    """Base class. A family's objective owns its optimisers; the Trainer owns the loop around it.

    Every family learns from unlabelled images too (``genaug.fit(..., unlabelled=...)``): ``train_step`` takes
    them beside the labelled batch, and the family's module docstring says how it uses them.
    """

    def __init__(self, model: GenerativeModel, precision: UpdateRunner):
        self.model = model
        self.precision = precision

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Every optimiser by name, so the Trainer can save and restore their state."""
        raise NotImplementedError

    @classmethod
    def check_data(cls, labels: torch.Tensor, classes: Sequence[str]) -> None:
        """Refuse training labels (class indices into ``classes``) this family cannot learn from, before any model
        is built, with an error that names the class and what to do; every family takes any data by default."""

    def train_step(
        self, images: torch.Tensor, labels: torch.Tensor, unlabelled: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """One update on a batch (images float N x C x H x W in [0, 1], labels int64 N, both on the device).

        ``unlabelled``: a batch of images without labels (float M x C x H x W, on the device), passed only when
        the run has unlabelled images. Returns detached scalar
        losses by name (logged, and checked for NaN/inf).
        """
        raise NotImplementedError

    def prepare_for_sampling(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Called with the whole labelled training set (uint8, CPU) before samples are drawn or the model is saved.

        Families that fit something on top of their networks (the autoencoder's code density) do it here.
        """
