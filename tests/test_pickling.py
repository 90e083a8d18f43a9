"""Everything holding a model pickles, for every family (a cgan's spectral-norm parametrizations cannot be pickled
themselves): models, SyntheticDataset and MixedDataset (in spawned DataLoader workers too), the transforms,
BatchAugment, and the scikit-learn adapters (pickle and joblib). A model whose weights are its checkpoint's travels as
a reference to it, any other as its config and weights; both come back sampling the same images."""

from __future__ import annotations

import copy
import pickle
import shutil

import joblib
import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader

import genaug
from genaug.augment import BatchAugment
from genaug.data import ImageSet
from genaug.errors import CheckpointError
from genaug.models.base import GenerativeModel
from genaug.sklearn import GenerativeOversampler, LatentEncoder
from genaug.synthetic.dataset import SyntheticDataset
from genaug.synthetic.mixed import MixedDataset
from genaug.transforms import GenerativeAugment
from tests.train.tiny import TINY

FAMILIES = ["cgan", "cvae", "ae", "diffusion"]


def unsaved(model: GenerativeModel) -> GenerativeModel:
    """An in-memory copy that belongs to no checkpoint: it pickles as config + weights."""
    clone = copy.deepcopy(model)
    clone.checkpoint_dir = clone.weights_sha256 = None
    return clone


def joblib_round_trip(value, tmp_path):
    path = tmp_path / "saved.joblib"
    joblib.dump(value, path)
    return joblib.load(path)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("by", ["checkpoint", "weights"])
def test_a_model_comes_back_sampling_the_same_images(tiny_models, family, by):
    model = tiny_models[family] if by == "checkpoint" else unsaved(tiny_models[family])
    restored = pickle.loads(pickle.dumps(model))
    assert type(restored) is type(model) and restored is not model and not restored.training
    assert restored.checkpoint_dir == model.checkpoint_dir and restored.weights_sha256 == model.weights_sha256
    assert torch.equal(restored.sample(8, seed=1), model.sample(8, seed=1))


def test_how_a_model_travels(tiny_models):
    cgan = tiny_models["cgan"]
    assert len(pickle.dumps(cgan)) < 1000  # its checkpoint's path and SHA-256
    by_weights = pickle.dumps(unsaved(cgan))
    assert b"parametrize" not in by_weights and b"ParametrizationList" not in by_weights  # tensors, not modules


def test_a_model_changed_since_it_was_loaded_travels_with_its_weights(tiny_models):
    model = copy.deepcopy(tiny_models["cvae"])
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.checkpoint_dir is None
    assert torch.equal(restored.sample(4, seed=0), model.sample(4, seed=0))


def test_a_checkpoint_changed_since_pickling_is_refused(tiny_runs, tmp_path):
    run = shutil.copytree(tiny_runs["cgan"], tmp_path / "cgan")
    model = genaug.load(run)
    travelling = pickle.dumps(model)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    model.save(run)  # retrained in place, say
    with pytest.raises(CheckpointError, match="changed since this pickled model was made"):
        pickle.loads(travelling)


def test_copies_stay_in_memory(tiny_models):
    model = copy.deepcopy(tiny_models["ae"]).train()
    clone = copy.deepcopy(model)
    assert clone.training and clone.checkpoint_dir == model.checkpoint_dir and clone.encoder is not model.encoder
    assert all(torch.equal(a, b) for a, b in zip(clone.state_dict().values(), model.state_dict().values(), strict=True))
    shallow = copy.copy(model)
    assert shallow.training and shallow.encoder is model.encoder


def test_datasets_give_the_same_items_in_spawned_workers(tiny_models, digits16):
    # One DataLoader for every case, since each spawned worker imports torch and genaug (seconds): both data sets,
    # every family, models travelling by checkpoint and by weights.
    real = digits16.subset(range(4))
    counts = {0: 2, 9: 1}  # two classes: little to generate
    parts = []
    for family in FAMILIES:
        for model in (tiny_models[family], unsaved(tiny_models[family])):
            parts.append(SyntheticDataset(model, class_counts=counts, seed=2))
            parts.append(MixedDataset(real, SyntheticDataset(model, class_counts=counts, seed=3)))
    data = ConcatDataset(parts)
    # the workers first: computing the items here would fill the caches that travel with the data sets
    in_workers = list(DataLoader(data, batch_size=None, num_workers=2, multiprocessing_context="spawn"))
    in_process = [data[i] for i in range(len(data))]
    assert len(in_workers) == len(in_process) == 2 * len(FAMILIES) * (3 + 8)
    for (image, label), (expected_image, expected_label) in zip(in_workers, in_process, strict=True):
        assert label == expected_label and torch.equal(image, expected_image)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_transform_with_a_model_never_saved_pickles(tiny_models, family, digits16):
    transform = GenerativeAugment(unsaved(tiny_models[family]), p=1.0, mode="replace")
    restored = pickle.loads(pickle.dumps(transform))
    image, label = digits16[0]
    torch.manual_seed(0)
    expected, _ = transform((image, label))
    torch.manual_seed(0)
    augmented, _ = restored((image, label))
    assert torch.equal(augmented, expected)


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_augment_pickles_with_its_model_and_generator_state(tiny_models, family, digits16):
    augment = BatchAugment(unsaved(tiny_models[family]), mode="replace", p=0.5, seed=0)
    images, labels = digits16.images[:16], digits16.labels[:16]
    augment(images, labels)  # the generator moves on; its state travels with it
    restored = pickle.loads(pickle.dumps(augment))
    assert torch.equal(restored(images, labels)[0], augment(images, labels)[0])


@pytest.fixture(scope="module")
def imbalanced(digits: ImageSet) -> tuple[np.ndarray, np.ndarray]:
    """Digits 0 and 1 with 20 and 8 images: uint8 N×8×8 and int labels."""
    labels = digits.labels.numpy()
    rows = np.concatenate([np.flatnonzero(labels == k)[:n] for k, n in {0: 20, 1: 8}.items()])
    return digits.images[rows, 0].numpy(), labels[rows]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_fitted_oversampler_pickles_and_saves_with_joblib(family, imbalanced, tmp_path):
    options = {"steps": 5, "batch_size": 16, "progress": False, "tensorboard": False, **TINY[family]}
    sampler = GenerativeOversampler(family=family, random_state=0, **options)
    sampler.fit_resample(*imbalanced)
    expected = sampler.model_.sample(6, seed=0)
    for restored in (pickle.loads(pickle.dumps(sampler)), joblib_round_trip(sampler, tmp_path)):
        assert restored.get_params() == sampler.get_params()
        assert restored.sampling_strategy_ == sampler.sampling_strategy_
        assert torch.equal(restored.model_.sample(6, seed=0), expected)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_fitted_latent_encoder_pickles_and_saves_with_joblib(tiny_runs, tiny_models, family, digits16, tmp_path):
    x = digits16.images[:12, 0].numpy()
    for model in (str(tiny_runs[family]), unsaved(tiny_models[family])):
        encoder = LatentEncoder(model).fit(x)
        expected = encoder.transform(x)
        for restored in (pickle.loads(pickle.dumps(encoder)), joblib_round_trip(encoder, tmp_path)):
            np.testing.assert_array_equal(restored.transform(x), expected)
