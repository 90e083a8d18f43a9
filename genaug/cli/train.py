"""genaug-train: fit a model family to a data set from a Hydra recipe (recipes/train.yaml).

Under ``torchrun --nproc_per_node=N -m genaug.cli.train ...`` every process runs this; they train one model
together, and only rank 0 prints and writes (Hydra's own output files included).
"""

from __future__ import annotations

import sys

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from genaug.cli.recipes import recipes_dir
from genaug.models.io import read_config
from genaug.train.distributed import is_main_process
from genaug.train.trainer import SAMPLES_DIR, Trainer

# Hydra overrides for torchrun ranks > 0: no .hydra/ config copies and no log files in the run directory
QUIET_HYDRA = ("hydra.output_subdir=null", "hydra/job_logging=disabled", "hydra/hydra_logging=disabled")


@hydra.main(config_path=recipes_dir(), config_name="train", version_base="1.3")
def train(cfg: DictConfig) -> None:
    data = instantiate(cfg.data)
    model_config = instantiate(cfg.model, _convert_="all")
    trainer = Trainer(instantiate(cfg.trainer), cfg.out)
    main_process = is_main_process()
    if main_process:
        print(data.summary())
    model = trainer.fit(data, model_config, cfg.unlabelled)
    if not main_process:
        return
    grids = sorted((trainer.out / SAMPLES_DIR).glob("step_*.png"))
    unlabelled = read_config(trainer.out)["training"]["num_unlabelled_images"]
    also = f" and {unlabelled} unlabelled ones" if unlabelled else ""
    print(f"trained {model.family} on {len(data)} labelled images{also}; checkpoint: {trainer.out}")
    if grids:
        print(f"samples: {grids[-1]}")


def main() -> None:
    """The ``genaug-train`` command."""
    if not is_main_process():
        sys.argv.extend(QUIET_HYDRA)
    train()


if __name__ == "__main__":
    main()
