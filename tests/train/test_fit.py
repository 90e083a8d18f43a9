"""genaug.fit: one call from data to a saved model; trainer options and hyper-parameters by name."""

from __future__ import annotations

import dataclasses

import pytest

import genaug
from genaug.models.io import read_config
from genaug.train import TrainerConfig
from tests.train.tiny import TINY


def test_fit_trains_the_autoencoder_by_default_with_the_trainer_defaults(tmp_path, digits16):
    model = genaug.fit(digits16, out=tmp_path, steps=2, progress=False, tensorboard=False, **TINY["ae"])
    assert model.family == "ae" and genaug.load(tmp_path).family == "ae"
    training = read_config(tmp_path)["training"]
    assert training["step"] == 2 and training["seed"] == TrainerConfig().seed
    assert model.config.latent_dim == TINY["ae"]["latent_dim"]


def test_fit_passes_steps_and_seed_through(tmp_path, digits16):
    genaug.fit(digits16, family="cvae", out=tmp_path, steps=3, seed=7, progress=False, **TINY["cvae"])
    training = read_config(tmp_path)["training"]
    assert (training["step"], training["seed"]) == (3, 7)


def test_fit_names_unknown_options_and_lists_the_valid_ones(tmp_path, digits16):
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['latnet_dim'\].*latent_dim") as info:
        genaug.fit(digits16, out=tmp_path, latnet_dim=4)
    assert all(f.name in str(info.value) for f in dataclasses.fields(TrainerConfig))
