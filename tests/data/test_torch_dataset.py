"""torch Dataset sources: torchvision ImageFolder (PIL or tensor items) and small custom datasets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, IterableDataset
from torchvision import datasets
from torchvision.transforms import v2

from genaug.data import load
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")

RNG = np.random.default_rng(0)


class ListDataset(Dataset):
    """Returns the given items as they are."""

    def __init__(self, items, classes=None):
        self.items = items
        if classes is not None:
            self.classes = classes

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def tensor_items(n=6, k=3):
    return [(torch.from_numpy(RNG.integers(0, 256, (3, 5, 7), dtype=np.uint8)), i % k) for i in range(n)]


def test_torchvision_image_folder_matches_loading_the_folder(rgb_folder):
    expected = load(rgb_folder, image_size=16)
    data = load(datasets.ImageFolder(rgb_folder), image_size=16)
    assert data.classes == ["cat", "dog", "fox"] and "ImageFolder" in data.source
    assert torch.equal(data.images, expected.images) and torch.equal(data.labels, expected.labels)


def test_torchvision_image_folder_with_float_tensors(rgb_folder):
    to_float = v2.Compose([v2.PILToTensor(), v2.Resize((16, 16)), v2.ToDtype(torch.float32, scale=True)])
    data = load(datasets.ImageFolder(rgb_folder, transform=to_float))
    plain = load(datasets.ImageFolder(rgb_folder, transform=v2.Compose([v2.PILToTensor(), v2.Resize((16, 16))])))
    assert data.image_shape == (3, 16, 16) and torch.equal(data.images, plain.images)


def test_normalised_tensors_are_refused_naming_the_index(rgb_folder):
    normalised = v2.Compose([v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5], [0.1])])
    with pytest.raises(DataError, match=r"dataset\[0\]: image has float pixel values outside \[0, 1\]"):
        load(datasets.ImageFolder(rgb_folder, transform=normalised))


def test_custom_dataset_of_uint8_tensors():
    items = tensor_items()
    data = load(ListDataset(items))
    assert data.image_shape == (3, 5, 7) and data.classes == ["0", "1", "2"]
    assert torch.equal(data.images[4], items[4][0]) and data.labels.tolist() == [0, 1, 2, 0, 1, 2]


def test_custom_dataset_class_names_from_attribute_or_argument():
    assert load(ListDataset(tensor_items(), classes=["a", "b", "c"])).classes == ["a", "b", "c"]
    assert load(ListDataset(tensor_items()), classes=["x", "y", "z"]).classes == ["x", "y", "z"]
    with pytest.raises(DataError, match=r"labels\[2\] = 2 is not an index into the 2 classes"):
        load(ListDataset(tensor_items(), classes=["a", "b"]))


def test_numpy_images_tensor_labels_and_string_labels():
    gray = [(RNG.integers(0, 256, (5, 7), dtype=np.uint8), torch.tensor(i % 2)) for i in range(4)]
    assert load(ListDataset(gray)).image_shape == (1, 5, 7)
    rgb = [(RNG.random((5, 7, 3)), ["cat", "dog"][i % 2]) for i in range(4)]
    data = load(ListDataset(rgb))
    assert data.image_shape == (3, 5, 7) and data.classes == ["cat", "dog"]


def test_images_only_is_unlabelled():
    data = load(ListDataset([item[0] for item in tensor_items(4)]))
    assert data.classes == ["unlabelled"] and len(data) == 4


def test_2d_tensor_images_are_gray():
    data = load(ListDataset([(torch.zeros(5, 7, dtype=torch.uint8), 0)] * 2))
    assert data.image_shape == (1, 5, 7)


class Broken(ListDataset):
    def __getitem__(self, i):
        if i == 3:
            raise RuntimeError("disk on fire")
        return super().__getitem__(i)


def test_a_failing_item_names_its_index():
    with pytest.raises(DataError, match=r"reading dataset\[3\] failed with RuntimeError: disk on fire"):
        load(Broken(tensor_items()))


@pytest.mark.parametrize(
    ("items", "match"),
    [
        (
            tensor_items(2) + [torch.zeros(3, 5, 7)],
            r"dataset\[2\] is a Tensor; every item must be \(image, label\)",
        ),
        ([(torch.zeros(3, 5, 7), 0, "extra")], r"dataset\[0\] is a tuple of 3 items"),
        ([("not an image", 0)], r"images must be PIL images, tensors or numpy arrays, got str"),
        ([(torch.zeros(1, 3, 5, 7), 0)], r"dataset\[0\]: image has shape \(1, 3, 5, 7\)"),
        ([(torch.zeros(5, 7, 3), 0)], r"dataset\[0\]: image has 5 channels; expected 1 \(gray\), 3 \(RGB\)"),
        ([(torch.zeros(3, 5, 7), torch.tensor([0.0, 1.0]))], r"dataset\[0\] has a label of shape \(2,\)"),
        ([(torch.zeros(3, 5, 7), 0.5)] * 2, r"labels\[0\] = 0.5 is not a whole number"),
        ([(torch.zeros(3, 5, 7), "a"), (torch.zeros(3, 5, 7), 1)], r"labels\[1\] = 1 is not a string"),
    ],
)
def test_bad_items_are_refused(items, match):
    with pytest.raises(DataError, match=match):
        load(ListDataset(items))


def test_empty_and_iterable_datasets_are_refused():
    with pytest.raises(DataError, match="ListDataset is empty"):
        load(ListDataset([]))

    class Stream(IterableDataset):
        def __iter__(self):
            yield torch.zeros(3, 4, 4)

    with pytest.raises(TypeError, match="cannot load a Stream; it accepts .*map-style torch Dataset"):
        load(Stream())
