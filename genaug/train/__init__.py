"""Training: the Trainer loop, its config and genaug.fit (checkpoints are model I/O: ``genaug.models.io``)."""

from genaug.train.config import TrainerConfig
from genaug.train.fit import fit
from genaug.train.trainer import Trainer

__all__ = ["Trainer", "TrainerConfig", "fit"]
