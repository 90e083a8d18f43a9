"""The benchmark's arms: each turns one training subset (and maybe a generator) into a classifier's training plan.

Every arm trains the same downstream classifier for the same number of steps; arms differ only in the data
and augmentation they feed it. Balanced-budget arms (``BALANCED_ARMS``), long-tailed arms (``IMBALANCED_ARMS``)
and semi-supervised arms (``SEMI_SUPERVISED_ARMS``) are listed in registries; an arm with ``uses_generator`` runs
once per family.
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
from genaug.baselines.pseudo_labels import pseudo_labelled
from genaug.bench.config import BenchConfig, Mixing
from genaug.bench.mixing import chain, synthetic_pool, synthetic_top_up
from genaug.data import ImageSet
from genaug.filters import ImageFilter, PredictionFilter
from genaug.metrics.classifier import BatchTransform, LabelledBatchTransform
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
    """One run's inputs: the labelled subset, the settings, the run seed, (for generator arms) the model, (for arms
    that stack on ``best_classical``) the classical arm chosen on the validation split for this budget, (for
    filtered arms and pseudo-labelling) ``judge``, which returns the classifier of a classical arm (by name) on this
    subset, (semi-supervised scenario) the unlabelled images, and (arms that mix in synthetic images) how they do,
    one of ``config.mixings()``."""

    train: ImageSet
    config: BenchConfig
    seed: int
    generator: GenerativeModel | None = None
    judge: Callable[[str], torch.nn.Module] | None = None
    best_classical: str | None = None
    unlabelled: ImageSet | None = None
    mixing: Mixing | None = None


@dataclass(frozen=True)
class Arm:
    name: str
    plan: Callable[[ArmInputs], TrainingPlan]
    uses_generator: bool
    description: str
    uses_mode: bool = False  # mixes synthetic images in the ways bench.mode says (replace, perturb, dataset)
    # the arm whose augmentation runs after the synthetic images are mixed in ("real": none; "best_classical":
    # chosen on the validation split); its difference to that arm is the arm's effect (do no harm)
    stacks_on: str | None = None
    # judges with the classifier of a classical arm on the same subset (ArmInputs.judge): the filtered arms'
    # consistency filter, pseudo-labelling's teacher
    uses_judge: bool = False

    def base(self, best_classical: str | None) -> str | None:
        """The arm this one stacks on, with ``best_classical`` resolved to the chosen arm's name."""
        return resolve_base(self.stacks_on, best_classical)


def resolve_base(stacks_on: str | None, best_classical: str | None) -> str | None:
    """``stacks_on`` with "best_classical" replaced by the chosen arm (None while none is chosen)."""
    return best_classical if stacks_on == BEST_CLASSICAL else stacks_on


def same_training(name: str, best_classical: str) -> str:
    """The arm name (or label) under which ``name`` trains: an arm on best_classical is the arm named after the
    chosen one ("best_classical+filtered_synthetic (ae, ...)" is "classical+filtered_synthetic (ae, ...)" when
    classical is chosen: same plan, same seeds, same classifier)."""
    return best_classical + name.removeprefix(BEST_CLASSICAL) if name.startswith(f"{BEST_CLASSICAL}+") else name


Step = BatchTransform | LabelledBatchTransform


def _classical(inputs: ArmInputs) -> Step:
    return classical_batch_augment(seed=inputs.seed)


def _policy(inputs: ArmInputs, policy: str) -> Step:
    return policy_batch_augment(policy, seed=inputs.seed)


def _label_mix(inputs: ArmInputs, mix: str) -> Step:
    return BatchLabelMix(mix, inputs.train.num_classes, seed=inputs.seed)


