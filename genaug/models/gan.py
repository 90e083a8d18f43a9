"""cgan: a conditional GAN tuned for small data sets.

Generator with class-conditional batch norm; projection discriminator with spectral norm; hinge loss;
DiffAugment on real and fake images in every step; an EMA copy of the generator is used for sampling.
Small-data options (``CGANConfig``; their pieces in ``genaug.models.gan_small_data``): adaptive discriminator
augmentation (ADA), LeCam regularisation, a discriminator width chosen from the number of training images, and
nearest-sample reconstruction (IMLE), which pulls the generator's closest sample to each training image.

Unlabelled images (``genaug.fit(..., unlabelled=...)``) enter through the projection discriminator's unconditional
term: its score is a realism term plus a class projection, and the realism term alone is trained with the same
hinge loss to call unlabelled images real and the fakes fake, while the generator also raises it on its fakes
(``CGANConfig.unlabelled_weight``). So the unlabelled images teach what real images look like; labels still come
from the labelled ones only. No extra weights: labelled-only runs keep their checkpoints and numbers.
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

from genaug.checks import AUTO, check_int, check_number
from genaug.models.base import GenerativeModel
from genaug.models.blocks import DownsamplingTrunk, UpsamplingTrunk
from genaug.models.diffaugment import POLICIES, check_policy, diff_augment
from genaug.models.ema import update_ema
from genaug.models.gan_small_data import (
    adjusted_augment_p,
    auto_discriminator_width,
    check_class_sizes,
    lecam_penalty,
)
from genaug.models.inference import inference
from genaug.models.inputs import ImageInput, as_image_batch, in_batches
from genaug.models.latent_path import latent_end_point, latent_path
from genaug.models.objective import Objective, UpdateRunner, check_betas, optimizer_steps
from genaug.models.registry import register_family
from genaug.models.schedule import Schedule


@dataclass
class CGANConfig:
    """Hyper-parameters of the conditional GAN."""

    latent_dim: int = 64  # size of the noise vector z
    generator_width: int = 32  # channels of the generator's last stage (doubling per stage, up to 8x)
    discriminator_width: int | str = 32  # channels of the discriminator's first stage; "auto" picks them from the
    # number of training images (auto_discriminator_width), so a small set gets a lighter discriminator
    # Adam learning rates: 6e-4 learns at 10 images per class in 2,500 steps what 2e-4 (the usual SNGAN rate)
    # learnt in 6,000 (benchmarks/results/cgan_history.md, item 13)
    lr_generator: float = 6e-4
    lr_discriminator: float = 6e-4
    betas: tuple[float, float] = (0.0, 0.9)  # Adam betas, as in SNGAN/BigGAN
    ema_decay: float = 0.999  # EMA of generator weights used for sampling (0 disables averaging)
    mismatch_weight: float = 1.0  # weight of real images paired with wrong labels as extra negatives for D
    classifier_weight: float = 1.0  # weight of the auxiliary class loss: D classifies real images, G must make
    # fakes that D's classifier assigns to their label (as in AC-GAN); 0 leaves class-following to projection
    diffaugment: list[str] | str = "auto"  # ops from genaug.models.diffaugment.POLICIES; auto adds color for RGB
    # Adaptive discriminator augmentation (ADA, Karras et al. 2020): each DiffAugment op is applied to a share p of
    # the images D sees (real and fake alike), and p follows an overfitting signal, r = E[sign(D(real))], the share
    # of real images D scores as real minus those it scores as fake: p rises while r > ada_target and falls while
    # r < ada_target. A D that memorises a small set scores all of it as real (r -> 1), so it gets more
    # augmentation exactly when it needs it. None keeps plain DiffAugment: every op on every image.
    ada_target: float | None = None  # the r to hold (the paper's 0.6); None disables ADA
    ada_start_p: float = 0.0  # p at the first step: the paper's 0; 1 starts as plain DiffAugment, which already
    # helps on small data, and lets the signal lower p where it leaks into the samples
    ada_interval: int = 4  # discriminator steps between adjustments of p (the paper's 4)
    ada_ramp_images: int = 20_000  # images D sees while p moves from 0 to 1 at most: the paper's 500k suits runs of
    # millions of images; small-data runs here see about 10^5, so p must move faster to matter
    # LeCam regularisation (Tseng et al. 2021): D's outputs on real images are pulled below an EMA of its outputs
    # on fakes and its outputs on fakes above an EMA of those on reals, which bounds how far apart D can push a
    # small training set and the fakes (the authors' one-sided form of the penalty)
    lecam_weight: float = 0.0  # weight of the penalty in D's loss (the paper: 0.3 with DiffAugment); 0 disables it
    lecam_decay: float = 0.99  # EMA decay of the anchors (the paper's 0.99)
    # Nearest-sample reconstruction (IMLE, Li & Malik 2019): for each of the first imle_images real images of a
    # batch, the closest (in pixels) of imle_candidates fakes of its class, drawn without gradients, is pulled towards
    # it by the generator's step (mean squared error). Every training image then has a nearby sample, a direct and
    # stable signal on small data, where the discriminator's alone teaches little. The search costs generator passes
    # (imle_images x imle_candidates a step), hence a share of the batch
    imle_weight: float = 0.0  # weight of that error in G's loss; 0 disables it
    imle_images: int = 16  # real images of each batch the term covers (all of a smaller batch)
    imle_candidates: int = 4  # fakes drawn per real image to find its nearest
    # Mode seeking (Mao et al. 2019, MSGAN): within a class, two noise vectors far apart must give images far apart:
    # G's loss adds the mean, over pairs of fakes of the same class in the batch, of the ratio of their noise
    # distance to their image distance (both mean absolute differences), so collapsing a class onto a few images
    # costs G directly; the auxiliary class loss otherwise trades a class's variety for its fidelity. At 10 images
    # per class, 6,000 steps (benchmarks/results/cgan_fast.md, validation split, 2 seeds), 0.1 took recall from 13%
    # to 58% at 98.6% label fidelity; 1.0 broke the strokes (68% label fidelity)
    diversity_weight: float = 0.1  # weight of that ratio in G's loss; 0 disables it
    unlabelled_weight: float = 1.0  # with unlabelled images only: weight of the unconditional real/fake terms they
    # enter through, in D's loss and in G's

    def __post_init__(self) -> None:
        # sizes are stored as checked (a numpy int becomes an int): the config is saved as JSON with the weights
        self.latent_dim = check_int("latent_dim", self.latent_dim, minimum=1)
        self.generator_width = check_int("generator_width", self.generator_width, minimum=1)
        if self.discriminator_width != AUTO:
            self.discriminator_width = check_int(
                "discriminator_width", self.discriminator_width, minimum=1, note="or 'auto'"
            )
        for name in ("lr_generator", "lr_discriminator"):
            check_number(name, getattr(self, name), minimum=0, min_inclusive=False)
        check_number("ema_decay", self.ema_decay, minimum=0, maximum=1, note="0 disables averaging")
        for name in ("mismatch_weight", "classifier_weight", "unlabelled_weight", "imle_weight", "diversity_weight"):
            check_number(name, getattr(self, name), minimum=0)
        self.betas = check_betas(self.betas)
        if self.ada_target is not None:
            note = "None disables ADA"
            self.ada_target = check_number("ada_target", self.ada_target, minimum=0, maximum=1, note=note)
        self.ada_start_p = check_number("ada_start_p", self.ada_start_p, minimum=0, maximum=1)
        self.ada_interval = check_int("ada_interval", self.ada_interval, minimum=1)
        self.ada_ramp_images = check_int("ada_ramp_images", self.ada_ramp_images, minimum=1)
        check_number("lecam_weight", self.lecam_weight, minimum=0, note="0 disables LeCam regularisation")
        check_number("lecam_decay", self.lecam_decay, minimum=0, maximum=1, max_inclusive=False)
        self.imle_images = check_int("imle_images", self.imle_images, minimum=1)
        self.imle_candidates = check_int("imle_candidates", self.imle_candidates, minimum=1)
        if self.diffaugment != AUTO:
            if isinstance(self.diffaugment, str) or not isinstance(self.diffaugment, Sequence):
                ops = list(POLICIES)
                raise ValueError(f"diffaugment must be 'auto' or a list of ops from {ops}, got {self.diffaugment!r}")
            check_policy(self.diffaugment)

    def resolved_for(self, images: torch.Tensor) -> CGANConfig:
        """Decide the "auto" settings from the training images (N x C x H x W): ``diffaugment`` (translation +
        cutout, plus colour for RGB images) and ``discriminator_width`` (from N)."""
        policy = self.diffaugment
        if policy == AUTO:
            policy = (["color"] if images.shape[1] == 3 else []) + ["translation", "cutout"]
        width = self.discriminator_width
        if width == AUTO:
            width = auto_discriminator_width(len(images))
        return dataclasses.replace(self, diffaugment=list(check_policy(policy)), discriminator_width=width)


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

    def realism(self, features: torch.Tensor) -> torch.Tensor:
        """The unconditional term of the score (N): how real the images look, whatever their class."""
        return self.linear(features).squeeze(1)

    def score(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.realism(features) + (self.embed(labels) * features).sum(dim=1)  # N

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(images), labels)


class CGAN(GenerativeModel):
    """Conditional GAN. ``sample(..., truncation=t)`` redraws noise components with |z| > t."""

    def __init__(self, config: CGANConfig, classes, image_shape):
        super().__init__(config, classes, image_shape)
        if config.discriminator_width == AUTO:
            raise ValueError(
                "discriminator_width='auto' is decided from the training images: build the model from "
                "config.resolved_for(images)"
            )
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


# keeps mode_seeking_loss finite when two fakes are identical (the MSGAN authors' 1e-5)
MODE_SEEKING_EPS = 1e-5


def mode_seeking_loss(fakes: torch.Tensor, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """MSGAN's loss over the pairs of a batch that share a class: for each fake and the next of its class (in label
    order), the noise distance over the image distance (mean absolute differences), averaged; 0 without a pair."""
    order = torch.sort(labels, stable=True).indices
    first, second = order[:-1], order[1:]
    same = labels[first] == labels[second]
    first, second = first[same], second[same]
    if not len(first):
        return fakes.new_zeros(())
    image_distance = (fakes[first] - fakes[second]).abs().flatten(1).mean(dim=1)
    noise_distance = (z[first] - z[second]).abs().mean(dim=1)
    return (noise_distance / (image_distance + MODE_SEEKING_EPS)).mean()


def mismatched_labels(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """A random wrong label for every entry (needs at least two classes)."""
    shift = torch.randint(1, num_classes, labels.shape, device=labels.device)
    return (labels + shift) % num_classes


class CGANObjective(Objective):
    """One discriminator step then one generator step per batch, DiffAugment on every image D sees (each op on a
    share p of them under ADA).

    With more than one class, real images paired with a wrong label also count as negatives for the
    discriminator (the matching-aware loss of Reed et al., 2016): it must check the class, not only realism,
    which makes the generator follow its label much sooner on small data. An auxiliary classifier on D's features,
    trained on real images only, adds a class loss to the generator's step (``classifier_weight``).

    Unlabelled images get the unconditional hinge terms of the module docstring; ADA's
    signal and the class losses still read the labelled images only.

    ADA's probability and LeCam's anchors (``CGANConfig``) live in the discriminator optimiser's param group
    (``state``): the Trainer saves and restores optimiser state dicts, so they survive a resume exactly, as a
    learning-rate scheduler's values do.
    """

    def __init__(self, model: CGAN, precision: UpdateRunner):
        super().__init__(model, precision)
        cfg = model.config
        self.policy = check_policy(cfg.diffaugment)
        self.classifies = model.num_classes > 1 and cfg.classifier_weight > 0
        self.adaptive = cfg.ada_target is not None
        self.regularised = cfg.lecam_weight > 0
        self.reconstructs = cfg.imle_weight > 0
        self.seeks_modes = cfg.diversity_weight > 0
        self.opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr_generator, betas=tuple(cfg.betas))
        self.opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr_discriminator, betas=tuple(cfg.betas))
        if self.adaptive:  # the signal is summed over ada_interval steps
            self.state.update(ada_p=cfg.ada_start_p, ada_signs=torch.zeros(()), ada_images=0)
        if self.regularised:  # the anchors start at the first batch's mean logits
            self.state.update(lecam_real=None, lecam_fake=None)

    @property
    def state(self) -> dict[str, Any]:
        """The discriminator optimiser's param group, which also holds ADA's and LeCam's running values.

        Read it anew each time: ``load_state_dict`` replaces the group."""
        return self.opt_d.param_groups[0]

    @property
    def augment_p(self) -> float:
        """The share of images each DiffAugment op is applied to: ADA's current p, or 1 without ADA."""
        return self.state["ada_p"] if self.adaptive else 1.0

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    @classmethod
    def check_data(cls, labels: torch.Tensor, classes: Sequence[str]) -> None:
        """Refuse training data with a class too small for a GAN (``check_class_sizes``)."""
        check_class_sizes(labels, classes)

    def _step_count(self) -> int:
        return optimizer_steps(self.opt_g)

    def _adapt(self, real_logits: torch.Tensor) -> None:
        """Add a batch to ADA's overfitting signal; every ``ada_interval`` discriminator steps, adjust p from it.

        The signs are summed on the device, so only an adjustment waits for it."""
        cfg, state = self.model.config, self.state
        state["ada_signs"] = real_logits.detach().float().sign().sum() + state["ada_signs"]
        state["ada_images"] += len(real_logits)
        if optimizer_steps(self.opt_d) % cfg.ada_interval == 0:  # every process adjusts at the same step
            # over all processes' real images (each sees as many), so that every process keeps the same p
            signal = float(self.precision.mean_over_ranks(state["ada_signs"] / state["ada_images"]))
            state["ada_p"] = adjusted_augment_p(
                state["ada_p"], signal, cfg.ada_target, state["ada_images"], cfg.ada_ramp_images
            )
            state["ada_signs"], state["ada_images"] = torch.zeros(()), 0

    def _lecam(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Move LeCam's anchors (EMAs of D's mean logits) to this batch, then the penalty against them."""
        decay, state = self.model.config.lecam_decay, self.state
        # the batch means over all processes (one all-reduce), so that every process keeps the same anchors
        means = self.precision.mean_over_ranks(torch.stack([real_logits.detach().mean(), fake_logits.detach().mean()]))
        for key, mean in zip(("lecam_real", "lecam_fake"), means, strict=True):
            anchor = state[key]
            state[key] = mean.clone() if anchor is None else decay * anchor.to(mean.device) + (1 - decay) * mean
        return lecam_penalty(real_logits, fake_logits, state["lecam_real"], state["lecam_fake"])

    def _nearest_sample_error(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """IMLE's term: the first ``imle_images`` real images' squared pixel error to the nearest of
        ``imle_candidates`` fakes of their class (searched without gradients, then generated again with them)."""
        model: CGAN = self.model
        images, labels = images[: model.config.imle_images], labels[: model.config.imle_images]
        n, k = len(images), model.config.imle_candidates
        z = torch.randn(n, k, model.latent_dim, device=images.device)
        with torch.no_grad():
            candidates = model.generate(z.flatten(0, 1), labels.repeat_interleave(k), use_ema=False)
            distances = (candidates.float().view(n, k, -1) - images.float().flatten(1)[:, None]).pow(2).mean(dim=2)
            nearest = z[torch.arange(n, device=images.device), distances.argmin(dim=1)]
        return F.mse_loss(model.generate(nearest, labels, use_ema=False).float(), images.float())

    def train_step(
        self, images: torch.Tensor, labels: torch.Tensor, unlabelled: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        model: CGAN = self.model
        unlabelled_weight = model.config.unlabelled_weight if unlabelled is not None else 0.0
        n = images.shape[0]
        fake_labels = labels  # condition fakes on the batch's label distribution
        p = self.augment_p  # one probability for both of this step's updates
        extra: dict[str, torch.Tensor] = {}  # what the options add to the losses logged
        with self.precision.autocast():
            # one generator pass serves both updates: D learns from these fakes (detached), then G's step scores
            # them again with the updated D, as most GAN trainers do; a second pass would cost a quarter of the step
            z = torch.randn(n, model.latent_dim, device=images.device)
            fake = model.generate(z, fake_labels, use_ema=False)
            real_features = model.discriminator.features(diff_augment(images, self.policy, p))
            d_real = model.discriminator.score(real_features, labels)
            fake_features = model.discriminator.features(diff_augment(fake.detach(), self.policy, p))
            d_fake = model.discriminator.score(fake_features, fake_labels)
            d_loss = hinge_discriminator_loss(d_real.float(), d_fake.float())
            if unlabelled_weight > 0:
                unlabelled_features = model.discriminator.features(diff_augment(unlabelled, self.policy, p))
                extra["d_unlabelled"] = hinge_discriminator_loss(
                    model.discriminator.realism(unlabelled_features).float(),
                    model.discriminator.realism(fake_features).float(),
                )
                d_loss = d_loss + unlabelled_weight * extra["d_unlabelled"]
            if model.num_classes > 1 and model.config.mismatch_weight > 0:
                wrong = mismatched_labels(labels, model.num_classes)
                d_wrong = model.discriminator.score(real_features, wrong).float()
                d_loss = d_loss + model.config.mismatch_weight * torch.relu(1.0 + d_wrong).mean()
            if self.classifies:
                class_logits = model.discriminator.classifier(real_features).float()
                d_loss = d_loss + model.config.classifier_weight * F.cross_entropy(class_logits, labels)
            if self.regularised:
                extra["lecam"] = self._lecam(d_real.float(), d_fake.float())
                d_loss = d_loss + model.config.lecam_weight * extra["lecam"]
        self.precision.step(d_loss, self.opt_d)
        if self.adaptive:
            extra["ada_p"] = torch.tensor(p, device=images.device)
            self._adapt(d_real)

        model.discriminator.requires_grad_(False)  # the generator step needs no discriminator gradients
        with self.precision.autocast():
            fake_features = model.discriminator.features(diff_augment(fake, self.policy, p))
            g_loss = hinge_generator_loss(model.discriminator.score(fake_features, fake_labels).float())
            if unlabelled_weight > 0:
                realism = model.discriminator.realism(fake_features).float()
                g_loss = g_loss + unlabelled_weight * hinge_generator_loss(realism)
            if self.classifies:
                class_logits = model.discriminator.classifier(fake_features).float()
                g_loss = g_loss + model.config.classifier_weight * F.cross_entropy(class_logits, fake_labels)
            if self.reconstructs:
                extra["imle"] = self._nearest_sample_error(images, labels)
                g_loss = g_loss + model.config.imle_weight * extra["imle"]
            if self.seeks_modes:
                extra["mode_seeking"] = mode_seeking_loss(fake.float(), z, fake_labels)
                g_loss = g_loss + model.config.diversity_weight * extra["mode_seeking"]
        self.precision.step(g_loss, self.opt_g)
        model.discriminator.requires_grad_(True)
        update_ema(model.generator_ema, model.generator, model.config.ema_decay, self._step_count())
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "d_real": d_real.detach().float().mean(),
            "d_fake": d_fake.detach().float().mean(),
            **{name: value.detach() for name, value in extra.items()},
        }


# trainer.steps="auto": at least 2,500 steps, the shortest length that met every target at 10 images per class (at
# the learning rate of 6e-4; benchmarks/results/cgan_history.md, item 13); a larger set gets 256 passes (4,000 steps
# for 1,000 images), as issue 19's time budgets grow with the set, up to 6,000 steps (from 1,500 images on)
register_family("cgan", CGANConfig, CGAN, CGANObjective, Schedule(min_steps=2500, epochs=256, max_steps=6000))
