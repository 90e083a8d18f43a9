"""MixedDataset and MixedSampler: length, which items an epoch holds, per-epoch draws, transforms, workers,
label-space and argument checks."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset
from torchvision.transforms import v2

from genaug.data import ImageSet, per_class_subset
from genaug.synthetic.mixed import MixedDataset, MixedSampler

CLASSES = [str(k) for k in range(10)]


class FloatImages(Dataset):
    """A stand-in for SyntheticDataset: float images in [0, 1], sorted by class, with `classes`."""

    def __init__(self, n_per_class: int, classes=CLASSES, image_shape=(1, 8, 8)):
        self.classes, self.image_shape = list(classes), image_shape
        self.targets = torch.arange(len(classes)).repeat_interleave(n_per_class)
        # image i is filled with the value i / len, so a test can tell which one it got
        self.values = torch.arange(len(self.targets)) / len(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return torch.full(self.image_shape, float(self.values[i])), int(self.targets[i])


@pytest.fixture(scope="module")
def real(digits: ImageSet) -> ImageSet:
    return per_class_subset(digits, 2, seed=0)  # 20 images, 2 per class


def synthetic_index(image: torch.Tensor, synthetic: FloatImages) -> int:
    return int(torch.nonzero(synthetic.values == image.flatten()[0]).flatten()[0])


@pytest.mark.parametrize(("fraction", "length"), [(0.5, 40), (0.2, 25), (0.0, 20), (0.9, 200)])
def test_length_is_real_once_plus_the_synthetic_share(real, fraction, length):
    mix = MixedDataset(real, FloatImages(10), synthetic_fraction=fraction)
    assert len(mix) == length
    assert mix.num_real == 20 and mix.num_synthetic == length - 20


def test_epoch_holds_every_real_item_then_evenly_spread_synthetic_ones(real):
    synthetic = FloatImages(10)  # 100 images, class-sorted
    mix = MixedDataset(real, synthetic, synthetic_fraction=0.5)
    items = list(mix)
    assert len(items) == 40
    for i in range(20):
        assert torch.equal(items[i][0], real.images[i]) and items[i][1] == int(real.labels[i])
    picked = [synthetic_index(image, synthetic) for image, _ in items[20:]]
    assert len(set(picked)) == 20
    labels = [label for _, label in items[20:]]
    assert labels == [int(synthetic.targets[j]) for j in picked]
    assert Counter(labels) == {k: 2 for k in range(10)}  # every class, although the pool is class-sorted


def test_indices_past_one_epoch_reach_every_synthetic_sample(real):
    synthetic = FloatImages(10)
    mix = MixedDataset(real, synthetic, synthetic_fraction=0.5)
    assert mix.num_indices == 20 + 100
    reached = {synthetic_index(mix[i][0], synthetic) for i in range(20, mix.num_indices)}
    assert reached == set(range(100))
    with pytest.raises(IndexError, match="120"):
        mix[120]
    with pytest.raises(IndexError):
        mix[-1]
    with pytest.raises(TypeError, match="integers"):
        mix[1.0]


def test_a_small_pool_is_reused_when_an_epoch_needs_more(real):
    synthetic = FloatImages(1)  # 10 images for 180 synthetic slots
    mix = MixedDataset(real, synthetic, synthetic_fraction=0.9)
    picked = Counter(synthetic_index(image, synthetic) for image, _ in list(mix)[20:])
    assert picked == {j: 18 for j in range(10)}


def test_transform_applies_to_real_and_synthetic_images(real):
    mix = MixedDataset(real, FloatImages(10), synthetic_fraction=0.5, transform=v2.ToDtype(torch.float32, scale=True))
    real_image, _ = mix[0]
    assert real_image.dtype == torch.float32 and torch.allclose(real_image, real.images[0] / 255)
    synthetic_image, _ = mix[30]
    assert synthetic_image.dtype == torch.float32 and 0 <= synthetic_image.min() <= synthetic_image.max() <= 1
    batch, labels = next(iter(DataLoader(mix, batch_size=40)))  # one type, so the default collate stacks them
    assert batch.shape == (40, 1, 8, 8) and batch.dtype == torch.float32 and labels.shape == (40,)


def test_sampler_draws_other_synthetic_samples_each_epoch(real):
    mix = MixedDataset(real, FloatImages(10), synthetic_fraction=0.5)
    sampler = MixedSampler(mix, seed=3)
    epochs = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        assert len(indices) == len(sampler) == 40
        real_part = sorted(i for i in indices if i < 20)
        synthetic_part = [i for i in indices if i >= 20]
        assert real_part == list(range(20))
        assert len(set(synthetic_part)) == 20 and all(i < mix.num_indices for i in synthetic_part)
        epochs.append(indices)
    assert len({frozenset(e) for e in epochs}) == 3
    sampler.set_epoch(1)
    assert list(sampler) == epochs[1]  # depends on seed + epoch only
    assert list(MixedSampler(mix, seed=4)) != epochs[0]


def test_sampler_without_shuffle_and_with_a_small_pool(real):
    mix = MixedDataset(real, FloatImages(1), synthetic_fraction=0.9)  # 180 draws from 10 samples
    indices = list(MixedSampler(mix, seed=0, shuffle=False))
    assert indices[:20] == list(range(20))
    assert Counter(indices[20:]) == {20 + j: 18 for j in range(10)}


def test_sampler_with_worker_processes_gives_the_same_batches(real):
    mix = MixedDataset(real, FloatImages(10), synthetic_fraction=0.5, transform=v2.ToDtype(torch.float32, scale=True))

    def epoch_batches(workers: int, epoch: int) -> list[torch.Tensor]:
        sampler = MixedSampler(mix, seed=0)
        sampler.set_epoch(epoch)
        return [x for x, _ in DataLoader(mix, batch_size=8, sampler=sampler, num_workers=workers)]

    in_process = epoch_batches(0, epoch=1)
    in_workers = epoch_batches(2, epoch=1)
    assert all(torch.equal(a, b) for a, b in zip(in_process, in_workers, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(in_process, epoch_batches(0, epoch=2), strict=True))


def test_classes_come_from_either_data_set(real):
    assert MixedDataset(real, FloatImages(1)).classes == CLASSES
    stand_in = torch.utils.data.TensorDataset(torch.rand(5, 1, 8, 8), torch.arange(5))
    assert MixedDataset(real, stand_in).classes == CLASSES
    assert MixedDataset(stand_in, FloatImages(1)).classes == CLASSES
    assert MixedDataset(stand_in, stand_in).classes is None


def test_different_label_spaces_are_refused(real):
    with pytest.raises(ValueError, match=r"different classes.*'cat'"):
        MixedDataset(real, FloatImages(1, classes=["cat", "dog"]))
    with pytest.raises(ValueError, match=r"\(1, 8, 8\).*\(3, 8, 8\)"):
        MixedDataset(real, FloatImages(1, image_shape=(3, 8, 8)))


@pytest.mark.parametrize("fraction", [1.0, -0.1, 1.5])
def test_fraction_outside_zero_to_one_is_refused(real, fraction):
    with pytest.raises(ValueError, match=r"synthetic_fraction must be a number in \[0, 1\)"):
        MixedDataset(real, FloatImages(1), synthetic_fraction=fraction)


@pytest.mark.parametrize("fraction", [True, "0.5", None])
def test_fraction_that_is_not_a_number_is_refused(real, fraction):
    with pytest.raises(TypeError, match="synthetic_fraction"):
        MixedDataset(real, FloatImages(1), synthetic_fraction=fraction)


def test_empty_or_unsized_data_sets_are_refused(real):
    empty = FloatImages(0)
    assert len(MixedDataset(real, empty, synthetic_fraction=0.0)) == 20
    with pytest.raises(ValueError, match="synthetic is empty"):
        MixedDataset(real, empty, synthetic_fraction=0.5)
    with pytest.raises(ValueError, match="real is empty"):
        MixedDataset(empty, FloatImages(1))

    class Stream(IterableDataset):
        def __iter__(self):
            yield torch.zeros(1, 8, 8), 0

    with pytest.raises(TypeError, match="synthetic must be a map-style Dataset"):
        MixedDataset(real, Stream())
    with pytest.raises(TypeError, match="transform must be callable"):
        MixedDataset(real, FloatImages(1), transform="to_float")


def test_sampler_arguments_are_checked(real):
    mix = MixedDataset(real, FloatImages(1))
    with pytest.raises(TypeError, match="needs a MixedDataset"):
        MixedSampler(real)
    with pytest.raises(TypeError, match="seed"):
        MixedSampler(mix, seed=0.5)
    with pytest.raises(ValueError, match="epoch"):
        MixedSampler(mix).set_epoch(-1)


def test_with_a_real_synthetic_dataset(digits16, request):
    dataset = pytest.importorskip("genaug.synthetic.dataset")
    model = request.getfixturevalue("tiny_models")["cvae"]  # trained on digits16: 10 classes "0".."9", 1×16×16
    real16 = per_class_subset(digits16, 2, seed=0)
    synthetic = dataset.SyntheticDataset(model, n_per_class=3, seed=0)
    mix = MixedDataset(real16, synthetic, synthetic_fraction=0.5, transform=v2.ToDtype(torch.float32, scale=True))
    images = torch.stack([image for image, _ in mix])
    assert images.shape == (40, 1, 16, 16) and images.dtype == torch.float32
    assert {label for _, label in list(mix)[20:]} == set(range(10))
