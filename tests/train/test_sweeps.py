"""Sweep recipes: Hydra multirun over seeds, families and benchmark budgets, locally (joblib) or on SLURM."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

import genaug
from genaug.cli.recipes import recipes_dir

TINY_CGAN = ["model.latent_dim=8", "model.generator_width=8", "model.discriminator_width=8"]


def composed(app: str, *overrides: str):
    with initialize_config_dir(config_dir=recipes_dir(), version_base="1.3"):
        return compose(app, overrides=list(overrides), return_hydra_config=True)


def sweep_jobs(cfg, *command_line: str) -> list[list[str]]:
    """The jobs Hydra's basic sweeper makes of a recipe's sweeper params plus command-line sweeps."""
    params = [f"{key}={value}" for key, value in cfg.hydra.sweeper.params.items()]
    overrides = OverridesParser.create().parse_overrides([*params, *command_line])
    return [job for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]


def has_plugin(name: str) -> bool:
    return importlib.util.find_spec(f"hydra_plugins.{name}") is not None


@pytest.mark.parametrize(
    ("app", "sweep", "jobs"),
    [("train", "seeds", 5), ("train", "families", 4), ("bench", "bench_budgets", 4)],
)
def test_sweep_recipes_expand_into_jobs_with_their_own_out(app, sweep, jobs):
    cfg = composed(app, f"+sweep={sweep}")
    assert len(sweep_jobs(cfg)) == jobs
    assert cfg._get_node("out")._value() == "${hydra:sweep.dir}/${hydra:sweep.subdir}"


def test_families_sweep_names_every_family():
    jobs = sweep_jobs(composed("train", "+sweep=families"), "trainer.seed=0,1")
    assert sorted(job[0] for job in jobs) == sorted(f"model={f}" for f in genaug.models.family_names() * 2)


@pytest.mark.skipif(not has_plugin("hydra_joblib_launcher"), reason="needs pip install 'genaug[sweep]'")
def test_local_launcher_recipe_is_joblib():
    launcher = composed("train", "hydra/launcher=local").hydra.launcher
    assert launcher._target_.endswith("JoblibLauncher") and launcher.n_jobs == 2


@pytest.mark.skipif(not has_plugin("hydra_submitit_launcher"), reason="needs pip install 'genaug[slurm]'")
def test_slurm_launcher_recipe_is_submitit():
    launcher = composed("bench", "hydra/launcher=slurm", "hydra.launcher.partition=gpu").hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.gpus_per_node, launcher.tasks_per_node) == ("gpu", 1, 1)


@pytest.mark.slow
@pytest.mark.skipif(not has_plugin("hydra_joblib_launcher"), reason="needs pip install 'genaug[sweep]'")
def test_two_trainings_in_parallel_with_joblib(tmp_path):
    overrides = [
        "-m", "+sweep=seeds", "hydra/launcher=local", "trainer.seed=0,1", f"hydra.sweep.dir={tmp_path}",
        "data=digits", "model=cgan", *TINY_CGAN, "trainer.steps=2", "trainer.progress=false",
        "trainer.num_threads=1", "trainer.tensorboard=false",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "genaug.cli.train", *overrides]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    seeds = {}
    for seed in (0, 1):
        model = genaug.load(tmp_path / f"digits-cgan-seed{seed}")
        seeds[seed] = model.sample(2, seed=0)
        assert genaug.models.io.read_config(model.checkpoint_dir)["training"]["seed"] == seed
    assert not (seeds[0] == seeds[1]).all()
