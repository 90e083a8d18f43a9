"""Batch functions that bring synthetic images into classifier training."""

from __future__ import annotations

import torch

from genaug.bench.mixing import ReplaceWithSynthetic, synthetic_pool, synthetic_top_up


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
