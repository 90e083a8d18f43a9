"""Batch functions that bring synthetic images into classifier training."""

from __future__ import annotations

import torch

from genaug.bench.mixing import PerturbReal, ReplaceWithSynthetic, synthetic_pool, synthetic_top_up


def test_replace_keeps_the_class_and_the_requested_share():
    pool = torch.arange(3).float().repeat_interleave(4).view(12, 1, 1, 1).expand(12, 1, 2, 2).clone()
    pool_labels = torch.arange(3).repeat_interleave(4)
    x = torch.full((3000, 1, 2, 2), -1.0)
    y = torch.arange(3).repeat(1000)
    out = ReplaceWithSynthetic(pool, pool_labels, fraction=0.3, seed=0)(x, y)
    replaced = out[:, 0, 0, 0] >= 0
    assert 0.25 < replaced.float().mean() < 0.35
    assert torch.equal(out[replaced, 0, 0, 0].long(), y[replaced])  # a synthetic image of the same class
    assert (x == -1).all()  # the input batch is not modified


def test_top_up_fills_each_class_to_the_wanted_count(tiny_models, digits16):
    pool, pool_labels = synthetic_pool(tiny_models["cvae"], per_class=5, seed=0)
    assert pool.shape == (50, 1, 16, 16) and torch.equal(pool_labels, torch.arange(10).repeat_interleave(5))
    real = digits16.subset(range(20))
    want = torch.tensor(real.class_counts()) + 3
    images, labels = synthetic_top_up(real.images, real.labels, pool, pool_labels, want)
    assert images.dtype == torch.float32 and torch.equal(torch.bincount(labels, minlength=10), want)
    assert torch.equal(images[:20], real.images.float() / 255)


def test_perturb_with_a_filter_keeps_the_real_image_where_it_rejects_the_perturbed_one():
    def negate(x, y, strength, generator):
        return -x

    def keep_even_labels(images, labels):
        return labels % 2 == 0

    x = torch.ones(2000, 1, 2, 2)
    y = torch.arange(4).repeat(500)
    unfiltered = PerturbReal(negate, fraction=0.5, strength=1.0, seed=0)(x, y)
    filtered = PerturbReal(negate, fraction=0.5, strength=1.0, seed=0, keep=keep_even_labels)(x, y)
    perturbed = filtered[:, 0, 0, 0] < 0
    assert torch.equal(perturbed, (unfiltered[:, 0, 0, 0] < 0) & (y % 2 == 0))  # the same draw, minus rejections
    assert 0.4 < perturbed[y % 2 == 0].float().mean() < 0.6
    assert (x == 1).all()  # the input batch is not modified


def test_a_filtered_pool_holds_only_accepted_images(tiny_models):
    model = tiny_models["cvae"]
    pool, _ = synthetic_pool(model, per_class=5, seed=0)
    threshold = float(pool.mean(dim=(1, 2, 3)).median())

    def bright(images, labels):
        return images.mean(dim=(1, 2, 3)) > threshold

    filtered, labels = synthetic_pool(model, per_class=5, seed=0, keep=bright)
    assert filtered.shape == pool.shape and torch.equal(labels, torch.arange(10).repeat_interleave(5))
    assert bright(filtered, labels).all()
