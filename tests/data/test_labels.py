"""Label rules: integer, whole-number float and string labels; remapping; explicit class names; errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.data import DataWarning, load
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")

X = np.zeros((6, 4, 4), np.uint8)


def labels_and_classes(y, classes=None):
    data = load((X, y), classes=classes)
    return data.labels.tolist(), data.classes


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.uint64, np.float32, np.float64])
def test_labels_0_to_k_minus_1_are_kept(dtype):
    y = np.array([0, 1, 2, 2, 1, 0], dtype)
    assert labels_and_classes(y) == ([0, 1, 2, 2, 1, 0], ["0", "1", "2"])


def test_labels_as_torch_tensor_and_list():
    assert labels_and_classes(torch.tensor([1, 0, 1, 0, 1, 0]))[0] == [1, 0, 1, 0, 1, 0]
    assert labels_and_classes([1, 0, 1, 0, 1, 0])[1] == ["0", "1"]


def test_other_integer_sets_are_remapped_in_sorted_order():
    assert labels_and_classes(np.array([7, 1, 3, 3, 7, 1])) == ([2, 0, 1, 1, 2, 0], ["1", "3", "7"])
    with pytest.warns(DataWarning, match=r"2 class\(es\) have fewer than 2 images: '0' \(1\), '4' \(1\)"):
        assert labels_and_classes(np.array([0, 1, 2, 4, 2, 1.0]))[1] == ["0", "1", "2", "4"]


def test_string_labels_become_sorted_classes():
    y = np.array(["dog", "cat", "dog", "emu", "cat", "emu"])
    assert labels_and_classes(y) == ([1, 0, 1, 2, 0, 2], ["cat", "dog", "emu"])
    assert labels_and_classes(y.astype(object))[1] == ["cat", "dog", "emu"]
    assert labels_and_classes(list(y))[1] == ["cat", "dog", "emu"]


def test_string_labels_with_given_classes_keep_their_order():
    y = np.array(["dog", "cat", "dog", "emu", "cat", "emu"])
    assert labels_and_classes(y, ["emu", "dog", "cat"]) == ([1, 2, 1, 0, 2, 0], ["emu", "dog", "cat"])
    with pytest.raises(DataError, match=r"y\[3\] = 'emu' is not one of the classes given"):
        load((X, y), classes=["cat", "dog"])


def test_given_classes_name_integer_labels_without_remapping():
    y = np.array([0, 2, 2, 0, 1, 1])
    assert labels_and_classes(y, ("zero", "one", "two")) == ([0, 2, 2, 0, 1, 1], ["zero", "one", "two"])
    assert labels_and_classes(y, np.array(["a", "b", "c"]))[1] == ["a", "b", "c"]


def test_object_array_of_ints_is_numeric():
    assert labels_and_classes(np.array([1, 0, 1, 0, 1, 0], dtype=object))[1] == ["0", "1"]


@pytest.mark.parametrize(
    ("y", "classes", "match"),
    [
        (np.array([0, 1, 1.5, 0, 1, 0]), None, r"y\[2\] = 1.5 is not a whole number"),
        (np.array([0, 1, np.nan, 0, 1, 0]), None, r"y\[2\] = nan is not a whole number"),
        (np.array([0, 1, 1, -2, 1, 0]), None, r"y\[3\] = -2 is negative"),
        (np.array([0, 1, 2**64 - 1, 0, 1, 0], np.uint64), None, r"y\[2\] = 18446744073709551615 is out of range"),
        (np.array([0, 1, 2.0**63, 0, 1, 0]), None, r"y\[2\] = 9.223372036854776e\+18 is out of range"),
        (np.array([0, 1, 3, 0, 1, 0]), ["a", "b"], r"y\[2\] = 3 is not an index into the 2 classes given"),
        (np.array([0, 1, 0, 1, 0]), None, "y has 5 labels but there are 6 images"),
        (np.zeros((6, 1)), None, r"y must be 1-D.*shape \(6, 1\).*y.ravel\(\)"),
        (np.array(["a", 1, "b", "a", "a", "b"], dtype=object), None, r"y\[1\] = 1 is not a string"),
        (np.array([0, 1, 0, 1, 0, 1]), ["a", "a"], r"classes must be unique.*\['a'\]"),
        (np.array([0, 1, 0, 1, 0, 1]), [], "classes must be a non-empty list"),
        (np.array([0, 1, 0, 1, 0, 1]), "ab", "classes must be a non-empty list"),
        (np.array([1j] * 6), None, "y has dtype complex128"),
    ],
)
def test_bad_labels_name_the_first_bad_index_and_value(y, classes, match):
    with pytest.raises(DataError, match=match):
        load((X, y), classes=classes)


def test_unlabelled_data_is_one_class():
    data = load(X)
    assert data.classes == ["unlabelled"] and data.labels.tolist() == [0] * 6
    assert load(X, classes=["faces"]).classes == ["faces"]
    assert load((X, None)).classes == ["unlabelled"]
    with pytest.raises(DataError, match="classes= must name one class"):
        load(X, classes=["a", "b"])
