"""genaug-viz: every view recipe composes and draws with a tiny checkpoint; the command runs end to end."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from PIL import Image

import genaug.viz
from genaug.cli.recipes import recipes_dir
from genaug.cli.viz import view_inputs

RECIPES = Path(recipes_dir())
VIEWS = sorted(p.stem for p in (RECIPES / "viz").glob("*.yaml"))


def test_every_view_has_a_recipe():
    assert sorted(genaug.viz.__all__) == VIEWS


def draw(tiny_runs, family: str, view: str, out: Path, *overrides: str) -> Path:
    """What genaug-viz does, in-process: compose, instantiate the view, call it with the inputs it asks for."""
    with initialize_config_dir(config_dir=str(RECIPES), version_base="1.3"):
        cfg = compose("viz", overrides=[f"checkpoint={tiny_runs[family]}", f"viz={view}", f"out={out}", *overrides])
    view_function = instantiate(cfg.viz, _convert_="all")
    return view_function(**view_inputs(cfg, dict(inspect.signature(view_function).parameters)), path=cfg.out)


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_draws_a_png_for_a_cvae(tiny_runs, tmp_path, view):
    path = draw(tiny_runs, "cvae", view, tmp_path / f"{view}.png", "data=digits")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 100 and image.height > 50


CGAN_VIEWS = {"sample_grid": [], "latent_map": ["data=digits"], "interpolation": ["viz.labels=3"]}


@pytest.mark.parametrize("view", CGAN_VIEWS)
def test_cgan_views(tiny_runs, tmp_path, view):
    assert draw(tiny_runs, "cgan", view, tmp_path / "x.png", *CGAN_VIEWS[view]).is_file()


def test_views_that_need_an_encoder_or_data_say_so(tiny_runs, tmp_path):
    with pytest.raises(NotImplementedError, match="cgan models have no translate"):
        draw(tiny_runs, "cgan", "class_transfer", tmp_path / "x.png", "data=digits")
    with pytest.raises(TypeError, match="no encoder"):
        draw(tiny_runs, "cgan", "reconstructions", tmp_path / "x.png", "data=digits")
    with pytest.raises(ValueError, match="data set holds .* images"):
        draw(tiny_runs, "cvae", "latent_map", tmp_path / "x.png", "data=digits", "data.image_size=12")


def genaug_viz(*overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    cmd = [sys.executable, "-m", "genaug.cli.viz", *overrides]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_genaug_viz_command(tiny_runs, tmp_path):
    run = shutil.copytree(tiny_runs["ae"], tmp_path / "ae")  # the default out lands inside the run directory
    done = genaug_viz(f"checkpoint={run}")
    assert done.returncode == 0, done.stderr
    assert (run / "viz" / "sample_grid.png").is_file() and "wrote" in done.stdout
    missing = genaug_viz(f"checkpoint={run}", "viz=latent_map")
    assert missing.returncode != 0 and "viz=latent_map draws a data set: add data=mnist5k" in missing.stderr
