"""cgan small-data options: adaptive discriminator augmentation, LeCam, nearest-sample reconstruction (IMLE), mode
seeking, the discriminator width chosen from the data, the refusal of classes too small for a GAN; each option off
trains exactly as the cgan did before them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

import genaug
from genaug.data import ImageSet
from genaug.errors import DataError
from genaug.models.diffaugment import diff_augment
from genaug.models.gan import CGAN, CGANConfig, CGANObjective, mode_seeking_loss
from genaug.models.gan_small_data import SMALL_DATA_IMAGES, adjusted_augment_p, check_class_sizes, lecam_penalty
from genaug.train import Trainer, TrainerConfig
from genaug.train.precision import Precision
from genaug.train.resume_state import load_training_state

TINY = {"latent_dim": 8, "generator_width": 8, "discriminator_width": 8}


def objective_for(
    images: torch.Tensor, classes: list[str], precision: Precision | None = None, **overrides
) -> CGANObjective:
    torch.manual_seed(0)
    config = CGANConfig(**{**TINY, **overrides}).resolved_for(images)
    model = CGAN(config, classes, tuple(images.shape[1:]))
    return CGANObjective(model, precision or Precision(torch.device("cpu")))


def train(objective: CGANObjective, data: ImageSet, steps: int, batch_size: int = 16) -> list[dict]:
    """``steps`` updates on batches drawn (seeded) from ``data``, with seeded training noise; each step's losses."""
    torch.manual_seed(1)
    batches = torch.Generator().manual_seed(1)
    losses = []
    for _ in range(steps):
        idx = torch.randint(len(data), (batch_size,), generator=batches)
        losses.append(objective.train_step(data.images[idx].float() / 255, data.labels[idx]))
    return losses


def few_per_class(data: ImageSet, n: int) -> ImageSet:
    """The first ``n`` images of each class."""
    keep = torch.cat([torch.nonzero(data.labels == k).flatten()[:n] for k in range(data.num_classes)])
    return ImageSet(data.images[keep], data.labels[keep], data.classes, source="few per class")


# --- ADA ---------------------------------------------------------------------------------------------------------


def test_adjusted_p_follows_the_signal_and_stays_in_range():
    assert adjusted_augment_p(0.5, 0.9, 0.6, images=100, ramp_images=1000) == pytest.approx(0.6)
    assert adjusted_augment_p(0.5, 0.1, 0.6, images=100, ramp_images=1000) == pytest.approx(0.4)
    assert adjusted_augment_p(0.5, 0.6, 0.6, images=100, ramp_images=1000) == 0.5
    assert adjusted_augment_p(0.95, 1.0, 0.6, images=100, ramp_images=1000) == 1.0
    assert adjusted_augment_p(0.05, -1.0, 0.6, images=100, ramp_images=1000) == 0.0


def ada_objective(data: ImageSet, **overrides) -> CGANObjective:
    """ADA adjusting p every step by 16 / 200 = 0.08 (batches of 16), unless ``overrides`` say otherwise."""
    settings = {"ada_target": 0.6, "ada_interval": 1, "ada_ramp_images": 200, **overrides}
    return objective_for(data.images, data.classes, **settings)


@pytest.mark.parametrize(("bias", "start", "moves"), [(10.0, 0.0, +1), (-10.0, 1.0, -1)])
def test_ada_p_follows_a_forced_overfitting_signal(digits16, monkeypatch, bias, start, moves):
    # a discriminator that calls every image real (r = 1) looks as overfit as one can; one that calls every image
    # fake (r = -1) does not overfit at all
    objective = ada_objective(digits16)
    forced = lambda features, labels: features.sum(dim=1) * 0 + bias  # noqa: E731 (keeps the gradient path)
    monkeypatch.setattr(objective.model.discriminator, "score", forced)
    objective.state["ada_p"] = start
    losses = train(objective, digits16, steps=5)
    assert [float(step["ada_p"]) for step in losses] == pytest.approx([start + moves * 0.08 * i for i in range(5)])
    assert objective.augment_p == pytest.approx(start + moves * 0.4)


