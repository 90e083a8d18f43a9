"""Model I/O: a checkpoint directory holds ``config.json`` + ``weights.safetensors``.

Never pickled, each file written atomically, and checked on load before anything is allocated: format, schema
version, the type of every field, family, hyper-parameters (names, types and ranges), and the weight names and
shapes the config builds against the safetensors header (read alone, so a hostile config cannot cost memory);
then the weights' SHA-256 and that they are finite. (The trainer adds ``train_state.safetensors`` to resume; see
``genaug.train.resume_state``.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import reprlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError, safe_open
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
    """Read and check ``config.json`` of a checkpoint directory: its format, schema version and field types."""
    directory = Path(directory)
    path = directory / CONFIG_FILE
    if directory.is_file():
        raise CheckpointError(
            f"{directory} is a file, not a checkpoint directory; pass the directory holding {CONFIG_FILE} "
            f"and {WEIGHTS_FILE}"
        )
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
    _check_schema_version(record, path)
    for key in ("family", "classes", "image_shape", "model"):
        if key not in record:
            raise CheckpointError(f"{path} lacks the key {key!r}; the checkpoint is incomplete")
    _check_field_types(record, path)
    return record


def _check_schema_version(record: dict[str, Any], path: Path) -> None:
    version = record.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(
            f"{path}: 'schema_version' is malformed: it must be an int >= 1, got {_describe(version)}; "
            "the checkpoint is corrupt or was edited by hand"
        )
    if version > SCHEMA_VERSION:
        raise CheckpointError(
            f"{path} has schema_version {version}, this genaug ({__version__}) reads up to {SCHEMA_VERSION}; "
            f"it was written by genaug {record.get('genaug_version')}: upgrade genaug"
        )


def _check_field_types(record: dict[str, Any], path: Path) -> None:
    """A CheckpointError naming the file and the key for a field of the wrong type (values are checked when the
    model is built)."""
    family, classes, shape, model = (record[key] for key in ("family", "classes", "image_shape", "model"))
    wrong = {
        "family": (not isinstance(family, str), "a family name (str)"),
        "classes": (
            not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes),
            "a non-empty list of class names (str)",
        ),
        "image_shape": (
            not isinstance(shape, list)
            or len(shape) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape),
            "a list of 3 ints [channels, height, width]",
        ),
        "model": (not isinstance(model, dict), "an object of hyper-parameters"),
    }
    for key, (is_wrong, expected) in wrong.items():
        if is_wrong:
            raise CheckpointError(
                f"{path}: {key!r} must be {expected}, got {_describe(record[key])}; the checkpoint is corrupt "
                "or was edited by hand"
            )


def _describe(value: Any) -> str:
    return f"{reprlib.repr(value)} (a {type(value).__name__})"


def build_model(record: dict[str, Any], source: str = "config") -> GenerativeModel:
    """A freshly initialised model from a checked config record (family, hyper-parameters, classes, image shape).

    Under ``with torch.device("meta")`` it allocates nothing (see ``expected_weight_shapes``). Initialising the
    modules does not move the caller's seeded RNG. Bad hyper-parameter values raise a CheckpointError naming
    ``source`` and the hyper-parameter.
    """
    try:
        family = get_family(record["family"])
    except ValueError as exc:
        raise CheckpointError(f"{source}: {exc}") from None
    valid = {f.name for f in dataclasses.fields(family.config_class)}
    unknown = sorted(set(record["model"]) - valid)
    if unknown:
        raise CheckpointError(f"{source}: unknown {family.key} hyper-parameter(s) {unknown}; valid: {sorted(valid)}")
    try:
        config = family.config_class(**record["model"])
        with torch.random.fork_rng(devices=[]):
            return family.model_class(config, record["classes"], tuple(record["image_shape"]))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{source}: {exc}") from None


def expected_weight_shapes(record: dict[str, Any], source: str = "config") -> dict[str, tuple[int, ...]]:
    """Name and shape of every weight the record's model has, found on the meta device (nothing allocated)."""
    with torch.device("meta"):
        model = build_model(record, source)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def read_header(path: Path) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """Name and shape of every tensor in a safetensors file, and its metadata, from the header alone."""
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; the checkpoint is incomplete")
    try:
        with safe_open(str(path), framework="pt") as f:
            shapes = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}  # noqa: SIM118 (not a dict)
            return shapes, f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Every tensor of a safetensors file, and its metadata."""
    _, metadata = read_header(path)
    return read_tensors(path), metadata


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file whose header was read already (``read_header``)."""
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> CheckpointError:
    return CheckpointError(f"{path} is not a readable safetensors file ({exc}); the checkpoint is corrupt")


