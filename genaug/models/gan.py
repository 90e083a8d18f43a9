"""cgan: a conditional GAN tuned for small data sets.

Generator with class-conditional batch norm; projection discriminator with spectral norm; hinge loss;
DiffAugment on real and fake images in every step; an EMA copy of the generator is used for sampling.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from genaug.checks import check_int, check_number
from genaug.models.base import GenerativeModel
from genaug.models.blocks import DownsamplingTrunk, UpsamplingTrunk
from genaug.models.diffaugment import POLICIES, check_policy, diff_augment
from genaug.models.ema import update_ema
from genaug.models.inference import inference
from genaug.models.inputs import ImageInput, as_image_batch, in_batches
from genaug.models.latent_path import latent_end_point, latent_path
from genaug.models.objective import Objective, UpdateRunner, check_betas, optimizer_steps
from genaug.models.registry import register_family


@dataclass
class CGANConfig:
    """Hyper-parameters of the conditional GAN."""

    latent_dim: int = 64  # size of the noise vector z
    generator_width: int = 32  # channels of the generator's last stage (doubling per stage, up to 8x)
    discriminator_width: int = 32  # channels of the discriminator's first stage
    lr_generator: float = 2e-4
    lr_discriminator: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.9)  # Adam betas, as in SNGAN/BigGAN
    ema_decay: float = 0.999  # EMA of generator weights used for sampling (0 disables averaging)
    mismatch_weight: float = 1.0  # weight of real images paired with wrong labels as extra negatives for D
    classifier_weight: float = 1.0  # weight of the auxiliary class loss: D classifies real images, G must make
    # fakes that D's classifier assigns to their label (as in AC-GAN); 0 leaves class-following to projection
    diffaugment: list[str] | str = "auto"  # ops from genaug.models.diffaugment.POLICIES; auto adds color for RGB

    def __post_init__(self) -> None:
        # sizes are stored as checked (a numpy int becomes an int): the config is saved as JSON with the weights
        self.latent_dim = check_int("latent_dim", self.latent_dim, minimum=1)
        self.generator_width = check_int("generator_width", self.generator_width, minimum=1)
        self.discriminator_width = check_int("discriminator_width", self.discriminator_width, minimum=1)
        for name in ("lr_generator", "lr_discriminator"):
            check_number(name, getattr(self, name), minimum=0, min_inclusive=False)
        check_number("ema_decay", self.ema_decay, minimum=0, maximum=1, note="0 disables averaging")
        for name in ("mismatch_weight", "classifier_weight"):
            check_number(name, getattr(self, name), minimum=0)
        self.betas = check_betas(self.betas)
        if self.diffaugment != "auto":
            if isinstance(self.diffaugment, str) or not isinstance(self.diffaugment, Sequence):
                ops = list(POLICIES)
                raise ValueError(f"diffaugment must be 'auto' or a list of ops from {ops}, got {self.diffaugment!r}")
            check_policy(self.diffaugment)

    def resolved_for(self, images: torch.Tensor) -> CGANConfig:
        """Decide ``diffaugment="auto"``: translation + cutout, plus colour for RGB images."""
        if self.diffaugment != "auto":
            return dataclasses.replace(self, diffaugment=list(check_policy(self.diffaugment)))
        policy = (["color"] if images.shape[1] == 3 else []) + ["translation", "cutout"]
        return dataclasses.replace(self, diffaugment=policy)


class ProjectionDiscriminator(nn.Module):
    """Spectrally normalised conv trunk, sum pooling, and a class projection term (Miyato & Koyama, 2018)."""

    def __init__(self, image_shape: tuple[int, int, int], width: int, num_classes: int):
        super().__init__()
        self.trunk = DownsamplingTrunk(image_shape, width, spectral=True)
        self.linear = spectral_norm(nn.Linear(self.trunk.out_channels, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, self.trunk.out_channels))
        self.classifier = nn.Linear(self.trunk.out_channels, num_classes)  # auxiliary class logits

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.trunk(images).sum(dim=(2, 3))  # N x C

    def score(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.linear(features).squeeze(1) + (self.embed(labels) * features).sum(dim=1)  # N

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(images), labels)


class CGAN(GenerativeModel):
    """Conditional GAN. ``sample(..., truncation=t)`` redraws noise components with |z| > t."""

    def __init__(self, config: CGANConfig, classes, image_shape):
        super().__init__(config, classes, image_shape)
        self.generator = UpsamplingTrunk(config.latent_dim, self.image_shape, config.generator_width, self.num_classes)
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
        self.discriminator = ProjectionDiscriminator(self.image_shape, config.discriminator_width, self.num_classes)

    def generate(self, z: torch.Tensor, labels: torch.Tensor, use_ema: bool = True) -> torch.Tensor:
        """Images in [0, 1] from noise ``z`` (N x latent_dim) and class indices."""
        net = self.generator_ema if use_ema else self.generator
        return torch.sigmoid(net(z, labels))

    @inference
    def latent_features(self, images: ImageInput, batch_size: int = 256) -> torch.Tensor:
        """The discriminator's pooled features (N x 8 * discriminator_width at most, on the model's device): a cgan
        has no encoder, so this is its image embedding, for latent maps and linear probes. Images in any form
        ``genaug.models.inputs`` accepts (resized to the model's shape)."""
        x = as_image_batch(images, self.image_shape)
        return in_batches(lambda s: self.discriminator.features(x[s].to(self.device)), len(x), batch_size)

    @inference
    def anomaly_score(
        self,
        images: ImageInput,
        labels: Sequence[int | str] | torch.Tensor | int | str | None = None,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """Minus the discriminator's logit per image (N, on the model's device); higher is more anomalous.

        The discriminator learnt to tell training images of a class (high logit) from the generator's fakes and
        from real images with a wrong label (low logit), without augmentation here. ``labels``: the class each
        image claims; None takes the class the discriminator finds most plausible. The score is a ranking, not a
        density: it is tuned to the generator's last fakes and is usually weaker than ae/cvae scores.
        """
        x = as_image_batch(images, self.image_shape)
        claimed = None if labels is None else self.labels_tensor(labels, len(x))

        def score(s: slice) -> torch.Tensor:
            features = self.discriminator.features(x[s].to(self.device))  # n x C
            if claimed is not None:
                return -self.discriminator.score(features, claimed[s].to(self.device))
            per_class = [
                self.discriminator.score(features, torch.full((len(features),), k, device=self.device))
                for k in range(self.num_classes)
            ]
            return -torch.stack(per_class, dim=1).max(dim=1).values

        return in_batches(score, len(x), batch_size)

    @inference
    def interpolate(
        self, start: torch.Tensor, end: torch.Tensor, steps: int = 8, labels: int | str = 0, spherical: bool = True
    ) -> torch.Tensor:
        """``steps`` images (steps x C x H x W, on the model's device) generated along a path between two noise
        vectors (1-D, ``latent_dim`` numbers; a cgan has no encoder, so not images), all of class ``labels``.
        ``spherical``: slerp (suits the Gaussian noise), else a straight line."""
        if isinstance(labels, (list, tuple)):
            raise ValueError("a cgan interpolates within one class: pass labels as a single class index or name")
        a, b = (latent_end_point(p, self.latent_dim, None) for p in (start, end))
        z = latent_path(a, b, steps, spherical).to(self.device)
        return self.generate(z, self.labels_tensor(labels, steps).to(self.device))

    def _sampling_options(self, options: dict[str, Any]) -> dict[str, Any]:
        truncation = options.pop("truncation", None)
        if options:
            raise TypeError(f"unknown sampling option(s) {sorted(options)} for cgan; valid: ['truncation']")
        return {"truncation": check_truncation(truncation)}

    def _draw_noise(self, n: int, generator: torch.Generator, truncation: float | None = None) -> torch.Tensor:
        return truncated_normal(n, self.latent_dim, truncation, generator)

    def _decode_noise(self, noise: torch.Tensor, labels: torch.Tensor, **options: Any) -> torch.Tensor:
        return self.generate(noise.to(self.device), labels.to(self.device))


# The smallest truncation: |z| <= 0.05 keeps 4% of draws, so redrawing stays cheap. A component still outside
# after MAX_TRUNCATION_ROUNDS redraws (probability 0.96 ** 1000 < 1e-17 at the minimum) is clamped to the bound.
MIN_TRUNCATION = 0.05
MAX_TRUNCATION_ROUNDS = 1000


def check_truncation(truncation: float | None) -> float | None:
    """None (no truncation) or a number >= MIN_TRUNCATION (inf: none either); NaN and smaller values are refused."""
    if truncation is None:
        return None
    return check_number("truncation", truncation, minimum=MIN_TRUNCATION, finite=False, note="or None for none")


def truncated_normal(n: int, dim: int, threshold: float | None, generator: torch.Generator) -> torch.Tensor:
    """Standard normal noise (CPU) whose components beyond +-threshold are redrawn (the truncation trick), at most
    ``MAX_TRUNCATION_ROUNDS`` times; ``threshold`` as checked by ``check_truncation``."""
    z = torch.randn(n, dim, generator=generator)
    if threshold is None:
        return z
    for _ in range(MAX_TRUNCATION_ROUNDS):
        outside = z.abs() > threshold
        if not outside.any():
            return z
        z[outside] = torch.randn(int(outside.sum()), generator=generator)
    return z.clamp_(-threshold, threshold)


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return torch.relu(1.0 - real_logits).mean() + torch.relu(1.0 + fake_logits).mean()


def hinge_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    return -fake_logits.mean()


def mismatched_labels(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """A random wrong label for every entry (needs at least two classes)."""
    shift = torch.randint(1, num_classes, labels.shape, device=labels.device)
    return (labels + shift) % num_classes


class CGANObjective(Objective):
    """One discriminator step then one generator step per batch, DiffAugment on every image D sees.

    With more than one class, real images paired with a wrong label also count as negatives for the
    discriminator (the matching-aware loss of Reed et al., 2016): it must check the class, not only realism,
    which makes the generator follow its label much sooner on small data. An auxiliary classifier on D's features,
    trained on real images only, adds a class loss to the generator's step (``classifier_weight``).
    """

    def __init__(self, model: CGAN, precision: UpdateRunner):
        super().__init__(model, precision)
        cfg = model.config
        self.policy = check_policy(cfg.diffaugment)
        self.classifies = model.num_classes > 1 and cfg.classifier_weight > 0
        self.opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr_generator, betas=tuple(cfg.betas))
        self.opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr_discriminator, betas=tuple(cfg.betas))

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def _step_count(self) -> int:
        return optimizer_steps(self.opt_g)

    def train_step(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        model: CGAN = self.model
        n = images.shape[0]
        fake_labels = labels  # condition fakes on the batch's label distribution
        with self.precision.autocast():
            z = torch.randn(n, model.latent_dim, device=images.device)
            with torch.no_grad():
                fake = model.generate(z, fake_labels, use_ema=False)
            real_features = model.discriminator.features(diff_augment(images, self.policy))
            d_real = model.discriminator.score(real_features, labels)
            d_fake = model.discriminator(diff_augment(fake, self.policy), fake_labels)
            d_loss = hinge_discriminator_loss(d_real.float(), d_fake.float())
            if model.num_classes > 1 and model.config.mismatch_weight > 0:
                wrong = mismatched_labels(labels, model.num_classes)
                d_wrong = model.discriminator.score(real_features, wrong).float()
                d_loss = d_loss + model.config.mismatch_weight * torch.relu(1.0 + d_wrong).mean()
            if self.classifies:
                class_logits = model.discriminator.classifier(real_features).float()
                d_loss = d_loss + model.config.classifier_weight * F.cross_entropy(class_logits, labels)
        self.precision.step(d_loss, self.opt_d)

        model.discriminator.requires_grad_(False)  # the generator step needs no discriminator gradients
        with self.precision.autocast():
            z = torch.randn(n, model.latent_dim, device=images.device)
            fake = model.generate(z, fake_labels, use_ema=False)
            fake_features = model.discriminator.features(diff_augment(fake, self.policy))
            g_loss = hinge_generator_loss(model.discriminator.score(fake_features, fake_labels).float())
            if self.classifies:
                class_logits = model.discriminator.classifier(fake_features).float()
                g_loss = g_loss + model.config.classifier_weight * F.cross_entropy(class_logits, fake_labels)
        self.precision.step(g_loss, self.opt_g)
        model.discriminator.requires_grad_(True)
        update_ema(model.generator_ema, model.generator, model.config.ema_decay, self._step_count())
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "d_real": d_real.detach().float().mean(),
            "d_fake": d_fake.detach().float().mean(),
        }


register_family("cgan", CGANConfig, CGAN, CGANObjective)
