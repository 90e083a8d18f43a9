"""cvae: shapes, seeds, labels, encode/decode, perturbation, likelihood choice, training, state round trip."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from genaug.models.likelihood import near_binary_fraction
from genaug.models.vae import CVAE, CVAEConfig, CVAEObjective
from genaug.train.precision import Precision
from tests.models.digits import CLASSES, digits

TINY = {"latent_dim": 4, "base_width": 8, "kl_warmup_steps": 0}


def tiny(image_shape=(1, 8, 8), **overrides) -> CVAE:
    config = CVAEConfig(**{**TINY, **overrides}).resolved_for(torch.zeros(2, *image_shape, dtype=torch.uint8))
    return CVAE(config, CLASSES, image_shape)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_sample_shape_range_and_dtype(shape):
    x = tiny(shape).sample(5, seed=0)
    assert x.shape == (5, *shape) and x.dtype == torch.float32
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_seeds_labels_and_options():
    model = tiny()
    torch.testing.assert_close(model.sample(4, seed=7), model.sample(4, seed=7))
    assert not torch.equal(model.sample(4, seed=7), model.sample(4, seed=8))
    torch.testing.assert_close(model.sample(3, labels="two", seed=0), model.sample(3, labels=[2, 2, 2], seed=0))
    assert not torch.equal(model.sample(3, labels=0, seed=0), model.sample(3, labels=1, seed=0))
    torch.testing.assert_close(model.sample(2, seed=1, temperature=0.0)[0], model.decode(torch.zeros(1, 4), 0)[0])
    with pytest.raises(TypeError, match=r"truncation.*valid: \['temperature'\]"):
        model.sample(2, truncation=0.5)
    with pytest.raises(ValueError, match="temperature must be"):
        model.sample(2, temperature=-1.0)


def test_encode_decode_reconstruct_perturb():
    model = tiny((1, 16, 16))
    images, labels = digits(16)
    x, y = images[:6], labels[:6]
    mean, variance = model.encode(x)
    assert mean.shape == variance.shape == (6, 4) and (variance > 0).all()
    assert model.decode(mean, y).shape == (6, 1, 16, 16)
    recon = model.reconstruct(x, y)
    assert recon.shape == (6, 1, 16, 16) and recon.min() >= 0 and recon.max() <= 1
    torch.testing.assert_close(model.decode(mean, y), recon)
    as_float = x.float() / 255
    assert torch.equal(model.perturb(x, y, 0.0, torch.Generator().manual_seed(0)), as_float)  # the image itself
    torch.testing.assert_close(model.perturb(x, y, 1.0, generator=3), model.perturb(x, y, 1.0, generator=3))
    moved = model.perturb(x, y, 1.0, generator=3)
    # the image plus what moving the posterior mean changes in its decoding under its label (keep_detail)
    z = mean + variance.sqrt() * torch.randn(mean.shape, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(moved, (as_float + model.decode(z, y) - recon).clamp(0, 1))
    assert not torch.allclose(moved, as_float)
    assert not torch.allclose(model.perturb(x, ["one"] * 6, 1.0, generator=3), moved)  # decoded under the label
    transferred = model.reconstruct(x, ["one"] * 6)  # the encoder ignores labels: decode under another class
    assert not torch.allclose(transferred, recon)
    with pytest.raises(ValueError, match="expected images of shape"):
        model.encode(torch.zeros(2, 3, 16, 16))
    with pytest.raises(ValueError, match="strength must be"):
        model.perturb(x, y, -0.5)
    with pytest.raises(ValueError, match="labels are required"):
        model.reconstruct(x, None)


def test_auto_likelihood_follows_the_data():
    images, _ = digits(8)
    assert CVAEConfig().resolved_for(images).likelihood == "bernoulli"
    smooth = F.interpolate(
        torch.rand(32, 3, 4, 4, generator=torch.Generator().manual_seed(0)), size=16, mode="bilinear"
    )
    assert near_binary_fraction(smooth) < 0.2
    assert CVAEConfig().resolved_for((smooth * 255).to(torch.uint8)).likelihood == "gaussian"
    assert CVAEConfig(likelihood="gaussian").resolved_for(images).likelihood == "gaussian"
    with pytest.raises(ValueError, match=r"likelihood must be one of \['auto', 'bernoulli', .*\], got 'poisson'"):
        CVAEConfig(likelihood="poisson").resolved_for(images)
    with pytest.raises(ValueError, match="resolved_for"):
        CVAE(CVAEConfig(), CLASSES, (1, 8, 8))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_training_reduces_the_loss(likelihood):
    images, labels = digits(8)
    torch.manual_seed(0)
    model = tiny(likelihood=likelihood, lr=3e-3)
    objective = CVAEObjective(model, Precision(torch.device("cpu")))
    batches = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(50):
        idx = torch.randint(len(images), (32,), generator=batches)
        out = objective.train_step(images[idx].float() / 255, labels[idx])
        losses.append(float(out["loss"]))
    assert set(out) == {"loss", "recon", "kl"} and all(torch.isfinite(v) for v in out.values())
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.1 * abs(first), (first, last)


def test_kl_warmup_survives_an_optimizer_reload():
    images, labels = digits(8)
    model = tiny(kl_warmup_steps=10, beta=2.0)
    objective = CVAEObjective(model, Precision(torch.device("cpu")))
    assert objective.kl_weight() == 0.0
    for _ in range(4):
        objective.train_step(images[:16].float() / 255, labels[:16])
    assert objective.kl_weight() == pytest.approx(0.8)
    resumed = CVAEObjective(model, Precision(torch.device("cpu")))
    resumed.optimizers()["model"].load_state_dict(objective.optimizers()["model"].state_dict())
    assert resumed.kl_weight() == pytest.approx(0.8)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_state_dict_round_trip_gives_identical_samples(likelihood):
    images, labels = digits(8)
    torch.manual_seed(0)
    model = tiny(likelihood=likelihood)
    objective = CVAEObjective(model, Precision(torch.device("cpu")))
    for _ in range(3):
        objective.train_step(images[:32].float() / 255, labels[:32])
    torch.manual_seed(1)
    fresh = CVAE(model.config, CLASSES, (1, 8, 8))
    fresh.load_state_dict(model.state_dict(), strict=True)
    torch.testing.assert_close(fresh.sample(6, seed=0), model.sample(6, seed=0), rtol=0, atol=0)
    assert ("likelihood.log_sigma" in model.state_dict()) == (likelihood == "gaussian")
