"""anomaly_score on every family: what it computes, its input types, batching, and the errors it raises."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from genaug.models.base import GenerativeModel
from genaug.models.inputs import as_image_batch

FAMILIES = ["cgan", "cvae", "ae", "diffusion"]


@pytest.fixture(scope="module")
def digits_batch(digits16) -> torch.Tensor:
    """Twelve real 16×16 digits, uint8 N×1×H×W."""
    return digits16.images[:12]


@pytest.mark.parametrize("family", FAMILIES)
def test_scores_are_one_finite_number_per_image_and_independent_of_batch_size(tiny_models, digits_batch, family):
    model = tiny_models[family]
    scores = model.anomaly_score(digits_batch)
    assert scores.shape == (12,) and scores.dtype == torch.float32 and torch.isfinite(scores).all()
    torch.testing.assert_close(model.anomaly_score(digits_batch, batch_size=5), scores)
    torch.testing.assert_close(model.anomaly_score(digits_batch.float() / 255), scores)
    assert not model.training


@pytest.mark.parametrize("family", FAMILIES)
def test_every_input_form_gives_the_same_scores(tiny_models, digits_batch, family):
    model = tiny_models[family]
    expected = model.anomaly_score(digits_batch[:3])
    hw = [img[0].numpy() for img in digits_batch[:3]]  # H×W uint8
    forms = {
        "single C×H×W tensors": [img for img in digits_batch[:3]],
        "PIL images": [Image.fromarray(a) for a in hw],
        "H×W×C arrays": [a[:, :, None] for a in hw],
        "N×H×W×C array": np.stack(hw)[..., None],
        "float H×W arrays": [a / 255.0 for a in hw],
    }
    for name, images in forms.items():
        torch.testing.assert_close(model.anomaly_score(images), expected, msg=name)


def test_other_sizes_and_channels_are_converted_to_the_models_shape(tiny_models, digits_batch):
    model = tiny_models["ae"]
    rgb_big = np.random.default_rng(0).integers(0, 256, (2, 40, 30, 3), dtype=np.uint8)
    assert model.anomaly_score(rgb_big).shape == (2,)
    batch = as_image_batch(Image.fromarray(rgb_big[0]), model.image_shape)
    assert batch.shape == (1, 1, 16, 16) and batch.min() >= 0 and batch.max() <= 1
    gray_as_rgb = as_image_batch(digits_batch[:2].expand(-1, 3, -1, -1), model.image_shape)
    torch.testing.assert_close(gray_as_rgb, digits_batch[:2].float() / 255, atol=1e-3, rtol=0)


@pytest.mark.parametrize("family", ["cvae", "ae"])
def test_noise_scores_higher_than_digits(tiny_models, digits_batch, family):
    noise = torch.rand(12, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    model = tiny_models[family]
    assert model.anomaly_score(noise).mean() > model.anomaly_score(digits_batch).mean()


def test_ae_score_is_the_mean_squared_reconstruction_error(tiny_models, digits_batch):
    model = tiny_models["ae"]
    x = digits_batch.float() / 255
    expected = (model.reconstruct(x) - x).square().mean(dim=(1, 2, 3))
    torch.testing.assert_close(model.anomaly_score(digits_batch), expected)


def test_cvae_score_is_the_negative_elbo_and_best_class_is_the_minimum(tiny_models, digits_batch):
    model = tiny_models["cvae"]
    per_class = torch.stack([model.anomaly_score(digits_batch, labels=k) for k in range(10)], dim=1)
    torch.testing.assert_close(model.anomaly_score(digits_batch), per_class.min(dim=1).values)
    labels = [str(v) for v in range(10)] + ["0", "1"]
    own = model.anomaly_score(digits_batch, labels=labels)
    torch.testing.assert_close(own, per_class[torch.arange(12), torch.tensor([int(v) for v in labels])])
    # more samples: still seeded, and a different (lower-variance) estimate
    four = model.anomaly_score(digits_batch, samples=4, seed=1)
    torch.testing.assert_close(model.anomaly_score(digits_batch, samples=4, seed=1), four)
    assert not torch.equal(four, model.anomaly_score(digits_batch))
    with pytest.raises(ValueError, match="samples must be"):
        model.anomaly_score(digits_batch, samples=0)
    with pytest.raises(ValueError, match="unknown class label 'cat'"):
        model.anomaly_score(digits_batch, labels="cat")


def test_cgan_score_is_minus_the_best_discriminator_logit(tiny_models, digits_batch):
    model = tiny_models["cgan"]
    per_class = torch.stack([model.anomaly_score(digits_batch, labels=k) for k in range(10)], dim=1)
    torch.testing.assert_close(model.anomaly_score(digits_batch), per_class.min(dim=1).values)
    x = digits_batch.float() / 255
    with torch.no_grad():
        logits = model.discriminator(x, torch.full((12,), 3))
    torch.testing.assert_close(model.anomaly_score(digits_batch, labels=3), -logits)


def test_a_family_without_scores_says_which_families_have_them():
    class Bare(GenerativeModel):
        family = "bare"

    @dataclasses.dataclass
    class Config:
        latent_dim: int = 2

    model = Bare(Config(), ["a"], (1, 8, 8))
    families = r"\['ae', 'cgan', 'cvae', 'diffusion'\]"
    with pytest.raises(NotImplementedError, match=r"bare models have no anomaly_score\(\).*" + families):
        model.anomaly_score(torch.zeros(1, 1, 8, 8))


@pytest.mark.parametrize(
    ("images", "error", "match"),
    [
        (torch.full((2, 1, 16, 16), 2.0), ValueError, r"must lie in \[0, 1\]"),
        (torch.zeros(2, 1, 16, 16, dtype=torch.int32), TypeError, "uint8 or float"),
        (torch.zeros(2, 5, 16, 16), ValueError, "C = 1 or 3"),
        (np.zeros((4, 16, 16), np.uint8), ValueError, "one H×W×C image"),
        ([], ValueError, "empty list"),
        ("digit.png", TypeError, "must be a torch tensor"),
        (np.full((16, 16), np.nan), ValueError, "NaN"),
    ],
)
def test_bad_images_raise_clear_errors(tiny_models, images, error, match):
    with pytest.raises(error, match=match):
        tiny_models["ae"].anomaly_score(images)