def test_ada_signal_and_lecam_anchors_are_averaged_over_the_processes(digits16, monkeypatch):
    """Under torchrun every process sees its own share of the batch; the signal and the anchors go through the
    trainer's average over processes (``Precision.value_sync``), so that every process keeps the same p and anchors.
    Simulated here: this process's discriminator calls everything real (signal 1, logits 10), the other one's calls
    everything fake (signal -1, logits -1); the average (signal 0, logits 4.5) is what counts."""
    other_process = lambda value: (value + torch.full_like(value, -1.0)) / 2  # noqa: E731
    precision = Precision(torch.device("cpu"), value_sync=other_process)
    objective = ada_objective(digits16, precision=precision, lecam_weight=0.3, lecam_decay=0.9)
    forced = lambda features, labels: features.sum(dim=1) * 0 + 10.0  # noqa: E731 (keeps the gradient path)
    monkeypatch.setattr(objective.model.discriminator, "score", forced)
    objective.state["ada_p"] = 0.5
    train(objective, digits16, steps=3)
    assert objective.augment_p == pytest.approx(0.5 - 3 * 0.08)  # signal 0 < target 0.6: p falls
    for key in ("lecam_real", "lecam_fake"):
        assert float(objective.state[key]) == pytest.approx(4.5)


@pytest.mark.slow
def test_ada_p_rises_while_the_discriminator_memorises_a_tiny_set(digits16):
    tiny_set = few_per_class(digits16, 2)  # 20 images: a fast discriminator learns them by heart
    objective = ada_objective(tiny_set, ada_interval=4, ada_ramp_images=1000, lr_discriminator=2e-3)
    assert objective.augment_p == 0.0
    train(objective, tiny_set, steps=200)
    assert objective.augment_p > 0.1


def test_diff_augment_applies_each_op_to_a_share_p_of_the_images():
    x = torch.ones(400, 1, 16, 16)
    torch.manual_seed(0)
    cut = diff_augment(x, ("cutout",), p=0.25)
    share = (cut != x).flatten(1).any(dim=1).float().mean()
    assert 0.15 < share < 0.35
    assert torch.equal(diff_augment(x, ("translation", "cutout"), p=0.0), x)
    torch.manual_seed(0)
    full = diff_augment(x, ("cutout",), p=1.0)
    torch.manual_seed(0)
    assert torch.equal(full, diff_augment(x, ("cutout",)))  # p=1: plain DiffAugment, the same draws


# --- LeCam -------------------------------------------------------------------------------------------------------


def test_lecam_penalty_is_zero_when_the_anchors_match_and_positive_otherwise():
    logits = torch.full((8,), 0.3)
    anchor = torch.tensor(0.3)
    assert lecam_penalty(logits, logits, anchor, anchor) == 0
    # D scores reals below what it gave fakes and fakes above what it gave reals: nothing to pull back
    assert lecam_penalty(logits - 1, logits + 1, anchor, anchor) == 0
    real, fake = torch.ones(8), -torch.ones(8)  # D separates the sets beyond the anchors
    assert lecam_penalty(real, fake, torch.tensor(1.0), torch.tensor(-1.0)) == pytest.approx(8.0)
    assert lecam_penalty(real, logits, anchor, anchor) > 0


def test_lecam_anchors_are_emas_of_the_discriminator_logits(digits16):
    objective = objective_for(digits16.images, digits16.classes, lecam_weight=0.3, lecam_decay=0.9)
    assert objective.state["lecam_real"] is None
    first, second = train(objective, digits16, steps=2)
    assert first["lecam"] >= 0 and "lecam" in second
    expected_real = 0.9 * first["d_real"] + 0.1 * second["d_real"]
    expected_fake = 0.9 * first["d_fake"] + 0.1 * second["d_fake"]
    torch.testing.assert_close(objective.state["lecam_real"], expected_real)
    torch.testing.assert_close(objective.state["lecam_fake"], expected_fake)


# --- nearest-sample reconstruction (IMLE) --------------------------------------------------------------------


