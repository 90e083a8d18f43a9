"""genaug-generate runs end to end from the command line, from a checkout and from the built wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from torchvision.datasets import ImageFolder

import genaug
from genaug.cli.recipes import recipes_dir
from genaug.directory_lock import LOCK_FILE
from genaug.synthetic import SyntheticDataset

ROOT = Path(__file__).resolve().parents[2]


def test_the_recipe_composes_with_the_export_defaults():
    with initialize_config_dir(config_dir=recipes_dir(), version_base="1.3"):
        cfg = compose("generate", overrides=["checkpoint=runs/mnist5k-cgan", "format=npz"])
    assert cfg.checkpoint == "runs/mnist5k-cgan" and cfg.format == "npz"
    assert (cfg.n_per_class, cfg.seed, cfg.out, cfg.overwrite) == (1000, 0, "synthetic", False)


def genaug_generate(*overrides: str, cwd: Path, pythonpath: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    cmd = [sys.executable, "-m", "genaug.cli.generate", *overrides]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_generate_writes_an_image_folder_and_nothing_else(tiny_runs, tmp_path):
    checkpoint = tiny_runs["cgan"]
    done = genaug_generate(f"checkpoint={checkpoint}", "n_per_class=3", "out=synthetic", "progress=false", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "synthetic" in done.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["synthetic"]  # Hydra leaves no outputs or logs behind
    out = tmp_path / "synthetic"
    folder = ImageFolder(str(out))
    assert folder.classes == [str(k) for k in range(10)] and len(folder) == 30
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["checkpoint_dir"] == str(checkpoint.resolve()) and manifest["seed"] == 0
    expected = SyntheticDataset(genaug.load(checkpoint), n_per_class=3, seed=0)
    first = torch.stack([expected[i][0] for i in range(3)]).mul(255).round().byte()
    assert torch.equal(genaug.data.load(out).images[:3], first)

    again = genaug_generate(f"checkpoint={checkpoint}", "n_per_class=3", "out=synthetic", "seed=1", cwd=tmp_path)
    assert again.returncode != 0 and "overwrite=True" in again.stderr and "seed 0 there, 1 here" in again.stderr
    replaced = genaug_generate(
        f"checkpoint={checkpoint}", "n_per_class=2", "out=synthetic", "seed=1", "overwrite=true", "format=npz",
        "progress=false", cwd=tmp_path,
    )  # fmt: skip
    assert replaced.returncode == 0, replaced.stderr
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE, "manifest.json", "synthetic.npz"]
    assert len(genaug.data.load(out / "synthetic.npz")) == 20


def test_generate_reports_bad_values(tiny_runs, tmp_path):
    done = genaug_generate("n_per_class=1", cwd=tmp_path)
    assert done.returncode != 0 and "Missing mandatory value: checkpoint" in done.stderr
    done = genaug_generate(f"checkpoint={tiny_runs['cvae']}", "n_per_class=-1", cwd=tmp_path)
    assert done.returncode != 0 and "n_per_class must be an int >= 0, got -1" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # builds the wheel; tests/test_package.py checks every recipe is in it on every run
def test_the_wheel_ships_the_recipe_and_generates_outside_the_checkout(tiny_runs, tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("genaug-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "genaug/recipes/generate.yaml" in archive.namelist()
        archive.extractall(tmp_path / "site")
    done = genaug_generate(
        f"checkpoint={tiny_runs['ae']}", "n_per_class=1", "out=syn", cwd=tmp_path, pythonpath=tmp_path / "site"
    )
    assert done.returncode == 0, done.stderr
    assert len(ImageFolder(str(tmp_path / "syn"))) == 10
