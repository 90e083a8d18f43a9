"""genaug.albumentations.GenerativeAugment as an albumentations citizen: inside A.Compose with other transforms,
the label key, class names, and serialisation (to_dict/from_dict, JSON and YAML files) by checkpoint directory."""

from __future__ import annotations

import copy
import pickle

import albumentations as A
import numpy as np
import pytest

from genaug.albumentations import GenerativeAugment


@pytest.fixture(scope="module")
def cgan(tiny_models):
    return tiny_models["cgan"]  # 10 classes "0".."9", 1×16×16


def pixels(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def run(pipeline: A.Compose, seed: int, n: int = 8) -> list[np.ndarray]:
    pipeline.set_random_seed(seed)
    return [pipeline(image=pixels((16, 16, 1), k), class_label=k % 10)["image"] for k in range(n)]


@pytest.mark.parametrize(
    "image", [pixels((24, 20, 3)), pixels((24, 20, 3)).astype(np.float32) / 255], ids=["uint8", "float32"]
)
def test_in_a_compose_with_other_transforms(cgan, image):
    pipeline = A.Compose(
        [A.HorizontalFlip(p=0.5), GenerativeAugment(cgan, p=1.0), A.RandomBrightnessContrast(p=0.5)], seed=0
    )
    out = pipeline(image=image, class_label=3)
    assert out["image"].dtype == image.dtype and out["image"].shape == image.shape
    assert out["class_label"] == 3 and not np.array_equal(out["image"], image)


def test_label_key_names_where_the_label_is(cgan):
    pipeline = A.Compose([GenerativeAugment(cgan, p=1.0, label_key="digit")], seed=0)
    assert pipeline(image=pixels((16, 16)), digit=3)["image"].shape == (16, 16)
    with pytest.raises(ValueError, match=r"image=image, digit=3"):
        pipeline(image=pixels((16, 16)), class_label=3)
    with pytest.raises(ValueError, match="label_key"):
        GenerativeAugment(cgan, label_key="")


def test_class_names_are_labels_too(cgan):
    pipeline = A.Compose([GenerativeAugment(cgan, p=1.0)], seed=0)
    assert pipeline(image=pixels((16, 16)), class_label="7")["image"].shape == (16, 16)
    with pytest.raises(ValueError, match=r"unknown class label 'cat'.*names \['0'"):
        pipeline(image=pixels((16, 16)), class_label="cat")


@pytest.mark.parametrize("family", ["cgan", "cvae"])
def test_to_dict_from_dict_round_trip(family, tiny_models):
    mode = "replace" if family == "cgan" else "perturb"
    pipeline = A.Compose([GenerativeAugment(tiny_models[family], p=0.5, mode=mode, strength=0.7, bank_size=32)])
    record = A.to_dict(pipeline)
    (entry,) = record["transform"]["transforms"]
    assert entry == {
        "__class_fullname__": "genaug.albumentations.GenerativeAugment",
        "model": str(tiny_models[family].checkpoint_dir),
        "p": 0.5,
        "mode": mode,
        "strength": 0.7,
        "bank_size": 32,
        "label_key": "class_label",
        "filter": None,
        "redraws": 0,
    }
    restored = A.from_dict(record)
    assert isinstance(restored.transforms[0], GenerativeAugment)
    assert all(np.array_equal(a, b) for a, b in zip(run(pipeline, 51), run(restored, 51), strict=True))


def test_a_pipeline_with_a_filter_pickles_but_is_not_recorded_by_to_dict(tiny_models):
    from tests.augment.test_shared import AcceptClass

    pipeline = A.Compose([GenerativeAugment(tiny_models["ae"], mode="perturb", filter=AcceptClass(3))], seed=0)
    with pytest.raises(ValueError, match="this GenerativeAugment has a filter.*pickle the pipeline instead"):
        A.to_dict(pipeline)
    restored = pickle.loads(pickle.dumps(pipeline))
    image = pixels((16, 16))
    assert np.array_equal(restored(image=image, class_label=3)["image"], pipeline(image=image, class_label=3)["image"])


@pytest.mark.parametrize("data_format", ["json", "yaml"])
def test_save_and_load_files(cgan, tmp_path, data_format):
    pipeline = A.Compose([A.HorizontalFlip(p=0.5), GenerativeAugment(cgan, p=0.5, bank_size=16)])
    path = tmp_path / f"pipeline.{data_format}"
    A.save(pipeline, str(path), data_format=data_format)
    assert str(cgan.checkpoint_dir) in path.read_text()
    restored = A.load(str(path), data_format=data_format)
    assert all(np.array_equal(a, b) for a, b in zip(run(pipeline, 61), run(restored, 61), strict=True))


def test_a_model_never_saved_cannot_be_restored_from_a_saved_pipeline(cgan):
    model = copy.deepcopy(cgan)
    model.checkpoint_dir = None
    pipeline = A.Compose([GenerativeAugment(model)])
    assert "model=None" in repr(pipeline)  # albumentations builds reprs from to_dict, so that must not fail
    record = A.to_dict(pipeline)
    with pytest.raises(ValueError, match=r"model is None.*never been saved: save the model with model\.save"):
        A.from_dict(record)
