"""Labels at the model's API edge (``sample(labels=...)``, ``labels_tensor``, ``class_index``): Python, numpy and
torch integers of any dtype, class names, and clear messages for what is not a label."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.errors import ArgumentTypeError
from genaug.models.registry import get_family
from tests.train.tiny import tiny_config


@pytest.fixture(scope="module")
def model():
    """An untrained tiny cgan with 3 classes: enough for label handling, no training needed."""
    return get_family("cgan").model_class(tiny_config("cgan"), ["cat", "dog", "emu"], (1, 16, 16))


@pytest.mark.parametrize(
    "labels",
    [
        [1, 2, 0],
        np.array([1, 2, 0]),
        np.array([1, 2, 0], dtype=np.uint8),
        np.array([1, 2, 0], dtype=np.uint64),
        [np.int64(1), np.int32(2), np.uint16(0)],
        torch.tensor([1, 2, 0], dtype=torch.int32),
        torch.tensor([1, 2, 0], dtype=torch.uint8),
        ["dog", "emu", "cat"],
        np.array(["dog", "emu", "cat"]),
    ],
    ids=lambda labels: type(labels).__name__ + str(getattr(labels, "dtype", "")),
)
def test_one_label_per_sample_of_any_integer_type(model, labels):
    assert model.labels_tensor(labels, 3).tolist() == [1, 2, 0]


@pytest.mark.parametrize("label", [2, np.int64(2), np.uint8(2), np.array(2), torch.tensor(2), "emu"])
def test_one_label_for_all_samples(model, label):
    assert model.labels_tensor(label, 4).tolist() == [2] * 4
    assert model.class_index(label) == 2
    torch.testing.assert_close(model.sample(2, labels=label, seed=0), model.sample(2, labels=[2, 2], seed=0))


def test_numpy_labels_sample_like_python_ints(model):
    expected = model.sample(3, labels=[1, 2, 0], seed=0)
    torch.testing.assert_close(model.sample(3, labels=np.array([1, 2, 0]), seed=0), expected)


@pytest.mark.parametrize("label", [np.array([2**64 - 1], dtype=np.uint64), np.uint64(2**64 - 1), 3, -1])
def test_integers_outside_the_classes_are_out_of_range(model, label):
    with pytest.raises(ValueError, match=r"unknown class label -?\d+: out of range; this model knows 3 classes"):
        model.labels_tensor(label, 1)


@pytest.mark.parametrize(
    ("labels", "found"),
    [(3.0, "float 3.0"), (True, "bool True"), (np.array([1.0]), "float 1.0"), (torch.tensor([True]), "bool True")],
)
def test_what_is_not_a_label_is_named_with_its_type(model, labels, found):
    with pytest.raises(ArgumentTypeError, match=rf"class index \(an int\) or a class name \(a str\), got {found}"):
        model.labels_tensor(labels, 1)


def test_unknown_names_and_shapes_are_refused(model):
    with pytest.raises(ValueError, match=r"unknown class label '3': not a class name.*names \['cat', 'dog', 'emu'\]"):
        model.class_index("3")
    with pytest.raises(ValueError, match=r"1-D sequence of them, got shape \(2, 1\)"):
        model.labels_tensor(np.zeros((2, 1), dtype=np.int64), 2)