# the classical arms: each one baseline of genaug.baselines alone on the real subset, seeded by the run seed;
# best_classical is the one of them (among bench.arms) with the best validation accuracy at a budget
_POLICY_ARMS = {
    "trivialaugment": "real images with torchvision's TrivialAugmentWide, drawn per image",
    "randaugment": "real images with torchvision's RandAugment (2 ops, magnitude 9), drawn per image",
    "autoaugment": "real images with torchvision's AutoAugment (ImageNet policy), drawn per image",
}
_MIX_ARMS = {
    "mixup": "real images with torchvision's MixUp on each batch (soft labels)",
    "cutmix": "real images with torchvision's CutMix on each batch (soft labels)",
}
CLASSICAL_ARMS: dict[str, tuple[Callable[[ArmInputs], Step], str]] = {
    "classical": (_classical, "real images with classical augmentation (rotation, shift, zoom)"),
    **{name: (functools.partial(_policy, policy=name), what) for name, what in _POLICY_ARMS.items()},
    **{name: (functools.partial(_label_mix, mix=name), what) for name, what in _MIX_ARMS.items()},
}
BEST_CLASSICAL = "best_classical"


def classical_steps(name: str, inputs: ArmInputs) -> list[Step]:
    """The batch functions of the arm ``name`` ("real" or a classical arm) for this run."""
    return [] if name == "real" else [CLASSICAL_ARMS[name][0](inputs)]


