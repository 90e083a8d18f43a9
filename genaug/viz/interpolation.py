"""An interpolation strip: images decoded along a latent path between two images or two latent points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from genaug.data import ImageSet
from genaug.models.base import GenerativeModel
from genaug.viz.figure import draw_image_grid, grid_figure, save_png
from genaug.viz.selection import check_data_shape, takes


def interpolation(
    model: GenerativeModel,
    path: str | Path,
    start: Any = None,
    end: Any = None,
    data: ImageSet | None = None,
    steps: int = 10,
    labels: Any = None,
    spherical: bool | None = None,
    seed: int = 0,
) -> Path:
    """A PNG strip of ``steps`` images from ``start`` to ``end`` (``model.interpolate``).

    End points: with ``data``, indices of two of its images (None: two drawn with ``seed``), and a cvae morphs
    from the first image's class to the second's unless ``labels`` says otherwise. Without ``data``: images,
    latent points (1-D tensors of ``latent_dim`` numbers) or ints, read as seeds of standard normal latent
    points (None: seeds ``seed`` and ``seed + 1``). ``labels``: the class(es) for cgan and cvae (see their
    ``interpolate``); ``spherical``: slerp or a straight line (None: the family's default).
    """
    start, end, data_labels = _end_points(model, start, end, data, seed)
    options: dict[str, Any] = {} if spherical is None else {"spherical": spherical}
    labels = data_labels if labels is None else labels
    if labels is not None and takes(model.interpolate, "labels"):
        options["labels"] = labels
    strip = model.interpolate(start, end, steps=steps, **options)
    title = f"{model.family} interpolation"
    if labels is not None:
        title += f": {labels[0]} → {labels[1]}" if isinstance(labels, (tuple, list)) else f", class {labels}"
    fig, ax = grid_figure(1, steps, title)
    draw_image_grid(ax, strip, steps, col_labels=[f"{t:.2g}" for t in torch.linspace(0, 1, steps).tolist()])
    return save_png(fig, path)


def _end_points(model: GenerativeModel, start: Any, end: Any, data: ImageSet | None, seed: int) -> tuple[Any, Any, Any]:
    """(start, end, labels): the data set's images and their classes, seeded latent points, or as given."""
    if data is not None:
        check_data_shape(model, data)
        if start is None or end is None:
            start, end = (int(i) for i in np.random.default_rng(seed).choice(len(data), 2, replace=False))
        for index in (start, end):
            if isinstance(index, bool) or not isinstance(index, int) or not -len(data) <= index < len(data):
                raise ValueError(f"with data, start and end are image indices in 0..{len(data) - 1}, got {index!r}")
        names = tuple(data.classes[int(data.labels[i])] for i in (start, end))
        return data.images[start], data.images[end], names
    points = [
        torch.randn(model.latent_dim, generator=torch.Generator().manual_seed(p))
        if isinstance(p, int) and not isinstance(p, bool)
        else p
        for p in (seed if start is None else start, seed + 1 if end is None else end)
    ]
    return points[0], points[1], None
