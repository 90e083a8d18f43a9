"""The installed package: public API names, and a wheel that carries the recipes."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import genaug

ROOT = Path(__file__).resolve().parent.parent


def test_public_api_is_exported():
    for name in ("data", "fit", "load", "GenerativeModel", "GenaugError", "DataError", "CheckpointError"):
        assert name in genaug.__all__ and hasattr(genaug, name)


def test_wheel_ships_every_recipe(tmp_path):
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("genaug-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    recipes = {f"genaug/recipes/{p.relative_to(ROOT / 'recipes')}" for p in (ROOT / "recipes").rglob("*.yaml")}
    assert recipes and recipes <= names
