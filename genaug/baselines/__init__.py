"""Baselines genaug is compared against (and stacked on) in the benchmark: classical augmentation pipelines, and
pseudo-labelling for unlabelled images."""

from genaug.baselines.classical import (
    BatchClassicalAugment,
    ClassicalConfig,
    classical_albumentations,
    classical_batch_augment,
    classical_transforms,
)
from genaug.baselines.label_mixing import MIXES, BatchLabelMix
from genaug.baselines.policies import POLICIES, BatchPolicyAugment, policy_batch_augment
from genaug.baselines.pseudo_labels import PSEUDO_LABEL_THRESHOLD, pseudo_labelled

__all__ = [
    "MIXES",
    "POLICIES",
    "PSEUDO_LABEL_THRESHOLD",
    "BatchClassicalAugment",
    "BatchLabelMix",
    "BatchPolicyAugment",
    "ClassicalConfig",
    "classical_albumentations",
    "classical_batch_augment",
    "classical_transforms",
    "policy_batch_augment",
    "pseudo_labelled",
]
