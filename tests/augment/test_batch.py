"""BatchAugment: whole batches in the training step, any dtype and device, seeded, filtered, checked."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from genaug.augment import BatchAugment
from genaug.filters import PredictionFilter


@pytest.fixture(scope="module")
def batch(digits16):
    return digits16.images[:32].clone(), digits16.labels[:32].clone()


@pytest.mark.parametrize(
    ("family", "mode"), [("ae", "perturb"), ("cvae", "perturb"), ("cgan", "replace"), ("diffusion", "perturb")]
)
def test_augments_a_share_of_the_batch_in_its_own_dtype_and_leaves_the_inputs_alone(tiny_models, batch, family, mode):
    x, y = batch
    x_before, y_before = x.clone(), y.clone()
    out, labels = BatchAugment(tiny_models[family], mode=mode, p=0.5, seed=0)(x, y)
    assert out.dtype == torch.uint8 and out.shape == x.shape and labels is y
    changed = (out != x).flatten(1).any(dim=1)
    assert 0 < int(changed.sum()) < len(x)  # about half the images
    assert torch.equal(x, x_before) and torch.equal(y, y_before)
    floats, _ = BatchAugment(tiny_models[family], mode=mode, p=0.5, seed=0)(x.float() / 255, y)
    assert floats.dtype == torch.float32 and floats.min() >= 0 and floats.max() <= 1
    assert torch.equal(floats.mul(255).round().to(torch.uint8), out)  # same choices, same images


def test_the_same_seed_gives_the_same_batches_and_another_seed_others(tiny_models, batch):
    x, y = batch
    first, second = (
        BatchAugment(tiny_models["ae"], mode="perturb", seed=3),
        BatchAugment(tiny_models["ae"], mode="perturb", seed=3),
    )
    a1, a2 = first(x, y)[0], first(x, y)[0]
    assert torch.equal(a1, second(x, y)[0]) and torch.equal(a2, second(x, y)[0])
    assert not torch.equal(a1, a2)  # the stream moves on from batch to batch
    assert not torch.equal(a1, BatchAugment(tiny_models["ae"], mode="perturb", seed=4)(x, y)[0])
    generator = torch.Generator().manual_seed(3)
    assert torch.equal(BatchAugment(tiny_models["ae"], mode="perturb", generator=generator)(x, y)[0], a1)


def test_as_a_collate_fn_each_worker_and_epoch_draws_its_own_reproducible_stream(tiny_models, batch):
    x, y = batch
    samples = [(x[i % 16], y[i % 16]) for i in range(64)]  # four identical batches of 16
    aug = BatchAugment(tiny_models["ae"], mode="perturb", p=0.5, seed=0)
    loader = DataLoader(samples, batch_size=16, num_workers=2, multiprocessing_context="fork", collate_fn=aug.collate)

    def epoch() -> list[torch.Tensor]:
        return [images for images, labels in loader]

    torch.manual_seed(0)
    first, second = epoch(), epoch()
    torch.manual_seed(0)
    assert all(torch.equal(a, b) for a, b in zip(epoch(), first, strict=True))  # torch.manual_seed: reproducible
    assert not torch.equal(first[0], first[1])  # the two workers' first batches: same images, other draws
    assert not torch.equal(first[0], second[0])  # the next epoch: new worker seeds
    in_process = DataLoader(
        samples, batch_size=16, collate_fn=BatchAugment(tiny_models["ae"], mode="perturb", seed=0).collate
    )
    assert torch.equal(
        next(iter(in_process))[0], BatchAugment(tiny_models["ae"], mode="perturb", seed=0)(x[:16], y[:16])[0]
    )


def test_p_zero_and_one(tiny_models, batch):
    x, y = batch
    assert BatchAugment(tiny_models["ae"], mode="perturb", p=0.0, seed=0)(x, y)[0] is x
    out = BatchAugment(tiny_models["ae"], mode="perturb", p=1.0, seed=0)(x, y)[0]
    assert bool((out != x).flatten(1).any(dim=1).all())


def test_replace_draws_each_image_of_its_own_class(tiny_models, batch):
    """With p = 1 the batch is model.sample of the labels, drawn from the same generator after the choice."""
    x, y = batch
    model = tiny_models["cvae"]
    out = BatchAugment(model, mode="replace", p=1.0, seed=5, temperature=0.5)(x.float() / 255, y)[0]
    generator = torch.Generator().manual_seed(5)
    torch.rand(len(x), generator=generator)  # the choice of images
    torch.testing.assert_close(out, model.sample(len(y), labels=y, seed=generator, temperature=0.5))


def test_soft_labels_after_mixup_pass_through_and_condition_on_their_top_class(tiny_models, batch):
    x, y = batch
    mixed_x, soft = v2.MixUp(num_classes=10)(x.float() / 255, y)
    out, labels = BatchAugment(tiny_models["cgan"], mode="replace", p=1.0, seed=0)(mixed_x, soft)
    assert labels is soft
    generator = torch.Generator().manual_seed(0)
    torch.rand(len(x), generator=generator)
    expected = tiny_models["cgan"].sample(len(x), labels=soft.argmax(1), seed=generator)
    torch.testing.assert_close(out, expected)


def test_a_filter_leaves_rejected_images_real_or_redraws_them(tiny_models, batch):
    x, y = batch
    model = tiny_models["ae"]
    reject_all = BatchAugment(
        model, mode="perturb", p=1.0, seed=0, filter=lambda imgs, lbls: torch.zeros(len(imgs), dtype=torch.bool)
    )
    assert torch.equal(reject_all(x, y)[0], x)

    calls = []

    def second_time_lucky(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        calls.append(len(images))
        return torch.full((len(images),), len(calls) > 1)

    out = BatchAugment(model, mode="perturb", p=1.0, seed=0, filter=second_time_lucky, redraws=1)(x, y)[0]
    assert calls == [32, 32] and bool((out != x).flatten(1).any(dim=1).all())


def test_a_prediction_filter_keeps_what_its_classifier_agrees_with(tiny_models, batch, digit_splits):
    from genaug.metrics import train_classifier

    reference = digit_splits["reference"]
    judge = train_classifier(reference.images, reference.labels, 10, steps=30, seed=0)
    x, y = batch
    out = BatchAugment(tiny_models["ae"], mode="perturb", p=1.0, seed=0, filter=PredictionFilter(judge))(x, y)[0]
    changed = (out != x).flatten(1).any(dim=1)
    predicted = judge(out.float() / 255).argmax(1)
    assert bool((predicted[changed] == y[changed]).all())


def test_batches_of_another_size_and_channel_count_are_resized_both_ways(tiny_models, batch):
    x, y = batch
    rgb = torch.nn.functional.interpolate(x.float() / 255, size=(28, 28)).expand(-1, 3, -1, -1).contiguous()
    out = BatchAugment(tiny_models["ae"], mode="perturb", p=1.0, seed=0)(rgb, y)[0]
    assert out.shape == (32, 3, 28, 28) and not torch.equal(out, rgb)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_the_batch_device(tiny_models, batch):
    x, y = batch
    aug = BatchAugment(tiny_models["ae"], mode="perturb", p=1.0, seed=0)
    out = aug(x.cuda(), y.cuda())[0]
    assert out.device.type == "cuda" and aug.model.device.type == "cuda"


def test_bad_input_is_named(tiny_models, batch):
    x, y = batch
    ae, cgan = tiny_models["ae"], tiny_models["cgan"]
    with pytest.raises(ValueError, match=r"label 10 is outside this model's classes 0-9"):
        BatchAugment(ae, mode="perturb", seed=0)(x, torch.full_like(y, 10))
    with pytest.raises(ValueError, match="must be finite and lie in \\[0, 1\\]"):
        BatchAugment(ae, mode="perturb", seed=0)(torch.full((2, 1, 16, 16), float("nan")), y[:2])
    with pytest.raises(ValueError, match="apply BatchAugment before normalising"):
        BatchAugment(ae, mode="perturb", seed=0)(x.float(), y)
    with pytest.raises(ValueError, match="p must be"):
        BatchAugment(ae, mode="perturb", p=1.5)
    with pytest.raises(ValueError, match="needs a model with an encoder"):
        BatchAugment(cgan, mode="perturb")
    with pytest.raises(ValueError, match="apply to mode='replace'"):
        BatchAugment(ae, mode="perturb", temperature=0.5)
    with pytest.raises(ValueError, match="soft labels must be N x 10"):
        BatchAugment(ae, mode="perturb", seed=0)(x, torch.zeros(32, 3))
    with pytest.raises(ValueError, match="got 3 labels for 32 images"):
        BatchAugment(ae, mode="perturb", seed=0)(x, y[:3])
    with pytest.raises(ValueError, match="N x C x H x W"):
        BatchAugment(ae, mode="perturb", seed=0)(x[0], y)
    with pytest.raises(TypeError, match="filter must be callable"):
        BatchAugment(ae, mode="perturb", filter=3)


def test_takes_a_checkpoint_directory(tiny_runs, batch):
    x, y = batch
    aug = BatchAugment(str(tiny_runs["ae"]), mode="perturb", p=1.0, seed=0)
    assert aug.model.family == "ae" and "mode='perturb'" in repr(aug)
    assert aug(x, y)[0].shape == x.shape
