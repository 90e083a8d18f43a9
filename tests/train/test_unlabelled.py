"""Training on labelled and unlabelled images: what each family does with the unlabelled ones, the run's record,
resume and determinism, and bad input (labels on them, an empty set, other sizes, an unreadable source)."""

from __future__ import annotations

import csv
import math
import warnings

import numpy as np
import pytest
import torch

import genaug
from genaug.data import DataWarning, ImageSet
from genaug.errors import CheckpointError
from genaug.models.io import read_config
from genaug.models.registry import get_family
from genaug.models.vae import marginal_over_classes
from genaug.train import Trainer, TrainerConfig
from genaug.train.precision import Precision
from tests.train.tiny import TINY, tiny_config

FAMILIES = ("ae", "cvae", "cgan", "diffusion")  # every family learns from unlabelled images


def run(data, out, family="ae", unlabelled=None, **trainer_kwargs):
    settings = {"steps": 4, "batch_size": 16, "log_every": 1, "sample_every": 10**9, "checkpoint_every": 2}
    settings.update(progress=False, tensorboard=False, **trainer_kwargs)
    return Trainer(TrainerConfig(**settings), out).fit(data, tiny_config(family), unlabelled)


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    for (name, x), y in zip(weights(a).items(), weights(b).values(), strict=True):
        torch.testing.assert_close(x, y, msg=name)


@pytest.fixture(scope="module")
def split(digits16):
    """200 labelled images of digits16 and 500 others as a bare (unlabelled) uint8 array."""
    return digits16.subset(list(range(200))), digits16.images[200:700].numpy()


@pytest.mark.parametrize("family", FAMILIES)
def test_fit_with_unlabelled_images_records_both_sets(split, tmp_path, family):
    labelled, unlabelled = split
    model = genaug.fit(
        labelled, family=family, unlabelled=unlabelled, out=tmp_path, steps=3, batch_size=16,
        progress=False, tensorboard=False, **TINY[family],
    )  # fmt: skip
    training = read_config(tmp_path)["training"]
    assert (training["num_images"], training["num_unlabelled_images"]) == (200, 500)
    assert training["unlabelled_data"]["image_shape"] == [1, 16, 16]
    assert model.classes == labelled.classes
    assert genaug.load(tmp_path).sample(2, seed=0).shape == (2, 1, 16, 16)


def test_a_run_without_unlabelled_images_records_none(split, tmp_path):
    run(split[0], tmp_path, steps=1)
    training = read_config(tmp_path)["training"]
    assert (training["num_unlabelled_images"], training["unlabelled_data"]) == (0, None)


def test_the_ae_reconstructs_the_unlabelled_images_it_trained_on(digits16, tmp_path):
    """Labelled: digits 0-4 only; unlabelled: digits 5-9. Trained on both, the encoder/decoder reconstruct 5-9
    better than the same run without them; the class densities are those of the labelled classes."""
    low = digits16.labels < 5
    labelled = ImageSet(digits16.images[low], digits16.labels[low], digits16.classes[:5])
    unlabelled = digits16.images[~low]
    settings = {"steps": 60, "batch_size": 32, "checkpoint_every": 60}
    with_them = run(labelled, tmp_path / "with", unlabelled=unlabelled, **settings)
    without = run(labelled, tmp_path / "without", **settings)
    error_with, error_without = (float(m.anomaly_score(unlabelled).mean()) for m in (with_them, without))
    assert error_with < 0.85 * error_without
    assert with_them.classes == labelled.classes and bool(with_them.density_fitted)


def test_the_cvae_marginalises_an_unlabelled_image_over_the_classes():
    """The unlabelled term is M2's, E_q[-log p(x | z, y)] - H(q) + log K, with q(y | x) the posterior over classes;
    the entropy it logs is H(q)."""
    log_likelihood = -torch.rand(10, 6, generator=torch.Generator().manual_seed(0)) * 30  # K x M
    marginal, entropy = marginal_over_classes(log_likelihood)
    q = torch.softmax(log_likelihood, dim=0)
    q_entropy = -(q * q.log()).sum(dim=0)
    torch.testing.assert_close(marginal, -(q * log_likelihood).sum(dim=0) - q_entropy + math.log(10))
    torch.testing.assert_close(entropy, q_entropy)


