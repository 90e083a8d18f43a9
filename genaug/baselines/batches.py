"""What the batch transforms of the baselines share: the input check, and drawing torchvision's random values
from a transform's own generator.

torchvision's random transforms draw from torch's global CPU generator. ``drawing_from`` seeds that generator
from one draw of the transform's own ``torch.Generator`` and restores the global state afterwards
(``torch.random.fork_rng``), so a transform seeded once gives the same batches whatever else uses the global
generator, and leaves the draws of everything else (dropout, data order) where they were.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def check_float_batch(x: torch.Tensor) -> None:
    """A ValueError unless ``x`` is a float N x C x H x W batch."""
    if x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"expected a float N x C x H x W batch in [0, 1], got {x.dtype} {tuple(x.shape)}")


@contextlib.contextmanager
def drawing_from(generator: torch.Generator) -> Iterator[None]:
    """Inside, torch's global CPU generator is seeded from one draw of ``generator``; on exit it is as before.

    torchvision draws its random values on the CPU whatever the device of the images, so only the CPU state is
    forked and seeded (``torch.manual_seed`` would also reseed the CUDA generators, for good).
    """
    seed = int(torch.randint(0, 2**62, (), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        yield
