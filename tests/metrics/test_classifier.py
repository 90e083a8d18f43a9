"""train_classifier: learns real digits, honours class weights and batch augmentation, two architectures."""

from __future__ import annotations

import pytest
import torch

from genaug.metrics import CLASSIFIERS, SmallCNN, SmallResNet, accuracy, predict, train_classifier


def test_reference_cnn_learns_digits(reference_cnn, digit_splits):
    test = digit_splits["test"]
    assert isinstance(reference_cnn, SmallCNN) and not reference_cnn.training
    assert accuracy(reference_cnn, test.images, test.labels) > 0.9
    # uint8 and float [0, 1] inputs are the same images
    assert torch.equal(predict(reference_cnn, test.images), predict(reference_cnn, test.images.float() / 255))


def test_training_is_reproducible(digit_splits):
    part = digit_splits["train"]
    a, b = (train_classifier(part.images, part.labels, 10, steps=5, seed=3) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_augment_sees_each_float_batch_with_its_labels_and_is_used(digit_splits):
    part = digit_splits["train"]
    pixels = part.images.double().flatten(1) / 255
    seen = []

    def blank(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append((x.clone(), y.clone()))
        return torch.zeros_like(x)  # the classifier never sees an image

    model = train_classifier(part.images, part.labels, 10, steps=30, batch_size=32, seed=0, augment=blank)
    assert len(seen) == 30
    for x, y in seen:
        assert x.dtype == torch.float32 and x.shape == (32, 1, 16, 16)
        distances, rows = torch.cdist(x.double().flatten(1), pixels).min(1)  # each image is a training image ...
        assert distances.max() < 1e-4 and torch.equal(part.labels[rows], y)  # ... passed with its own label
    # trained on blank images only, it cannot tell the digits apart
    assert accuracy(model, digit_splits["test"].images, digit_splits["test"].labels) < 0.3


def test_class_weights_steer_the_loss(digit_splits):
    part, test = digit_splits["train"], digit_splits["test"]
    ignore_zero = torch.ones(10)
    ignore_zero[0] = 0.0  # class 0 contributes nothing to the loss
    weighted = train_classifier(part.images, part.labels, 10, steps=60, seed=0, class_weights=ignore_zero)
    zeros = test.images[test.labels == 0]
    assert (predict(weighted, zeros) == 0).float().mean() < 0.3
    with pytest.raises(ValueError, match="class_weights"):
        train_classifier(part.images, part.labels, 10, steps=1, class_weights=torch.ones(9))


def test_architectures(digit_splits):
    assert set(CLASSIFIERS) == {"small_cnn", "resnet"}
    part = digit_splits["train"]
    model = train_classifier(part.images, part.labels, 10, steps=2, batch_size=8, architecture="resnet")
    assert isinstance(model, SmallResNet) and not model.training
    for size in (8, 16, 28):
        x = torch.rand(3, 3, size, size)
        assert SmallResNet(3, 7)(x).shape == (3, 7) and SmallResNet(3, 7).features(x).shape == (3, 128)
    with pytest.raises(ValueError, match="architecture"):
        train_classifier(part.images, part.labels, 10, steps=1, architecture="vgg")


@pytest.mark.parametrize("architecture", sorted(CLASSIFIERS))
def test_width_sets_the_channels_and_keeps_the_feature_size(digit_splits, architecture):
    part = digit_splits["train"]
    narrow = train_classifier(part.images, part.labels, 10, steps=2, batch_size=8, architecture=architecture, width=8)
    first_conv = next(m for m in narrow.modules() if isinstance(m, torch.nn.Conv2d))
    assert first_conv.out_channels == 8
    assert narrow.features(part.images[:3].float() / 255).shape == (3, 128)
    wide = CLASSIFIERS[architecture](1, 10)
    assert sum(p.numel() for p in narrow.parameters()) < sum(p.numel() for p in wide.parameters())


@pytest.mark.slow
def test_resnet_learns_digits(digit_splits):
    reference, test = digit_splits["reference"], digit_splits["test"]
    model = train_classifier(reference.images, reference.labels, 10, steps=60, architecture="resnet")
    assert accuracy(model, test.images, test.labels) > 0.9
