"""Classical augmentation baselines: the pipelines genaug is compared against (and stacked on) in the benchmark."""

from genaug.baselines.classical import (
    BatchClassicalAugment,
    ClassicalConfig,
    classical_albumentations,
    classical_batch_augment,
    classical_transforms,
)
from genaug.baselines.label_mixing import MIXES, BatchLabelMix
from genaug.baselines.policies import POLICIES, BatchPolicyAugment, policy_batch_augment

__all__ = [
    "MIXES",
    "POLICIES",
    "BatchClassicalAugment",
    "BatchLabelMix",
    "BatchPolicyAugment",
    "ClassicalConfig",
    "classical_albumentations",
    "classical_batch_augment",
    "classical_transforms",
    "policy_batch_augment",
]