def test_the_imle_term_is_each_image_error_to_its_nearest_candidate(digits16):
    objective = objective_for(digits16.images, digits16.classes, imle_weight=1.0, imle_images=6, imle_candidates=5)
    model = objective.model
    model.generator.eval()  # per-image outputs, so a candidate generated again is the same image
    images, labels = digits16.images[:9].float() / 255, digits16.labels[:9]
    torch.manual_seed(3)
    term = objective._nearest_sample_error(images, labels)
    torch.manual_seed(3)
    assert objective._nearest_sample_error(images[:6], labels[:6]) == term  # the first imle_images only
    torch.manual_seed(3)
    z = torch.randn(6, 5, model.latent_dim)
    with torch.no_grad():
        candidates = model.generate(z.flatten(0, 1), labels[:6].repeat_interleave(5), use_ema=False).view(6, 5, -1)
    errors = (candidates - images[:6].flatten(1)[:, None]).pow(2).mean(dim=2)  # 6 x 5
    torch.testing.assert_close(term, errors.min(dim=1).values.mean())
    assert term < errors.mean()  # the nearest, not any candidate
    assert term.requires_grad  # the generator learns from it


def test_imle_brings_samples_closer_to_a_tiny_training_set(digits16):
    tiny = few_per_class(digits16, 3)
    errors = {}
    for weight in (0.0, 10.0):
        objective = objective_for(tiny.images, tiny.classes, imle_weight=weight)
        losses = train(objective, tiny, steps=80)
        assert ("imle" in losses[-1]) == (weight > 0)
        torch.manual_seed(5)
        with torch.no_grad():
            errors[weight] = objective._nearest_sample_error(tiny.images.float() / 255, tiny.labels)
    assert errors[10.0] < 0.8 * errors[0.0]


# --- mode seeking -------------------------------------------------------------------------------------------------


def test_mode_seeking_is_noise_over_image_distance_for_pairs_of_a_class():
    fakes = torch.tensor([0.0, 1.0, 0.5, 0.25, 7.0]).view(5, 1, 1, 1)
    z = torch.tensor([0.0, 4.0, 2.0, 1.0, 3.0]).view(5, 1)
    labels = torch.tensor([1, 0, 1, 0, 2])  # pairs (0, 2) of class 1 and (1, 3) of class 0; class 2 has none
    expected = torch.tensor([2.0 / 0.5, 3.0 / 0.75]).mean()
    torch.testing.assert_close(mode_seeking_loss(fakes, z, labels), expected, rtol=1e-4, atol=0)
    assert mode_seeking_loss(fakes[:2], z[:2], torch.tensor([0, 1])) == 0  # no two fakes share a class


def class_spread(objective: CGANObjective, label: int = 3) -> torch.Tensor:
    """Mean absolute deviation of 40 samples of one class from their mean image."""
    samples = objective.model.sample(40, labels=[label] * 40, seed=0)
    return (samples - samples.mean(dim=0)).abs().mean()


def test_mode_seeking_makes_a_class_samples_differ_more(digits16):
    tiny = few_per_class(digits16, 3)
    plain, seeking = (objective_for(tiny.images, tiny.classes, diversity_weight=w) for w in (0.0, 1.0))
    assert "mode_seeking" not in train(plain, tiny, steps=60)[-1]
    assert "mode_seeking" in train(seeking, tiny, steps=60)[-1]
    assert class_spread(seeking) > 1.2 * class_spread(plain)


# --- resume ------------------------------------------------------------------------------------------------------


def run(data: ImageSet, out: Path, steps: int, resume: bool = False):
    # p starts at 1 and a young discriminator scores reals below the target: p falls within a few steps
    config = CGANConfig(**TINY, ada_start_p=1.0, ada_interval=2, ada_ramp_images=64, ada_target=0.6, lecam_weight=0.3)
    settings = TrainerConfig(
        steps=steps, batch_size=16, log_every=1, sample_every=100, checkpoint_every=3, progress=False,
        tensorboard=False, resume=resume,
    )  # fmt: skip
    return Trainer(settings, out).fit(data, config)


def objective_state(model: CGAN, out: Path) -> dict:
    saved = load_training_state(out, model)["optimizers"]["discriminator"]["param_groups"][0]
    return {key: value for key, value in saved.items() if key.startswith(("ada_", "lecam_"))}


