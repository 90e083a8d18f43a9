"""How many synthetic images of each class: from ``n_per_class``, a ``class_counts`` mapping, or the gaps
that top an imbalanced real data set up to its largest class."""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping
from typing import Any

import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from genaug.checks import check_int
from genaug.data.imageset import ImageSet
from genaug.models.base import GenerativeModel


def counts_per_class(
    model: GenerativeModel,
    n_per_class: int | None = None,
    class_counts: Mapping[int | str, int] | None = None,
    balance_with: Dataset | None = None,
) -> list[int]:
    """Images per class of ``model`` (aligned with ``model.classes``) from exactly one of the three ways."""
    given = {
        name: value
        for name, value in (
            ("n_per_class", n_per_class),
            ("class_counts", class_counts),
            ("balance_with", balance_with),
        )
        if value is not None
    }
    if len(given) != 1:
        what = f"got {' and '.join(given)}" if given else "got none"
        raise ValueError(f"pass exactly one of n_per_class, class_counts or balance_with; {what}")
    if n_per_class is not None:
        return [check_int("n_per_class", n_per_class, minimum=0)] * model.num_classes
    if class_counts is not None:
        return _counts_from_mapping(model, class_counts)
    real = _real_counts(model, balance_with)
    return [max(real) - n for n in real]


def _counts_from_mapping(model: GenerativeModel, class_counts: Mapping[int | str, int]) -> list[int]:
    """{class name or index: count}; classes left out get 0."""
    if not isinstance(class_counts, Mapping):
        raise TypeError(f"class_counts must be a mapping {{class name or index: count}}, got {type(class_counts)}")
    counts = [0] * model.num_classes
    seen: dict[int, object] = {}
    for key, value in class_counts.items():
        k = _class_index(model, key, "class_counts")
        if k in seen:
            raise ValueError(f"class_counts names class {model.classes[k]!r} twice: as {seen[k]!r} and as {key!r}")
        seen[k] = key
        counts[k] = check_int(f"class_counts[{key!r}]", value, minimum=0)
    return counts


def _real_counts(model: GenerativeModel, real: Dataset) -> list[int]:
    """Images per model class in ``real``; labels index ``real.classes`` (matched to the model by name) when
    ``real`` has class names, else they are the model's class indices or names."""
    names = getattr(real, "classes", None)
    counts = [0] * model.num_classes
    for label, n in Counter(_labels(real)).items():
        if names is not None:
            if not (isinstance(label, int) and 0 <= label < len(names)):
                raise ValueError(f"balance_with has the label {label!r}, which is not an index into its classes")
            label = str(names[label])
        counts[_class_index(model, label, "balance_with")] += n
    if not any(counts):
        raise ValueError("balance_with is empty; pass the real data set whose classes should be topped up")
    return counts


def _labels(real: Dataset) -> list[Any]:
    """Every label of ``real`` as a plain Python value, read from its label list when it has one."""
    if isinstance(real, ImageSet):
        return real.labels.tolist()
    targets = getattr(real, "targets", None)
    if targets is not None:
        return [_plain(t) for t in targets]
    try:
        n = len(real)
    except TypeError:
        raise TypeError(
            f"balance_with must be a map-style Dataset (an ImageSet, a dataset with `targets`, or one yielding "
            f"(image, label)); got {type(real).__name__}"
        ) from None
    labels = []
    for i in tqdm(range(n), desc="reading balance_with labels", unit="img", disable=None):
        item = real[i]
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError(f"balance_with[{i}] is not an (image, label) pair; cannot tell its class")
        labels.append(_plain(item[1]))
    return labels


def _plain(label: object) -> object:
    if isinstance(label, torch.Tensor) or hasattr(label, "item"):  # tensors and numpy scalars
        label = label.item()
    return int(label) if isinstance(label, numbers.Integral) and not isinstance(label, bool) else label


def _class_index(model: GenerativeModel, key: object, argument: str) -> int:
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        key = int(key)
    try:
        return model.class_index(key)
    except ValueError as e:
        raise ValueError(f"{argument}: {e}") from None
