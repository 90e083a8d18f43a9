"""ImageSet: validation names the bad field; Dataset protocol; subsets, float view and summary."""

from __future__ import annotations

import pytest
import torch

from genaug.data import ImageSet, SkippedFile
from genaug.errors import DataError


def small_set(n: int = 6, channels: int = 1) -> ImageSet:
    images = torch.arange(n * channels * 4 * 5, dtype=torch.int64).remainder(256).to(torch.uint8)
    labels = torch.tensor([i % 3 for i in range(n)])
    return ImageSet(images.reshape(n, channels, 4, 5), labels, ["a", "b", "c"], "test tensors")


def test_dataset_protocol_and_properties():
    data = small_set()
    assert len(data) == 6 and data.image_shape == (1, 4, 5) and data.num_classes == 3
    image, label = data[4]
    assert image.dtype == torch.uint8 and image.shape == (1, 4, 5)
    assert isinstance(label, int) and label == 1
    assert torch.equal(image, data.images[4])
    assert data.class_counts() == [2, 2, 2]
    assert data.skipped == []
    assert "6 images" in repr(data) and "test tensors" in repr(data)


def test_as_float_is_in_unit_range():
    data = small_set(channels=3)
    x = data.as_float()
    assert x.dtype == torch.float32 and x.shape == data.images.shape
    assert torch.allclose(x * 255, data.images.float())
    assert data.images.dtype == torch.uint8  # the set itself is untouched


def test_subset_keeps_classes_source_and_order():
    data = small_set()
    data.skipped.append(SkippedFile("x.png", "broken"))
    sub = data.subset([5, 0, 3])
    assert sub.labels.tolist() == [2, 0, 0]
    assert torch.equal(sub.images[0], data.images[5])
    assert sub.classes == data.classes and sub.source == data.source and sub.skipped == data.skipped
    assert sub.class_counts() == [2, 0, 1]
    assert len(data.subset(torch.tensor([1, 2]))) == 2


def test_summary_lists_source_shape_counts_and_skipped():
    data = small_set()
    data.skipped.append(SkippedFile("x.png", "broken"))
    text = data.summary()
    assert "test tensors" in text and "6 images" in text and "1×4×5" in text
    assert "a: 2" in text and "c: 2" in text
    assert "1 file(s) skipped" in text


def test_skipped_file_is_frozen():
    skipped = SkippedFile("x.png", "broken")
    with pytest.raises(AttributeError):
        skipped.path = "y.png"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"images": torch.zeros(2, 1, 4, 4)}, "ImageSet.images must be a uint8"),
        ({"images": [[0]]}, "ImageSet.images must be a uint8 torch.Tensor, got list"),
        (
            {"images": torch.zeros(2, 4, 4, dtype=torch.uint8)},
            r"ImageSet.images must be N×C×H×W.*\(2, 4, 4\)",
        ),
        ({"images": torch.zeros(2, 2, 4, 4, dtype=torch.uint8)}, "C = 1 or 3"),
        ({"labels": torch.tensor([0.0, 1.0])}, "ImageSet.labels must be a 1-D int64"),
        ({"labels": torch.tensor([[0, 1]])}, "ImageSet.labels must be a 1-D int64"),
        ({"labels": torch.tensor([0, 1, 1])}, "ImageSet.labels has 3 entries but ImageSet.images has 2"),
        ({"labels": torch.tensor([0, 2])}, r"ImageSet.labels\[1\] = 2 is not a class index in 0..1"),
        ({"labels": torch.tensor([-1, 0])}, r"ImageSet.labels\[0\] = -1"),
        ({"classes": "ab"}, "ImageSet.classes must be a list of str"),
        ({"classes": [0, 1]}, "ImageSet.classes must be a list of str"),
        ({"classes": ["a", "a"]}, "ImageSet.classes must be non-empty and unique"),
        ({"classes": []}, "ImageSet.classes must be non-empty"),
    ],
)
def test_validation_names_the_field(change, match):
    fields = {"images": torch.zeros(2, 1, 4, 4, dtype=torch.uint8), "labels": torch.tensor([0, 1])}
    fields["classes"] = ["a", "b"]
    with pytest.raises(DataError, match=match):
        ImageSet(**{**fields, **change})