def test_the_cvae_decodes_every_image_under_every_class_and_classifies_the_labelled_ones(digits16):
    family = get_family("cvae")
    model = family.model_class(tiny_config("cvae", likelihood="bernoulli"), digits16.classes, (1, 16, 16))
    objective = family.objective_class(model, Precision(torch.device("cpu"), "32", None))
    seen = []
    decoder_logits = model.decoder_logits
    model.decoder_logits = lambda z, labels: seen.append(labels) or decoder_logits(z, labels)
    labels = digits16.labels[:4]
    losses = objective.train_step(digits16.images[:4] / 255, labels, unlabelled=digits16.images[4:7] / 255)
    assert seen[0].tolist() == [k for k in range(10) for _ in range(4 + 3)]  # class-major, labelled images first
    assert 0 <= float(losses["class_entropy"]) <= math.log(10) and float(losses["classification"]) >= 0
    assert set(objective.train_step(digits16.images[:4] / 255, labels)) == {"loss", "recon", "kl"}
    assert seen[1].tolist() == labels.tolist()  # without unlabelled images: the labelled step as it always was


def test_the_cvae_logs_its_unlabelled_terms(split, tmp_path):
    run(split[0], tmp_path, "cvae", unlabelled=split[1], steps=2)
    with open(tmp_path / "metrics.csv") as f:
        logged = {name: float(value) for name, value in list(csv.DictReader(f))[-1].items()}
    assert {"classification", "unlabelled_recon", "class_entropy"} <= set(logged)
    assert all(math.isfinite(value) for value in logged.values())


def test_the_diffusion_trains_unlabelled_images_as_the_null_class(digits16):
    family = get_family("diffusion")
    model = family.model_class(tiny_config("diffusion", label_dropout=0.0), digits16.classes, (1, 16, 16))
    objective = family.objective_class(model, Precision(torch.device("cpu"), "32", None))
    seen = []
    forward = model.net.forward
    model.net.forward = lambda x, t, conditions: seen.append(conditions) or forward(x, t, conditions)
    labels = digits16.labels[:4]
    objective.train_step(digits16.images[:4].float() / 255, labels, unlabelled=digits16.images[4:7].float() / 255)
    assert seen[0].tolist() == labels.tolist() + [10, 10, 10]  # class 10: the null class of guidance


def test_the_cgan_learns_from_unlabelled_images_that_they_look_real(digits16, tmp_path):
    """Labelled: digits 0-4 only; unlabelled: digits 5-9. Trained on both, the discriminator's unconditional
    (realism) term scores 5-9 as real, far above the same run without them and above uniform noise."""
    low = digits16.labels < 5
    labelled = ImageSet(digits16.images[low], digits16.labels[low], digits16.classes[:5])
    unlabelled = digits16.images[~low]
    settings = {"steps": 60, "batch_size": 32, "checkpoint_every": 60}
    with_them = run(labelled, tmp_path / "with", "cgan", unlabelled=unlabelled, **settings)
    without = run(labelled, tmp_path / "without", "cgan", **settings)

    def realism(model, images):
        with torch.no_grad():
            return float(model.discriminator.realism(model.discriminator.features(images)).mean())

    five_to_nine = unlabelled.float() / 255
    noise = torch.rand(len(five_to_nine), 1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert realism(with_them, five_to_nine) > realism(without, five_to_nine) + 0.5
    assert realism(with_them, five_to_nine) > realism(with_them, noise) + 0.5


def test_the_cgan_logs_its_unlabelled_term_and_its_weight_switches_it_off(split, tmp_path):
    run(split[0], tmp_path / "with", "cgan", unlabelled=split[1], steps=2)
    with open(tmp_path / "with" / "metrics.csv") as f:
        logged = float(list(csv.DictReader(f))[-1]["d_unlabelled"])
    assert math.isfinite(logged) and logged >= 0  # a hinge loss
    weights_off = Trainer(
        TrainerConfig(steps=2, batch_size=16, progress=False, tensorboard=False), tmp_path / "off"
    ).fit(split[0], tiny_config("cgan", unlabelled_weight=0.0), split[1])
    assert_same_weights(weights_off, run(split[0], tmp_path / "labelled", "cgan", steps=2))


def test_labels_on_the_unlabelled_set_are_ignored_with_a_warning(split, digits16, tmp_path):
    with pytest.warns(DataWarning, match=r"carries labels: 1797 images in 10 classes. They are ignored"):
        run(split[0], tmp_path, unlabelled=digits16, steps=1)
    assert read_config(tmp_path)["training"]["num_unlabelled_images"] == 1797


@pytest.mark.parametrize("empty", ["array", "imageset", "folder"])
def test_an_empty_unlabelled_set_trains_on_the_labelled_images_alone(split, tmp_path, empty):
    sources = {
        "array": np.zeros((0, 16, 16), np.uint8),
        "imageset": ImageSet(torch.zeros(0, 1, 16, 16, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64), ["a"]),
        "folder": tmp_path / "empty",
    }
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)  # hidden entries do not count as images
    with pytest.warns(DataWarning, match="holds no images; training uses the labelled images only"):
        alone = run(split[0], tmp_path / "run", unlabelled=sources[empty], steps=2)
    assert read_config(tmp_path / "run")["training"]["num_unlabelled_images"] == 0
    assert_same_weights(alone, run(split[0], tmp_path / "labelled", steps=2))


