"""genaug-generate: export a checkpoint's synthetic images to disk from a Hydra recipe (recipes/generate.yaml)."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from genaug.cli.recipes import recipes_dir
from genaug.models.io import load
from genaug.synthetic.export import export


@hydra.main(config_path=recipes_dir(), config_name="generate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    model = load(cfg.checkpoint, device=cfg.device)
    path = export(
        model,
        cfg.out,
        n_per_class=cfg.n_per_class,
        seed=cfg.seed,
        format=cfg.format,
        overwrite=cfg.overwrite,
        progress=cfg.progress,
    )
    print(f"exported {cfg.n_per_class} {model.family} images per class of {cfg.checkpoint}: {path}")


if __name__ == "__main__":
    main()
