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
from genaug.data import ImageSet, per_class_split
from genaug.models.io import read_config
from genaug.train.distributed import is_main_process
from genaug.train.trainer import SAMPLES_DIR, Trainer

# Hydra overrides for torchrun ranks > 0: no .hydra/ config copies and no log files in the run directory
QUIET_HYDRA = ("hydra.output_subdir=null", "hydra/job_logging=disabled", "hydra/hydra_logging=disabled")


@hydra.main(config_path=recipes_dir(), config_name="train", version_base="1.3")
def train(cfg: DictConfig) -> None:
    data, unlabelled = labelled_and_unlabelled(instantiate(cfg.data), cfg)
    model_config = instantiate(cfg.model, _convert_="all")
    trainer = Trainer(instantiate(cfg.trainer), cfg.out)
    main_process = is_main_process()
    if main_process:
        print(data.summary())
    model = trainer.fit(data, model_config, unlabelled)
    if not main_process:
        return
    grids = sorted((trainer.out / SAMPLES_DIR).glob("step_*.png"))
    unlabelled = read_config(trainer.out)["training"]["num_unlabelled_images"]
    also = f" and {unlabelled} unlabelled ones" if unlabelled else ""
    print(f"trained {model.family} on {len(data)} labelled images{also}; checkpoint: {trainer.out}")
    if grids:
        print(f"samples: {grids[-1]}")


def labelled_and_unlabelled(data: ImageSet, cfg: DictConfig) -> tuple[ImageSet, object]:
    """The labelled images and the unlabelled ones: ``unlabelled=`` as given, or with ``labelled_per_class=N`` N
    images per class of ``data`` and the rest of it with its labels hidden."""
    if cfg.labelled_per_class is None:
        return data, cfg.unlabelled
    if cfg.unlabelled is not None:
        raise ValueError(
            f"pass unlabelled= ({cfg.unlabelled}) or labelled_per_class= ({cfg.labelled_per_class}), not both: "
            "labelled_per_class makes the unlabelled images from the rest of the data"
        )
    if not isinstance(data, ImageSet):
        raise ValueError("labelled_per_class needs an in-memory data set (not a streaming one)")
    labelled, rest = per_class_split(data, cfg.labelled_per_class, seed=cfg.labelled_seed)
    return labelled, rest.images  # a bare tensor: the unlabelled set has no labels to ignore


def main() -> None:
    """The ``genaug-train`` command."""
    if not is_main_process():
        sys.argv.extend(QUIET_HYDRA)
    train()


if __name__ == "__main__":
    main()
