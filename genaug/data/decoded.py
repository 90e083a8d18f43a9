"""Decoded: what a source loader hands to `load` before images are brought to one size and channel count."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from genaug.data.problems import LoadNotes


@dataclass
class Decoded:
    """Labelled uint8 images straight from a source, possibly of several sizes and channel counts."""

    batches: list[torch.Tensor]  # uint8 N_i×C×H×W batches, C in 1, 3; sizes may differ between batches
    labels: torch.Tensor  # int64, one per image across all batches, in order
    classes: list[str]  # class names, in label order
    source: str  # where the images came from, for humans
    notes: LoadNotes = field(default_factory=LoadNotes)  # skipped files and lossy conversions
