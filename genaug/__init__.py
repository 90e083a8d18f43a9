"""genaug: generative data augmentation for PyTorch.

Train a class-conditional GAN, VAE or autoencoder on your own labelled images (``genaug.fit``), load it
(``genaug.load``) and use its samples as augmentation: ``genaug.augment.BatchAugment`` (whole batches in the
training step, on the training device), ``genaug.transforms`` / ``genaug.albumentations`` (drop-in per-image
transforms), ``genaug.SyntheticDataset`` / ``genaug.MixedDataset``, ``genaug.export`` (files on disk),
``genaug.sklearn`` (imbalanced-learn style oversampler).
"""

import importlib
from types import ModuleType

from genaug import data, filters
from genaug.errors import (
    CheckpointError,
    DataError,
    DirectoryBusyError,
    ExportError,
    GenaugError,
    TrainingDivergedError,
)
from genaug.models import GenerativeModel, family_names, get_family, load
from genaug.synthetic import MixedDataset, MixedSampler, SyntheticDataset, export
from genaug.train import TrainerConfig, fit
from genaug.version import __version__

# Sub-packages with heavier imports (albumentations, scikit-learn, matplotlib), loaded on first use.
_LAZY_MODULES = ("albumentations", "augment", "baselines", "bench", "metrics", "sklearn", "transforms", "viz")
# albumentations and viz need pip extras (genaug/optional.py), so they stay out of __all__: `from genaug import *`
# works on a core install.


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_MODULES:
        return importlib.import_module(f"genaug.{name}")
    raise AttributeError(f"module 'genaug' has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "DataError",
    "DirectoryBusyError",
    "ExportError",
    "GenaugError",
    "GenerativeModel",
    "MixedDataset",
    "MixedSampler",
    "SyntheticDataset",
    "TrainerConfig",
    "TrainingDivergedError",
    "__version__",
    "augment",
    "baselines",
    "bench",
    "data",
    "export",
    "family_names",
    "filters",
    "fit",
    "get_family",
    "load",
    "metrics",
    "sklearn",
    "transforms",
]
