"""sample() for every family: image i depends only on the seed, its label and i (not on n or batch_size), and an
output too large for memory is refused up front."""

from __future__ import annotations

import time

import pytest
import torch

from genaug.models.base import MAX_SAMPLE_BYTES, check_output_size

FAMILIES = ["cgan", "cvae", "ae", "diffusion"]


@pytest.mark.parametrize("family", FAMILIES)
def test_first_images_do_not_depend_on_n_or_batch_size(tiny_models, family):
    # the same noise, decoded in batches of other sizes: equal up to the network's float rounding
    model = tiny_models[family]
    labels = torch.arange(150) % 7
    whole = model.sample(150, labels=labels, seed=3)
    torch.testing.assert_close(model.sample(150, labels=labels, seed=3, batch_size=7), whole)
    torch.testing.assert_close(model.sample(37, labels=labels[:37], seed=3, batch_size=5), whole[:37])
    torch.testing.assert_close(model.sample(1, labels=labels[:1], seed=3), whole[:1])


@pytest.mark.parametrize("family", FAMILIES)
def test_a_shared_generator_advances_by_n_alone(tiny_models, family):
    model = tiny_models[family]
    streams = [torch.Generator().manual_seed(5) for _ in range(2)]
    model.sample(70, seed=streams[0], batch_size=3)
    model.sample(70, seed=streams[1], batch_size=256)
    assert torch.equal(streams[0].get_state(), streams[1].get_state())


@pytest.mark.parametrize("family", FAMILIES)
def test_an_output_too_large_for_memory_is_refused_up_front(tiny_models, family):
    start = time.perf_counter()
    with pytest.raises(
        ValueError,
        match=r"sample\(n=10000000\) would return about 10,240,000,000 bytes .*"
        r"genaug\.SyntheticDataset.*genaug\.export",
    ):
        tiny_models[family].sample(10**7)  # 1x16x16 float32 images: 10.2 GB
    assert time.perf_counter() - start < 1.0


def test_the_output_limit_is_max_sample_bytes():
    largest = MAX_SAMPLE_BYTES // (3 * 64 * 64 * 4)
    check_output_size(largest, (3, 64, 64))
    with pytest.raises(ValueError, match=f"n={largest + 1}"):
        check_output_size(largest + 1, (3, 64, 64))


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_per_class_is_sample_with_each_class_in_turn(tiny_models, family):
    model = tiny_models[family]
    images, labels = model.sample_per_class(3, seed=4)
    assert labels.dtype == torch.int64 and labels.tolist() == [k for k in range(model.num_classes) for _ in range(3)]
    assert images.device.type == "cpu"
    torch.testing.assert_close(images, model.sample(len(labels), labels=labels, seed=4).cpu())
    first, first_labels = model.sample_per_class(3, seed=4, classes=2)
    assert first_labels.tolist() == [0, 0, 0, 1, 1, 1]
    torch.testing.assert_close(first, images[:6])


def test_sample_per_class_refuses_more_classes_than_the_model_has(tiny_models):
    model = tiny_models["ae"]
    with pytest.raises(ValueError, match="classes"):
        model.sample_per_class(2, classes=model.num_classes + 1)
