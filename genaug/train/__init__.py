"""Training: the Trainer loop, its config, checkpoints and genaug.fit."""

from genaug.train.checkpoint import load
from genaug.train.config import TrainerConfig
from genaug.train.fit import fit
from genaug.train.streaming import StreamingData
from genaug.train.trainer import Trainer

__all__ = ["StreamingData", "Trainer", "TrainerConfig", "fit", "load"]
