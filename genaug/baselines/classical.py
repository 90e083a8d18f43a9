"""The classical-augmentation baseline of the benchmarks, in three implementations with one meaning.

``ClassicalConfig`` holds the standard pipeline for small grayscale or RGB images: a random affine map
(rotation in ±10°, shift in ±10% of width and height, isotropic zoom in 0.9-1.1, about the image centre,
bilinear, black fill), an optional horizontal flip (off by default: mirrored digits or letters are different
symbols) and, for RGB images only, light brightness and contrast jitter (factors in 0.8-1.2, as torchvision's
``ColorJitter``). It comes as

- ``classical_transforms``: a torchvision v2 pipeline (per image; PIL, tensor or ``tv_tensors.Image`` in, same out);
- ``classical_albumentations``: an albumentations pipeline (per image; H x W x C numpy in, same out);
- ``classical_batch_augment``: a batched tensor version for in-memory classifier training, which draws
  per-image parameters and warps a whole N x C x H x W float batch with one ``affine_grid``/``grid_sample``.

Small differences: torchvision rounds shifts to whole pixels and both libraries apply the colour jitter in a
random order; the batched version shifts by fractions of a pixel and applies brightness before contrast.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from genaug.baselines.batches import check_float_batch
from genaug.checks import check_choice, check_number
from genaug.optional import require

if TYPE_CHECKING:
    import albumentations as A

GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # ITU-R 601 luma, as torchvision's rgb_to_grayscale


@dataclass(frozen=True)
class ClassicalConfig:
    """Ranges of the classical augmentation (plain data)."""

    degrees: float = 10.0  # rotation angle drawn from [-degrees, degrees]
    translate: float = 0.1  # shift drawn from ±translate x width (x) and ±translate x height (y)
    scale: tuple[float, float] = (0.9, 1.1)  # isotropic zoom factor range
    horizontal_flip: bool = False  # mirror half of the images; wrong for digits and text
    brightness: float = 0.2  # RGB only: multiply by a factor from [1 - brightness, 1 + brightness]
    contrast: float = 0.2  # RGB only: blend with the mean grey level, factor from [1 - contrast, 1 + contrast]

    def __post_init__(self) -> None:
        check_number("ClassicalConfig.degrees", self.degrees, minimum=0)
        size = "a fraction of the image size"
        check_number("ClassicalConfig.translate", self.translate, minimum=0, maximum=1, note=size)
        for name in ("brightness", "contrast"):
            value = getattr(self, name)
            positive = "factors stay positive"
            check_number(f"ClassicalConfig.{name}", value, minimum=0, maximum=1, max_inclusive=False, note=positive)
        if len(self.scale) != 2 or not 0 < self.scale[0] <= self.scale[1]:
            raise ValueError(f"ClassicalConfig.scale must be (low, high) with 0 < low <= high, got {self.scale}")


def _check_channels(channels: int) -> bool:
    """True for RGB (3 channels), False for grayscale (1); a ValueError otherwise."""
    return check_choice("channels", channels, (1, 3), note="grayscale or RGB") == 3


def classical_transforms(channels: int = 1, config: ClassicalConfig = ClassicalConfig()) -> v2.Compose:
    """The classical pipeline as torchvision v2 transforms, for images with ``channels`` 1 or 3 (random values
    come from torch's global generator, as for every torchvision transform)."""
    rgb = _check_channels(channels)
    steps = [
        v2.RandomAffine(
            degrees=config.degrees,
            translate=(config.translate, config.translate),
            scale=config.scale,
            interpolation=v2.InterpolationMode.BILINEAR,
            fill=0,
        )
    ]
    if config.horizontal_flip:
        steps.append(v2.RandomHorizontalFlip(p=0.5))
    if rgb:
        steps.append(v2.ColorJitter(brightness=config.brightness, contrast=config.contrast))
    return v2.Compose(steps)


def classical_albumentations(
    channels: int = 1, config: ClassicalConfig = ClassicalConfig(), seed: int | None = None
) -> A.Compose:
    """The classical pipeline as an albumentations ``Compose``, for images with ``channels`` 1 or 3; ``seed``
    seeds its random draws (None: albumentations draws a fresh seed)."""
    # Imported here, not with the module: albumentations is an extra, and importing it starts its online update check.
    A = require("albumentations", extra="albumentations", feature="genaug.baselines.classical_albumentations")
    import cv2  # installed with albumentations

    rgb = _check_channels(channels)
    steps = [
        A.Affine(
            rotate=(-config.degrees, config.degrees),
            translate_percent=(-config.translate, config.translate),
            scale=config.scale,
            keep_ratio=True,  # one zoom factor for both axes, as torchvision
            interpolation=cv2.INTER_LINEAR,
            border_mode=cv2.BORDER_CONSTANT,
            fill=0,
            p=1.0,
        )
    ]
    if config.horizontal_flip:
        steps.append(A.HorizontalFlip(p=0.5))
    if rgb:
        steps.append(A.ColorJitter(**_color_jitter_arguments(A, config), p=1.0))
    return A.Compose(steps, seed=seed)


def _color_jitter_arguments(A: ModuleType, config: ClassicalConfig) -> dict[str, Any]:
    """Brightness and contrast jitter only, in the argument names of the installed ``A.ColorJitter``: newer
    albumentationsx takes factor ranges (``brightness_range``...) and ignores, with a warning, albumentations 2.0's."""
    if "brightness_range" in inspect.signature(A.ColorJitter).parameters:
        return {
            "brightness_range": (1 - config.brightness, 1 + config.brightness),
            "contrast_range": (1 - config.contrast, 1 + config.contrast),
            "saturation_range": (1.0, 1.0),
            "hue_range": (0.0, 0.0),
        }
    return {"brightness": config.brightness, "contrast": config.contrast, "saturation": 0, "hue": 0}


class BatchClassicalAugment:
    """The classical pipeline on float N x C x H x W batches in [0, 1], with its own seeded generator.

    As in torchvision, ``make_params`` draws every random value (one set per image) and ``apply`` is
    deterministic; calling the object does both. Colour jitter applies to 3-channel batches only.
    """

    def __init__(self, config: ClassicalConfig = ClassicalConfig(), seed: int = 0):
        self.config = config
        self.generator = torch.Generator().manual_seed(seed)

    def _uniform(self, n: int, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=self.generator, dtype=torch.float64)

    def make_params(self, n: int, height: int, width: int) -> dict[str, torch.Tensor]:
        """Per-image parameters in torchvision's units: ``angle`` (degrees), ``translate`` (N x 2 pixels, x then y),
        ``scale``, ``flip`` (bool), ``brightness`` and ``contrast`` factors."""
        c = self.config
        return {
            "angle": self._uniform(n, -c.degrees, c.degrees),
            "translate": torch.stack(
                [
                    self._uniform(n, -c.translate * width, c.translate * width),
                    self._uniform(n, -c.translate * height, c.translate * height),
                ],
                dim=1,
            ),
            "scale": self._uniform(n, *c.scale),
            "flip": (torch.rand(n, generator=self.generator) < 0.5) & c.horizontal_flip,
            "brightness": self._uniform(n, 1 - c.brightness, 1 + c.brightness),
            "contrast": self._uniform(n, 1 - c.contrast, 1 + c.contrast),
        }

    @staticmethod
    def apply(x: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Warp (and for RGB, colour-jitter) ``x`` with ``params`` from ``make_params``: the same map as
        ``torchvision.transforms.v2.functional.affine`` with centre rotation, then a flip of the output."""
        n, channels, height, width = x.shape
        angle = torch.deg2rad(params["angle"])
        cos, sin, scale = torch.cos(angle), torch.sin(angle), params["scale"]
        tx, ty = params["translate"].unbind(1)
        # output pixel p (centred) comes from input pixel R(-angle) (p - t) / scale; in affine_grid's [-1, 1]
        # coordinates x is divided by width / 2 and y by height / 2
        aspect = height / width
        theta = torch.stack(
            [
                torch.stack([cos, sin * aspect, -(cos * tx + sin * ty) * 2 / width], dim=1),
                torch.stack([-sin / aspect, cos, (sin * tx - cos * ty) * 2 / height], dim=1),
            ],
            dim=1,
        ) / scale.view(n, 1, 1)  # N x 2 x 3
        theta[:, :, 0] *= 1 - 2 * params["flip"].double().view(n, 1)  # a flip of the output mirrors its x
        grid = F.affine_grid(theta.to(x.device, x.dtype), [n, channels, height, width], align_corners=False)
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if channels == 3:
            out = (out * params["brightness"].to(out).view(n, 1, 1, 1)).clamp(0, 1)
            grey = (out * torch.tensor(GRAY_WEIGHTS).to(out).view(1, 3, 1, 1)).sum(1).mean((1, 2)).view(n, 1, 1, 1)
            ratio = params["contrast"].to(out).view(n, 1, 1, 1)
            out = (ratio * out + (1 - ratio) * grey).clamp(0, 1)
        return out

    def __call__(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Augment a float batch; ``labels`` are accepted and ignored, so the object is also a batch function
        ``(x, y) -> x`` for ``train_classifier(augment=...)``."""
        check_float_batch(x)
        return self.apply(x, self.make_params(len(x), x.shape[2], x.shape[3]))


def classical_batch_augment(seed: int = 0, config: ClassicalConfig = ClassicalConfig()) -> BatchClassicalAugment:
    """The classical pipeline for float N x C x H x W batches: ``augment(x)`` (or ``augment(x, y)``) -> batch of
    the same shape, with fresh per-image parameters on every call."""
    return BatchClassicalAugment(config, seed)
