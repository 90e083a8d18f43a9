"""Where the Hydra recipes live: inside the installed package (wheel) or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

from genaug.cli.schemas import register_schemas

_PACKAGE = Path(__file__).resolve().parent.parent


def recipes_dir() -> str:
    """Absolute path of the recipes folder (``genaug/recipes`` in a wheel, ``recipes/`` in a checkout).

    It first registers the schemas the recipes extend (genaug.cli.schemas), so that everything that composes
    them (the commands, the tests) finds them.
    """
    register_schemas()
    for candidate in (_PACKAGE / "recipes", _PACKAGE.parent / "recipes"):
        if (candidate / "train.yaml").is_file():
            return str(candidate)
    raise FileNotFoundError(f"genaug's recipes are missing: looked in {_PACKAGE / 'recipes'} and {_PACKAGE.parent}")
