"""The trainer's resume file, ``train_state.safetensors``, beside a model checkpoint: the model's weights and
the rest of the loop's state (optimisers, RNG, step), without pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from genaug.atomic import atomic_path
from genaug.errors import CheckpointError
from genaug.models.base import GenerativeModel
from genaug.models.io import FORMAT, load_weights, model_tensors, read_safetensors
from genaug.train.state_io import join_tensors, split_tensors

TRAIN_STATE_FILE = "train_state.safetensors"


def save_training_state(directory: Path, model: GenerativeModel, state: dict[str, Any]) -> None:
    """Everything needed to resume, in one atomic file: model weights and ``state`` (optimisers, RNG, step)."""
    tensors = {f"model/{k}": v for k, v in model_tensors(model).items()}
    skeleton = split_tensors(state, "state", tensors)
    with atomic_path(directory / TRAIN_STATE_FILE) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "state": json.dumps(skeleton)})


def load_training_state(directory: Path, model: GenerativeModel) -> dict[str, Any]:
    """Restore ``model``'s weights from the resume file and return the rest of the saved state."""
    path = directory / TRAIN_STATE_FILE
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != FORMAT or "state" not in metadata:
        raise CheckpointError(f"{path} was not written by genaug's trainer")
    weights = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    load_weights(model, weights, path)
    return join_tensors(json.loads(metadata["state"]), tensors)
