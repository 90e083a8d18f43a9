"""Every recipe composes and instantiates, and holds only what differs from its target's defaults (the schemas of
genaug.cli.schemas); genaug-train runs end to end from the command line."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import genaug
from genaug.cli.recipes import recipes_dir
from genaug.cli.schemas import SCHEMAS, VIEW_INPUTS, Schema
from genaug.models.registry import family_names
from genaug.train import TrainerConfig

RECIPES = Path(recipes_dir())
RECIPE_FILES = sorted(p.relative_to(RECIPES).with_suffix("").as_posix() for p in RECIPES.rglob("*.yaml"))
BUILT = {schema.target: schema for schema in SCHEMAS if schema.built}
CONFIG_CLASSES = {target: schema for target, schema in BUILT.items() if dataclasses.is_dataclass(schema.located())}

# The top-level recipe that composes each group's options (selected as group=option)...
USED_BY = {"data": "train", "model": "train", "trainer": "train", "bench": "bench", "viz": "viz"}
# ... and how every other recipe file is composed (a new one fails test_every_recipe_file_* until it is added here).
COMPOSED_AS = {
    "train": ("train", []),
    "bench": ("bench", []),
    "generate": ("generate", []),
    "viz": ("viz", []),
    "sweep/seeds": ("train", ["+sweep=seeds"]),
    "sweep/families": ("train", ["+sweep=families"]),
    "sweep/bench_budgets": ("bench", ["+sweep=bench_budgets"]),
    "hydra/dirs/run_dir": ("train", []),
    "hydra/dirs/no_files": ("generate", []),
    "hydra/launcher/local": ("train", ["hydra/launcher=local"]),
    "hydra/launcher/slurm": ("train", ["hydra/launcher=slurm"]),
}
LAUNCHER_PLUGINS = {"hydra/launcher/local": "hydra_joblib_launcher", "hydra/launcher/slurm": "hydra_submitit_launcher"}


def names(group: str) -> list[str]:
    return sorted(p.stem for p in (RECIPES / group).glob("*.yaml"))


def composed(app: str, overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(RECIPES), version_base="1.3"):
        return compose(app, overrides=overrides)


def composition(recipe: str) -> tuple[str, list[str], str | None]:
    """How the recipe file ``recipe`` (its path below recipes/, no suffix) is composed: the top-level recipe, the
    overrides that select it, and the package its values land in ("" for the top level; None: Hydra's settings)."""
    group, _, option = recipe.partition("/")
    if group in USED_BY and option:
        return USED_BY[group], [f"{group}={option}"], group
    app, overrides = COMPOSED_AS[recipe]
    return app, overrides, None if group == "hydra" else ""


def plain(config: Any) -> Any:
    """Plain data, interpolations unresolved (tuples become lists), to compare recipe values with defaults."""
    return OmegaConf.to_container(OmegaConf.create({"value": config}), resolve=False)["value"]


def options_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The arguments a top-level recipe takes from the callables it names as ``/options/<target>@_here_``."""
    named = [str(entry).split("@")[0].removeprefix("/options/") for entry in raw.get("defaults", [])]
    return {k: v for schema in SCHEMAS if schema.target in named for k, v in plain(schema.arguments()).items()}


def drift(raw: dict[str, Any], node: dict[str, Any], options: dict[str, Any], where: str = "") -> list[str]:
    """What in ``raw`` (a recipe file's own values) drifts from the defaults of what ``node`` (the same place in the
    composed config) builds: a key that is no argument of its ``_target_``, a value that restates the default, a
    genaug target without a schema. ``options``: the top level's arguments that come from /options schemas."""
    target = node.get("_target_")
    schema = BUILT.get(target)
    if schema is None and str(target).startswith("genaug."):
        return [f"{where or 'the recipe'}: {target} has no schema in genaug.cli.schemas.SCHEMAS"]
    defaults = plain(schema.arguments()) if schema else options
    problems = []
    for key, value in raw.items():
        if key in ("defaults", "hydra") or key.startswith("_"):
            continue
        if schema is not None and key not in defaults:
            problems.append(f"{where}{key}: not an argument of {target}")
        elif key in defaults and value == defaults[key]:
            problems.append(f"{where}{key}: {value!r} restates the default of {target or 'an /options callable'}")
        elif schema is None and isinstance(value, dict) and isinstance(node.get(key), dict):
            problems += drift(value, node[key], {}, f"{where}{key}.")
    return problems


def built_nodes(config: dict[str, Any], where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every node of a composed config (plain data) that builds a config dataclass, with its path."""
    found = [(where, config)] if config.get("_target_") in CONFIG_CLASSES else []
    for key, value in config.items():
        if isinstance(value, dict):
            found += built_nodes(value, f"{where}{key}.")
    return found


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
    images = instantiate(composed("train", overrides).data)
    assert isinstance(images, genaug.data.ImageSet) and len(images) > 0


@pytest.mark.parametrize("model", names("model"))
@pytest.mark.parametrize("trainer", names("trainer"))
def test_model_and_trainer_recipes_instantiate(model, trainer):
    cfg = composed("train", [f"model={model}", f"trainer={trainer}"])
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


def test_genaug_train_with_an_unlabelled_folder(tmp_path, rgb_folder):
    """Loose RGB images of other sizes next to the 8 x 8 grayscale digits: read at the data's size and channels."""
    out = tmp_path / "run"
    done = genaug_train(
        "data=digits", "model=ae", f"out={out}", f"unlabelled={rgb_folder / 'cat'}", "trainer.steps=2",
        "trainer.progress=false", "model.latent_dim=4", "model.base_width=8",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "on 1797 labelled images and 4 unlabelled ones" in done.stdout
    training = genaug.models.io.read_config(out)["training"]
    assert (training["num_unlabelled_images"], training["unlabelled_data"]["image_shape"]) == (4, [1, 8, 8])


def test_genaug_train_on_the_unlabelled_rest_of_a_data_set(tmp_path):
    out = tmp_path / "run"
    tiny = ("trainer.steps=2", "trainer.progress=false", "model.latent_dim=4", "model.base_width=8")
    done = genaug_train("data=digits", "model=ae", f"out={out}", "labelled_per_class=5", *tiny)
    assert done.returncode == 0, done.stderr
    assert "on 50 labelled images and 1747 unlabelled ones" in done.stdout
    both = genaug_train("data=digits", f"out={out}", "labelled_per_class=5", "unlabelled=digits", *tiny)
    assert both.returncode != 0 and "not both" in both.stderr


def test_genaug_train_unknown_family_lists_the_valid_ones(tmp_path):
    done = genaug_train("model=nope", f"out={tmp_path}")
    assert done.returncode != 0
    for family in family_names():
        assert family in done.stderr


def test_bench_config_defaults_are_the_default_bench_recipe():
    """BenchConfig() is what a plain genaug-bench runs: the recipe adds nothing to the dataclass."""
    assert instantiate(composed("bench", []).bench, _convert_="all") == genaug.bench.BenchConfig()


@pytest.mark.parametrize("recipe", RECIPE_FILES)
def test_every_recipe_file_holds_only_what_differs_from_its_defaults(recipe):
    if recipe in LAUNCHER_PLUGINS and importlib.util.find_spec(f"hydra_plugins.{LAUNCHER_PLUGINS[recipe]}") is None:
        pytest.skip(f"needs the Hydra plugin {LAUNCHER_PLUGINS[recipe]}")
    app, overrides, package = composition(recipe)
    cfg = composed(app, overrides)
    if package is None:
        return  # Hydra's own settings: composing them is the test
    raw = plain(OmegaConf.load(RECIPES / f"{recipe}.yaml"))
    config = plain(cfg)
    node = config[package] if package else config
    assert drift(raw, node, {} if package else options_of(raw)) == []
    for where, built in built_nodes(config):
        schema = CONFIG_CLASSES[built["_target_"]]
        defaults = plain(schema.arguments())
        differences = {k: v for k, v in built.items() if not k.startswith("_") and v != defaults[k]}
        made, expected = instantiate(built, _convert_="all"), schema.located()(**differences)
        assert type(made) is type(expected), where
        assert plain(dataclasses.asdict(made)) == plain(dataclasses.asdict(expected)), where  # YAML has no tuples


def test_the_drift_check_flags_a_restated_default_and_an_unknown_key():
    node = plain(composed("train", []).trainer)
    raw = {"steps": TrainerConfig().steps, "stepz": 10, "seed": 1}
    assert drift(raw, node, {}) == [
        "steps: 'auto' restates the default of genaug.train.TrainerConfig",
        "stepz: not an argument of genaug.train.TrainerConfig",
    ]
    assert drift({"seed": 1}, {"_target_": "genaug.Nope", "seed": 1}, {}) == [
        "the recipe: genaug.Nope has no schema in genaug.cli.schemas.SCHEMAS"
    ]
    assert drift({"seed": 0}, {"seed": 0}, {"seed": 0}) == ["seed: 0 restates the default of an /options callable"]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.target)
def test_every_schema_holds_the_defaults_of_its_target(schema: Schema):
    target = schema.located()
    if dataclasses.is_dataclass(target):
        assert plain(schema.arguments()) == plain(dataclasses.asdict(target()))
    else:  # what the command supplies is an argument (not renamed since; genaug-viz's inputs: of some views), and
        # never a recipe key
        assert set(schema.supplied) - set(VIEW_INPUTS) <= set(inspect.signature(target).parameters)
        assert not set(schema.supplied) & set(schema.arguments())


def test_every_argument_is_set_without_a_plus():
    cfg = composed("train", ["trainer.steps=10", "model.latent_dim=8", "data.classes=[a,b]"])
    assert (cfg.trainer.steps, cfg.model.latent_dim, list(cfg.data.classes)) == (10, 8, ["a", "b"])
    cfg = composed("bench", ["bench.seeds=3", "models.cvae.beta=2.0", "progress=false"])
    assert (cfg.bench.seeds, cfg.models.cvae.beta, cfg.progress) == (3, 2.0, False)
    assert composed("viz", ["viz=latent_map", "viz.batch_size=8", "device=cuda"]).viz.batch_size == 8
