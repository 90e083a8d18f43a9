"""genaug: generative data augmentation for PyTorch.

Train a class-conditional GAN, VAE or autoencoder on your own labelled images (``genaug.fit``), load it
(``genaug.load``) and use its samples as augmentation.
"""

from genaug import data
from genaug.errors import CheckpointError, DataError, GenaugError, TrainingDivergedError
from genaug.models import GenerativeModel, family_names, get_family
from genaug.train import TrainerConfig, fit, load
from genaug.version import __version__

__all__ = [
    "CheckpointError",
    "DataError",
    "GenaugError",
    "GenerativeModel",
    "TrainerConfig",
    "TrainingDivergedError",
    "__version__",
    "data",
    "family_names",
    "get_family",
    "fit",
    "load",
]
