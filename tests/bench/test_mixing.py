"""Batch functions that bring synthetic images into classifier training."""

from __future__ import annotations

import pytest
import torch

import genaug.augment
import genaug.baselines
from genaug.baselines import classical_batch_augment
from genaug.bench.arms import BALANCED_ARMS, ArmInputs
from genaug.bench.config import BenchConfig, Mixing
from genaug.bench.mixing import synthetic_pool, synthetic_top_up
from genaug.filters import PredictionFilter
from genaug.metrics import train_classifier


def test_top_up_fills_each_class_to_the_wanted_count(tiny_models, digits16):
    pool, pool_labels = synthetic_pool(tiny_models["cvae"], per_class=5, seed=0)
    assert pool.shape == (50, 1, 16, 16) and torch.equal(pool_labels, torch.arange(10).repeat_interleave(5))
    real = digits16.subset(range(20))
    want = torch.tensor(real.class_counts()) + 3
    images, labels = synthetic_top_up(real.images, real.labels, pool, pool_labels, want)
    assert images.dtype == torch.float32 and torch.equal(torch.bincount(labels, minlength=10), want)
    assert torch.equal(images[:20], real.images.float() / 255)


@pytest.mark.parametrize(("family", "mode"), [("ae", "perturb"), ("cvae", "perturb"), ("cvae", "replace")])
def test_the_bench_arm_batches_are_the_public_batch_class_batches(family, mode, tiny_models, digits16, digit_splits):
    """What genaug-bench publishes is what BatchAugment does: for a seed, the filtered arm's batches equal those
    of the public classes a user would compose (BatchAugment, a PredictionFilter, classical augmentation)."""
    reference = digit_splits["reference"]
    judge = train_classifier(reference.images, reference.labels, 10, steps=20, seed=0)
    cfg = BenchConfig(mode=mode)
    train = digits16.subset(range(200))
    mixing = Mixing(mode, 0.125 if mode == "perturb" else None)  # perturb at one of the default's strengths
    judges = {"classical": judge}.__getitem__
    inputs = ArmInputs(train, cfg, seed=4, generator=tiny_models[family], judge=judges, mixing=mixing)
    plan = BALANCED_ARMS["classical+filtered_synthetic"].plan(inputs)
    public = genaug.augment.BatchAugment(
        tiny_models[family],
        mode=mode,
        p=cfg.synthetic_fraction,
        **({"strength": mixing.strength} if mode == "perturb" else {}),
        filter=PredictionFilter(judge),
        seed=4,
    )
    classical = classical_batch_augment(seed=4)
    batches = torch.Generator().manual_seed(0)
    for _ in range(3):
        idx = torch.randint(len(train.images), (64,), generator=batches)
        x, y = train.images[idx].float() / 255, train.labels[idx]
        expected = classical(public(x, y)[0], y)
        augmented, labels = plan.augment(x, y)
        assert torch.equal(augmented, expected) and torch.equal(labels, y)


def test_an_arm_on_best_classical_stacks_on_the_chosen_arm_and_judges_with_its_classifier(tiny_models, digits16):
    """On best_classical = mixup: the public BatchAugment (filtered by the mixup arm's classifier), then MixUp,
    whose soft labels the plan passes on."""
    judges = {name: train_classifier(digits16.images[:100], digits16.labels[:100], 10, steps=5, seed=i)
              for i, name in enumerate(["classical", "mixup"])}  # fmt: skip
    train = digits16.subset(range(200))
    config = BenchConfig()
    inputs = ArmInputs(
        train, config, 4, tiny_models["ae"], judges.__getitem__, best_classical="mixup", mixing=Mixing("perturb", 0.25)
    )
    arm = BALANCED_ARMS["best_classical+filtered_synthetic"]
    assert arm.base("mixup") == "mixup" and arm.base(None) is None
    plan = arm.plan(inputs)
    public = genaug.augment.BatchAugment(
        tiny_models["ae"],
        mode="perturb",
        p=config.synthetic_fraction,
        strength=0.25,
        filter=PredictionFilter(judges["mixup"]),
        seed=4,
    )
    mixup = genaug.baselines.BatchLabelMix("mixup", 10, seed=4)
    x, y = train.images[:64].float() / 255, train.labels[:64]
    expected_x, expected_y = mixup(*public(x, y))
    augmented, labels = plan.augment(x, y)
    assert labels.shape == (64, 10) and torch.equal(augmented, expected_x) and torch.equal(labels, expected_y)
    with pytest.raises(ValueError, match="needs ArmInputs.best_classical"):
        arm.plan(ArmInputs(train, BenchConfig(), 4, tiny_models["ae"], judges.__getitem__))
    with pytest.raises(ValueError, match=r"needs ArmInputs.mixing, one of \[Mixing\(mode='perturb', strength=0.125\)"):
        arm.plan(ArmInputs(train, BenchConfig(), 4, tiny_models["ae"], judges.__getitem__, best_classical="mixup"))


def test_a_filtered_pool_holds_only_accepted_images(tiny_models):
    model = tiny_models["cvae"]
    pool, _ = synthetic_pool(model, per_class=5, seed=0)
    threshold = float(pool.mean(dim=(1, 2, 3)).median())

    def bright(images, labels):
        return images.mean(dim=(1, 2, 3)) > threshold

    filtered, labels = synthetic_pool(model, per_class=5, seed=0, keep=bright)
    assert filtered.shape == pool.shape and torch.equal(labels, torch.arange(10).repeat_interleave(5))
    assert bright(filtered, labels).all()
