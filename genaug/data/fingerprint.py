"""A cheap fingerprint of a training set, recorded with a run so that resuming the run on other data is refused.

It holds the number of images, their shape, the class names, a SHA-256 of every label and, for data in memory, a
SHA-256 of ``SAMPLED_IMAGES`` images spread evenly over the set (so a different order counts as different data:
resumed batches are drawn by index). A StreamingData's images are not read for it (that would be a pass over the
files): its fingerprint holds only what is known without them, so other images with the same count, shape, classes
and labels go unnoticed.
"""

from __future__ import annotations

import hashlib
import reprlib
from typing import TYPE_CHECKING, Any

import torch

from genaug.data.imageset import ImageSet

if TYPE_CHECKING:
    from genaug.data.streaming import StreamingData

SAMPLED_IMAGES = 64  # images hashed per in-memory set


def fingerprint(data: ImageSet | StreamingData) -> dict[str, Any]:
    """The fingerprint of ``data`` as plain JSON-able values."""
    record: dict[str, Any] = {
        "num_images": len(data),
        "image_shape": list(data.image_shape),
        "classes": list(data.classes),
        "labels_sha256": _sha256(data.labels),
    }
    if isinstance(data, ImageSet):
        k = min(SAMPLED_IMAGES, len(data))
        picked = torch.arange(k) * (len(data) - 1) // max(k - 1, 1)  # first and last image included
        record["sampled_images_sha256"] = _sha256(data.images[picked.to(data.images.device)])
    return record


def fingerprint_differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, in words; only what both of them hold is compared."""
    found = []
    for key in ("num_images", "image_shape", "classes"):
        if key in recorded and key in current and recorded[key] != current[key]:
            found.append(f"{key} (recorded: {reprlib.repr(recorded[key])}, now: {reprlib.repr(current[key])})")
    hashed = {"labels_sha256": "the labels", "sampled_images_sha256": f"the images (a sample of {SAMPLED_IMAGES})"}
    for key, what in hashed.items():
        if key in recorded and key in current and recorded[key] != current[key]:
            found.append(f"{what} (their SHA-256 differs)")
    return found


def _sha256(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
