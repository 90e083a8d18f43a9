"""The benchmark's arms: each turns one training subset (and maybe a generator) into a classifier's training plan.

Every arm trains the same downstream classifier for the same number of steps; arms differ only in the data
and augmentation they feed it. Balanced-budget arms (``BALANCED_ARMS``) and long-tailed arms
(``IMBALANCED_ARMS``) are listed in registries; an arm with ``uses_generator`` runs once per family.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from genaug.augment import BatchAugment
from genaug.baselines.classical import classical_batch_augment
from genaug.baselines.label_mixing import BatchLabelMix
from genaug.baselines.policies import policy_batch_augment
from genaug.bench.config import BenchConfig
from genaug.bench.mixing import BatchTransform, compose, images_only, synthetic_pool, synthetic_top_up
from genaug.data import ImageSet
from genaug.filters import ImageFilter, PredictionFilter
from genaug.metrics.classifier import LabelledBatchTransform
from genaug.models.base import GenerativeModel


@dataclass
class TrainingPlan:
    """What a classifier trains on: images (uint8 or float), labels, an optional batch function and loss weights."""

    images: torch.Tensor
    labels: torch.Tensor
    augment: BatchTransform | LabelledBatchTransform | None = None
    class_weights: torch.Tensor | None = None


@dataclass
class ArmInputs:
    """One run's inputs: the labelled subset, the settings, the run seed, (for generator arms) the model and
    (for filtered arms) ``judge``, which returns the classical arm's classifier on this subset."""

    train: ImageSet
    config: BenchConfig
    seed: int
    generator: GenerativeModel | None = None
    judge: Callable[[], torch.nn.Module] | None = None


@dataclass(frozen=True)
class Arm:
    name: str
    plan: Callable[[ArmInputs], TrainingPlan]
    uses_generator: bool
    description: str
    uses_mode: bool = False  # mixes synthetic images in the way bench.mode says (replace, perturb, dataset)


def _classical(inputs: ArmInputs) -> BatchTransform:
    return classical_batch_augment(seed=inputs.seed)