def test_ada_p_and_lecam_anchors_survive_a_resume_exactly(digits16, tmp_path):
    straight = run(digits16, tmp_path / "straight", steps=6)
    run(digits16, tmp_path / "resumed", steps=3)  # checkpoint at step 3: halfway through an ADA interval
    resumed = run(digits16, tmp_path / "resumed", steps=6, resume=True)
    a, b = objective_state(straight, tmp_path / "straight"), objective_state(resumed, tmp_path / "resumed")
    assert a.keys() == {"ada_p", "ada_signs", "ada_images", "lecam_real", "lecam_fake"}
    with open(tmp_path / "straight" / "metrics.csv") as f:
        assert any(float(row["ada_p"]) < 1 for row in csv.DictReader(f))  # p moved
    for key, value in a.items():
        assert torch.equal(torch.as_tensor(value), torch.as_tensor(b[key])), key
    for (name, x), y in zip(straight.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(x, y), name


# --- discriminator size and data checks -------------------------------------------------------------------------


def test_auto_discriminator_width_follows_the_number_of_images():
    config = CGANConfig(discriminator_width="auto")
    small = config.resolved_for(torch.zeros(SMALL_DATA_IMAGES - 1, 1, 8, 8, dtype=torch.uint8))
    large = config.resolved_for(torch.zeros(SMALL_DATA_IMAGES, 1, 8, 8, dtype=torch.uint8))
    assert small.discriminator_width < large.discriminator_width == CGANConfig().discriminator_width
    assert CGANConfig(discriminator_width=24).resolved_for(torch.zeros(5, 1, 8, 8)).discriminator_width == 24
    with pytest.raises(ValueError, match=r"discriminator_width='auto'.*resolved_for\(images\)"):
        CGAN(config, ["a", "b"], (1, 8, 8))


def test_classes_too_small_for_a_gan_are_named_with_what_to_do():
    labels = torch.tensor([0, 0, 0, 1])  # "b" has one image, "c" none
    with pytest.raises(DataError, match=r"class\(es\) 'b' \(1\), 'c' \(0\) have fewer than 2.*'ae'.*'cvae'"):
        check_class_sizes(labels, ["a", "b", "c"])
    check_class_sizes(torch.tensor([0, 0, 1, 1]), ["a", "b"])


def test_a_cgan_fit_on_classes_too_small_fails_before_training_naming_them(digits16, tmp_path):
    one_each = few_per_class(digits16, 1)
    with pytest.raises(DataError, match="too few images to train a cgan"):
        genaug.fit(one_each, family="cgan", steps=2, out=tmp_path / "run", **TINY)
    assert not (tmp_path / "run" / "config.json").exists()
    genaug.fit(one_each, family="ae", steps=1, batch_size=10, out=tmp_path / "ae", base_width=8)  # the ae takes it


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ada_target", 1.5, r"ada_target must be a number in \[0, 1\] \(None disables ADA\), got 1.5"),
        ("ada_target", "0.6", r"ada_target must be a number in \[0, 1\].*got '0.6' \(a str\)"),
        ("ada_start_p", -0.5, r"ada_start_p must be a number in \[0, 1\], got -0.5"),
        ("ada_interval", 0, r"ada_interval must be an int >= 1, got 0"),
        ("ada_ramp_images", 0.5, r"ada_ramp_images must be an int >= 1, got 0.5"),
        ("lecam_weight", -0.1, r"lecam_weight must be a finite number >= 0 .*got -0.1"),
        ("lecam_decay", 1.0, r"lecam_decay must be a number in \[0, 1\), got 1.0"),
        ("unlabelled_weight", -1, r"unlabelled_weight must be a finite number >= 0, got -1"),
        ("imle_weight", -2.0, r"imle_weight must be a finite number >= 0, got -2.0"),
        ("imle_candidates", 0, r"imle_candidates must be an int >= 1, got 0"),
        ("imle_images", 0, r"imle_images must be an int >= 1, got 0"),
        ("diversity_weight", -1.0, r"diversity_weight must be a finite number >= 0, got -1.0"),
        ("discriminator_width", "wide", r"discriminator_width must be an int >= 1 \(or 'auto'\), got 'wide'"),
        ("discriminator_width", 0, r"discriminator_width must be an int >= 1 \(or 'auto'\), got 0"),
    ],
)
def test_config_errors_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        CGANConfig(**{field: value})
