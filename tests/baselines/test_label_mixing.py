"""MixUp and CutMix as seeded batch functions, and the soft labels they give to train_classifier."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from genaug.baselines import BatchLabelMix
from genaug.metrics import predict, train_classifier
from genaug.metrics.classifier import classification_loss


def batch(digit_splits, n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    part = digit_splits["train"]
    return part.images[:n].float() / 255, torch.arange(n) % 10  # neighbours have different labels


def test_mixup_blends_neighbours_and_their_labels_alike(digit_splits):
    x, y = batch(digit_splits)
    mixed, soft = BatchLabelMix("mixup", 10, seed=0)(x, y)
    assert mixed.shape == x.shape and soft.shape == (16, 10) and soft.dtype == torch.float32
    torch.testing.assert_close(soft.sum(1), torch.ones(16))
    lam = soft[0, y[0]]  # one ratio for the batch
    torch.testing.assert_close(soft, lam * F.one_hot(y, 10) + (1 - lam) * F.one_hot(y.roll(1), 10))
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x.roll(1, 0))


def test_cutmix_pastes_a_box_of_the_neighbour_and_weights_labels_by_its_area(digit_splits):
    x, y = batch(digit_splits)
    for seed in range(5):
        mixed, soft = BatchLabelMix("cutmix", 10, seed=seed)(x, y)
        changed = mixed != x
        assert torch.equal(mixed[changed], x.roll(1, 0)[changed])  # a changed pixel is the neighbour's
        pasted = soft[0, y[-1]]  # the neighbour's label weight: the box's share of the image
        torch.testing.assert_close(soft, (1 - pasted) * F.one_hot(y, 10) + pasted * F.one_hot(y.roll(1), 10))
        assert changed.any(0).float().mean() <= pasted + 1e-6  # changed pixels lie in the box


def test_mixing_follows_the_seed_and_leaves_the_global_generator_alone(digit_splits):
    x, y = batch(digit_splits)
    for mix in ("mixup", "cutmix"):
        before = torch.get_rng_state()
        a = BatchLabelMix(mix, 10, seed=1)(x, y)
        assert torch.equal(torch.get_rng_state(), before)
        assert all(torch.equal(p, q) for p, q in zip(a, BatchLabelMix(mix, 10, seed=1)(x, y), strict=True))
        assert not torch.equal(a[1], BatchLabelMix(mix, 10, seed=2)(x, y)[1])


def test_soft_labels_train_a_classifier_with_and_without_class_weights(digit_splits):
    part = digit_splits["train"]
    for weights in (None, torch.linspace(0.5, 1.5, 10)):
        mix = BatchLabelMix("cutmix", 10, seed=0)
        model = train_classifier(part.images, part.labels, 10, steps=3, augment=mix, class_weights=weights)
        assert predict(model, part.images[:5]).shape == (5,)


def test_one_hot_probabilities_give_the_loss_of_their_indices():
    logits, labels = torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 1, 3, 2, 0])
    for weights in (None, torch.tensor([0.5, 2.0, 1.0, 3.0])):
        torch.testing.assert_close(
            classification_loss(logits, F.one_hot(labels, 4).float(), weights),
            classification_loss(logits, labels, weights),
        )


def test_labels_of_the_wrong_shape_are_refused(digit_splits):
    part = digit_splits["train"]

    def too_few_classes(x, y):
        return x, F.one_hot(y, 10)[:, :9].float()

    with pytest.raises(ValueError, match=r"augment returned labels of shape \(64, 9\)"):
        train_classifier(part.images, part.labels, 10, steps=1, augment=too_few_classes)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="mix must be one of"):
        BatchLabelMix("cutout", 10)
    with pytest.raises(ValueError, match="alpha"):
        BatchLabelMix("mixup", 10, alpha=0)
