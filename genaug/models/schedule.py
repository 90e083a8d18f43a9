"""How long a family trains when ``trainer.steps="auto"``: passes over the data, within a floor and a ceiling."""

from __future__ import annotations

import math
from dataclasses import dataclass

from genaug.checks import check_int


@dataclass(frozen=True)
class Schedule:
    """``epochs`` passes over the training images, but at least ``min_steps`` (a small set still needs enough
    updates for the model to converge) and at most ``max_steps`` (a large set is not trained for hours by default;
    give ``trainer.steps`` a number for more)."""

    min_steps: int
    epochs: int
    max_steps: int

    def __post_init__(self) -> None:
        for name in ("min_steps", "epochs", "max_steps"):
            check_int(f"schedule.{name}", getattr(self, name), minimum=1)
        if self.max_steps < self.min_steps:
            raise ValueError(f"schedule.max_steps ({self.max_steps}) must be >= min_steps ({self.min_steps})")

    def steps(self, num_images: int, batch_size: int) -> int:
        """Steps of ``batch_size`` images (all of them, when fewer: the Trainer's batches) for ``num_images``
        training images."""
        check_int("num_images", num_images, minimum=1)
        check_int("batch_size", batch_size, minimum=1)
        passes = math.ceil(self.epochs * num_images / min(batch_size, num_images))
        return min(self.max_steps, max(self.min_steps, passes))
