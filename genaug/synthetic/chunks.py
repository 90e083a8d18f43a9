"""Deterministic chunks of synthetic images: the one place where synthetic images are generated.

Image ``j`` of class ``k`` is image ``j % CHUNK_SIZE`` of chunk ``j // CHUNK_SIZE``, and a chunk is drawn with
a seed derived from ``(seed, k, chunk)`` alone. So an image depends only on ``(seed, class, index)``: not on
how many images are asked for, in what order, or in which process. SyntheticDataset and export both go
through ``render_chunk``, so they give the same images for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from genaug.filters import ImageFilter, keep_mask
from genaug.models.base import GenerativeModel

CHUNK_SIZE = 64  # images per chunk; part of every export manifest, since changing it changes the images
MAX_ROUNDS = 20  # with a filter: draws of CHUNK_SIZE images per chunk before giving up (about 5% acceptance)


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
            labels = torch.full((len(images),), class_index, dtype=torch.int64, device=images.device)
            images = images[keep_mask(keep, images, labels)]
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
