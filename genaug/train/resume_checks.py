"""What must hold for a run in ``out`` to be resumed: the same model, the same seed and the same training data.

Each check compares what this run would record with the record of the run in ``out/config.json`` and raises
CheckpointError naming what differs and how to go on. A changed seed is refused rather than adopted: the resumed
run continues the saved random streams, so a new seed would be recorded without having been used. The data check
compares fingerprints (genaug.data.fingerprint); a run recorded before fingerprints were kept is not checked. The
unlabelled images are training data too: a run with them resumes only with the same ones, a run without them only
without (a run recorded before unlabelled images were kept had none).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from genaug.data.fingerprint import fingerprint_differences
from genaug.errors import CheckpointError
from genaug.models.base import GenerativeModel
from genaug.models.io import read_config
from genaug.models.registry import family_of_config

START_AGAIN = "pass overwrite=true (genaug.fit(..., overwrite=True)) to start again there, or choose another out"


def check_resumable(out: Path, model: GenerativeModel, training: dict[str, Any]) -> None:
    """Raise CheckpointError unless the run in ``out`` can be resumed by this one (``training``: its record)."""
    record = read_config(out)
    _check_same_model(out, record, model)
    recorded = record.get("training") or {}
    if "seed" in recorded and recorded["seed"] != training["seed"]:
        raise CheckpointError(
            f"cannot resume: the run in {out} was trained with seed={recorded['seed']} and this one asks for "
            f"seed={training['seed']}; a resumed run continues the run's random streams, so resume with "
            f"seed={recorded['seed']}, or {START_AGAIN}"
        )
    differences = fingerprint_differences(recorded.get("data") or {}, training["data"])
    if differences:
        raise CheckpointError(
            f"cannot resume: the training data differs from the data the run in {out} was trained on: "
            f"{'; '.join(differences)}. Resume with the same data (same images in the same order, same image_size "
            f"and channels), or {START_AGAIN}"
        )
    _check_same_unlabelled(out, recorded.get("unlabelled_data"), training["unlabelled_data"])


def _check_same_unlabelled(out: Path, recorded: dict[str, Any] | None, current: dict[str, Any] | None) -> None:
    """Refuse unless both runs train without unlabelled images, or both on the same ones (fingerprints)."""
    if (recorded is None) != (current is None):
        had, has = ("without", "with") if recorded is None else ("with", "without")
        raise CheckpointError(
            f"cannot resume: the run in {out} was trained {had} unlabelled images and this one is {has} them; "
            f"resume {had} them (unlabelled=...), or {START_AGAIN}"
        )
    differences = fingerprint_differences(recorded or {}, current or {})
    if differences:
        raise CheckpointError(
            f"cannot resume: the unlabelled images differ from those the run in {out} was trained on: "
            f"{'; '.join(differences)}. Resume with the same unlabelled images (same images in the same order), "
            f"or {START_AGAIN}"
        )


def _check_same_model(out: Path, record: dict[str, Any], model: GenerativeModel) -> None:
    ours = {
        "family": family_of_config(model.config).key,
        "model": dataclasses.asdict(model.config),
        "classes": model.classes,
        "image_shape": list(model.image_shape),
    }
    differing = [key for key in ours if json_like(record.get(key)) != json_like(ours[key])]
    if differing:
        raise CheckpointError(
            f"cannot resume: the run in {out} differs in {differing} from this one; use the same data and model "
            f"settings, or {START_AGAIN}"
        )


def json_like(value: Any) -> Any:
    """``value`` with tuples as lists, as it reads back from JSON (for comparing configs)."""
    if isinstance(value, dict):
        return {k: json_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_like(v) for v in value]
    return value
