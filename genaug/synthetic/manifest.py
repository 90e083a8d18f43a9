"""manifest.json of an export: which model, seed and format made the files, and how many per class.

It is written before the first image and rewritten with ``"complete": true`` after the last, so an
interrupted export is recognised and finished, and an export of something else is never mixed into it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genaug.atomic import atomic_write_text
from genaug.checks import check_int
from genaug.errors import ExportError
from genaug.models.base import SAMPLING_VERSION, GenerativeModel
from genaug.synthetic.chunks import CHUNK_SIZE
from genaug.synthetic.folder_names import folder_name_problem
from genaug.version import __version__

MANIFEST_FILE = "manifest.json"
FORMATS = ("png", "npz")
KIND = "genaug-export"
# what must match for an export to be resumed: together they fix the content of every file
IDENTITY = ("format", "seed", "checkpoint_sha256", "chunk_size", "sampling_version", "classes", "image_shape")
# manifests written before sampling_version was recorded used the first noise layout
ASSUMED = {"sampling_version": 1}


def new_manifest(model: GenerativeModel, seed: int, fmt: str, counts: list[int]) -> dict[str, Any]:
    """The manifest of exporting ``counts[k]`` images of each class ``k`` of ``model`` (not yet complete)."""
    if model.weights_sha256 is None:
        raise ValueError(
            "model has no weights_sha256, so the export could not record which model made it; save it first "
            "(model.save(directory)) or load it with genaug.load"
        )
    record = {
        "kind": KIND,
        "format": fmt,
        "seed": seed,
        "checkpoint_sha256": model.weights_sha256,
        "checkpoint_dir": None if model.checkpoint_dir is None else str(model.checkpoint_dir),
        "family": model.family,
        "classes": list(model.classes),  # label k of the .npz means classes[k]
        "image_shape": list(model.image_shape),
        "counts": dict(zip(model.classes, counts, strict=True)),
        "total": sum(counts),
        "chunk_size": CHUNK_SIZE,
        "sampling_version": SAMPLING_VERSION,
        "genaug_version": __version__,
        "complete": False,
    }
    if fmt == "png":
        # torchvision's ImageFolder and genaug.data.load number classes in sorted folder-name order
        record["loader_class_order"] = sorted(model.classes)
    return record


def write_manifest(out_dir: Path, record: dict[str, Any]) -> None:
    atomic_write_text(out_dir / MANIFEST_FILE, json.dumps(record, indent=2) + "\n")


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest in ``out_dir``, or None when there is none; an ExportError when it is not a genaug one, or
    does not name exactly the files of an export inside ``out_dir`` (overwrite deletes those files only)."""
    path = out_dir / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ExportError(f"{path} is not valid JSON ({e}); remove it or choose another out_dir") from None
    if isinstance(record, dict):
        record = {**ASSUMED, **record}
    required = {*IDENTITY, "kind", "counts"}
    if not isinstance(record, dict) or record.get("kind") != KIND or not required <= set(record):
        raise ExportError(
            f"{path} is not a genaug export manifest, so {out_dir} holds something else; choose another out_dir"
        )
    problem = _listing_problem(record)
    if problem is not None:
        raise ExportError(
            f"{path} {problem}, so it does not say which files its export wrote (it was edited or damaged); "
            "remove that export by hand, or choose another out_dir"
        )
    return record


def _listing_problem(record: dict[str, Any]) -> str | None:
    """Why ``record`` does not list one folder-safe class and one image count per class, or None."""
    classes, counts = record["classes"], record["counts"]
    if record["format"] not in FORMATS:
        return f"has format {record['format']!r}, not one of {list(FORMATS)}"
    if not isinstance(classes, list) or not all(isinstance(name, str) for name in classes):
        return "does not list its classes by name"
    if len(set(classes)) != len(classes) or not isinstance(counts, dict) or set(counts) != set(classes):
        return "does not give one image count for each of its distinct classes"
    for name, count in counts.items():
        try:
            check_int("count", count, minimum=0)
        except ValueError as e:  # ArgumentTypeError too
            return f"gives class {name!r} a bad image count ({e})"
    if record["format"] == "png":
        for name in classes:
            problem = folder_name_problem(name)
            if problem is not None:
                return f"lists class {name!r}, which names no folder inside the export ({problem})"
    return None


def check_resumable(old: dict[str, Any], new: dict[str, Any], out_dir: Path) -> None:
    """Refuse (ExportError) to continue ``old`` as ``new`` unless every file ``old`` wrote stays valid."""
    differences = [f"{key} {old[key]!r} there, {new[key]!r} here" for key in IDENTITY if old[key] != new[key]]
    if differences:
        raise ExportError(
            f"{out_dir} holds a different export ({'; '.join(differences)}); pass overwrite=True to replace it, "
            "or choose another out_dir"
        )
    shrunk = [
        f"{name!r}: {n} there, {new['counts'].get(name, 0)} here"
        for name, n in old["counts"].items()
        if n > new["counts"].get(name, 0)
    ]
    if shrunk:
        raise ExportError(
            f"{out_dir} holds more images than asked for ({'; '.join(shrunk)}); pass overwrite=True to replace "
            "them, or ask for at least as many"
        )
