"""SyntheticDataset: torchvision conventions, per-index determinism (order, size, workers), lazy chunks and
the cache, transforms, and how the counts per class are given (n_per_class, class_counts, balance_with)."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision.transforms import v2

from genaug.data import ImageSet, long_tailed_subset
from genaug.synthetic import SyntheticDataset
from genaug.synthetic.chunks import CHUNK_SIZE


@pytest.fixture(scope="module")
def model(tiny_models):
    return tiny_models["cgan"]  # 10 classes "0".."9", 1×16×16


def all_images(ds: SyntheticDataset) -> torch.Tensor:
    return torch.stack([ds[i][0] for i in range(len(ds))])


def count_sampling(monkeypatch, model) -> list[int]:
    """Record the size of every model.sample call (the model fixture is restored after the test)."""
    calls, sample = [], model.sample

    def counted(n, *args, **kwargs):
        calls.append(n)
        return sample(n, *args, **kwargs)

    monkeypatch.setattr(model, "sample", counted)
    return calls


def test_items_follow_torchvision_conventions(model):
    ds = SyntheticDataset(model, n_per_class=3, seed=0)
    assert len(ds) == 30
    assert ds.classes == [str(k) for k in range(10)] and ds.class_to_idx == {str(k): k for k in range(10)}
    assert ds.targets == [k for k in range(10) for _ in range(3)] and ds.counts == [3] * 10
    assert ds.image_shape == (1, 16, 16)
    image, label = ds[4]
    assert isinstance(label, int) and label == 1
    assert image.shape == (1, 16, 16) and image.dtype == torch.float32 and 0 <= image.min() <= image.max() <= 1
    assert [label for _, label in ds] == ds.targets  # plain iteration stops at the end
    assert torch.equal(ds[-1][0], ds[29][0])
    with pytest.raises(IndexError, match="30"):
        ds[30]
    with pytest.raises(TypeError, match="integers"):
        ds["0"]
    assert "30 cgan images" in repr(ds)


@pytest.mark.parametrize("family", ["cgan", "cvae", "ae", "diffusion"])
def test_an_index_always_gives_the_same_image(tiny_models, family):
    model = tiny_models[family]
    counts = {"1": CHUNK_SIZE + 6, "8": 3}  # two chunks of class 1, one of class 8
    ds = SyntheticDataset(model, class_counts=counts, seed=1)
    order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(0)).tolist()
    shuffled = {i: ds[i][0] for i in order}
    fresh = SyntheticDataset(model, class_counts=counts, seed=1)
    assert all(torch.equal(fresh[i][0], shuffled[i]) for i in range(len(ds)))
    # image j of class k does not depend on how many images there are
    small = SyntheticDataset(model, class_counts={"1": 2, "8": 2}, seed=1)
    assert torch.equal(small[1][0], ds[1][0]) and torch.equal(small[3][0], ds[CHUNK_SIZE + 7][0])
    assert small.targets == [1, 1, 8, 8]
    other_seed = SyntheticDataset(model, class_counts={"1": 2, "8": 2}, seed=2)
    assert not torch.equal(all_images(small), all_images(other_seed))


def test_worker_processes_give_the_same_images_as_the_main_process(model):
    ds = SyntheticDataset(model, n_per_class=5, seed=0)
    order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(1)).tolist()
    batches = DataLoader(ds, batch_size=8, sampler=order, num_workers=2)
    images = torch.cat([x for x, _ in batches])
    labels = torch.cat([y for _, y in batches])
    assert torch.equal(images, torch.stack([ds[i][0] for i in order]))
    assert labels.tolist() == [ds.targets[i] for i in order]


def test_chunks_are_drawn_lazily_and_cached(model, monkeypatch):
    calls = count_sampling(monkeypatch, model)
    ds = SyntheticDataset(model, n_per_class=CHUNK_SIZE + 5, seed=0)
    assert calls == []
    first = ds[0][0]
    ds[1], ds[CHUNK_SIZE - 1]
    assert calls == [CHUNK_SIZE]  # one chunk for the first CHUNK_SIZE images of class 0
    ds[CHUNK_SIZE]
    assert calls == [CHUNK_SIZE] * 2
    assert torch.equal(ds[0][0], first) and len(calls) == 2


def test_materialize_draws_everything_once(model, monkeypatch):
    calls = count_sampling(monkeypatch, model)
    counts = {0: CHUNK_SIZE + 1, 3: 1}
    ds = SyntheticDataset(model, class_counts=counts, seed=0)
    ds[0]
    assert ds.materialize(progress=False) is ds
    assert len(calls) == 3  # two chunks of class 0 (the first one drawn only once) and one of class 3
    rendered = all_images(ds)
    assert len(calls) == 3
    assert torch.equal(rendered, all_images(SyntheticDataset(model, class_counts=counts, seed=0)))


def test_transforms_apply_to_copies(model):
    plain = SyntheticDataset(model, n_per_class=2, seed=0)
    ds = SyntheticDataset(
        model, n_per_class=2, seed=0, transform=lambda x: x.mul_(0), target_transform=lambda y: f"class {y}"
    )
    image, label = ds[3]
    assert label == "class 1" and image.abs().sum() == 0
    ds.transform = None
    assert torch.equal(ds[3][0], plain[3][0])  # the in-place transform did not touch the cache
    flipped = SyntheticDataset(model, n_per_class=2, seed=0, transform=v2.RandomHorizontalFlip(p=1.0))
    assert torch.equal(flipped[3][0], plain[3][0].flip(-1))


def test_class_counts_by_name_or_index(model):
    ds = SyntheticDataset(model, class_counts={"3": 2, 7: 1, "9": 0}, seed=0)
    assert ds.counts == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0]
    assert ds.targets == [3, 3, 7] and [label for _, label in ds] == [3, 3, 7]
    reference = SyntheticDataset(model, n_per_class=2, seed=0)
    assert torch.equal(ds[1][0], reference[7][0])  # class 3, image 1
    assert len(SyntheticDataset(model, class_counts={}, seed=0)) == 0


@pytest.mark.parametrize(
    ("class_counts", "message"),
    [
        ({"cat": 2}, r"class_counts.*'cat'"),
        ({10: 2}, r"class_counts.*10"),
        ({True: 2}, r"class_counts.*True"),
        ({"3": -1}, r"class_counts\['3'\] must be an int >= 0, got -1"),
        ({"3": 2.5}, r"class_counts\['3'\].*2.5"),
        ({4: "2"}, r"class_counts\[4\]"),
        ({"3": 1, 3: 1}, r"class '3' twice"),
    ],
)
def test_malformed_class_counts_name_the_bad_key(model, class_counts, message):
    with pytest.raises(ValueError, match=message):
        SyntheticDataset(model, class_counts=class_counts)


def test_counts_must_be_given_exactly_one_way(model, digits16):
    with pytest.raises(ValueError, match="exactly one of n_per_class, class_counts or balance_with; got none"):
        SyntheticDataset(model)
    with pytest.raises(ValueError, match="got n_per_class and balance_with"):
        SyntheticDataset(model, n_per_class=1, balance_with=digits16)
    with pytest.raises(TypeError, match="class_counts must be a mapping"):
        SyntheticDataset(model, class_counts=[1, 2])
    for bad in (-1, 2.0, True):
        with pytest.raises(ValueError, match="n_per_class must be an int >= 0"):
            SyntheticDataset(model, n_per_class=bad)


def test_balance_with_an_imageset_tops_every_class_up(model, digits16):
    real = long_tailed_subset(digits16, max_per_class=20, imbalance_ratio=10, seed=0)
    real_counts = real.class_counts()
    ds = SyntheticDataset(model, balance_with=real, seed=0)
    assert max(real_counts) == 20
    assert [r + s for r, s in zip(real_counts, ds.counts, strict=True)] == [20] * 10


class LabelledTensors(Dataset):
    """A torchvision-like dataset: (image, label) items, `targets` and `classes`."""

    def __init__(self, labels: list[int], classes: list[str]):
        self.targets, self.classes = torch.tensor(labels), classes

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return torch.zeros(1, 16, 16), self.targets[i]


def test_balance_with_targets_maps_class_names(model):
    # the real data names its classes in another order: labels go through the names
    real = LabelledTensors([0, 0, 0, 1, 2], classes=["9", "0", "5"])
    ds = SyntheticDataset(model, balance_with=real, seed=0)
    assert ds.counts == [2, 3, 3, 3, 3, 2, 3, 3, 3, 0]
    with pytest.raises(ValueError, match=r"balance_with.*'cat'"):
        SyntheticDataset(model, balance_with=LabelledTensors([0], classes=["cat"]))


def test_balance_with_a_plain_dataset_of_pairs(model):
    real = TensorDataset(torch.zeros(6, 1, 16, 16), torch.tensor([2, 2, 2, 5, 5, 9]))  # labels are model indices
    ds = SyntheticDataset(model, balance_with=real, seed=0)
    assert ds.counts == [3, 3, 0, 3, 3, 1, 3, 3, 3, 2]
    with pytest.raises(ValueError, match="not an \\(image, label\\) pair"):
        SyntheticDataset(model, balance_with=TensorDataset(torch.zeros(3, 1, 16, 16)))
    empty = ImageSet(torch.zeros(0, 1, 16, 16, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64), ["0"])
    with pytest.raises(ValueError, match="balance_with is empty"):
        SyntheticDataset(model, balance_with=empty)


def test_other_arguments_are_checked(model):
    with pytest.raises(TypeError, match="filter must be callable"):
        SyntheticDataset(model, n_per_class=1, filter=0.9)
    with pytest.raises(TypeError, match="transform must be callable"):
        SyntheticDataset(model, n_per_class=1, transform="flip")
    with pytest.raises(TypeError, match="target_transform must be callable"):
        SyntheticDataset(model, n_per_class=1, target_transform=3)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        SyntheticDataset(model, n_per_class=1, seed=-1)
    with pytest.raises(TypeError, match="GenerativeModel"):
        SyntheticDataset("runs/mnist-cgan", n_per_class=1)
