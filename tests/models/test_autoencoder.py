"""ae: shapes, the fitted code density, seeds, encode/decode, perturbation, training, state round trip."""

from __future__ import annotations

import pytest
import torch

from genaug.models.autoencoder import PAD_LOGIT, AEConfig, AEObjective, Autoencoder
from genaug.train.precision import Precision
from tests.models.digits import CLASSES, digits

TINY = {"latent_dim": 4, "base_width": 8, "density_components": 3}


def tiny(image_shape=(1, 8, 8), **overrides) -> Autoencoder:
    config = AEConfig(**{**TINY, **overrides}).resolved_for(torch.zeros(2, *image_shape, dtype=torch.uint8))
    return Autoencoder(config, CLASSES, image_shape)


def fitted(image_shape=(1, 8, 8), **overrides) -> Autoencoder:
    """A tiny untrained model whose density is fitted on digits (random data when only shapes matter)."""
    model = tiny(image_shape, **overrides)
    if image_shape == (1, 8, 8):
        images, labels = digits(8)
    else:
        images = torch.randint(
            0, 256, (60, *image_shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
        )
        labels = torch.arange(60) % 3
    model.fit_density(images, labels)
    return model


def test_sampling_needs_the_fitted_density():
    model = tiny()
    with pytest.raises(RuntimeError, match=r"no fitted code density.*genaug\.fit.*fit_density"):
        model.sample(2, seed=0)
    with pytest.raises(RuntimeError, match="fit_density"):
        model.perturb(digits(8)[0][:2], 0.5)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_sample_shape_range_and_dtype(shape):
    x = fitted(shape).sample(5, seed=0)
    assert x.shape == (5, *shape) and x.dtype == torch.float32
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_seeds_labels_and_options():
    model = fitted()
    torch.testing.assert_close(model.sample(4, seed=7), model.sample(4, seed=7))
    assert not torch.equal(model.sample(4, seed=7), model.sample(4, seed=8))
    torch.testing.assert_close(model.sample(3, labels="two", seed=0), model.sample(3, labels=[2, 2, 2], seed=0))
    with pytest.raises(TypeError, match=r"truncation.*valid: \['temperature'\]"):
        model.sample(2, truncation=0.5)
    with pytest.raises(ValueError, match="temperature must be"):
        model.sample(2, temperature=float("nan"))


def test_density_has_fixed_shapes_and_pads_small_classes():
    model = tiny(density_components=5)
    images, labels = digits(8)
    keep = torch.cat([torch.nonzero(labels == c).squeeze(1)[:n] for c, n in [(0, 1), (1, 12), (2, 100)]])
    model.fit_density(images[keep], labels[keep])
    assert model.density_means.shape == (3, 5, 4) and model.density_scale_tril.shape == (3, 5, 4, 4)
    used = model.density_logits > PAD_LOGIT / 2
    assert used.sum(dim=1).tolist() == [1, 1, 5]  # one component per 2 * latent_dim codes, at most 5
    assert torch.isfinite(model.density_logits).all()
    weights = model.density_logits.softmax(dim=1)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    x = model.sample(4, labels=0, seed=0)  # the one-image class samples near its code
    torch.testing.assert_close(x, model.reconstruct(images[keep[:1]]).expand(4, -1, -1, -1), atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="class 'two' has no images"):
        model.fit_density(images[keep[:13]], labels[keep[:13]])


def test_encode_decode_reconstruct_perturb():
    model = fitted((1, 16, 16))
    x = digits(16)[0][:6]
    codes = model.encode(x)
    assert codes.shape == (6, 4)
    recon = model.reconstruct(x)
    assert recon.shape == (6, 1, 16, 16) and recon.min() >= 0 and recon.max() <= 1
    torch.testing.assert_close(model.decode(codes), recon)
    as_float = x.float() / 255
    assert torch.equal(model.perturb(x, 0.0, torch.Generator().manual_seed(0)), as_float)  # the image itself
    torch.testing.assert_close(model.perturb(x, 1.0, generator=3), model.perturb(x, 1.0, generator=3))
    moved = model.perturb(x, 1.0, generator=3)
    # the image plus what moving the code changes in its decoding (keep_detail), not the moved decoding alone
    codes_moved = codes + model.code_std * torch.randn(codes.shape, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(moved, (as_float + model.decode(codes_moved) - recon).clamp(0, 1))
    assert not torch.allclose(moved, as_float)
    with pytest.raises(ValueError, match="expected codes of shape"):
        model.decode(torch.zeros(2, 5))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_training_reduces_the_loss_and_prepares_sampling(likelihood):
    images, labels = digits(8)
    torch.manual_seed(0)
    model = tiny(likelihood=likelihood, lr=3e-3)
    objective = AEObjective(model, Precision(torch.device("cpu")))
    batches = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(50):
        idx = torch.randint(len(images), (32,), generator=batches)
        out = objective.train_step(images[idx].float() / 255, labels[idx])
        losses.append(float(out["loss"]))
    assert set(out) == {"loss", "recon", "code_sq"} and all(torch.isfinite(v) for v in out.values())
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.1 * abs(first), (first, last)
    objective.prepare_for_sampling(images, labels)
    assert bool(model.density_fitted) and model.sample(3, seed=0).shape == (3, 1, 8, 8)


def test_state_dict_round_trip_keeps_the_density():
    model = fitted(likelihood="gaussian")
    torch.manual_seed(1)
    fresh = Autoencoder(model.config, CLASSES, (1, 8, 8))
    fresh.load_state_dict(model.state_dict(), strict=True)
    assert bool(fresh.density_fitted)
    torch.testing.assert_close(fresh.sample(6, seed=0), model.sample(6, seed=0), rtol=0, atol=0)
    x = digits(8)[0][:4]
    torch.testing.assert_close(fresh.perturb(x, 0.5, generator=0), model.perturb(x, 0.5, generator=0))
