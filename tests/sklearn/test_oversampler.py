"""GenerativeOversampler: imbalanced-learn's fit_resample contract on real digits with a tiny model: output
layout and dtype, originals first, class counts, determinism, run directories, Pipeline use, bad input."""

from __future__ import annotations

import tempfile
from collections import Counter

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier

import genaug
from genaug.data import ImageSet
from genaug.sklearn import GenerativeOversampler

# a tiny cvae trained for 20 steps: well under a second per fit once torch is warm
TINY = {"steps": 20, "batch_size": 16, "latent_dim": 4, "base_width": 8, "progress": False, "tensorboard": False}
COUNTS = {0: 30, 1: 12, 2: 6}


@pytest.fixture(scope="module")
def imbalanced(digits: ImageSet) -> tuple[np.ndarray, np.ndarray]:
    """Digits 0, 1, 2 with 30, 12 and 6 images: uint8 N×8×8 and int labels."""
    labels = digits.labels.numpy()
    rows = np.concatenate([np.flatnonzero(labels == k)[:n] for k, n in COUNTS.items()])
    return digits.images[rows, 0].numpy(), labels[rows]


@pytest.fixture(scope="module")
def resampled(imbalanced) -> tuple[GenerativeOversampler, np.ndarray, np.ndarray]:
    x, y = imbalanced
    sampler = GenerativeOversampler(random_state=0, **TINY)
    return (sampler, *sampler.fit_resample(x[:, None], y))  # N×1×8×8 uint8


def test_originals_first_then_synthetic_rows_balancing_the_classes(imbalanced, resampled):
    (x, y), (sampler, x_res, y_res) = imbalanced, resampled
    assert x_res.shape == (90, 1, 8, 8) and x_res.dtype == np.uint8
    assert y_res.dtype == y.dtype
    np.testing.assert_array_equal(x_res[:48, 0], x)
    np.testing.assert_array_equal(y_res[:48], y)
    assert y_res[48:].tolist() == [1] * 18 + [2] * 24  # class by class, in sorted label order
    assert Counter(y_res.tolist()) == {0: 30, 1: 30, 2: 30}
    assert sampler.sampling_strategy_ == {1: 18, 2: 24}
    assert sampler.seed_ == 0
    assert not any((x_res[48:] == row).all() for row in x[:, None])  # new images, not copies


def test_model_is_kept_and_its_temporary_run_removed(resampled, tmp_path, imbalanced, monkeypatch):
    sampler = resampled[0]
    assert sampler.model_.family == "cvae" and sampler.model_.classes == ["0", "1", "2"]
    assert sampler.model_.image_shape == (1, 8, 8) and sampler.model_.checkpoint_dir is None
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    GenerativeOversampler(random_state=0, **TINY).fit_resample(*imbalanced)
    assert list(tmp_path.iterdir()) == []


def test_same_random_state_same_rows(imbalanced, resampled):
    x, y = imbalanced
    again = GenerativeOversampler(random_state=0, **TINY).fit_resample(x[:, None], y)
    np.testing.assert_array_equal(again[0], resampled[1])
    other = GenerativeOversampler(random_state=1, **TINY).fit_resample(x[:, None], y)
    assert not np.array_equal(other[0][48:], resampled[1][48:])


@pytest.mark.parametrize(
    ("layout", "image_shape"),
    [("flat float32 [0, 1]", (8, 8)), ("N×H×W×1 float64 [0, 255]", None), ("N×H×W int16", None)],
)
def test_new_rows_match_the_input_layout_dtype_and_range(imbalanced, layout, image_shape):
    x, y = imbalanced
    given = {
        "flat float32 [0, 1]": x.reshape(48, 64).astype(np.float32) / 255,
        "N×H×W×1 float64 [0, 255]": x[..., None].astype(np.float64),
        "N×H×W int16": x.astype(np.int16),
    }[layout]
    x_res, y_res = GenerativeOversampler(image_shape=image_shape, random_state=0, **TINY).fit_resample(given, y)
    assert x_res.shape == (90, *given.shape[1:]) and x_res.dtype == given.dtype and len(y_res) == 90
    np.testing.assert_array_equal(x_res[:48], given)
    top = 1 if layout.endswith("[0, 1]") else 255
    assert x_res[48:].min() >= 0 and x_res[48:].max() <= top and x_res[48:].max() > top / 2


def test_string_labels_and_a_dict_strategy(imbalanced):
    x, y = imbalanced
    names = np.array(["zero", "one", "two"])[y]
    sampler = GenerativeOversampler(sampling_strategy={"two": 10}, random_state=0, **TINY)
    x_res, y_res = sampler.fit_resample(x, names)
    assert x_res.shape == (52, 8, 8) and y_res.dtype == names.dtype
    assert y_res[48:].tolist() == ["two"] * 4
    assert sampler.model_.classes == ["one", "two", "zero"]


