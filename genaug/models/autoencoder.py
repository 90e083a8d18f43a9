"""ae: a deterministic autoencoder with a per-class Gaussian mixture over its codes.

Trained on the reconstruction NLL, with a small L2 penalty on the codes and Gaussian noise added to them, so
the decoder is smooth where the density puts samples (as in the regularised autoencoders of Ghosh et al.,
2020). After training, ``fit_density`` encodes the training set and fits one full-covariance Gaussian mixture
per class (scikit-learn); sampling draws a code from the class's mixture and decodes it.

Unlabelled images (``genaug.fit(..., unlabelled=...)``): the encoder and decoder need no labels, so they train on
every image (each step's loss averages over the labelled and the unlabelled batch alike); the class densities are
fitted on the codes of the labelled images only. The codes then follow the variety of all the images, and the
labelled ones place each class in it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from sklearn.mixture import GaussianMixture
from torch import nn

from genaug.checks import check_int, check_number
from genaug.models.base import EncodingModel, SeedLike, keep_detail, make_generator
from genaug.models.blocks import DownsamplingTrunk, UpsamplingTrunk
from genaug.models.inference import inference
from genaug.models.inputs import ImageInput, as_image_batch, in_batches
from genaug.models.latent_path import latent_end_point, latent_path
from genaug.models.likelihood import ReconstructionLikelihood, check_config_likelihood, resolve_likelihood
from genaug.models.objective import Objective, UpdateRunner, check_betas
from genaug.models.options import check_strength, sampling_temperature
from genaug.models.registry import register_family
from genaug.models.schedule import Schedule

PAD_LOGIT = -1e9  # log-weight of unused mixture components (finite, so checkpoints pass the NaN/inf check)
ENCODE_BATCH = 512
DENSITY_SEED = 0  # the mixtures are fitted with a fixed seed: the same codes give the same density
POINTS_PER_DIM = 2  # a class gets one mixture component per 2 * latent_dim codes, up to density_components
REG_COVAR = 1e-3  # added to the covariance diagonals, as a fraction of the mean code variance


@dataclass
class AEConfig:
    """Hyper-parameters of the autoencoder and its code density."""

    latent_dim: int = 16  # size of the code
    base_width: int = 32  # channels at full resolution in encoder and decoder (doubling per stage, up to 8x)
    likelihood: str = "auto"  # "bernoulli", "gaussian" (learned sigma), or "auto": bernoulli if near-binary
    code_penalty: float = 0.1  # weight of 0.5 * ||code||^2 per image in the loss (keeps the code scale fixed)
    code_noise: float = 0.1  # std of Gaussian noise added to codes in training (smooths the decoder)
    density_components: int = 10  # most Gaussian mixture components per class
    lr: float = 1e-3  # Adam learning rate
    betas: tuple[float, float] = (0.9, 0.999)  # Adam betas

    def __post_init__(self) -> None:
        # sizes are stored as checked (a numpy int becomes an int): the config is saved as JSON with the weights
        self.latent_dim = check_int("latent_dim", self.latent_dim, minimum=1)
        self.base_width = check_int("base_width", self.base_width, minimum=1)
        self.density_components = check_int("density_components", self.density_components, minimum=1)
        check_number("code_penalty", self.code_penalty, minimum=0)
        check_number("code_noise", self.code_noise, minimum=0)
        check_number("lr", self.lr, minimum=0, min_inclusive=False)
        check_config_likelihood(self.likelihood)
        self.betas = check_betas(self.betas)

    def resolved_for(self, images: torch.Tensor) -> AEConfig:
        """Decide ``likelihood="auto"`` from the training images (uint8 N x C x H x W)."""
        return dataclasses.replace(self, likelihood=resolve_likelihood(self.likelihood, images))


class Autoencoder(EncodingModel):
    """Autoencoder with a class-conditional code density. ``sample(..., temperature=t)`` scales its noise."""

    perturb_version = 2

    def __init__(self, config: AEConfig, classes: Sequence[str], image_shape: Sequence[int]):
        super().__init__(config, classes, image_shape)
        k, m, d = self.num_classes, config.density_components, config.latent_dim
        self.likelihood = ReconstructionLikelihood(config.likelihood)
        self.encoder = DownsamplingTrunk(self.image_shape, config.base_width)
        self.to_code = nn.Linear(self.encoder.out_channels * math.prod(self.encoder.out_hw), d)
        self.decoder = UpsamplingTrunk(d, self.image_shape, config.base_width)
        # The fitted density; shapes depend on the config and classes only, so checkpoints load strictly.
        self.register_buffer("density_means", torch.zeros(k, m, d))  # K x M x d
        self.register_buffer("density_scale_tril", torch.eye(d).repeat(k, m, 1, 1))  # K x M x d x d
        self.register_buffer("density_logits", torch.full((k, m), PAD_LOGIT))  # K x M, log mixture weights
        self.register_buffer("code_std", torch.ones(d))  # d, per-dimension std of the training codes
        self.register_buffer("density_fitted", torch.tensor(False))

    def codes(self, images: torch.Tensor) -> torch.Tensor:
        """Codes N x latent_dim of images in [0, 1] on the device."""
        return self.to_code(self.encoder(images).flatten(1))

    @inference
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Codes (N x latent_dim) of images (N x C x H x W, [0, 1] or uint8)."""
        return self.codes(self._as_batch(images))

    @inference
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (N x C x H x W) from codes (N x latent_dim)."""
        if codes.ndim != 2 or codes.shape[1] != self.latent_dim:
            raise ValueError(f"expected codes of shape N x {self.latent_dim}, got {tuple(codes.shape)}")
        return torch.sigmoid(self.decoder(codes.to(self.device, torch.float32)))

    @inference
    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Decoded codes of the images."""
        return torch.sigmoid(self.decoder(self.codes(self._as_batch(images))))

    @inference
    def perturb(self, images: torch.Tensor, strength: float, generator: SeedLike = None) -> torch.Tensor:
        """Move each image's code by ``strength * code_std * noise`` (code_std over the training set) and add the
        change this makes to its decoding to the image (``keep_detail``; strength 0: the image itself). Needs the
        fitted density."""
        strength = check_strength(strength)
        self._check_fitted()
        x = self._as_batch(images)
        codes = self.codes(x)
        noise = torch.randn(codes.shape, generator=make_generator(generator)).to(self.device)
        both = torch.sigmoid(self.decoder(torch.cat([codes + strength * self.code_std * noise, codes])))
        return keep_detail(x, *both.chunk(2))

    @inference
    def latent_features(self, images: ImageInput, batch_size: int = 256) -> torch.Tensor:
        """Codes (N x latent_dim, on the model's device) of images in any form ``genaug.models.inputs`` accepts
        (resized to the model's shape)."""
        x = as_image_batch(images, self.image_shape)
        return in_batches(lambda s: self.codes(x[s].to(self.device)), len(x), batch_size)

    @inference
    def anomaly_score(self, images: ImageInput, batch_size: int = 256) -> torch.Tensor:
        """Reconstruction error per image (N, on the model's device): the mean squared difference between the
        image and its reconstruction, over pixels and channels, in [0, 1]. Higher is more anomalous."""
        x = as_image_batch(images, self.image_shape)

        def squared_error(s: slice) -> torch.Tensor:
            batch = x[s].to(self.device)
            return (batch - torch.sigmoid(self.decoder(self.codes(batch)))).square().flatten(1).mean(dim=1)

        return in_batches(squared_error, len(x), batch_size)

    @inference
    def translate(
        self,
        images: ImageInput,
        target_labels: Sequence[int | str] | torch.Tensor | int | str,
        source_labels: Sequence[int | str] | torch.Tensor | int | str | None = None,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """Class transfer by latent arithmetic (the decoder has no label to change): each code is moved by the
        difference between the mean code of its target class and of its source class under the fitted density,
        then decoded. What the class means do not capture is kept, so expect a weaker, blurrier transfer than
        cvae's. ``source_labels=None`` takes each image's most likely class under the density. Images in [0, 1]
        on the model's device."""
        self._check_fitted()
        x = as_image_batch(images, self.image_shape)
        targets = self.labels_tensor(target_labels, len(x)).to(self.device)
        sources = None if source_labels is None else self.labels_tensor(source_labels, len(x)).to(self.device)
        means = self.class_code_means()  # K x d

        def shift(s: slice) -> torch.Tensor:
            codes = self.codes(x[s].to(self.device))  # n x d
            source = self.class_log_likelihood(codes).argmax(dim=1) if sources is None else sources[s]
            return torch.sigmoid(self.decoder(codes - means[source] + means[targets[s]]))

        return in_batches(shift, len(x), batch_size)

    def class_code_means(self) -> torch.Tensor:
        """Mean code of each class under the fitted density (K x latent_dim): its mixture's weighted mean."""
        self._check_fitted()
        weights = self.density_logits.softmax(dim=1)  # K x M
        return (weights[:, :, None] * self.density_means).sum(dim=1)

    def class_log_likelihood(self, codes: torch.Tensor) -> torch.Tensor:
        """log p(code | class) under the fitted density, N x K, for codes N x latent_dim on the device."""
        self._check_fitted()
        components = torch.distributions.MultivariateNormal(
            self.density_means, scale_tril=self.density_scale_tril, validate_args=False
        )  # batch shape K x M
        log_prob = components.log_prob(codes[:, None, None, :].float())  # N x K x M
        return (log_prob + self.density_logits.log_softmax(dim=1)).logsumexp(dim=2)

    @inference
    def interpolate(self, start: Any, end: Any, steps: int = 8, spherical: bool = False) -> torch.Tensor:
        """``steps`` images (steps x C x H x W, on the model's device) decoded along a path between two codes.

        ``start``/``end``: one image each (their codes are the end points) or latent points (1-D, ``latent_dim``
        numbers). A straight line by default: the codes follow the fitted density, not a centred Gaussian.
        """
        a, b = (latent_end_point(p, self.latent_dim, self.latent_features) for p in (start, end))
        return torch.sigmoid(self.decoder(latent_path(a, b, steps, spherical).to(self.device)))

    @inference
    def fit_density(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Encode all ``images`` (uint8 or [0, 1], CPU) and fit a Gaussian mixture per class to the codes."""
        if len(images) != len(labels):
            raise ValueError(f"got {len(images)} images but {len(labels)} labels")
        batches = (self._as_batch(images[i : i + ENCODE_BATCH]) for i in range(0, len(images), ENCODE_BATCH))
        codes = torch.cat([self.codes(batch).cpu() for batch in batches]).double()  # N x d
        labels = labels.cpu()
        reg = REG_COVAR * float(codes.var(dim=0).mean()) if len(codes) > 1 else REG_COVAR
        self.density_means.zero_()
        self.density_scale_tril.copy_(torch.eye(self.latent_dim).expand_as(self.density_scale_tril))
        self.density_logits.fill_(PAD_LOGIT)
        for c in range(self.num_classes):
            class_codes = codes[labels == c]  # n_c x d
            if len(class_codes) == 0:
                raise ValueError(f"class {self.classes[c]!r} has no images; every class needs training images")
            means, scale_tril, log_weights = fit_mixture(class_codes, self.config.density_components, reg)
            n = len(means)
            self.density_means[c, :n] = means
            self.density_scale_tril[c, :n] = scale_tril
            self.density_logits[c, :n] = log_weights
        self.code_std.copy_(codes.std(dim=0) if len(codes) > 1 else torch.ones(self.latent_dim))
        self.density_fitted.fill_(True)

    def _check_fitted(self) -> None:
        if not bool(self.density_fitted):
            raise RuntimeError(
                "this ae model has no fitted code density yet: train it with genaug.fit(...), "
                "or call model.fit_density(images, labels) on the training images"
            )

    def _sampling_options(self, options: dict[str, Any]) -> dict[str, Any]:
        temperature = sampling_temperature("ae", options)
        self._check_fitted()
        return {"temperature": temperature}

    def _draw_noise(self, n: int, generator: torch.Generator, temperature: float = 1.0) -> torch.Tensor:
        """Per sample (n x 1 + d): a uniform number in [0, 1) that picks the mixture component, then the noise."""
        pick = torch.rand(n, 1, generator=generator)
        return torch.cat([pick, torch.randn(n, self.latent_dim, generator=generator) * temperature], dim=1)

    def _decode_noise(self, noise: torch.Tensor, labels: torch.Tensor, **options: Any) -> torch.Tensor:
        cumulative = self.density_logits.cpu()[labels].double().softmax(dim=1).cumsum(dim=1)  # N x M
        pick = noise[:, :1].double() * cumulative[:, -1:]  # below the total: unused components are never picked
        component = torch.searchsorted(cumulative, pick, right=True).squeeze(1)  # N, the component where it falls
        labels, component, z = labels.to(self.device), component.to(self.device), noise[:, 1:].to(self.device)
        mean = self.density_means[labels, component]  # N x d
        scale = self.density_scale_tril[labels, component]  # N x d x d
        codes = mean + (scale @ z.unsqueeze(2)).squeeze(2)  # N x d
        return torch.sigmoid(self.decoder(codes))


def fit_mixture(codes: torch.Tensor, max_components: int, reg: float) -> tuple[torch.Tensor, ...]:
    """Means (M' x d), Cholesky factors of the covariances (M' x d x d) and log-weights (M') of a
    full-covariance Gaussian mixture fitted to ``codes`` (n x d, n >= 1), with one component per
    ``POINTS_PER_DIM * d`` codes (at least 1, at most ``max_components``)."""
    n, d = codes.shape
    if n == 1:  # a single image: a narrow Gaussian around its code
        return codes, math.sqrt(reg) * torch.eye(d, dtype=codes.dtype)[None], torch.zeros(1, dtype=codes.dtype)
    components = max(1, min(max_components, n // (POINTS_PER_DIM * d)))
    gmm = GaussianMixture(components, covariance_type="full", reg_covar=reg, random_state=DENSITY_SEED)
    gmm.fit(codes.numpy())
    covariances = torch.from_numpy(gmm.covariances_)
    return torch.from_numpy(gmm.means_), torch.linalg.cholesky(covariances), torch.from_numpy(gmm.weights_).log()


class AEObjective(Objective):
    """Reconstruction NLL of noisy codes plus an L2 code penalty, one Adam optimiser; fits the density.

    Unlabelled images join the batch: the loss is the same for them (it never reads a label).
    """

    def __init__(self, model: Autoencoder, precision: UpdateRunner):
        super().__init__(model, precision)
        cfg = model.config
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=tuple(cfg.betas))

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.optimizer}

    def train_step(
        self, images: torch.Tensor, labels: torch.Tensor, unlabelled: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        model: Autoencoder = self.model
        cfg = model.config
        if unlabelled is not None:
            images = torch.cat([images, unlabelled])  # (N + M) x C x H x W; labels are not used
        with self.precision.autocast():
            codes = model.codes(images)  # N x d
            noisy = codes + cfg.code_noise * torch.randn_like(codes)
            logits = model.decoder(noisy)
        recon = model.likelihood.nll(logits, images)  # N
        code_sq = codes.float().square().sum(dim=1)  # N
        loss = (recon + 0.5 * cfg.code_penalty * code_sq).mean()
        self.precision.step(loss, self.optimizer)
        return {"loss": loss.detach(), "recon": recon.mean().detach(), "code_sq": code_sq.mean().detach()}

    def prepare_for_sampling(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.model.fit_density(images, labels)  # the labelled images only: the densities are per class


# trainer.steps="auto": 600 steps at the budgets the bench measured (10 to 100 images per class, where they were
# enough: README), 40 passes over larger sets up to the 3,000 steps of the MNIST-5k runs (quickstart, train_quality)
register_family("ae", AEConfig, Autoencoder, AEObjective, Schedule(min_steps=600, epochs=40, max_steps=3000))