def _pool(inputs: ArmInputs, keep: ImageFilter | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    return synthetic_pool(inputs.generator, inputs.config.pool_per_class, seed=inputs.seed, keep=keep)


def mixing_augment(
    model: GenerativeModel, cfg: BenchConfig, seed: int, keep: ImageFilter | None, mixing: Mixing
) -> BatchAugment:
    """The ``BatchAugment`` of a mixing arm in replace or perturb mode: a share ``bench.synthetic_fraction`` of
    each batch replaced or perturbed (by the mixing's strength), rejected images left real."""
    options = {"strength": mixing.strength} if mixing.strength is not None else {}
    return BatchAugment(model, mode=mixing.mode, p=cfg.synthetic_fraction, filter=keep, seed=seed, **options)


def _with_synthetic(inputs: ArmInputs, stacks_on: str, filtered: bool) -> TrainingPlan:
    """Synthetic images mixed in (ArmInputs.mixing), then the augmentation of the arm ``stacks_on``."""
    cfg, train, mixing = inputs.config, inputs.train, inputs.mixing
    base = resolve_base(stacks_on, inputs.best_classical)
    if base is None:
        raise ValueError("an arm on best_classical needs ArmInputs.best_classical (the arm chosen on validation)")
    if mixing is None:
        raise ValueError(f"an arm that mixes in synthetic images needs ArmInputs.mixing, one of {cfg.mixings()}")
    after = classical_steps(base, inputs)
    keep = _consistency_filter(inputs, base) if filtered else None
    if mixing.mode in ("perturb", "replace"):  # the public batch class, as a user would run it
        mix = mixing_augment(inputs.generator, cfg, inputs.seed, keep, mixing)
        return TrainingPlan(train.images, train.labels, chain(mix, *after))
    pool, pool_labels = _pool(inputs, keep)
    # mode == "dataset": a fixed synthetic set, sized so that it makes up synthetic_fraction of the union
    ratio = cfg.synthetic_fraction / (1.0 - cfg.synthetic_fraction)
    want = torch.tensor(train.class_counts()) + torch.round(torch.tensor(train.class_counts()) * ratio).long()
    images, labels = synthetic_top_up(train.images, train.labels, pool, pool_labels, want)
    return TrainingPlan(images, labels, chain(*after) if after else None)


def _consistency_filter(inputs: ArmInputs, base: str) -> PredictionFilter:
    """Keeps the synthetic images that the classifier of the arm ``base``, trained on the same real subset,
    assigns to their class: no extra training when that arm ran on the subset first."""
    if inputs.judge is None:
        raise ValueError(f"a filtered arm needs ArmInputs.judge (the {base} arm's classifier on the subset)")
    return PredictionFilter(inputs.judge(base))


def _plain(inputs: ArmInputs, name: str) -> TrainingPlan:
    """The real subset under the arm ``name`` ("real" or a classical arm)."""
    steps = classical_steps(name, inputs)
    return TrainingPlan(inputs.train.images, inputs.train.labels, chain(*steps) if steps else None)


def _pseudo_label(inputs: ArmInputs) -> TrainingPlan:
    """The labelled subset plus the unlabelled images that the best classical arm's classifier on the subset
    labels with confidence >= PSEUDO_LABEL_THRESHOLD (with those labels), under best classical augmentation."""
    base = resolve_base(BEST_CLASSICAL, inputs.best_classical)
    if base is None or inputs.judge is None or inputs.unlabelled is None:
        raise ValueError("pseudo_label needs ArmInputs.best_classical, judge and unlabelled")
    images, labels = pseudo_labelled(inputs.judge(base), inputs.unlabelled.images)
    steps = classical_steps(base, inputs)
    train = inputs.train
    return TrainingPlan(
        torch.cat([train.images, images]), torch.cat([train.labels, labels]), chain(*steps) if steps else None
    )


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


def _mixing_arm(base: str, filtered: bool) -> Arm:
    """``<base>+synthetic`` or ``<base>+filtered_synthetic``: synthetic images mixed into the real subset the way
    ArmInputs.mixing says, then the augmentation of the arm ``base`` (real: none) on every image; filtered, a
    synthetic image is used only if that arm's classifier on the same subset assigns it to its class."""
    then = {"real": "no augmentation", BEST_CLASSICAL: "the best classical arm (chosen on the validation split)"}
    description = f"real + synthetic images, then {then.get(base, f'the {base} arm')}" + (
        f"; synthetic images kept only if the {base} arm's classifier assigns them to their class" if filtered else ""
    )
    name = f"{base}+{'filtered_' if filtered else ''}synthetic"
    plan = functools.partial(_with_synthetic, stacks_on=base, filtered=filtered)
    return Arm(name, plan, True, description, uses_mode=True, stacks_on=base, uses_judge=bool(filtered))


BALANCED_ARMS = {
    arm.name: arm
    for arm in [
        Arm("real", functools.partial(_plain, name="real"), False, "real images only"),
        *(Arm(name, functools.partial(_plain, name=name), False, what) for name, (_, what) in CLASSICAL_ARMS.items()),
        *(_mixing_arm(base, filtered) for base in ("real", *CLASSICAL_ARMS, BEST_CLASSICAL) for filtered in (0, 1)),
        Arm("synthetic_only", _synthetic_only, True, "synthetic images only (classification accuracy score)"),
    ]
}

IMBALANCED_ARMS = {
    arm.name: arm
    for arm in [
        Arm("real", functools.partial(_plain, name="real"), False, "real images only"),
        Arm("class_weighted", _class_weighted, False, "real images, loss weighted by inverse class frequency"),
        Arm("oversample", _oversample, False, "minority images duplicated up to the largest class"),
        Arm("classical", functools.partial(_plain, name="classical"), False, CLASSICAL_ARMS["classical"][1]),
        Arm("genaug_balance", _genaug_balance, True, "classes topped up with synthetic images to the largest"),
    ]
}


# the semi-supervised scenario's arms: pseudo-labelling (no generator) and the mixing arms, whose generators there
# train on the unlabelled images too; its other references (best classical, genaug from the labelled images alone)
# are the balanced scenario's rows of the same subset
SEMI_SUPERVISED_ARMS = {
    "pseudo_label": Arm(
        "pseudo_label",
        _pseudo_label,
        False,
        "real images plus the unlabelled ones the best classical arm's classifier labels confidently, then best "
        "classical augmentation (pseudo-labelling, no generator)",
        stacks_on=BEST_CLASSICAL,
        uses_judge=True,
    ),
    **{name: arm for name, arm in BALANCED_ARMS.items() if arm.uses_mode},
}


def check_arms(names: list[str], registry: dict[str, Arm], setting: str) -> list[Arm]:
    """The arms named in ``names``; an unknown name raises a ValueError listing the valid ones."""
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown arm(s) {unknown} in bench.{setting}; valid arms: {sorted(registry)}")
    return [registry[n] for n in names]
