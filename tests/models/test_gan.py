"""cgan: shapes at every size, seeds, labels, truncation, DiffAugment, and that a few steps learn."""

from __future__ import annotations

import pytest
import torch

from genaug.models.diffaugment import check_policy, diff_augment
from genaug.models.gan import (
    CGAN,
    MIN_TRUNCATION,
    CGANConfig,
    CGANObjective,
    mismatched_labels,
    truncated_normal,
)
from genaug.train.precision import Precision

TINY = {"latent_dim": 8, "generator_width": 8, "discriminator_width": 8}


def tiny(image_shape=(1, 16, 16), classes=("a", "b", "c")) -> CGAN:
    images = torch.zeros(2, *image_shape, dtype=torch.uint8)
    return CGAN(CGANConfig(**TINY).resolved_for(images), list(classes), image_shape)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 9, 13), (1, 128, 128)])
def test_sample_shape_and_range(shape):
    x = tiny(shape).sample(5, seed=0)
    assert x.shape == (5, *shape) and x.dtype == torch.float32
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_seed_gives_the_same_samples():
    model = tiny()
    torch.testing.assert_close(model.sample(4, seed=7), model.sample(4, seed=7))
    assert not torch.equal(model.sample(4, seed=7), model.sample(4, seed=8))
    gen = torch.Generator().manual_seed(7)
    torch.testing.assert_close(model.sample(4, seed=gen), model.sample(4, seed=7))


def test_labels_by_index_or_name_and_unknown_labels():
    model = tiny()
    torch.testing.assert_close(model.sample(3, labels=["b"] * 3, seed=0), model.sample(3, labels=1, seed=0))
    with pytest.raises(ValueError, match=r"unknown class label 'z'.*\['a', 'b', 'c'\]"):
        model.sample(2, labels=["a", "z"])
    with pytest.raises(ValueError, match="unknown class label 3"):
        model.sample(1, labels=[3])
    with pytest.raises(ValueError, match="got 2 labels for 3 samples"):
        model.sample(3, labels=[0, 1])


def test_sampling_options_are_checked():
    model = tiny()
    with pytest.raises(TypeError, match="truncation"):
        model.sample(2, temperature=0.5)
    with pytest.raises(ValueError, match=r"truncation must be a number >= 0.05 \(or None for none\), got 0.0"):
        model.sample(2, truncation=0.0)


def test_truncation_bounds_the_noise():
    z = truncated_normal(500, 16, 0.5, torch.Generator().manual_seed(0))
    assert z.abs().max() <= 0.5 and z.std() > 0.2


@pytest.mark.parametrize("truncation", [1e-9, float("nan"), -1.0])
def test_hopeless_truncation_is_refused_before_sampling(truncation):
    # 1e-9 used to redraw forever: almost no draw of a normal lies within +-1e-9
    with pytest.raises(ValueError, match=rf"truncation must be a number >= {MIN_TRUNCATION} .*got {truncation}"):
        tiny().sample(2, truncation=truncation)


def test_truncation_redraws_are_bounded(monkeypatch):
    model = tiny()
    torch.testing.assert_close(model.sample(2, truncation=float("inf"), seed=0), model.sample(2, seed=0))
    z = truncated_normal(64, 8, MIN_TRUNCATION, torch.Generator().manual_seed(0))  # the smallest: still quick
    assert z.abs().max() <= MIN_TRUNCATION
    monkeypatch.setattr("genaug.models.gan.MAX_TRUNCATION_ROUNDS", 1)  # what is left after the last round is clamped
    z = truncated_normal(64, 8, MIN_TRUNCATION, torch.Generator().manual_seed(0))
    assert z.abs().max() <= MIN_TRUNCATION and (z.abs() == MIN_TRUNCATION).any()


def test_bad_image_sizes_are_refused():
    with pytest.raises(ValueError, match="outside 8-128 pixels"):
        tiny((1, 4, 4))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        tiny((2, 16, 16))


def test_diffaugment_policy():
    torch.manual_seed(0)  # cutout's square may fall mostly outside an image: the 10% check needs a fixed draw
    x = torch.rand(6, 3, 12, 12)
    assert diff_augment(x, ("color", "translation", "cutout")).shape == x.shape
    assert torch.equal(diff_augment(x, ()), x)
    cut = diff_augment(torch.ones(4, 1, 16, 16), ("cutout",))
    assert ((cut == 0).float().mean(dim=(1, 2, 3)) > 0.1).all()
    with pytest.raises(ValueError, match="unknown DiffAugment op"):
        check_policy(["rotate"])
    assert CGANConfig().resolved_for(torch.zeros(1, 3, 8, 8)).diffaugment == [
        "color",
        "translation",
        "cutout",
    ]
    assert CGANConfig().resolved_for(torch.zeros(1, 1, 8, 8)).diffaugment == ["translation", "cutout"]


def test_mismatched_labels_are_always_wrong():
    labels = torch.arange(1000) % 4
    wrong = mismatched_labels(labels, 4)
    assert (wrong != labels).all() and wrong.max() < 4 and len(wrong.unique()) == 4


def test_training_moves_the_ema_generator_and_returns_losses(digits16):
    torch.manual_seed(0)
    model = CGAN(CGANConfig(**TINY).resolved_for(digits16.images), digits16.classes, digits16.image_shape)
    objective = CGANObjective(model, Precision(torch.device("cpu")))
    before = model.sample(4, seed=0)
    for _ in range(5):
        losses = objective.train_step(digits16.images[:32].float() / 255, digits16.labels[:32])
    assert set(losses) == {"d_loss", "g_loss", "d_real", "d_fake", "mode_seeking"}  # mode seeking is on by default
    assert all(torch.isfinite(v) for v in losses.values())
    assert not torch.allclose(before, model.sample(4, seed=0))
