"""Array sources: .npz files in every layout, (X, y) tuples, bare arrays, torch tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genaug.data import load
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")

RNG = np.random.default_rng(0)
NHW = RNG.integers(0, 256, (6, 5, 7), dtype=np.uint8)
NHWC = RNG.integers(0, 256, (6, 5, 7, 3), dtype=np.uint8)
Y = np.array([0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize(
    ("x", "shape"),
    [
        (NHW, (1, 5, 7)),
        (NHWC, (3, 5, 7)),
        (NHWC.transpose(0, 3, 1, 2), (3, 5, 7)),
        (NHW[..., None], (1, 5, 7)),
    ],
    ids=["NHW", "NHWC", "NCHW", "NHW1"],
)
def test_npz_layouts(tmp_path, x, shape):
    path = tmp_path / "set.npz"
    np.savez(path, x=x, y=Y)
    data = load(path)
    assert data.image_shape == shape and len(data) == 6 and data.labels.tolist() == Y.tolist()
    assert str(path) in data.source
    assert data.skipped == []


def test_npz_pixels_are_exact(tmp_path):
    np.savez_compressed(tmp_path / "set.npz", x=NHWC, y=Y)
    assert np.array_equal(load(str(tmp_path / "set.npz")).images.permute(0, 2, 3, 1).numpy(), NHWC)


def test_npz_class_names_from_the_file_or_the_argument(tmp_path):
    np.savez(tmp_path / "named.npz", x=NHW, y=Y, classes=np.array(["ant", "bee", "cow"]))
    assert load(tmp_path / "named.npz").classes == ["ant", "bee", "cow"]
    assert load(tmp_path / "named.npz", classes=["a", "b", "c"]).classes == ["a", "b", "c"]


def test_npz_without_y_is_one_class_named_after_the_file(tmp_path):
    np.savez(tmp_path / "faces.npz", x=NHW)
    data = load(tmp_path / "faces.npz")
    assert data.classes == ["faces"] and data.labels.tolist() == [0] * 6


def test_npz_without_x_names_the_file_and_the_keys_found(tmp_path):
    path = tmp_path / "wrong.npz"
    np.savez(path, images=NHW, labels=Y)
    with pytest.raises(DataError, match=r"wrong\.npz has no array named 'x' \(found: \['images', 'labels'\]\)"):
        load(path)


def test_npz_errors_name_the_file(tmp_path):
    path = tmp_path / "float.npz"
    np.savez(path, x=NHW.astype(np.float32), y=Y)
    with pytest.raises(DataError, match=r"float\.npz: x has float pixel values outside \[0, 1\]"):
        load(path)


def test_npz_with_pickled_objects_or_garbage_is_refused(tmp_path):
    np.savez(tmp_path / "objects.npz", x=NHW, y=np.array(["a", 1, None, 0, 1, 2], dtype=object))
    with pytest.raises(DataError, match=r"cannot read .*objects\.npz.*not objects"):
        load(tmp_path / "objects.npz")
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file")
    with pytest.raises(DataError, match=r"cannot read .*garbage\.npz as an \.npz file"):
        load(tmp_path / "garbage.npz")


def test_tuple_of_numpy_arrays_and_of_tensors_agree():
    a = load((NHWC, Y))
    b = load((torch.from_numpy(NHWC).permute(0, 3, 1, 2), torch.from_numpy(Y)))
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert "arrays" in a.source and "6×5×7×3" in a.source


def test_float_tensors_in_unit_range():
    x = torch.rand(6, 1, 5, 7, dtype=torch.bfloat16)
    data = load((x, Y))
    assert data.image_shape == (1, 5, 7)
    assert (data.as_float() - x.float()).abs().max() <= 1 / 255


def test_images_do_not_share_memory_with_the_input():
    x = NHW.copy()
    data = load((x, Y))
    x[:] = 0
    assert data.images.any()


def test_bare_array_is_unlabelled():
    data = load(NHWC)
    assert data.classes == ["unlabelled"] and len(data) == 6 and "unlabelled array" in data.source


def test_tuple_must_be_a_pair_and_x_must_hold_images():
    with pytest.raises(DataError, match=r"a tuple source must be \(X, y\), got a tuple of 3 items"):
        load((NHW, Y, Y))
    with pytest.raises(DataError, match="x holds no images"):
        load((NHW[:0], Y[:0]))
