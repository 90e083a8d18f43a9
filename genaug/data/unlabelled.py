"""Unlabelled images for semi-supervised training: loaded like the labelled set, at its size and channel count.

``genaug.fit(labelled, unlabelled=...)`` takes the unlabelled images as anything ``genaug.data.load`` accepts.
They are brought to the labelled set's size and channel count with load's rules (stretched, antialiased; colour
to grayscale or grayscale repeated), so a set of another size trains with the labelled one instead of failing.
Two recoverable problems warn (DataWarning) instead of stopping: labels on the unlabelled set are ignored, and an
empty set leaves training labelled-only.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genaug.data.builtin import BUILTINS
from genaug.data.imageset import ImageSet
from genaug.data.load import load
from genaug.data.problems import DataWarning

if TYPE_CHECKING:
    from genaug.data.streaming import StreamingData


def load_unlabelled(source: Any, like: ImageSet | StreamingData) -> ImageSet | None:
    """``source`` (anything ``genaug.data.load`` accepts) as an ImageSet of ``like``'s image shape, or None
    (with a DataWarning) when it holds no images. Its labels, if it has any, are ignored with a DataWarning."""
    channels, height, width = like.image_shape
    if _is_empty(source):
        warnings.warn(
            f"the unlabelled set {_describe(source)} holds no images; training uses the labelled images only",
            DataWarning,
            stacklevel=3,
        )
        return None
    images = load(source, image_size=(height, width), channels=channels)
    if images.num_classes > 1:  # one class is what load gives images without labels (a bare array, a flat folder)
        warnings.warn(
            f"the unlabelled set ({images.source}) carries labels: {len(images)} images in {images.num_classes} "
            "classes. They are ignored: every image trains the model as an unlabelled one. To use them, pass the "
            "labelled images as the data instead",
            DataWarning,
            stacklevel=3,
        )
    return images


def _is_empty(source: Any) -> bool:
    """Whether ``source`` visibly holds no images: a sized set of length 0 or a folder without a (non-hidden)
    file. Anything else is left to ``load``, which names what is wrong with it."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if (isinstance(source, str) and source in BUILTINS) or not path.is_dir():
            return False
        hidden = (f for f in path.rglob("*") if not any(p.startswith(".") for p in f.relative_to(path).parts))
        return not any(f.is_file() for f in hidden)
    images = source[0] if isinstance(source, tuple) and source else source
    shape = getattr(images, "shape", None)
    if shape is not None:
        return len(shape) > 0 and shape[0] == 0
    return hasattr(images, "__len__") and len(images) == 0


def _describe(source: Any) -> str:
    return repr(str(source)) if isinstance(source, (str, os.PathLike)) else f"(a {type(source).__name__})"
