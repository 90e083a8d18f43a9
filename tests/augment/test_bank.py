"""SampleBank: per-class refills of `size` images from one seeded sample() call, restarting when the caller's RNG
is re-seeded; sample_bank: one bank per process, model, size and RNG stream; the default size by device."""

from __future__ import annotations

import copy

import pytest
import torch

from genaug.augment import bank as bank_module
from genaug.augment.bank import (
    ACCELERATOR_BANK_SIZE,
    CPU_BANK_SIZE,
    MAX_BANKS_PER_MODEL,
    SampleBank,
    default_bank_size,
    sample_bank,
)
from genaug.models.base import GenerativeModel
from genaug.transforms import GenerativeAugment


@pytest.fixture
def cgan(tiny_models):
    return copy.deepcopy(tiny_models["cgan"])  # a model object of its own: no banks from other tests


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    return images.mul(255).round().to(torch.uint8)


def test_hands_out_one_seeded_sample_call_per_refill(cgan):
    bank = SampleBank(cgan, size=4)
    taken = [bank.take(2, seed=10 + k) for k in range(6)]  # refills at the 1st and 5th take
    expected = torch.cat([cgan.sample(4, labels=2, seed=10), cgan.sample(4, labels=2, seed=14)])[:6]
    assert all(image.dtype == torch.uint8 and image.device.type == "cpu" for image in taken)
    assert torch.equal(torch.stack(taken), as_uint8(expected))


def test_classes_have_their_own_queues(cgan):
    bank = SampleBank(cgan, size=3)
    first_of_1, first_of_2, second_of_1 = bank.take(1, seed=5), bank.take(2, seed=6), bank.take(1, seed=7)
    assert torch.equal(first_of_1, as_uint8(cgan.sample(3, labels=1, seed=5))[0])
    assert torch.equal(first_of_2, as_uint8(cgan.sample(3, labels=2, seed=6))[0])
    assert torch.equal(second_of_1, as_uint8(cgan.sample(3, labels=1, seed=5))[1])


def test_seeing_its_first_seed_again_starts_afresh(cgan):
    bank = SampleBank(cgan, size=4)
    bank.observe(99)
    first = bank.take(3, seed=99)
    bank.observe(100)
    bank.take(3, seed=100)  # from the same refill
    bank.observe(99)  # the caller's RNG was re-seeded: the half-used queue goes
    assert torch.equal(bank.take(3, seed=99), first)
    bank.observe(100)
    assert not torch.equal(bank.take(3, seed=100), first)


def test_one_bank_per_process_size_and_stream(cgan, monkeypatch):
    bank = sample_bank(cgan, 8, stream=("torch", 1))
    assert sample_bank(cgan, 8, stream=("torch", 1)) is bank
    assert sample_bank(cgan, 16, stream=("torch", 1)) is not bank
    assert sample_bank(cgan, 8, stream=("torch", 2)) is not bank
    monkeypatch.setattr(bank_module.os, "getpid", lambda: -1)  # as in a forked DataLoader worker
    child = sample_bank(cgan, 8, stream=("torch", 1))
    assert child is not bank and list(bank_module._BANKS[cgan].values()) == [child]


def test_keeps_a_few_banks_per_model(cgan):
    banks = [sample_bank(cgan, 8, stream=("torch", k)) for k in range(MAX_BANKS_PER_MODEL + 2)]
    kept = list(bank_module._BANKS[cgan].values())
    assert kept == banks[-MAX_BANKS_PER_MODEL:]


def test_default_size_is_small_on_cpus_and_large_on_gpus(cgan, monkeypatch):
    assert default_bank_size(cgan) == CPU_BANK_SIZE == 16
    monkeypatch.setattr(GenerativeModel, "device", property(lambda self: torch.device("cuda")))
    assert default_bank_size(cgan) == ACCELERATOR_BANK_SIZE == 256


def test_transforms_refill_by_the_default_size(cgan, monkeypatch):
    sizes = []
    sample = cgan.sample
    monkeypatch.setattr(cgan, "sample", lambda n, *args, **kwargs: sizes.append(n) or sample(n, *args, **kwargs))
    torch.manual_seed(0)
    GenerativeAugment(cgan, p=1.0)(torch.zeros(1, 16, 16, dtype=torch.uint8), 3)
    assert sizes == [CPU_BANK_SIZE]
