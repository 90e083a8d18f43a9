"""One entry per GenerativeAugment implementation: how to build a pipeline around it, seed it, and pass a sample
through it in its library's way. The table drives the shared checks of test_shared.py (in the style of
albumentations' own tests); a test there fails when an implementation is missing from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import albumentations as A
import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, get_worker_info
from torchvision import tv_tensors
from torchvision.transforms import v2

import genaug.albumentations
import genaug.transforms
from genaug.data import ImageSet


@dataclass(frozen=True)
class Library:
    """A GenerativeAugment implementation and the conventions of its library."""

    name: str
    transform_class: type
    pipeline: Callable[[Any], Any]  # transform -> a pipeline holding it
    reseed: Callable[[Any, int], None]  # (pipeline, seed): restart the pipeline's randomness
    apply: Callable[[Any, Any, Any], Any]  # (pipeline, image, label or None) -> image
    from_dataset: Callable[[torch.Tensor], Any]  # an ImageSet image (uint8 C×H×W) in the library's layout
    images: dict[str, Any]  # input forms the library takes, by name

    def __reduce__(self) -> tuple[Any, ...]:
        return library_named, (self.name,)  # pickled by name (DataLoader workers under spawn): it holds lambdas

    def run(self, transform: Any, samples: list[tuple[Any, Any]], seed: int) -> list[Any]:
        """``samples`` ((image, label or None) pairs) through a fresh pipeline seeded with ``seed``."""
        pipeline = self.pipeline(transform)
        self.reseed(pipeline, seed)
        return [self.apply(pipeline, image, label) for image, label in samples]


def _apply_torchvision(pipeline: v2.Compose, image: Any, label: Any) -> Any:
    return pipeline(image) if label is None else pipeline(image, label)[0]


def _apply_albumentations(pipeline: A.Compose, image: Any, label: Any) -> Any:
    return pipeline(image=image, **({} if label is None else {"class_label": label}))["image"]


def _random_pixels(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


TORCHVISION = Library(
    name="torchvision",
    transform_class=genaug.transforms.GenerativeAugment,
    pipeline=lambda t: v2.Compose([t]),
    reseed=lambda pipeline, seed: torch.manual_seed(seed),
    apply=_apply_torchvision,
    from_dataset=lambda image: image,
    images={
        "pil_rgb_23x17": Image.fromarray(_random_pixels((23, 17, 3))),
        "pil_gray_16x16": Image.fromarray(_random_pixels((16, 16)), "L"),
        "uint8_gray_16x16": torch.from_numpy(_random_pixels((1, 16, 16))),
        "uint8_rgb_9x31": torch.from_numpy(_random_pixels((3, 9, 31))),
        "float32_gray_20x20": torch.from_numpy(_random_pixels((1, 20, 20))).float() / 255,
        "float64_rgb_16x16": torch.from_numpy(_random_pixels((3, 16, 16))).double() / 255,
        "tv_image_uint8_rgb_13x13": tv_tensors.Image(torch.from_numpy(_random_pixels((3, 13, 13)))),
    },
)

ALBUMENTATIONS = Library(
    name="albumentations",
    transform_class=genaug.albumentations.GenerativeAugment,
    pipeline=lambda t: A.Compose([t]),
    reseed=lambda pipeline, seed: pipeline.set_random_seed(seed),
    apply=_apply_albumentations,
    from_dataset=lambda image: image.permute(1, 2, 0).numpy(),
    images={
        "uint8_hwc_rgb_23x17": _random_pixels((23, 17, 3)),
        "uint8_hw_gray_16x16": _random_pixels((16, 16)),
        "uint8_hwc1_gray_12x30": _random_pixels((12, 30, 1)),
        "float32_hwc_rgb_16x16": _random_pixels((16, 16, 3)).astype(np.float32) / 255,
    },
)

LIBRARIES = [TORCHVISION, ALBUMENTATIONS]


def library_named(name: str) -> Library:
    return next(library for library in LIBRARIES if library.name == name)


class AugmentedImages(Dataset):
    """An ImageSet whose samples go through a library's pipeline: ``(augmented image, label)``."""

    def __init__(self, images: ImageSet, library: Library, pipeline: Any):
        self.images, self.library, self.pipeline = images, library, pipeline

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        image, label = self.images[i]
        return self.library.apply(self.pipeline, self.library.from_dataset(image), label), label


def seed_worker(worker_id: int) -> None:
    """Give each DataLoader worker its own stream of the pipeline's RNG. torch's is seeded per worker by the
    DataLoader; an albumentations pipeline keeps its own, which a forked worker would copy from its parent."""
    dataset = get_worker_info().dataset
    dataset.library.reseed(dataset.pipeline, torch.initial_seed() % 2**32)
