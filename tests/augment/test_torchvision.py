"""genaug.transforms.GenerativeAugment as a torchvision v2 citizen: inside v2.Compose with other v2 transforms,
finding the label in the sample, passing other inputs through, and drawing from torch's global RNG only as much
as its contract says."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors
from torchvision.transforms import v2

from genaug.augment.modes import SEED_BOUND
from genaug.transforms import GenerativeAugment


@pytest.fixture(scope="module")
def cgan(tiny_models):
    return tiny_models["cgan"]  # 10 classes "0".."9", 1×16×16


def random_pil(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    shape = size if mode == "L" else (*size, 3)
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8), mode)


def test_in_a_classical_pipeline_on_pil_label_pairs(cgan):
    pipeline = v2.Compose(
        [
            v2.RandomResizedCrop(20, scale=(0.5, 1.0)),
            GenerativeAugment(cgan, p=1.0),
            v2.RandomHorizontalFlip(),
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize([0.5], [0.5]),
        ]
    )
    torch.manual_seed(0)
    image, label = pipeline(random_pil((31, 27), "L"), 4)
    assert isinstance(image, tv_tensors.Image) and image.shape == (1, 20, 20) and image.dtype == torch.float32
    assert label == 4 and float(image.min()) >= -1.0 and float(image.max()) <= 1.0


@pytest.mark.parametrize(
    "image",
    [
        torch.randint(0, 256, (3, 21, 19), dtype=torch.uint8),
        tv_tensors.Image(torch.randint(0, 256, (1, 16, 16), dtype=torch.uint8)),
        torch.rand(3, 16, 16),
    ],
    ids=["uint8", "tv_image", "float"],
)
def test_next_to_other_v2_transforms_on_tensors(cgan, image):
    pipeline = v2.Compose([v2.RandomHorizontalFlip(), GenerativeAugment(cgan, p=1.0), v2.RandomVerticalFlip()])
    torch.manual_seed(1)
    out, label = pipeline(image, torch.tensor(2))
    assert type(out) is type(image) and out.dtype == image.dtype and out.shape == image.shape
    assert int(label) == 2 and not torch.equal(out, image)


def test_label_rule_first_int_in_the_sample(cgan, monkeypatch):
    transform = GenerativeAugment(cgan, p=1.0)
    seen = []
    draw = transform._augmenter.draw
    monkeypatch.setattr(transform._augmenter, "draw", lambda applied, label, *a, **k: seen.append(label) or None)
    image = torch.zeros(1, 16, 16, dtype=torch.uint8)
    transform(image, 3)
    transform({"image": image, "label": np.int64(5)})
    transform(image, torch.tensor(6))
    transform(image, True, torch.tensor(0.5), 7)  # not bools, not float tensors
    transform(image, "a/path.png", 8)
    transform(image, torch.tensor([1, 2]), torch.tensor([9]))  # an integer tensor holding one value
    assert seen == [3, 5, 6, 7, 8, 9]
    monkeypatch.setattr(transform._augmenter, "draw", draw)
    with pytest.raises(ValueError, match="found the str '7' where a class label belongs: .*first integer"):
        transform(image, "7")
    with pytest.raises(TypeError, match=r"found a tensor of dtype torch.int64 and shape \(2,\): \[1, 2\] where"):
        transform(image, torch.tensor([1, 2]))


def test_a_sample_without_a_label_says_so_when_nothing_stands_in_for_one(cgan):
    image = tv_tensors.Image(torch.zeros(1, 16, 16, dtype=torch.uint8))
    mask = tv_tensors.Mask(torch.ones(16, 16, dtype=torch.uint8))
    with pytest.raises(ValueError, match="needs each sample's class label, and this sample has none"):
        GenerativeAugment(cgan, p=1.0)(image, mask, None)


def test_other_inputs_pass_through(cgan):
    image = tv_tensors.Image(torch.zeros(1, 16, 16, dtype=torch.uint8))
    mask = tv_tensors.Mask(torch.ones(16, 16, dtype=torch.uint8))
    torch.manual_seed(0)
    out, out_mask, label = GenerativeAugment(cgan, p=1.0)(image, mask, 1)
    assert out_mask is mask and label == 1 and not torch.equal(out, image)


def test_label_is_checked_even_when_not_applied(cgan):
    with pytest.raises(ValueError, match="unknown class label 12"):
        GenerativeAugment(cgan, p=0.0)(torch.zeros(1, 16, 16, dtype=torch.uint8), 12)


def test_draws_two_numbers_per_call_whatever_the_bank_holds(cgan, tiny_runs):
    """A refill, a bank hit, a skipped call or a first-use model load leave the global RNG where two draws do, so
    the transforms after it in a pipeline see the same random numbers."""
    image = torch.zeros(1, 16, 16, dtype=torch.uint8)
    for transform in (GenerativeAugment(str(tiny_runs["cgan"]), p=1.0, bank_size=2), GenerativeAugment(cgan, p=0.5)):
        for call in range(3):
            torch.manual_seed(100 + call)
            torch.rand(())
            torch.randint(0, SEED_BOUND, (), dtype=torch.int64)
            expected = torch.rand(())
            torch.manual_seed(100 + call)
            transform(image, call)
            assert torch.equal(torch.rand(()), expected)


def test_reseeding_with_another_seed_starts_a_fresh_bank(cgan):
    image = torch.zeros(1, 16, 16, dtype=torch.uint8)
    transform = GenerativeAugment(cgan, p=1.0, bank_size=8)
    fresh = GenerativeAugment(copy.deepcopy(cgan), p=1.0, bank_size=8)  # another model object: its own, empty banks

    def run(t: GenerativeAugment, seed: int) -> list[torch.Tensor]:
        torch.manual_seed(seed)
        return [t(image, k % 3) for k in range(5)]

    run(transform, 41)  # leaves half-used banks behind
    assert all(torch.equal(a[0], b[0]) for a, b in zip(run(transform, 42), run(fresh, 42), strict=True))


def test_a_batch_is_refused(cgan):
    with pytest.raises(ValueError, match="one C×H×W image"):
        GenerativeAugment(cgan, p=1.0)(torch.zeros(4, 1, 16, 16, dtype=torch.uint8), 3)


def test_holds_no_weights_and_shows_its_settings(cgan):
    transform = GenerativeAugment(cgan, p=0.25, bank_size=64)
    assert transform.state_dict() == {} and list(transform.parameters()) == []
    assert repr(transform) == "GenerativeAugment(p=0.25, mode=replace, strength=0.25, bank_size=64, redraws=0)"
