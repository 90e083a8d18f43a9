"""generator_quality: every metric in one call, on real digits, copies, noise and a tiny trained generator."""

from __future__ import annotations

import math

import pytest
import torch

from genaug.metrics import generator_quality

KEYS = {
    "frechet_distance", "kid_mean", "kid_std", "precision", "recall", "density", "coverage", "label_fidelity",
    "memorised_fraction", "memorisation_threshold", "pixel_memorised_fraction", "pixel_memorisation_threshold",
}  # fmt: skip
FAST = {"kid_subsets": 10, "kid_subset_size": 200}


@pytest.fixture(scope="module")
def parts(digit_splits):
    test = digit_splits["test"]
    return {
        "train": digit_splits["train"],
        "test": test.subset(range(0, len(test), 2)),
        "fresh": test.subset(range(1, len(test), 2)),  # real images no generator saw: the ideal "generator"
    }


def quality(reference, parts, images, labels, **options):
    return generator_quality(reference, parts["train"].images, parts["test"].images, images, labels, **FAST, **options)


def test_fresh_real_images_score_well(reference_cnn, parts):
    fresh = parts["fresh"]
    scores = quality(reference_cnn, parts, fresh.images.float() / 255, fresh.labels)
    assert set(scores) == KEYS and all(isinstance(v, float) and math.isfinite(v) for v in scores.values())
    assert scores["label_fidelity"] > 0.9
    assert min(scores["precision"], scores["recall"], scores["coverage"]) > 0.7
    assert scores["memorised_fraction"] < 0.15 and scores["pixel_memorised_fraction"] < 0.15


def test_copies_of_training_images_are_memorised(reference_cnn, parts):
    train = parts["train"]
    scores = quality(reference_cnn, parts, train.images[:300], train.labels[:300])
    assert scores["memorised_fraction"] == 1.0 and scores["pixel_memorised_fraction"] == 1.0
    assert scores["label_fidelity"] > 0.9  # a copying generator still looks perfect on fidelity


def test_scores_order_real_then_blurred_then_noise(reference_cnn, parts):
    fresh = parts["fresh"]
    real = fresh.images.float() / 255
    blurred = torch.nn.functional.avg_pool2d(real, 3, stride=1, padding=1)
    noise = torch.rand(len(fresh), 1, 16, 16, generator=torch.Generator().manual_seed(0))
    good, worse, bad = (
        quality(reference_cnn, parts, x, fresh.labels, pixel_memorisation=False) for x in (real, blurred, noise)
    )
    assert "pixel_memorised_fraction" not in bad
    for key in ("frechet_distance", "kid_mean"):
        assert good[key] < worse[key] < bad[key], key
    for key in ("recall", "density", "coverage", "label_fidelity"):
        assert good[key] > worse[key] > bad[key], key
    assert bad["recall"] < 0.1 and bad["coverage"] < 0.1 and bad["density"] < 0.2 and bad["label_fidelity"] < 0.3


def test_samples_of_a_trained_generator(reference_cnn, parts, tiny_models):
    model = tiny_models["cgan"]
    labels = torch.arange(10).repeat_interleave(20)
    scores = quality(reference_cnn, parts, model.sample(len(labels), labels=labels, seed=0), labels)
    assert set(scores) == KEYS and all(math.isfinite(v) for v in scores.values())
    assert all(
        0.0 <= scores[k] <= 1.0 for k in ("precision", "recall", "coverage", "label_fidelity", "memorised_fraction")
    )


def test_mismatched_inputs_are_named(reference_cnn, parts):
    fresh = parts["fresh"]
    with pytest.raises(ValueError, match="synthetic_labels"):
        quality(reference_cnn, parts, fresh.images, fresh.labels[:-1])
    with pytest.raises(ValueError, match="C x H x W"):
        quality(reference_cnn, parts, torch.rand(20, 1, 8, 8), fresh.labels[:20])
    with pytest.raises(ValueError, match="synthetic_images"):
        quality(reference_cnn, parts, torch.rand(20, 16, 16), fresh.labels[:20])
