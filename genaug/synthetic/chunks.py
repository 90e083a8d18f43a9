"""Deterministic chunks of synthetic images: the one place where synthetic images are generated.

Image ``j`` of class ``k`` is image ``j % CHUNK_SIZE`` of chunk ``j // CHUNK_SIZE``, and a chunk is drawn with
a seed derived from ``(seed, k, chunk)`` alone. So an image depends only on ``(seed, class, index)``: not on
how many images are asked for, in what order, or in which process. SyntheticDataset and export both go
through ``render_chunk``, so they give the same images for the same seed.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator

import numpy as np
import torch

from genaug.models.base import GenerativeModel

CHUNK_SIZE = 64  # images per chunk; part of every export manifest, since changing it changes the images
MAX_ROUNDS = 20  # with a filter: draws of CHUNK_SIZE images per chunk before giving up (about 5% acceptance)

# keep(images N×C×H×W float in [0, 1], conditioned labels N int64) → bool N, True for images to keep
ImageFilter = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_seed(seed: object) -> int:
    """A non-negative int seed (the root of every chunk seed)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def check_filter(keep: object) -> ImageFilter | None:
    """None, or a callable filter (see ``ImageFilter``)."""
    if keep is not None and not callable(keep):
        raise TypeError(
            f"filter must be callable as filter(images, labels) -> bool tensor, or None; got {type(keep).__name__}"
        )
    return keep


def chunk_seed(seed: int, class_index: int, chunk_index: int, round_index: int = 0) -> int:
    """The sampling seed of one draw: a 63-bit int mixed from its coordinates by numpy's SeedSequence."""
    state = np.random.SeedSequence([seed, class_index, chunk_index, round_index]).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def chunk_spans(count: int) -> Iterator[tuple[int, range]]:
    """(chunk index, image indices it holds) for the first ``count`` images of a class."""
    for chunk_index, start in enumerate(range(0, count, CHUNK_SIZE)):
        yield chunk_index, range(start, min(start + CHUNK_SIZE, count))


def render_chunk(
    model: GenerativeModel, seed: int, class_index: int, chunk_index: int, keep: ImageFilter | None = None
) -> torch.Tensor:
    """Chunk ``chunk_index`` of class ``class_index``: CHUNK_SIZE float images C×H×W in [0, 1], on the CPU.

    Without a filter it is one draw. With one, draws (rounds 0, 1, ...) continue until CHUNK_SIZE images are
    accepted, in draw order; after MAX_ROUNDS draws a ValueError says the acceptance rate is hopeless.
    A chunk is always whole, so an image does not depend on how many images are asked for.
    """
    accepted: list[torch.Tensor] = []
    n_accepted = 0
    for round_index in range(1 if keep is None else MAX_ROUNDS):
        seed_here = chunk_seed(seed, class_index, chunk_index, round_index)
        images = model.sample(CHUNK_SIZE, labels=class_index, seed=seed_here, batch_size=CHUNK_SIZE)
        if keep is not None:
            images = images[_keep_mask(keep, images, class_index)]
        accepted.append(images.cpu())
        n_accepted += len(images)
        if n_accepted >= CHUNK_SIZE:
            return torch.cat(accepted)[:CHUNK_SIZE]
    drawn = MAX_ROUNDS * CHUNK_SIZE
    raise ValueError(
        f"the filter accepted {n_accepted} of {drawn} images generated for class {model.classes[class_index]!r} "
        f"({n_accepted / drawn:.1%}), and a chunk needs {CHUNK_SIZE} accepted within {MAX_ROUNDS} draws of "
        f"{CHUNK_SIZE}. Lower the filter's threshold, or train the model longer"
    )


def _keep_mask(keep: ImageFilter, images: torch.Tensor, class_index: int) -> torch.Tensor:
    labels = torch.full((len(images),), class_index, dtype=torch.int64, device=images.device)
    mask = keep(images, labels)
    if not isinstance(mask, (torch.Tensor, np.ndarray)) or mask.dtype not in (torch.bool, np.bool_):
        raise TypeError(f"filter must return a bool tensor (one entry per image), got {_describe(mask)}")
    if tuple(mask.shape) != (len(images),):
        raise ValueError(f"filter returned a mask of shape {tuple(mask.shape)} for {len(images)} images")
    return torch.as_tensor(mask).to(images.device)


def _describe(value: object) -> str:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"a {value.dtype} {type(value).__name__} of shape {tuple(value.shape)}"
    return type(value).__name__
