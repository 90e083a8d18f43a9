"""diffusion: config checks, network sizes, training, sampling options, edits (perturb, translate), inversion,
features, anomaly scores and the save/load round trip."""

from __future__ import annotations

import pytest
import torch

import genaug
from genaug.models.diffusion import Diffusion, DiffusionConfig, DiffusionObjective
from genaug.models.unet import level_count
from genaug.train.precision import Precision
from tests.models.digits import CLASSES, digits

TINY = {"base_width": 8, "channel_multipliers": (1, 2), "sampling_steps": 4}


def tiny(image_shape=(1, 8, 8), **overrides) -> Diffusion:
    return Diffusion(DiffusionConfig(**{**TINY, **overrides}), CLASSES, image_shape)


def train(model: Diffusion, steps: int, size: int = 8) -> list[float]:
    """``steps`` updates on the digits 0-2 at ``size`` pixels; the losses."""
    images, labels = digits(size)
    objective = DiffusionObjective(model, Precision(torch.device("cpu")))
    batches = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(steps):
        idx = torch.randint(len(images), (32,), generator=batches)
        losses.append(float(objective.train_step(images[idx].float() / 255, labels[idx])["loss"]))
    return losses


@pytest.fixture(scope="module")
def trained() -> Diffusion:
    """A tiny model trained for 60 steps at 8 x 8 (its class embeddings and output layer are no longer zero)."""
    torch.manual_seed(0)
    model = tiny(lr=3e-3)
    train(model, 60)
    return model.for_inference()  # as fit and load return it


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("base_width", 0, r"base_width must be an int >= 1, got 0"),
        ("channel_multipliers", [], r"channel_multipliers must hold at least one level"),
        ("channel_multipliers", "12", r"channel_multipliers must be a list of ints"),
        ("channel_multipliers", [1, 0], r"channel_multipliers\[1\] must be an int >= 1, got 0"),
        ("attention", "yes", r"attention must be true or false"),
        ("label_dropout", 1.0, r"label_dropout must be a number in \[0, 1\), got 1.0"),
        ("sampler", "ddim", r"sampler must be one of \['euler', 'heun'\], got 'ddim'"),
        ("sampling_steps", 0, r"sampling_steps must be an int >= 1, got 0"),
        ("guidance", -1.0, r"guidance must be a finite number >= 0"),
        ("betas", (0.9,), r"betas must be two numbers"),
    ],
)
def test_config_checks_every_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        DiffusionConfig(**{field: value})


def test_multipliers_from_json_become_a_tuple_of_ints():
    assert DiffusionConfig(channel_multipliers=[1, 2]).channel_multipliers == (1, 2)


@pytest.mark.parametrize(("size", "levels"), [((8, 8), 2), ((16, 16), 3), ((28, 28), 3), ((23, 17), 3), ((8, 64), 2)])
def test_small_images_get_fewer_levels(size, levels):
    assert level_count(*size, requested=3) == levels


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 23, 17)])
def test_sample_shape_range_and_dtype(shape):
    x = tiny(shape).sample(3, seed=0, steps=1)
    assert x.shape == (3, *shape) and x.dtype == torch.float32
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_training_gives_finite_falling_losses_and_moves_the_ema():
    torch.manual_seed(0)
    model = tiny(lr=3e-3, sampler="heun")
    before = {k: v.clone() for k, v in model.net_ema.state_dict().items()}
    losses = train(model, 30)
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    after = model.net_ema.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the EMA followed
    assert not torch.equal(model.net.out_conv.weight, model.net_ema.out_conv.weight)  # but lags the live weights
    assert model.sample(2, seed=0).shape == (2, 1, 8, 8)


def test_seeds_labels_and_options(trained):
    a = trained.sample(4, labels=[0, 1, 2, 1], seed=7)
    torch.testing.assert_close(trained.sample(4, labels=[0, 1, 2, 1], seed=7), a, rtol=0, atol=0)
    assert not torch.equal(trained.sample(4, labels=[0, 1, 2, 1], seed=8), a)
    torch.testing.assert_close(trained.sample(3, labels="two", seed=0), trained.sample(3, labels=[2, 2, 2], seed=0))
    assert not torch.allclose(trained.sample(4, labels=[0, 1, 2, 1], seed=7, steps=2), a)
    with pytest.raises(TypeError, match=r"temperature.*valid: \['guidance', 'steps'\]"):
        trained.sample(2, temperature=0.5)
    with pytest.raises(ValueError, match="steps must be an int >= 1, got 0"):
        trained.sample(2, steps=0)
    with pytest.raises(ValueError, match="guidance must be a finite number >= 0.*got -0.5"):
        trained.sample(2, guidance=-0.5)
    with pytest.raises(ValueError, match="unknown class label 3"):
        trained.sample(2, labels=3)


def test_guidance_and_class_change_the_samples(trained):
    labels = [0, 1, 2]
    unconditional = trained.sample(3, labels=labels, seed=0, guidance=0.0)
    conditional = trained.sample(3, labels=labels, seed=0, guidance=1.0)
    guided = trained.sample(3, labels=labels, seed=0, guidance=3.0)
    assert not torch.allclose(unconditional, conditional) and not torch.allclose(conditional, guided)
    # without a class, the label makes no difference
    torch.testing.assert_close(trained.sample(3, labels=[2, 2, 2], seed=0, guidance=0.0), unconditional)


