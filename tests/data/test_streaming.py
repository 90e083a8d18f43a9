"""Streaming: StreamingData over a lazily reading torchvision ImageFolder, and the Trainer's DataLoader path,
which must train on exactly the batches (and so, on the CPU, to exactly the weights) of the in-memory path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.datasets import ImageFolder

import genaug
from genaug.data import ImageSet
from genaug.data.streaming import StreamingData
from genaug.errors import CheckpointError, DataError
from genaug.models.io import read_config
from genaug.train import Trainer, TrainerConfig
from tests.train.tiny import tiny_config


@pytest.fixture(scope="module")
def small(digits16) -> ImageSet:
    return digits16.subset(list(range(300)))


def run(data, out, family="cvae", **settings):
    base = {"steps": 3, "batch_size": 16, "checkpoint_every": 10**6, "sample_every": 10**6, "num_workers": 0}
    config = TrainerConfig(**{**base, "progress": False, "tensorboard": False, **settings})
    return Trainer(config, out).fit(data, tiny_config(family))


def assert_same_weights(a, b):
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name


def per_class_sums(images: torch.Tensor, labels: torch.Tensor) -> list[list[int]]:
    sums = images.flatten(1).sum(1)
    return [sorted(sums[labels == c].tolist()) for c in range(int(labels.max()) + 1)]


class PairsWithoutTargets(Dataset):
    """(numpy image, class name) pairs and no ``targets`` attribute: labels need a pass over the items."""

    def __init__(self, data: ImageSet):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        image, label = self.data[i]
        return image.permute(1, 2, 0).numpy(), ["zero", "one"][label]


def test_imagefolder_streams_like_genaug_data_load(rgb_folder):
    streamed = StreamingData(ImageFolder(str(rgb_folder)), image_size=16)
    loaded = genaug.data.load(rgb_folder, image_size=16)
    assert streamed.classes == loaded.classes == ["cat", "dog", "fox"]
    assert len(streamed) == len(loaded) and streamed.image_shape == loaded.image_shape == (3, 16, 16)
    assert streamed.nbytes == loaded.images.numel()
    image, label = streamed[5]
    assert image.dtype == torch.uint8 and image.shape == (3, 16, 16) and label == 1
    read = streamed.read(num_workers=1)
    assert isinstance(read, ImageSet)
    assert per_class_sums(read.images, read.labels) == per_class_sums(loaded.images, loaded.labels)


def test_labels_come_from_a_pass_when_the_dataset_has_no_targets(digits16):
    two = digits16.subset(torch.nonzero(digits16.labels < 2).flatten()[:30])
    streamed = StreamingData(PairsWithoutTargets(two), channels=3)
    assert streamed.classes == ["one", "zero"]  # sorted label values, as genaug.data.load names them
    assert streamed.image_shape == (3, 16, 16)
    assert torch.equal(streamed.labels, 1 - two.labels)
    assert torch.equal(streamed[0][0], two.images[0].expand(3, -1, -1))


def test_images_of_another_size_need_image_size(rgb_folder):
    streamed = StreamingData(ImageFolder(str(rgb_folder)))  # dataset[0] is 23x17, others are 20x20
    with pytest.raises(DataError, match=r"dataset\[1\].*pass image_size"):
        streamed[1]


def test_bad_datasets_are_refused(tmp_path):
    with pytest.raises(DataError, match="map-style"):
        StreamingData(iter([]))
    with pytest.raises(DataError, match="channels"):
        StreamingData([(np.zeros((8, 8), np.uint8), 0)], channels=2)
    with pytest.raises(DataError, match=r"dataset\[0\].*\(image, label\)"):
        StreamingData([np.zeros((8, 8), np.uint8)])


@pytest.mark.parametrize("family", ["cvae", "cgan"])
def test_streamed_training_gives_the_in_memory_weights(small, tmp_path, family):
    in_memory = run(small, tmp_path / "memory", family)
    streamed = run(small, tmp_path / "stream", family, memory_budget_mb=0, num_workers=1)
    assert read_config(tmp_path / "stream")["training"]["streamed"] is True
    assert read_config(tmp_path / "memory")["training"]["streamed"] is False
    assert_same_weights(in_memory, streamed)


def test_streamed_resume_continues_exactly(small, tmp_path):
    straight = run(small, tmp_path / "straight", memory_budget_mb=0, steps=4)
    run(small, tmp_path / "resumed", memory_budget_mb=0, steps=2)
    resumed = run(small, tmp_path / "resumed", memory_budget_mb=0, steps=4, resume=True)
    assert_same_weights(straight, resumed)


def test_streamed_resume_refuses_other_data(small, tmp_path):
    run(StreamingData(small), tmp_path / "run", memory_budget_mb=0, steps=2)
    recorded = read_config(tmp_path / "run")["training"]["data"]
    assert recorded["num_images"] == 300 and "sampled_images_sha256" not in recorded  # images are not read for it
    with pytest.raises(CheckpointError, match=r"num_images \(recorded: 300, now: 299\)"):
        run(StreamingData(small.subset(list(range(299)))), tmp_path / "run", memory_budget_mb=0, steps=4, resume=True)
    run(StreamingData(small), tmp_path / "run", memory_budget_mb=0, steps=4, resume=True)


def test_streaming_data_within_the_budget_is_read_into_memory(small, tmp_path):
    from_stream = run(StreamingData(small), tmp_path / "a")
    from_memory = run(small, tmp_path / "b")
    assert read_config(tmp_path / "a")["training"]["streamed"] is False
    assert_same_weights(from_stream, from_memory)


def test_ae_over_the_budget_fits_its_density_on_a_stratified_subset(digits16, tmp_path):
    streamed = StreamingData(digits16)
    reference = streamed.reference(max_images=0, seed=0)
    assert reference.class_counts() == [50] * 10  # MIN_PER_CLASS of each class
    assert reference.class_counts() == streamed.reference(max_images=0, seed=0).class_counts()
    assert streamed.reference(max_images=1000, seed=0).class_counts() == [100] * 10
    model = run(streamed, tmp_path / "run", "ae", memory_budget_mb=0)
    assert read_config(tmp_path / "run")["training"]["streamed"] is True
    assert bool(model.density_fitted)
    assert genaug.load(tmp_path / "run").sample(4, labels=[0, 1, 2, 3], seed=0).shape == (4, 1, 16, 16)


def test_folder_recipe_streams_a_folder(rgb_folder):
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from genaug.cli.recipes import recipes_dir

    with initialize_config_dir(config_dir=recipes_dir(), version_base="1.3"):
        cfg = compose("train", overrides=["data=stream/imagefolder", f"data.dataset.root={rgb_folder}"])
    data = instantiate(cfg.data)
    assert isinstance(data, StreamingData) and isinstance(data.dataset, ImageFolder)
    assert data.image_shape == (3, 32, 32) and data.classes == ["cat", "dog", "fox"]


def test_trainer_settings_for_streaming_are_checked():
    with pytest.raises(ValueError, match="trainer.memory_budget_mb"):
        TrainerConfig(memory_budget_mb=-1)
    with pytest.raises(ValueError, match="trainer.num_workers"):
        TrainerConfig(num_workers=-1)


def test_a_pil_dataset_converts_grayscale_to_the_first_items_channels():
    items = [(Image.new("RGB", (8, 8), (255, 0, 0)), 0), (Image.new("L", (8, 8), 200), 1)]
    streamed = StreamingData(items, classes=["red", "gray"])
    assert streamed.image_shape == (3, 8, 8)
    assert streamed[1][0].shape == (3, 8, 8) and int(streamed[1][0].float().mean()) == 200
