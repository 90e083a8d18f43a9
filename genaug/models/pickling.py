"""How a GenerativeModel pickles: never through its modules (a cgan's spectral-norm parametrizations cannot be
pickled), but as a reference to its checkpoint or as plain data, so models, and the data sets, transforms and
scikit-learn adapters holding one, travel to spawned DataLoader workers and into joblib files.

- A model whose weights are still the ones in its checkpoint directory pickles as that directory and the weights'
  SHA-256; unpickling loads it again (``load_verified``) and refuses a checkpoint that changed since.
- Any other model (never saved, or changed since it was saved or loaded) pickles as its config record (the content
  of ``config.json``) and its state-dict tensors as safetensors bytes, and is rebuilt from them. Bytes, not
  tensors: multiprocessing's pickler would send tensors through shared memory, whose file descriptors close with
  the temporary contiguous copies of channels-last weights before a spawned worker starts.

Either way the unpickled model is on the CPU, ready for inference (``GenerativeModel.for_inference``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import safetensors.torch

from genaug.models.io import build_model, config_record, load_verified, load_weights, model_tensors, tensors_digest

if TYPE_CHECKING:  # base imports this module; nothing here needs the class at run time
    from genaug.models.base import GenerativeModel

PICKLED_SOURCE = "pickled model"  # names the pickle in errors while it is rebuilt


def model_reduction(model: GenerativeModel) -> tuple[Callable[..., GenerativeModel], tuple[Any, ...]]:
    """``model.__reduce__()``: a checkpoint reference when its weights match the checkpoint, else config + weights."""
    tensors = model_tensors(model)
    if model.checkpoint_dir is not None and model.weights_sha256 == tensors_digest(tensors):
        return load_verified, (str(model.checkpoint_dir), model.weights_sha256)
    return model_from_weights, (config_record(model), safetensors.torch.save(tensors))


def model_from_weights(record: dict[str, Any], weights: bytes) -> GenerativeModel:
    """A model rebuilt from its config record and state-dict tensors in safetensors bytes (on the CPU, ready for
    inference)."""
    model = build_model(record, PICKLED_SOURCE)
    load_weights(model, safetensors.torch.load(weights), PICKLED_SOURCE)
    return model.for_inference()