def test_heun_and_euler_agree_roughly_and_differ_exactly(trained):
    heun = Diffusion(DiffusionConfig(**{**TINY, "sampler": "heun"}), CLASSES, (1, 8, 8))
    heun.load_state_dict(trained.state_dict())
    euler_images, heun_images = (m.sample(6, seed=1, steps=8) for m in (trained, heun))
    assert not torch.equal(euler_images, heun_images)
    assert (euler_images - heun_images).abs().mean() < 0.1


def test_perturb_moves_further_with_strength(trained):
    images, labels = digits(8)
    x, y = images[:12], labels[:12]
    real = x.float() / 255
    distance = {s: float((trained.perturb(x, y, s, generator=0) - real).abs().mean()) for s in (0.05, 0.3, 0.6, 1.0)}
    assert distance[0.05] < 0.05  # a slight edit stays close to the input
    assert distance[0.05] < distance[0.3] < distance[1.0] and distance[0.3] < distance[0.6]
    torch.testing.assert_close(trained.perturb(x, y, 0.5, generator=3), trained.perturb(x, y, 0.5, generator=3))
    assert not torch.equal(trained.perturb(x, y, 0.5, generator=3), trained.perturb(x, y, 0.5, generator=4))
    assert not torch.equal(trained.perturb(x, y, 0.5, generator=3), trained.perturb(x, 2, 0.5, generator=3))
    for bad in (0, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"strength must be a number in \(0, 1\]"):
            trained.perturb(x, y, bad)
    with pytest.raises(ValueError, match="labels are required"):
        trained.perturb(x, None, 0.5)


def test_translate_is_seeded_batch_independent_and_follows_the_target(trained):
    images, _ = digits(8)
    x = images[:5]
    twos = trained.translate(x, "two")
    assert twos.shape == (5, 1, 8, 8) and twos.min() >= 0 and twos.max() <= 1
    torch.testing.assert_close(trained.translate(x, [2] * 5, batch_size=2), twos)
    torch.testing.assert_close(trained.translate(x[0], 2), twos[:1])  # one C x H x W image
    assert not torch.allclose(trained.translate(x, 0), twos)
    assert not torch.allclose(trained.translate(x, 2, seed=1), twos)
    with pytest.raises(ValueError, match="strength must be"):
        trained.translate(x, 2, strength=0)


def test_encode_decode_reconstruct_and_interpolate(trained):
    images, labels = digits(8)
    x, y = images[:4], labels[:4]
    noise = trained.encode(x, y)
    assert noise.shape == (4, 1, 8, 8)
    recon = trained.reconstruct(x, y)
    torch.testing.assert_close(trained.decode(noise, y, guidance=1.0), recon)
    torch.testing.assert_close(trained.decode(noise.flatten(1), y, guidance=1.0), recon)
    assert float((recon - x.float() / 255).abs().mean()) < 0.2  # the flow roughly inverts even at 4 steps
    with pytest.raises(ValueError, match="expected noise of shape"):
        trained.decode(torch.zeros(2, 5), 0)
    strip = trained.interpolate(x[0], x[1], steps=3, labels=int(y[0]))
    assert strip.shape == (3, 1, 8, 8)
    start, end = torch.randn(64), torch.randn(64)
    torch.testing.assert_close(trained.interpolate(start, end, steps=3, labels=1)[0], trained.decode(start[None], 1)[0])
    with pytest.raises(ValueError, match="within one class"):
        trained.interpolate(start, end, labels=[0, 1])


def test_latent_features_and_anomaly_scores(trained):
    images, labels = digits(8)
    x = images[:6]
    features = trained.latent_features(x)
    assert features.shape == (6, trained.net.bottleneck_channels)
    torch.testing.assert_close(trained.latent_features(x, batch_size=4), features)
    scores = trained.anomaly_score(x)
    assert scores.shape == (6,) and torch.isfinite(scores).all() and (scores >= 0).all()
    torch.testing.assert_close(trained.anomaly_score(x, batch_size=4), scores)
    assert not torch.equal(trained.anomaly_score(x, labels=labels[:6]), scores)
    assert not torch.equal(trained.anomaly_score(x, seed=1), scores)
    noise = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert trained.anomaly_score(noise).mean() > scores.mean()
    with pytest.raises(ValueError, match="levels must hold"):
        trained.anomaly_score(x, levels=[])
    with pytest.raises(ValueError, match="strength must be"):
        trained.anomaly_score(x, levels=[0.0])


def test_save_load_round_trip_gives_identical_samples(trained, tmp_path):
    trained.save(tmp_path / "run")
    loaded = genaug.load(tmp_path / "run")
    assert loaded.family == "diffusion" and loaded.config == trained.config
    torch.testing.assert_close(loaded.sample(5, seed=2), trained.sample(5, seed=2), rtol=0, atol=0)
    x, y = digits(8)[0][:3], digits(8)[1][:3]
    torch.testing.assert_close(loaded.perturb(x, y, 0.4, generator=0), trained.perturb(x, y, 0.4, generator=0))


def test_fit_trains_and_saves_a_diffusion_model(digits16, tmp_path):
    model = genaug.fit(digits16, family="diffusion", out=tmp_path, steps=2, progress=False, tensorboard=False, **TINY)
    assert model.family == "diffusion" and model.config.channel_multipliers == (1, 2)
    torch.testing.assert_close(genaug.load(tmp_path).sample(3, seed=0), model.cpu().sample(3, seed=0))