def test_balanced_data_trains_nothing(imbalanced):
    x, y = imbalanced
    keep = np.concatenate([np.flatnonzero(y == k)[:6] for k in COUNTS])
    sampler = GenerativeOversampler(random_state=0, **TINY)
    x_res, y_res = sampler.fit_resample(x[keep], y[keep])
    np.testing.assert_array_equal(x_res, x[keep])
    np.testing.assert_array_equal(y_res, y[keep])
    assert sampler.model_ is None and sampler.sampling_strategy_ == {1: 0, 2: 0}


def test_out_keeps_the_run(imbalanced, tmp_path):
    x, y = imbalanced
    sampler = GenerativeOversampler(sampling_strategy="minority", random_state=0, out=tmp_path / "run", **TINY)
    x_res, _ = sampler.fit_resample(x, y)
    assert len(x_res) == 48 + 24
    loaded = genaug.load(tmp_path / "run")
    assert loaded.classes == ["0", "1", "2"] and sampler.model_.checkpoint_dir == (tmp_path / "run").resolve()
    with pytest.raises(genaug.CheckpointError, match="overwrite"):
        sampler.fit_resample(x, y)
    sampler.set_params(overwrite=True).fit_resample(x, y)


def test_clone_and_set_params_keep_fit_kwargs():
    sampler = GenerativeOversampler(family="cgan", random_state=3, steps=20, latent_dim=8)
    params = sampler.get_params()
    assert params["steps"] == 20 and params["latent_dim"] == 8 and params["family"] == "cgan"
    copy = clone(sampler)
    assert copy.fit_kwargs == {"steps": 20, "latent_dim": 8} and copy.random_state == 3
    copy.set_params(steps=5, sampling_strategy="all")
    assert copy.fit_kwargs["steps"] == 5 and copy.sampling_strategy == "all" and sampler.fit_kwargs["steps"] == 20
    assert "steps=20" in repr(sampler)


def test_in_an_imbalanced_learn_pipeline(imbalanced):
    Pipeline = pytest.importorskip("imblearn.pipeline").Pipeline

    x, y = imbalanced
    flat = x.reshape(48, 64)
    pipe = Pipeline(
        [
            ("oversample", GenerativeOversampler(image_shape=(8, 8), random_state=0, **TINY)),
            ("classify", DummyClassifier(strategy="prior")),
        ]
    )
    pipe.fit(flat, y)
    np.testing.assert_allclose(pipe.named_steps["classify"].class_prior_, [1 / 3] * 3)  # it saw balanced data
    assert pipe.predict(flat).shape == (48,)  # resampling happens during fit only
    assert pipe.named_steps["oversample"].model_ is not None


@pytest.mark.parametrize(
    ("kwargs", "x_form", "y_len", "match"),
    [
        ({}, "flat", 48, r"flat rows of 64 values; pass image_shape.*image_shape=\(8, 8\)"),
        ({"image_shape": (8, 4)}, "flat", 48, r"image_shape=\(8, 4\) holds 32 values but each row of X has 64"),
        ({"image_shape": (4, 16)}, "images", 48, "does not match X's rows"),
        ({}, "images", 47, "X has 48 rows but y has 47 labels"),
        ({"sampling_strategy": {5: 40}}, "images", 48, "key 5, which is not a class in y"),
        ({"sampling_strategy": {1: 3}}, "images", 48, r"sampling_strategy\[1\] = 3 is below the 12 rows"),
        ({"colour": 3}, "images", 48, r"unknown option\(s\) \['colour'\]"),
    ],
)
def test_bad_input_is_refused_before_training(imbalanced, kwargs, x_form, y_len, match):
    x, y = imbalanced
    given = x.reshape(48, 64) if x_form == "flat" else x
    with pytest.raises(ValueError, match=match):
        GenerativeOversampler(random_state=0, **{**TINY, **kwargs}).fit_resample(given, y[:y_len])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "gmm"}, "unknown model family 'gmm'"),
        ({"seed": 1}, r"does not take seed= \(pass random_state instead\)"),
        ({"image_size": 16}, "image_size="),
        ({"random_state": -1}, r"random_state must be an int >= 0 \(or None: a fresh seed\), got -1"),
        ({"random_state": 0.5}, r"random_state must be an int >= 0 .*, got 0.5 \(a float\)"),
    ],
)
def test_bad_arguments_are_refused_at_once(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GenerativeOversampler(**kwargs)


def test_no_random_state_draws_a_seed_that_reproduces_the_rows(imbalanced):
    x, y = imbalanced
    sampler = GenerativeOversampler(**TINY)
    x_res, _ = sampler.fit_resample(x, y)
    assert isinstance(sampler.seed_, int)
    again, _ = GenerativeOversampler(random_state=sampler.seed_, **TINY).fit_resample(x, y)
    np.testing.assert_array_equal(again, x_res)
