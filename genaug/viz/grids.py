"""Image-grid views of a model: samples per class, reconstructions beside originals, and class transfer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from genaug.checks import check_int
from genaug.models.base import EncodingModel, GenerativeModel
from genaug.viz.figure import draw_image_grid, grid_figure, save_png
from genaug.viz.selection import pick, takes

MAX_GRID_CLASSES = 20  # classes drawn by default; pass classes=... to choose others


def sample_grid(
    model: GenerativeModel,
    path: str | Path,
    n_per_class: int = 8,
    seed: int = 0,
    classes: Sequence[int | str] | None = None,
    **sample_options: Any,
) -> Path:
    """A PNG of ``n_per_class`` samples of each class, one row per class (the first 20 classes unless
    ``classes`` names them); ``sample_options`` go to ``model.sample`` (``truncation``, ``temperature``)."""
    check_int("n_per_class", n_per_class, minimum=1)
    chosen = list(range(min(model.num_classes, MAX_GRID_CLASSES))) if classes is None else list(classes)
    indices = [model.class_index(c) for c in chosen]
    labels = torch.tensor(indices).repeat_interleave(n_per_class)
    images = model.sample(len(labels), labels=labels, seed=seed, **sample_options)
    fig, ax = grid_figure(len(indices), n_per_class, f"{model.family} samples (seed {seed})")
    draw_image_grid(ax, images, n_per_class, row_labels=[model.classes[k] for k in indices])
    return save_png(fig, path)


def reconstructions(
    model: EncodingModel,
    data: Any,
    path: str | Path,
    n: int = 8,
    seed: int = 0,
    labels: Sequence[int | str] | None = None,
) -> Path:
    """A PNG of ``n`` images (top row) above their reconstructions, titled with the mean squared error.

    ``data``: an ImageSet (``n`` images drawn with ``seed``) or images in any form the models accept (the first
    ``n``). A cvae decodes under each image's class, so it needs an ImageSet or ``labels``.
    """
    _require_encoder(model, "reconstruct images")
    images, names = pick(model, data, n, seed, labels)
    if takes(model.reconstruct, "labels"):
        if names is None:
            raise ValueError(f"a {model.family} reconstructs under each image's class: pass labels=... or an ImageSet")
        rebuilt = model.reconstruct(images, names)
    else:
        rebuilt = model.reconstruct(images)
    error = float((rebuilt.cpu() - images).square().mean())
    fig, ax = grid_figure(2, len(images), f"{model.family} reconstructions (mean squared error {error:.4f})")
    col_labels = [str(name) for name in names] if names is not None else None
    draw_image_grid(ax, torch.cat([images, rebuilt.cpu()]), len(images), ["original", "rebuilt"], col_labels)
    return save_png(fig, path)


def class_transfer(
    model: GenerativeModel,
    data: Any,
    path: str | Path,
    n: int = 6,
    seed: int = 0,
    targets: Sequence[int | str] | None = None,
    labels: Sequence[int | str] | None = None,
) -> Path:
    """A PNG with one row per input image: the image, then ``model.translate`` to each target class (all classes
    up to 20 by default). ``data`` as for ``reconstructions``; an ae uses the images' classes (from an ImageSet
    or ``labels``) as source classes when known."""
    images, names = pick(model, data, n, seed, labels)
    chosen = list(range(min(model.num_classes, MAX_GRID_CLASSES))) if targets is None else list(targets)
    target_names = [model.classes[model.class_index(t)] for t in chosen]
    extra = {"source_labels": names} if names is not None and takes(model.translate, "source_labels") else {}
    columns = [model.translate(images, [t] * len(images), **extra).cpu() for t in target_names]  # T x (N x C x H x W)
    rows = torch.stack([images, *columns], dim=1).flatten(0, 1)  # N * (T + 1) x C x H x W, row by row
    fig, ax = grid_figure(len(images), len(chosen) + 1, f"{model.family} class transfer")
    row_labels = [str(name) for name in names] if names is not None else None
    draw_image_grid(ax, rows, len(chosen) + 1, row_labels, ["input", *target_names])
    return save_png(fig, path)


def _require_encoder(model: GenerativeModel, action: str) -> None:
    if not isinstance(model, EncodingModel):
        raise TypeError(f"a {model.family} model has no encoder, so it cannot {action}; use an ae or cvae model")
