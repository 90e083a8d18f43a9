"""Classical augmentation: the torchvision, albumentations and batched versions mean the same thing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from genaug.baselines import (
    BatchClassicalAugment,
    ClassicalConfig,
    classical_albumentations,
    classical_batch_augment,
    classical_transforms,
)
from genaug.metrics import predict, train_classifier


def fixed_params(n: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "angle": torch.rand(n, generator=g, dtype=torch.float64) * 20 - 10,
        "translate": torch.randint(-3, 4, (n, 2), generator=g).double(),
        "scale": torch.rand(n, generator=g, dtype=torch.float64) * 0.2 + 0.9,
        "flip": torch.arange(n) % 2 == 1,
        "brightness": torch.rand(n, generator=g, dtype=torch.float64) * 0.4 + 0.8,
        "contrast": torch.rand(n, generator=g, dtype=torch.float64) * 0.4 + 0.8,
    }


@pytest.mark.parametrize("channels", [1, 3])
def test_batched_version_equals_torchvision_functionals(channels):
    x = torch.rand(6, channels, 20, 28, generator=torch.Generator().manual_seed(0))  # not square
    params = fixed_params(6)
    out = BatchClassicalAugment.apply(x, params)
    for i in range(6):
        expected = TF.affine(
            x[i], angle=float(params["angle"][i]), translate=params["translate"][i].tolist(),
            scale=float(params["scale"][i]), shear=[0.0, 0.0], interpolation=v2.InterpolationMode.BILINEAR,
        )  # fmt: skip
        if params["flip"][i]:
            expected = TF.horizontal_flip(expected)
        if channels == 3:
            expected = TF.adjust_contrast(
                TF.adjust_brightness(expected, float(params["brightness"][i])), float(params["contrast"][i])
            )
        torch.testing.assert_close(out[i], expected, atol=1e-5, rtol=0)


def test_batched_parameters_span_the_torchvision_ranges():
    pipeline = classical_transforms(channels=3, config=ClassicalConfig(horizontal_flip=True))
    affine, flip, jitter = pipeline.transforms
    assert isinstance(affine, v2.RandomAffine) and isinstance(flip, v2.RandomHorizontalFlip)
    params = BatchClassicalAugment(ClassicalConfig(horizontal_flip=True), seed=0).make_params(20_000, 20, 28)

    def spans(values: torch.Tensor, low: float, high: float) -> bool:
        width = high - low
        return low <= values.min() < low + 0.01 * width and high - 0.01 * width < values.max() <= high

    assert spans(params["angle"], *affine.degrees)
    assert spans(params["translate"][:, 0], -affine.translate[0] * 28, affine.translate[0] * 28)
    assert spans(params["translate"][:, 1], -affine.translate[1] * 20, affine.translate[1] * 20)
    assert spans(params["scale"], *affine.scale)
    assert spans(params["brightness"], *jitter.brightness) and spans(params["contrast"], *jitter.contrast)
    assert abs(params["flip"].double().mean() - flip.p) < 0.02
    assert affine.shear is None and affine.interpolation == v2.InterpolationMode.BILINEAR


def bar_moments(image: np.ndarray) -> tuple[float, float, float, float]:
    """Mass, centroid shift (x, y) from the centre and orientation (degrees) of a 32 x 32 grey image."""
    image = np.asarray(image, np.float64).squeeze()
    ys, xs = np.mgrid[:32, :32]
    mass = image.sum()
    cx, cy = (image * xs).sum() / mass, (image * ys).sum() / mass
    mu20, mu02 = (image * (xs - cx) ** 2).sum() / mass, (image * (ys - cy) ** 2).sum() / mass
    mu11 = (image * (xs - cx) * (ys - cy)).sum() / mass
    return mass, cx - 15.5, cy - 15.5, np.degrees(0.5 * np.arctan2(2 * mu11, mu20 - mu02))


def test_three_implementations_move_a_bar_alike():
    """Zoom (from the mass), shift (from the centroid) and rotation (from the orientation) of a centred bar stay
    within, and reach, the configured ranges in all three implementations."""
    bar = np.zeros((32, 32), np.float32)
    bar[15:17, 8:24] = 1.0
    n = 300
    with torch.random.fork_rng():
        torch.manual_seed(0)
        pipeline = classical_transforms(channels=1)
        torchvision_out = [pipeline(torch.from_numpy(bar)[None]).numpy() for _ in range(n)]
    albumentations = classical_albumentations(channels=1, seed=0)
    albumentations_out = [albumentations(image=bar[..., None])["image"] for _ in range(n)]
    batched_out = classical_batch_augment(seed=0)(torch.from_numpy(bar).expand(n, 1, 32, 32)).numpy()
    for name, images in [
        ("torchvision", torchvision_out),
        ("albumentations", albumentations_out),
        ("batched", batched_out),
    ]:
        mass, dx, dy, angle = np.array([bar_moments(image) for image in images]).T
        zoom = np.sqrt(mass / bar.sum())
        assert 0.87 < zoom.min() < 0.93 and 1.07 < zoom.max() < 1.13, name
        for shift in (dx, dy):
            assert 2.5 < np.abs(shift).max() < 3.4 and abs(shift.mean()) < 0.5, name
        assert 8.5 < np.abs(angle).max() < 10.5 and abs(angle.mean()) < 1.5, name


def test_pipelines_keep_type_dtype_and_size():
    gray = np.random.default_rng(0).integers(0, 256, (20, 28), dtype=np.uint8)
    rgb = np.random.default_rng(1).integers(0, 256, (20, 28, 3), dtype=np.uint8)
    for image in (Image.fromarray(gray), Image.fromarray(rgb)):
        out = classical_transforms(channels=len(image.getbands()))(image)
        assert isinstance(out, Image.Image) and out.size == image.size and out.mode == image.mode
    for tensor in (torch.from_numpy(rgb).permute(2, 0, 1), torch.from_numpy(rgb).permute(2, 0, 1).float() / 255):
        out = classical_transforms(channels=3)(tensor)
        assert out.dtype == tensor.dtype and out.shape == tensor.shape
    for array in (gray[..., None], rgb, rgb.astype(np.float32) / 255):
        out = classical_albumentations(channels=array.shape[-1], seed=0)(image=array)["image"]
        assert out.dtype == array.dtype and out.shape == array.shape
        assert not np.array_equal(out, array)


def test_flip_is_off_by_default_and_grayscale_gets_no_colour_jitter():
    default = ClassicalConfig()
    assert default.horizontal_flip is False
    assert [type(t) for t in classical_transforms(1).transforms] == [v2.RandomAffine]
    assert [type(t).__name__ for t in classical_albumentations(1).transforms] == ["Affine"]
    assert [type(t).__name__ for t in classical_albumentations(3).transforms] == ["Affine", "ColorJitter"]
    assert not BatchClassicalAugment(default).make_params(1000, 8, 8)["flip"].any()
    # on one channel the colour factors are ignored: only the warp applies
    x = torch.rand(4, 1, 12, 12)
    params = fixed_params(4)
    neutral = {
        **params,
        "brightness": torch.ones(4, dtype=torch.float64),
        "contrast": torch.ones(4, dtype=torch.float64),
    }
    torch.testing.assert_close(BatchClassicalAugment.apply(x, params), BatchClassicalAugment.apply(x, neutral))


def test_batched_augment_on_real_digits(digit_splits):
    x = digit_splits["train"].images[:64].float() / 255
    a, b = classical_batch_augment(seed=5)(x), classical_batch_augment(seed=5)(x)
    assert torch.equal(a, b) and not torch.equal(a, classical_batch_augment(seed=6)(x))
    assert a.shape == x.shape and a.dtype == x.dtype and a.min() >= 0 and a.max() <= 1
    augment = classical_batch_augment(seed=5)
    assert not torch.equal(augment(x), augment(x))  # fresh parameters for every batch
    assert torch.equal(classical_batch_augment(seed=5)(x, digit_splits["train"].labels[:64]), a)  # labels ignored
    # digits keep most of their ink (zoom 0.9-1.1 changes it by at most ~20%, shifts may crop a little)
    ratio = a.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert ratio.min() > 0.7 and ratio.max() < 1.3


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="degrees"):
        ClassicalConfig(degrees=-1)
    with pytest.raises(ValueError, match="scale"):
        ClassicalConfig(scale=(1.1, 0.9))
    with pytest.raises(ValueError, match="brightness"):
        ClassicalConfig(brightness=1.5)
    with pytest.raises(ValueError, match="channels"):
        classical_transforms(channels=2)
    with pytest.raises(ValueError, match="float"):
        classical_batch_augment()(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))


def test_batched_augment_plugs_into_train_classifier(digit_splits):
    part = digit_splits["train"]
    model = train_classifier(part.images, part.labels, 10, steps=3, augment=classical_batch_augment(seed=0))
    assert predict(model, part.images[:5]).shape == (5,)