def check_weight_shapes(
    expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]], source: str | Path
) -> None:
    """A CheckpointError unless ``found`` has exactly the weight names and shapes of ``expected``."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{source} does not match its config: missing weights {missing[:5]}, unexpected weights {unexpected[:5]}"
        )
    wrong = [f"{k}: {found[k]} vs {shape}" for k, shape in expected.items() if found[k] != shape]
    if wrong:
        raise CheckpointError(f"{source}: weight shapes differ from what its config.json builds: {wrong[:5]}")


def load_weights(model: torch.nn.Module, tensors: dict[str, torch.Tensor], source: str | Path) -> None:
    """Load ``tensors`` into ``model`` after checking their names and shapes (``source`` names them in errors)."""
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    check_weight_shapes(expected, {name: tuple(t.shape) for name, t in tensors.items()}, source)
    model.load_state_dict(tensors, strict=True)


def check_finite(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """A CheckpointError naming the first floating-point tensor that holds NaN or infinite values."""
    for name, t in tensors.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError(
                f"{path}: weight {name!r} holds NaN or infinite values; the model was saved after it diverged or "
                "the file was altered. Use an earlier checkpoint"
            )


def load(directory: str | Path, device: str | torch.device = "cpu") -> GenerativeModel:
    """Load a trained model from a checkpoint directory (no code from the checkpoint is executed).

    Everything that can be checked without the weights is checked before anything is allocated: the config's
    fields and hyper-parameters, then the weight names and shapes it builds against the safetensors header.
    """
    directory = Path(directory)
    record = read_config(directory)
    source, path = str(directory / CONFIG_FILE), directory / WEIGHTS_FILE
    shapes, metadata = read_header(path)
    if metadata.get("format") != FORMAT or "sha256" not in metadata:
        raise CheckpointError(f"{path} was not written by genaug (no genaug metadata)")
    check_weight_shapes(expected_weight_shapes(record, source), shapes, path)
    tensors = read_tensors(path)  # the header, read above, already passed its checks
    if tensors_digest(tensors) != metadata["sha256"]:
        raise CheckpointError(f"{path} fails its SHA-256 check: the weights were modified or corrupted")
    check_finite(tensors, path)
    model = build_model(record, source)
    load_weights(model, tensors, path)
    model.checkpoint_dir, model.weights_sha256 = directory.resolve(), metadata["sha256"]
    return model.to(device).for_inference()


def load_verified(
    directory: str | Path, weights_sha256: str | None, holder: str = "this pickled model"
) -> GenerativeModel:
    """``load(directory)`` on the CPU, refused with a CheckpointError when its weights are no longer the ones
    (SHA-256 ``weights_sha256``; None accepts any) that ``holder`` was made from: a checkpoint retrained in place
    must not silently stand in for the model a transform, a data set or a pickle was made with."""
    model = load(directory)
    if weights_sha256 is not None and model.weights_sha256 != weights_sha256:
        raise CheckpointError(
            f"the checkpoint in {directory} changed since {holder} was made (weights SHA-256 "
            f"{model.weights_sha256} instead of {weights_sha256}); make {holder} again from the new model"
        )
    return model
