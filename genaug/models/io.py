"""Model I/O: a checkpoint directory holds ``config.json`` + ``weights.safetensors``.

Never pickled, each file written atomically, and checked on load: format, schema version, family,
hyper-parameter keys, a SHA-256 of the weights, and weight shapes. (The trainer adds
``train_state.safetensors`` to resume; see ``genaug.train.resume_state``.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from genaug.atomic import atomic_path, atomic_write_text
from genaug.errors import CheckpointError
from genaug.models.registry import family_of_config, get_family
from genaug.version import __version__

if TYPE_CHECKING:  # base imports this module to save; nothing here needs the class at run time
    from genaug.models.base import GenerativeModel

FORMAT = "genaug-checkpoint"
SCHEMA_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"


def tensors_digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes: detects a tampered or corrupt weight file."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        digest.update(json.dumps([name, str(t.dtype), list(t.shape)]).encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def config_record(model: GenerativeModel, training: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON content of ``config.json`` for ``model``."""
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "genaug_version": __version__,
        "family": family_of_config(model.config).key,
        "classes": model.classes,
        "image_shape": list(model.image_shape),
        "model": dataclasses.asdict(model.config),
        "training": training or {},
    }


def model_tensors(model: GenerativeModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def save_model(model: GenerativeModel, directory: str | Path, training: dict[str, Any] | None = None) -> Path:
    """Write ``config.json`` and ``weights.safetensors`` (with a SHA-256 of its tensors) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = model_tensors(model)
    digest = tensors_digest(tensors)
    with atomic_path(directory / WEIGHTS_FILE) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "sha256": digest})
    atomic_write_text(directory / CONFIG_FILE, json.dumps(config_record(model, training), indent=2) + "\n")
    model.checkpoint_dir, model.weights_sha256 = directory.resolve(), digest
    return directory


def read_config(directory: str | Path) -> dict[str, Any]:
    """Read and check ``config.json`` of a checkpoint directory."""
    directory = Path(directory)
    path = directory / CONFIG_FILE
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint directory {directory} does not exist; train one with genaug.fit(...)")
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: {directory} is not a genaug checkpoint directory")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); the checkpoint is corrupt") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a genaug checkpoint config (its 'format' is not {FORMAT!r})")
    version = record.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise CheckpointError(
            f"{path} has schema_version {version!r}, this genaug ({__version__}) reads up to {SCHEMA_VERSION}; "
            f"it was written by genaug {record.get('genaug_version')}: upgrade genaug"
        )
    for key in ("family", "classes", "image_shape", "model"):
        if key not in record:
            raise CheckpointError(f"{path} lacks the key {key!r}; the checkpoint is incomplete")
    return record


def build_model(record: dict[str, Any], source: str = "config") -> GenerativeModel:
    """A freshly initialised model from a config record (family, hyper-parameters, classes, image shape)."""
    try:
        family = get_family(record["family"])
    except ValueError as exc:
        raise CheckpointError(f"{source}: {exc}") from None
    valid = {f.name for f in dataclasses.fields(family.config_class)}
    unknown = sorted(set(record["model"]) - valid)
    if unknown:
        raise CheckpointError(f"{source}: unknown {family.key} hyper-parameter(s) {unknown}; valid: {sorted(valid)}")
    config = family.config_class(**record["model"])
    return family.model_class(config, record["classes"], tuple(record["image_shape"]))


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; the checkpoint is incomplete")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        return load_file(str(path)), metadata
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({exc}); the checkpoint is corrupt") from None


def load_weights(model: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path} does not match its config: missing weights {missing[:5]}, unexpected weights {unexpected[:5]}"
        )
    wrong = [
        f"{k}: {tuple(tensors[k].shape)} vs {tuple(v.shape)}"
        for k, v in expected.items()
        if tensors[k].shape != v.shape
    ]
    if wrong:
        raise CheckpointError(f"{path}: weight shapes differ from what its config.json builds: {wrong[:5]}")
    model.load_state_dict(tensors, strict=True)


def load(directory: str | Path, device: str | torch.device = "cpu") -> GenerativeModel:
    """Load a trained model from a checkpoint directory (no code from the checkpoint is executed)."""
    directory = Path(directory)
    record = read_config(directory)
    with torch.random.fork_rng(devices=[]):  # initialising the modules must not move the caller's seeded RNG
        model = build_model(record, source=str(directory / CONFIG_FILE))
    path = directory / WEIGHTS_FILE
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != FORMAT or "sha256" not in metadata:
        raise CheckpointError(f"{path} was not written by genaug (no genaug metadata)")
    if tensors_digest(tensors) != metadata["sha256"]:
        raise CheckpointError(f"{path} fails its SHA-256 check: the weights were modified or corrupted")
    load_weights(model, tensors, path)
    model.checkpoint_dir, model.weights_sha256 = directory.resolve(), metadata["sha256"]
    return model.to(device).eval()
