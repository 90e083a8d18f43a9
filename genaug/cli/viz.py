"""genaug-viz: draw one picture of a checkpoint from a Hydra recipe (recipes/viz.yaml, views in recipes/viz/).

Each view is a ``genaug.viz`` function; the command supplies what its signature asks for: ``model`` (the loaded
checkpoint), ``data`` (the ``data=`` recipe, loaded at the model's working shape unless it sets one), ``run``
(the checkpoint directory) and ``path`` (``out``).
"""

from __future__ import annotations

import inspect
from typing import Any

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from genaug.cli.recipes import recipes_dir
from genaug.data import ImageSet
from genaug.models.base import GenerativeModel
from genaug.models.io import load
from genaug.optional import require


def load_data(cfg: DictConfig, model: GenerativeModel | None) -> ImageSet:
    """The ``data`` recipe's ImageSet; null ``image_size``/``channels`` become the model's working shape."""
    shape: dict[str, Any] = {}
    if model is not None:
        c, h, w = model.image_shape
        if cfg.data.get("image_size") is None:
            shape["image_size"] = (h, w)
        if cfg.data.get("channels") is None:
            shape["channels"] = c
    return instantiate(cfg.data, **shape, _convert_="all")


def view_inputs(cfg: DictConfig, parameters: dict[str, inspect.Parameter]) -> dict[str, Any]:
    """The arguments a view takes, by name: model, data, run."""
    view = cfg.viz._target_.rsplit(".", 1)[-1]
    inputs: dict[str, Any] = {}
    if "run" in parameters:
        inputs["run"] = cfg.checkpoint
    model = load(cfg.checkpoint, device=cfg.device) if "model" in parameters else None
    if model is not None:
        inputs["model"] = model
    if "data" in parameters:
        if cfg.get("data") is not None:
            inputs["data"] = load_data(cfg, model)
        elif parameters["data"].default is inspect.Parameter.empty:
            raise ValueError(
                f"viz={view} draws a data set: add data=mnist5k, data=digits or "
                "data=imagefolder data.source=/path/to/images"
            )
    return inputs


@hydra.main(config_path=recipes_dir(), config_name="viz", version_base="1.3")
def draw_view(cfg: DictConfig) -> None:
    draw = instantiate(cfg.viz, _convert_="all")  # a functools.partial holding the view's options
    path = draw(**view_inputs(cfg, dict(inspect.signature(draw).parameters)), path=cfg.out)
    print(f"wrote {path}")


def main() -> None:
    """The ``genaug-viz`` command."""
    # before composing: without the extra the views' schemas are not registered, and Hydra's error would hide why
    require("matplotlib", extra="viz", feature="genaug-viz")
    draw_view()


if __name__ == "__main__":
    main()
