"""Every recipe composes and instantiates; genaug-train runs end to end from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import genaug
from genaug.cli.recipes import recipes_dir
from genaug.models.registry import family_names
from genaug.train import TrainerConfig

RECIPES = Path(recipes_dir())


def names(group: str) -> list[str]:
    return sorted(p.stem for p in (RECIPES / group).glob("*.yaml"))


def test_every_family_has_a_model_recipe():
    assert names("model") == family_names()


@pytest.fixture
def data_sources(tmp_path, rgb_folder):
    x = np.random.default_rng(0).integers(0, 256, (12, 10, 10), dtype=np.uint8)
    np.savez(tmp_path / "set.npz", x=x, y=np.arange(12) % 3)
    return {"imagefolder": str(rgb_folder), "npz": str(tmp_path / "set.npz")}


@pytest.mark.parametrize("data", names("data"))
def test_data_recipes_instantiate(data, data_sources):
    overrides = [f"data={data}"] + ([f"data.source={data_sources[data]}"] if data in data_sources else [])
    with initialize_config_dir(config_dir=str(RECIPES), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    images = instantiate(cfg.data)
    assert isinstance(images, genaug.data.ImageSet) and len(images) > 0


@pytest.mark.parametrize("model", names("model"))
@pytest.mark.parametrize("trainer", names("trainer"))
def test_model_and_trainer_recipes_instantiate(model, trainer):
    with initialize_config_dir(config_dir=str(RECIPES), version_base="1.3"):
        cfg = compose("train", overrides=[f"model={model}", f"trainer={trainer}"])
    config = instantiate(cfg.model, _convert_="all")
    assert type(config) is genaug.models.get_family(model).config_class
    assert isinstance(instantiate(cfg.trainer), TrainerConfig)


def genaug_train(*overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    cmd = [sys.executable, "-m", "genaug.cli.train", *overrides]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_genaug_train_two_steps(tmp_path):
    out = tmp_path / "run"
    done = genaug_train(
        "data=digits", "model=cgan", f"out={out}", "trainer.steps=2", "trainer.progress=false",
        "model.latent_dim=8", "model.generator_width=8", "model.discriminator_width=8",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "checkpoint:" in done.stdout
    model = genaug.load(out)
    assert model.family == "cgan" and model.latent_dim == 8
    assert model.sample(3, seed=0).shape == (3, 1, 8, 8)


def test_genaug_train_unknown_family_lists_the_valid_ones(tmp_path):
    done = genaug_train("model=nope", f"out={tmp_path}")
    assert done.returncode != 0
    for family in family_names():
        assert family in done.stderr


def test_bench_config_defaults_are_the_default_bench_recipe():
    with initialize_config_dir(config_dir=str(RECIPES), version_base="1.3"):
        cfg = compose("bench")
    assert instantiate(cfg.bench, _convert_="all") == genaug.bench.BenchConfig()
