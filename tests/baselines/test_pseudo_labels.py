"""Pseudo-labelling: confident predictions of a real classifier on held-out digits, with their predicted labels."""

from __future__ import annotations

import pytest
import torch

from genaug.baselines import pseudo_labelled
from genaug.metrics import predict, predict_proba, train_classifier


@pytest.fixture(scope="module")
def teacher(digit_splits):
    train = digit_splits["train"]
    return train_classifier(train.images[:200], train.labels[:200], 10, steps=60, width=8, seed=0)


def test_keeps_the_confident_images_with_the_classes_the_classifier_gives(teacher, digit_splits):
    unlabelled = digit_splits["test"].images
    confidence = predict_proba(teacher, unlabelled).max(dim=1).values
    threshold = float(confidence.median())
    images, labels = pseudo_labelled(teacher, unlabelled, threshold=threshold)
    confident = confidence >= threshold
    assert 0 < len(images) < len(unlabelled) and torch.equal(images, unlabelled[confident])
    assert labels.dtype == torch.int64 and torch.equal(labels, predict(teacher, unlabelled)[confident])
    assert len(pseudo_labelled(teacher, unlabelled, threshold=0.0)[0]) == len(unlabelled)


def test_a_threshold_outside_zero_to_one_is_named(teacher, digit_splits):
    with pytest.raises(ValueError, match="threshold"):
        pseudo_labelled(teacher, digit_splits["test"].images, threshold=1.5)
