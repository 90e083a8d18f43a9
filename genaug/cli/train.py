"""genaug-train: fit a model family to a data set from a Hydra recipe (recipes/train.yaml)."""

from __future__ import annotations

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from genaug.cli.recipes import recipes_dir
from genaug.train.trainer import SAMPLES_DIR, Trainer


@hydra.main(config_path=recipes_dir(), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    data = instantiate(cfg.data)
    model_config = instantiate(cfg.model, _convert_="all")
    trainer = Trainer(instantiate(cfg.trainer), cfg.out)
    print(data.summary())
    model = trainer.fit(data, model_config)
    grids = sorted((trainer.out / SAMPLES_DIR).glob("step_*.png"))
    print(f"trained {model.family} on {len(data)} images; checkpoint: {trainer.out}")
    if grids:
        print(f"samples: {grids[-1]}")


if __name__ == "__main__":
    main()