def test_an_unreadable_unlabelled_source_names_the_problem(split, tmp_path):
    with pytest.raises(genaug.errors.DataError, match="neither a built-in data set"):
        run(split[0], tmp_path, unlabelled=str(tmp_path / "missing"))


def test_same_seed_same_weights_and_the_unlabelled_images_change_them(split, tmp_path):
    a = run(split[0], tmp_path / "a", "cvae", unlabelled=split[1])
    b = run(split[0], tmp_path / "b", "cvae", unlabelled=split[1])
    assert_same_weights(a, b)
    labelled_only = run(split[0], tmp_path / "c", "cvae")
    assert not torch.equal(a.posterior.weight, labelled_only.posterior.weight)


@pytest.mark.parametrize("family", FAMILIES)
def test_resume_with_unlabelled_images_continues_exactly(split, tmp_path, family):
    labelled, unlabelled = split
    straight = run(labelled, tmp_path / "straight", family, unlabelled=unlabelled, steps=4)
    run(labelled, tmp_path / "resumed", family, unlabelled=unlabelled, steps=2)
    resumed = run(labelled, tmp_path / "resumed", family, unlabelled=unlabelled, steps=4, resume=True)
    assert_same_weights(straight, resumed)


def test_streamed_unlabelled_images_give_the_same_weights(split, tmp_path):
    """Over the memory budget, both sets are read by DataLoader workers from the same index draws."""
    in_memory = run(split[0], tmp_path / "memory", unlabelled=split[1])
    streamed = run(split[0], tmp_path / "streamed", unlabelled=split[1], memory_budget_mb=0, num_workers=0)
    assert_same_weights(in_memory, streamed)


def test_resume_refuses_other_or_missing_unlabelled_images(split, tmp_path):
    labelled, unlabelled = split
    run(labelled, tmp_path / "run", unlabelled=unlabelled, steps=2)
    with pytest.raises(CheckpointError, match="unlabelled images differ.*num_images.*overwrite=true"):
        run(labelled, tmp_path / "run", unlabelled=unlabelled[:100], steps=4, resume=True)
    with pytest.raises(CheckpointError, match="trained with unlabelled images and this one is without them"):
        run(labelled, tmp_path / "run", steps=4, resume=True)
    run(labelled, tmp_path / "plain", steps=2)
    with pytest.raises(CheckpointError, match="trained without unlabelled images and this one is with them"):
        run(labelled, tmp_path / "plain", unlabelled=unlabelled, steps=4, resume=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same data resumes without a word
        run(labelled, tmp_path / "run", unlabelled=unlabelled, steps=4, resume=True)
