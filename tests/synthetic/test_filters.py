"""ConfidenceFilter and PredictionFilter: which images they keep, eval mode, argument checks, and their use in a
SyntheticDataset."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from genaug.data import ImageSet
from genaug.filters import ConfidenceFilter, PredictionFilter
from genaug.synthetic import SyntheticDataset
from genaug.synthetic.chunks import CHUNK_SIZE


@pytest.fixture(scope="module")
def classifier(digits16: ImageSet) -> nn.Module:
    """A linear classifier of digits16 (float images in [0, 1] → 10 logits), trained in well under a second."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    images = digits16.as_float()
    for _ in range(60):
        loss = nn.functional.cross_entropy(net(images), digits16.labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net.eval()


def test_keeps_images_whose_conditioned_class_is_probable_enough(classifier, digits16):
    images, labels = digits16.as_float()[:200], digits16.labels[:200]
    labels = torch.where(torch.arange(200) % 3 == 0, (labels + 1) % 10, labels)  # a third conditioned wrongly
    probabilities = classifier(images).softmax(1).detach()
    conditioned = probabilities[torch.arange(200), labels]
    for threshold in (0.0, 0.5, 0.9, 1.0):
        keep = ConfidenceFilter(classifier, threshold)(images, labels)
        assert keep.dtype == torch.bool and keep.shape == (200,)
        assert torch.equal(keep, conditioned >= threshold)
    keep = ConfidenceFilter(classifier, 0.5)(images, labels)
    assert 0 < keep.sum() < 200 and keep[torch.arange(200) % 3 == 0].float().mean() < 0.2


def test_prediction_filter_keeps_images_predicted_as_their_class_however_confident():
    logits = torch.tensor([[2.0, 1.9, 1.8], [0.0, 5.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 9.0]])
    keep = PredictionFilter(lambda images: logits)(torch.rand(4, 1, 8, 8), torch.tensor([0, 0, 0, 2]))
    # kept: class 0 at 36% (the top class), class 2 at 99.9%; dropped: class 0 when class 1 is on top
    assert keep.dtype == torch.bool and keep.tolist() == [True, False, True, True]


def test_prediction_filter_checks_its_classifier_like_the_confidence_filter(classifier, digits16):
    images, labels = digits16.as_float()[:100], digits16.labels[:100]
    assert torch.equal(PredictionFilter(classifier)(images, labels), classifier(images).argmax(1) == labels)
    with pytest.raises(ValueError, match="scores 10 classes but an image is of class 12"):
        PredictionFilter(classifier)(images[:2], torch.tensor([0, 12]))
    with pytest.raises(TypeError, match="classifier must be callable"):
        PredictionFilter("smallcnn.pt")


def test_runs_the_classifier_in_eval_mode_and_restores_it(digits16):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(16 * 16, 10)).train()
    keep = ConfidenceFilter(net, threshold=0.1)
    images, labels = digits16.as_float()[:50], digits16.labels[:50]
    assert torch.equal(keep(images, labels), keep(images, labels))  # no dropout noise
    assert net.training and torch.is_grad_enabled()


def test_a_plain_function_can_classify():
    def uniform(images):
        return torch.zeros(len(images), 4)

    keep = ConfidenceFilter(uniform, threshold=0.25)
    assert keep(torch.rand(3, 1, 8, 8), torch.tensor([0, 1, 3])).all()
    assert not ConfidenceFilter(uniform, threshold=0.3)(torch.rand(3, 1, 8, 8), torch.tensor([0, 1, 3])).any()


@pytest.mark.parametrize("threshold", [-0.1, 1.5, True, "0.9", None])
def test_threshold_must_be_a_probability(classifier, threshold):
    with pytest.raises(ValueError, match="threshold must be a number in \\[0, 1\\]"):
        ConfidenceFilter(classifier, threshold)


def test_classifier_must_fit_the_model(classifier):
    with pytest.raises(TypeError, match="classifier must be callable"):
        ConfidenceFilter("smallcnn.pt", 0.9)
    images = torch.rand(2, 1, 16, 16)
    with pytest.raises(ValueError, match="scores 10 classes but an image is of class 12"):
        ConfidenceFilter(classifier, 0.5)(images, torch.tensor([0, 12]))
    with pytest.raises(ValueError, match="expected logits N x K"):
        ConfidenceFilter(lambda x: torch.zeros(len(x)), 0.5)(images, torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="logits tensor"):
        ConfidenceFilter(lambda x: [0.5] * len(x), 0.5)(images, torch.tensor([0, 1]))


def test_a_filtered_dataset_holds_only_confident_images_and_stays_deterministic(tiny_models, classifier):
    model = tiny_models["cgan"]
    unfiltered = SyntheticDataset(model, class_counts={"4": CHUNK_SIZE}, seed=0)
    images = torch.stack([image for image, _ in unfiltered])
    labels = torch.tensor(unfiltered.targets)
    # a threshold the tiny model's images pass about half of the time, however well it happened to train
    threshold = float(ConfidenceFilter(classifier).probabilities(images)[:, 4].median())
    keep = ConfidenceFilter(classifier, threshold)
    assert 0 < keep(images, labels).sum() < CHUNK_SIZE
    ds = SyntheticDataset(model, class_counts={"4": 40}, seed=0, filter=keep)
    filtered = torch.stack([image for image, _ in ds])
    assert keep(filtered, labels[:40]).all()
    accepted_first = images[keep(images, labels)]
    assert torch.equal(filtered[: len(accepted_first)], accepted_first)  # the unfiltered draw, minus rejections
    again = SyntheticDataset(model, class_counts={"4": 40}, seed=0, filter=keep)
    assert torch.equal(torch.stack([again[i][0] for i in reversed(range(40))]), filtered.flip(0))
