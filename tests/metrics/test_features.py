"""extract_features: penultimate-layer embeddings of the reference CNN, batched, without gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from genaug.metrics import extract_features


def test_features_are_the_penultimate_layer(reference_cnn, digit_splits):
    images = digit_splits["test"].images[:100]
    feats = extract_features(reference_cnn, images, batch_size=33)  # several uneven batches
    assert feats.shape == (100, 128) and feats.dtype == torch.float32 and not feats.requires_grad
    with torch.no_grad():
        direct = reference_cnn.features(images.float() / 255)
    torch.testing.assert_close(feats, direct)
    torch.testing.assert_close(reference_cnn.head(feats).argmax(1), reference_cnn(images.float() / 255).argmax(1))


def test_features_separate_the_classes(reference_cnn, digit_splits):
    """Nearest class mean in feature space, fitted on train and scored on test, recognises real digits."""
    train, test = digit_splits["train"], digit_splits["test"]
    train_feats, test_feats = (
        extract_features(reference_cnn, train.images),
        extract_features(reference_cnn, test.images),
    )
    means = torch.stack([train_feats[train.labels == k].mean(0) for k in range(10)])
    assert (torch.cdist(test_feats, means).argmin(1) == test.labels).float().mean() > 0.9


def test_features_reject_bad_input(reference_cnn):
    with pytest.raises(TypeError, match="features"):
        extract_features(nn.Linear(3, 3), torch.rand(2, 3))
    with pytest.raises(ValueError, match="N x C x H x W"):
        extract_features(reference_cnn, torch.rand(1, 16, 16))
