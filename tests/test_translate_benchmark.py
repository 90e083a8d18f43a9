"""benchmarks.translate: its queries, its scores and its options."""

from __future__ import annotations

import pytest
import torch

from benchmarks.small_data import Judges
from benchmarks.translate import Settings, queries, scores
from genaug.metrics import train_classifier, train_pixel_svm


def test_each_image_goes_to_another_class_and_is_compared_with_an_image_of_that_class(digits):
    settings = Settings(images_per_class=5)
    images, labels, targets, unrelated = queries(digits, settings)
    assert len(images) == len(labels) == len(targets) == len(unrelated) == 5 * digits.num_classes
    assert torch.equal(torch.bincount(labels), torch.full((digits.num_classes,), 5))
    assert bool((targets != labels).all()) and len(set(targets.tolist())) > 1
    float_images = digits.images.float() / 255
    for image, target in zip(unrelated, targets, strict=True):  # each is a real image of the target class
        matches = (float_images == image).flatten(1).all(1)
        assert bool((digits.labels[matches] == target).any())
    again = queries(digits, settings)
    assert all(torch.equal(a, b) for a, b in zip(again, (images, labels, targets, unrelated), strict=True))


def test_an_unchanged_image_scores_no_change_and_its_own_class(digits):
    cnn = train_classifier(digits.images, digits.labels, digits.num_classes, steps=60, seed=0)
    svm = train_pixel_svm(digits.images, digits.labels)
    judges = Judges(cnn, svm, digits)
    images, labels, targets, unrelated = queries(digits, Settings(images_per_class=10))
    unchanged = scores(images, images, labels, targets, unrelated, judges)
    assert unchanged["change"] == 0.0 and unchanged["source_kept"] > 0.8 and unchanged["target_fidelity"] < 0.2
    replaced = scores(unrelated, images, labels, targets, unrelated, judges)
    assert replaced["change"] == pytest.approx(1.0) and replaced["svm_target_fidelity"] > 0.8


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["families=cgan"], r"unknown families \['cgan'\]: the families with translate are diffusion, cvae and ae"),
        (["strenghts=0.5"], r"unknown option\(s\) \['strenghts'\]"),
    ],
)
def test_bad_options_are_named(argv, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_argv(argv)
