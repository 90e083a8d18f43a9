"""Classical augmentation baselines: the pipelines genaug is compared against (and stacked on) in the benchmark."""

from genaug.baselines.classical import (
    BatchClassicalAugment,
    ClassicalConfig,
    classical_albumentations,
    classical_batch_augment,
    classical_transforms,
)

__all__ = [
    "BatchClassicalAugment",
    "ClassicalConfig",
    "classical_albumentations",
    "classical_batch_augment",
    "classical_transforms",
]
