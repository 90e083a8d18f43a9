"""Where the Hydra recipes live: inside the installed package (wheel) or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def recipes_dir() -> str:
    """Absolute path of the recipes folder (``genaug/recipes`` in a wheel, ``recipes/`` in a checkout)."""
    for candidate in (_PACKAGE / "recipes", _PACKAGE.parent / "recipes"):
        if (candidate / "train.yaml").is_file():
            return str(candidate)
    raise FileNotFoundError(f"genaug's recipes are missing: looked in {_PACKAGE / 'recipes'} and {_PACKAGE.parent}")
