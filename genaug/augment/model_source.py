"""ModelSource: the model behind an augmentation transform, given as a loaded model or a checkpoint directory.

Transforms travel to DataLoader workers (pickled under spawn, copied under fork) and albumentations pipelines are
saved as plain data, so a transform refers to its model by checkpoint directory where it can: pickling sends the
path, and each process loads the weights once (on the CPU) on first use. What the transform checks before that (the
family) is read from ``config.json`` without loading the weights.

A model on a GPU serves the process it was given in; a forked DataLoader worker cannot use CUDA, so there it is
replaced by a CPU copy loaded from its checkpoint directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from genaug.models.base import GenerativeModel
from genaug.models.io import load_verified, read_config

# Models loaded in this process, by (checkpoint directory, weights SHA-256 or None): one load per process.
_LOADED: dict[tuple[str, str | None], GenerativeModel] = {}


class ModelSource:
    """A loaded model, or the checkpoint directory to load it from lazily."""

    def __init__(self, model: GenerativeModel | str | Path):
        self._pid = os.getpid()  # the process the loaded model belongs to
        if isinstance(model, GenerativeModel):
            self._model: GenerativeModel | None = model
            self.checkpoint_dir = None if model.checkpoint_dir is None else str(model.checkpoint_dir)
            self.weights_sha256 = model.weights_sha256
            self.family = model.family
        elif isinstance(model, (str, Path)):
            record = read_config(model)
            self._model = None
            self.checkpoint_dir = str(Path(model).resolve())
            self.weights_sha256 = None
            self.family = str(record["family"])
        elif model is None:
            raise ValueError(
                "model is None: pass a trained model or its checkpoint directory. (A saved albumentations pipeline "
                "records None when its model had never been saved: save the model with model.save(directory), "
                "create the transform from it and save the pipeline again.)"
            )
        else:
            raise TypeError(
                f"model must be a genaug model (genaug.load(...)) or a checkpoint directory, got {type(model).__name__}"
            )

    @property
    def model(self) -> GenerativeModel:
        """The model; loaded from the checkpoint directory on first use in this process (CPU, eval mode)."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            if self._model is not None and self._model.device.type != "cpu":
                self._model = None  # a forked child: CUDA is unusable here
        if self._model is None:
            if self.checkpoint_dir is None:
                raise RuntimeError(
                    "this transform's model is on a GPU and was never saved, so a DataLoader worker cannot get a CPU "
                    "copy of it; save it (model.save(directory)) or move it to the CPU (model.cpu()) first"
                )
            self._model = _load_once(self.checkpoint_dir, self.weights_sha256)
        return self._model

    def __getstate__(self) -> dict[str, Any]:
        # A model saved to disk travels as its path (workers load it on the CPU); an unsaved one as itself.
        state = dict(self.__dict__)
        if self.checkpoint_dir is not None:
            state["_model"] = None
        return state


def _load_once(checkpoint_dir: str, weights_sha256: str | None) -> GenerativeModel:
    key = (checkpoint_dir, weights_sha256)
    if key not in _LOADED:
        _LOADED[key] = load_verified(checkpoint_dir, weights_sha256, holder="this transform")
    return _LOADED[key]
