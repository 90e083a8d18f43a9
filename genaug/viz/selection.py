"""Which images a view shows: a seeded pick from a data set (with class names) or the images given."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from genaug.data import ImageSet
from genaug.models.base import GenerativeModel
from genaug.models.inputs import as_image_batch


def check_data_shape(model: GenerativeModel, data: ImageSet) -> None:
    """Raise a ValueError unless ``data`` holds images of the model's working shape."""
    if data.image_shape != model.image_shape:
        c, h, w = model.image_shape
        raise ValueError(
            f"the data set holds {data.image_shape} images (channels, height, width) but the {model.family} model "
            f"works on {model.image_shape}; load the data at the model's shape: "
            f"genaug.data.load(source, image_size=({h}, {w}), channels={c}) (on the command line: "
            f"data.image_size=[{h},{w}] data.channels={c})"
        )


def pick(
    model: GenerativeModel, data: Any, n: int | None, seed: int, labels: Sequence[int | str] | None = None
) -> tuple[torch.Tensor, list[int | str] | None]:
    """Images (float N×C×H×W of the model's shape, CPU) and their classes (names, or ``labels``; None if unknown).

    From an ImageSet: ``n`` images drawn at random with ``seed`` (all when n is None or larger). Anything else is
    taken as images in any form the models accept, in order, the first ``n`` of them, with ``labels`` if given.
    """
    if isinstance(data, ImageSet):
        check_data_shape(model, data)
        if labels is not None:
            raise ValueError("labels are read from the data set; pass labels only with images that are not an ImageSet")
        count = len(data) if n is None else min(n, len(data))
        rows = np.sort(np.random.default_rng(seed).choice(len(data), count, replace=False))
        chosen = data.subset(rows)
        return chosen.as_float(), [chosen.classes[k] for k in chosen.labels.tolist()]
    images = as_image_batch(data, model.image_shape).cpu()[:n]
    if labels is not None:
        labels = list(labels)[: len(images)]
        if len(labels) != len(images):
            raise ValueError(f"got {len(labels)} labels for {len(images)} images; pass one label per image")
    return images, labels


def takes(method: Callable[..., Any], parameter: str) -> bool:
    """Whether a model method accepts ``parameter`` (families differ: ae decodes without labels, cvae needs them)."""
    return parameter in inspect.signature(method).parameters
