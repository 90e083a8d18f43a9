"""SampleBank: synthetic images per class, made in large batches and handed out one at a time.

Generating one image per call pays the model's per-call overhead for every image (and leaves a GPU nearly idle);
a bank refills a class with ``size`` images from one ``model.sample`` call and hands them out in order.

Randomness: a refill takes its seed from the call that needed it; callers draw one seed per call from their
RNG (torch's global RNG, or an albumentations transform's own), whether or not it is used, so what the rest of
a pipeline draws does not depend on the bank's state. The images a run gets therefore depend only on that RNG
and on the bank's state at the start; to make that state the same in every run:

- banks are per process (a forked DataLoader worker starts with an empty bank, not its parent's half-used one)
  and per RNG stream (``stream``: e.g. ``torch.initial_seed()``, so re-seeding with another seed starts afresh);
- a bank remembers the first seed its caller drew; seeing it again means the RNG was re-seeded to the same
  state (``torch.manual_seed(0)`` twice in one process), and the bank empties itself, so that run repeats.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Hashable

import torch

from genaug.models.base import GenerativeModel

# Per-image sampling cost of the default cgan at 28 px on one CPU thread: 1.65 ms alone, 0.76-0.9 ms in batches of
# 8 to 64, 1.0 ms at 128 (larger batches spill the caches). So on CPUs a small bank is as fast as a large one and
# wastes less when a DataLoader worker exits with a half-used bank; GPUs need large batches to be busy.
CPU_BANK_SIZE = 16
ACCELERATOR_BANK_SIZE = 256
CPU_SAMPLE_BATCH = 64  # refills of larger banks on CPUs are sampled in chunks of this size
MAX_BANKS_PER_MODEL = 4  # banks kept per model and process (distinct sizes or streams); the oldest is dropped


class SampleBank:
    """Per-class queues of synthetic uint8 C×H×W images of one model (on the CPU)."""

    def __init__(self, model: GenerativeModel, size: int):
        self.model = model
        self.size = size
        self._queues: dict[int, torch.Tensor] = {}  # class index -> K x C x H x W uint8, next image first
        self._first_seed: int | None = None

    def observe(self, seed: int) -> None:
        """Note a seed the caller drew (on every call, applied or not). The first one is remembered; seeing it
        again means the caller's RNG was re-seeded to where this bank began, so the bank starts again, empty."""
        if self._first_seed is None:
            self._first_seed = seed
        elif seed == self._first_seed:
            self._queues.clear()

    def take(self, class_index: int, seed: int) -> torch.Tensor:
        """The next synthetic image (uint8 C×H×W) of class ``class_index``; ``seed`` seeds a refill if one is due."""
        queue = self._queues.get(class_index)
        if queue is None or len(queue) == 0:
            queue = self._refill(class_index, seed)
        self._queues[class_index] = queue[1:]
        return queue[0]

    def _refill(self, class_index: int, seed: int) -> torch.Tensor:
        chunk = min(self.size, CPU_SAMPLE_BATCH) if self.model.device.type == "cpu" else self.size
        images = self.model.sample(self.size, labels=class_index, seed=seed, batch_size=chunk)
        return images.mul_(255.0).round_().to(device="cpu", dtype=torch.uint8)  # N x C x H x W


def default_bank_size(model: GenerativeModel) -> int:
    """Images per refill when the user sets none: small on CPUs, large on accelerators (see above)."""
    return CPU_BANK_SIZE if model.device.type == "cpu" else ACCELERATOR_BANK_SIZE


_BANKS: weakref.WeakKeyDictionary[GenerativeModel, dict[Hashable, SampleBank]] = weakref.WeakKeyDictionary()


def sample_bank(model: GenerativeModel, size: int, stream: Hashable = None) -> SampleBank:
    """This process's bank of ``model`` refilled ``size`` images at a time, for the RNG stream ``stream``."""
    banks = _BANKS.setdefault(model, {})
    key = (os.getpid(), size, stream)
    if key not in banks:
        banks[key] = SampleBank(model, size)
        for old in [k for k in banks if k[0] != os.getpid()]:  # a forked child drops its parent's banks
            del banks[old]
        while len(banks) > MAX_BANKS_PER_MODEL:
            del banks[next(iter(banks))]
    return banks[key]