def _pool(inputs: ArmInputs, keep: ImageFilter | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    return synthetic_pool(inputs.generator, inputs.config.pool_per_class, seed=inputs.seed, keep=keep)


def mixing_augment(model: GenerativeModel, cfg: BenchConfig, seed: int, keep: ImageFilter | None) -> BatchAugment:
    """The ``BatchAugment`` of a mixing arm in replace or perturb mode: a share ``bench.synthetic_fraction`` of
    each batch, perturbed by ``bench.perturb_strength`` (perturb), rejected images left real."""
    strength = {"strength": cfg.perturb_strength} if cfg.mode == "perturb" else {}
    return BatchAugment(model, mode=cfg.mode, p=cfg.synthetic_fraction, filter=keep, seed=seed, **strength)


def _with_synthetic(inputs: ArmInputs, classical: bool, filtered: bool = False) -> TrainingPlan:
    cfg, train = inputs.config, inputs.train
    extra = [_classical(inputs)] if classical else []
    keep = _consistency_filter(inputs) if filtered else None
    if cfg.mode in ("perturb", "replace"):  # the public batch class, as a user would run it
        mix = mixing_augment(inputs.generator, cfg, inputs.seed, keep)
        return TrainingPlan(train.images, train.labels, compose(images_only(mix), *extra))
    pool, pool_labels = _pool(inputs, keep)
    # mode == "dataset": a fixed synthetic set, sized so that it makes up synthetic_fraction of the union
    ratio = cfg.synthetic_fraction / (1.0 - cfg.synthetic_fraction)
    want = torch.tensor(train.class_counts()) + torch.round(torch.tensor(train.class_counts()) * ratio).long()
    images, labels = synthetic_top_up(train.images, train.labels, pool, pool_labels, want)
    return TrainingPlan(images, labels, compose(*extra) if extra else None)


def _consistency_filter(inputs: ArmInputs) -> PredictionFilter:
    """Keeps the synthetic images that the classical arm's classifier, trained on the same real subset, assigns
    to their class: no extra training when that arm ran on the subset first."""
    if inputs.judge is None:
        raise ValueError("a filtered arm needs ArmInputs.judge (the classical arm's classifier on the subset)")
    return PredictionFilter(inputs.judge())


def _real(inputs: ArmInputs) -> TrainingPlan:
    return TrainingPlan(inputs.train.images, inputs.train.labels)


def _classical_plan(inputs: ArmInputs) -> TrainingPlan:
    return TrainingPlan(inputs.train.images, inputs.train.labels, _classical(inputs))


def _policy_plan(inputs: ArmInputs, policy: str) -> TrainingPlan:
    return TrainingPlan(inputs.train.images, inputs.train.labels, policy_batch_augment(policy, seed=inputs.seed))


def _label_mix_plan(inputs: ArmInputs, mix: str) -> TrainingPlan:
    mixing = BatchLabelMix(mix, inputs.train.num_classes, seed=inputs.seed)
    return TrainingPlan(inputs.train.images, inputs.train.labels, mixing)


def _synthetic_only(inputs: ArmInputs) -> TrainingPlan:
    pool, pool_labels = _pool(inputs)
    return TrainingPlan(pool, pool_labels)


def _class_weighted(inputs: ArmInputs) -> TrainingPlan:
    counts = torch.tensor(inputs.train.class_counts(), dtype=torch.float32)
    weights = counts.sum() / (len(counts) * counts)  # "balanced" weights, as in scikit-learn
    return TrainingPlan(inputs.train.images, inputs.train.labels, class_weights=weights)


def _oversample(inputs: ArmInputs) -> TrainingPlan:
    """Duplicate each class's images (cycling through them) up to the largest class."""
    train = inputs.train
    largest = max(train.class_counts())
    idx = []
    for k in range(train.num_classes):
        members = torch.nonzero(train.labels == k).flatten()
        idx.append(members.repeat(-(-largest // len(members)))[:largest])
    idx = torch.cat(idx)
    return TrainingPlan(train.images[idx], train.labels[idx])


def _genaug_balance(inputs: ArmInputs) -> TrainingPlan:
    """Top every class up to the largest with synthetic images of that class."""
    train = inputs.train
    largest = max(train.class_counts())
    pool, pool_labels = synthetic_pool(inputs.generator, largest, seed=inputs.seed)
    want = torch.full((train.num_classes,), largest)
    images, labels = synthetic_top_up(train.images, train.labels, pool, pool_labels, want)
    return TrainingPlan(images, labels)


def _mixing_arm(name: str, classical: bool, description: str, filtered: bool = False) -> Arm:
    """An arm that mixes synthetic images into the real subset the way bench.mode says."""
    plan = functools.partial(_with_synthetic, classical=classical, filtered=filtered)
    return Arm(name, plan, True, description, uses_mode=True)


# the stronger classical baselines, each alone on the real subset (genaug.baselines)
POLICY_ARMS = {
    "trivialaugment": "real images with torchvision's TrivialAugmentWide, drawn per image",
    "randaugment": "real images with torchvision's RandAugment (2 ops, magnitude 9), drawn per image",
    "autoaugment": "real images with torchvision's AutoAugment (ImageNet policy), drawn per image",
}
MIX_ARMS = {
    "mixup": "real images with torchvision's MixUp on each batch (soft labels)",
    "cutmix": "real images with torchvision's CutMix on each batch (soft labels)",
}

BALANCED_ARMS = {
    arm.name: arm
    for arm in [
        Arm("real", _real, False, "real images only"),
        Arm("classical", _classical_plan, False, "real images with classical augmentation"),
        *(Arm(name, functools.partial(_policy_plan, policy=name), False, what) for name, what in POLICY_ARMS.items()),
        *(Arm(name, functools.partial(_label_mix_plan, mix=name), False, what) for name, what in MIX_ARMS.items()),
        _mixing_arm("real+synthetic", classical=False, description="real + synthetic images"),
        _mixing_arm(
            "classical+synthetic",
            classical=True,
            description="real + synthetic, then classical augmentation on every image",
        ),
        _mixing_arm(
            "classical+filtered_synthetic",
            classical=True,
            filtered=True,
            description="as classical+synthetic, keeping only synthetic images that the classical arm's "
            "classifier assigns to their class",
        ),
        Arm("synthetic_only", _synthetic_only, True, "synthetic images only (classification accuracy score)"),
    ]
}

IMBALANCED_ARMS = {
    arm.name: arm
    for arm in [
        Arm("real", _real, False, "real images only"),
        Arm("class_weighted", _class_weighted, False, "real images, loss weighted by inverse class frequency"),
        Arm("oversample", _oversample, False, "minority images duplicated up to the largest class"),
        Arm("classical", _classical_plan, False, "real images with classical augmentation"),
        Arm("genaug_balance", _genaug_balance, True, "classes topped up with synthetic images to the largest"),
    ]
}


def check_arms(names: list[str], registry: dict[str, Arm], setting: str) -> list[Arm]:
    """The arms named in ``names``; an unknown name raises a ValueError listing the valid ones."""
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown arm(s) {unknown} in bench.{setting}; valid arms: {sorted(registry)}")
    return [registry[n] for n in names]
