"""Where a step's batch comes from: the whole set on the device, or DataLoader workers reading a Dataset.

Both serve the indices the Trainer draws from its batch generator, so a seed gives the same batches (and,
on the CPU, the same weights) whichever is used; a resumed run continues the same sequence. Unlabelled images,
when a run has them, are a second set with a source and a generator of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from genaug.data.imageset import ImageSet

Shard = Callable[[torch.Tensor], torch.Tensor]  # this process's part of a global batch of indices


def draw_indices(generator: torch.Generator, num_images: int, batch_size: int) -> torch.Tensor:
    """One batch of image indices, drawn with replacement."""
    return torch.randint(num_images, (batch_size,), generator=generator)


class MemoryBatches:
    """The whole set held on the device; a batch is a gather (the fast path, for sets within the budget)."""

    def __init__(self, data: ImageSet, device: torch.device):
        self.device = device
        self.images = data.images.to(device)
        self.labels = data.labels.to(device)

    def take(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (float in [0, 1]) and labels of ``indices``, on the device."""
        indices = indices.to(self.device)
        return self.images[indices].float().div_(255.0), self.labels[indices]

    def close(self) -> None:
        """Nothing to release."""


class ReplayedIndices(Sampler[list[int]]):
    """The index lists of the coming ``steps``, drawn from a copy of the Trainer's batch generator."""

    def __init__(self, generator: torch.Generator, num_images: int, batch_size: int, steps: int, shard: Shard):
        self.state = generator.get_state()
        self.num_images, self.batch_size, self.steps, self.shard = num_images, batch_size, steps, shard

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator()
        generator.set_state(self.state)
        for _ in range(self.steps):
            yield self.shard(draw_indices(generator, self.num_images, self.batch_size)).tolist()


class LoaderBatches:
    """Batches read from ``dataset`` by DataLoader workers ahead of the training loop (streaming)."""

    def __init__(
        self,
        dataset: Dataset,
        generator: torch.Generator,
        batch_size: int,
        steps: int,
        shard: Shard,
        device: torch.device,
        num_workers: int,
        seed: int,
    ):
        self.device = device
        sampler = ReplayedIndices(generator, len(dataset), batch_size, steps, shard)
        loader = DataLoader(
            dataset,
            batch_sampler=sampler,
            num_workers=num_workers,
            pin_memory=device.type == "cuda",
            generator=torch.Generator().manual_seed(seed),  # worker seeds; leaves the global RNG alone
        )
        self._batches: Iterator | None = iter(loader)

    def take(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch (the one for ``indices``, which the loader drew from the same generator state)."""
        images, labels = next(self._batches)
        if len(images) != len(indices):
            raise RuntimeError(f"the data loader gave {len(images)} images for a batch of {len(indices)}")
        images = images.to(self.device, non_blocking=True).float().div_(255.0)
        return images, labels.to(self.device, non_blocking=True)

    def close(self) -> None:
        """Stop the worker processes."""
        self._batches = None


def batch_source(
    data: ImageSet | Dataset,
    streamed: bool,
    generator: torch.Generator,
    batch_size: int,
    steps: int,
    shard: Shard,
    device: torch.device,
    num_workers: int,
    seed: int,
) -> MemoryBatches | LoaderBatches:
    """Where the batches of ``data`` come from: DataLoader workers if ``streamed``, else the set on the device.

    ``generator``, ``batch_size``, ``steps`` and ``shard``: the index draws the loader replays (streamed only).
    """
    if streamed:
        return LoaderBatches(data, generator, batch_size, steps, shard, device, num_workers, seed)
    return MemoryBatches(data, device)
