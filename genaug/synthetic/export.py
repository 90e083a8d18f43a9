"""export: write a model's synthetic images to disk, as an ImageFolder tree of PNGs or one .npz, with a
manifest.json; resumable and safe to interrupt.

Layouts (``out_dir``):
- ``format="png"``: ``<class name>/<index>.png`` (index zero-padded to 6 digits; mode L or RGB) for every
  class. Loads with ``torchvision.datasets.ImageFolder(out_dir)`` and ``genaug.data.load(out_dir)``; both
  number the classes in *sorted folder-name order*, which differs from the model's order when its class
  names are not sorted (the manifest lists both, as ``classes`` and ``loader_class_order``).
- ``format="npz"``: ``synthetic.npz`` with ``x`` (uint8 N×C×H×W), ``y`` (int64 indices into ``classes``)
  and ``classes`` (the model's class names, in its order). Loads with ``genaug.data.load(path)``.

Image ``j`` of class ``k`` depends only on ``(seed, k, j)`` (see ``genaug.synthetic.chunks``) and is the
same image ``SyntheticDataset(model, ..., seed=seed)`` gives, rounded to uint8. Every file is written
atomically, so re-running an interrupted export writes only the missing PNGs and never changes finished
ones; asking for more images per class later extends the export the same way. (Resume on the same kind of
device: GPU and CPU arithmetic differ in the last bits, which can change a rounded pixel.) An .npz is
written as a whole: an interrupted one is generated again from the start.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from genaug.atomic import atomic_path
from genaug.checks import check_choice, check_int
from genaug.models.base import GenerativeModel
from genaug.synthetic.chunks import CHUNK_SIZE, chunk_spans, render_chunk
from genaug.synthetic.counts import counts_per_class
from genaug.synthetic.manifest import (
    MANIFEST_FILE,
    ExportError,
    check_resumable,
    new_manifest,
    read_manifest,
    write_manifest,
)

FORMATS = ("png", "npz")
NPZ_FILE = "synthetic.npz"
_PNG_NAME = re.compile(r"\d{6,}\.png")
# what genaug.atomic leaves behind when a process dies mid-write: "." + final name + random part + ".tmp"
_TEMPORARY = re.compile(rf"\.(\d{{6,}}\.png|{re.escape(NPZ_FILE)}|{re.escape(MANIFEST_FILE)})\..+\.tmp")


def export(
    model: GenerativeModel,
    out_dir: str | os.PathLike,
    n_per_class: int,
    seed: int = 0,
    format: str = "png",  # shadows the builtin: the name the API promises
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Write ``n_per_class`` synthetic images of every class of ``model`` into ``out_dir``; returns the path
    to load them from (``out_dir`` for PNGs, the .npz file for npz).

    ``out_dir`` must be missing, empty, or hold an export of the same model, seed and format, which is then
    finished or extended. Another export there is refused unless ``overwrite=True``, which first deletes the
    files that export wrote; a folder with other content and no manifest.json is always refused.
    """
    if not isinstance(model, GenerativeModel):
        raise TypeError(f"model must be a genaug GenerativeModel (see genaug.load), got {type(model).__name__}")
    check_choice("format", format, FORMATS)
    counts = counts_per_class(model, n_per_class=n_per_class)
    record = new_manifest(model, check_int("seed", seed, minimum=0), format, counts)
    if format == "png":
        _check_folder_names(model.classes)
    out = Path(out_dir)
    previous = _prepare(out, record, overwrite)
    write_manifest(out, record)
    bar = tqdm(total=record["total"], desc=f"exporting to {out}", unit="img", disable=None if progress else True)
    with bar:
        if format == "png":
            _write_pngs(model, out, record["seed"], counts, bar)
        elif _npz_is_done(out, previous, record):
            bar.update(record["total"])
        else:
            _write_npz(model, out, record["seed"], counts, bar)
    write_manifest(out, {**record, "complete": True})
    return out if format == "png" else out / NPZ_FILE


def _prepare(out: Path, record: dict, overwrite: bool) -> dict | None:
    """Make ``out`` ready for ``record``; returns the manifest of the export it continues, else None."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"out_dir {out} is a file; pass a folder (it is created if missing)")
    previous = read_manifest(out) if out.is_dir() else None
    if previous is None:
        if out.is_dir() and any(out.iterdir()):
            raise ExportError(
                f"out_dir {out} is not empty and holds no {MANIFEST_FILE}; genaug writes only into an empty "
                "folder or one holding its own export. Choose another out_dir"
            )
        return None
    if overwrite:
        _remove_export(out, previous)
        return None
    check_resumable(previous, record, out)
    _remove_temporaries(_export_folders(out, previous))
    return previous


def _npz_is_done(out: Path, previous: dict | None, record: dict) -> bool:
    """Whether ``previous`` is a finished export of exactly ``record``'s images."""
    finished = previous is not None and previous.get("complete") is True
    return finished and previous["counts"] == record["counts"] and (out / NPZ_FILE).is_file()


def _write_pngs(model: GenerativeModel, out: Path, seed: int, counts: list[int], bar: tqdm) -> None:
    """Write the missing ``<class>/<index>.png`` files, one generated chunk at a time."""
    existing = [_png_names(out / name) for name in model.classes]
    bar.update(sum(_png_name(j) in names for names, n in zip(existing, counts, strict=True) for j in range(n)))
    for k, (name, count) in enumerate(zip(model.classes, counts, strict=True)):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for chunk_index, indices in chunk_spans(count):
            missing = [j for j in indices if _png_name(j) not in existing[k]]
            if not missing:
                continue
            pixels = _uint8_hwc(render_chunk(model, seed, k, chunk_index))
            for j in missing:
                with atomic_path(folder / _png_name(j)) as tmp:
                    Image.fromarray(pixels[j % CHUNK_SIZE]).save(tmp, format="PNG")
            bar.update(len(missing))


def _write_npz(model: GenerativeModel, out: Path, seed: int, counts: list[int], bar: tqdm) -> None:
    """Generate every image and write ``synthetic.npz`` in one atomic step."""
    images = [torch.empty(0, *model.image_shape, dtype=torch.uint8)]
    for k, count in enumerate(counts):
        for chunk_index, indices in chunk_spans(count):
            images.append(_uint8(render_chunk(model, seed, k, chunk_index)[: len(indices)]))
            bar.update(len(indices))
    labels = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    with atomic_path(out / NPZ_FILE) as tmp, open(tmp, "wb") as f:  # a file object: np.savez adds no suffix
        np.savez_compressed(f, x=torch.cat(images).numpy(), y=labels, classes=np.array(model.classes, dtype=str))


def _uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] → uint8, rounded (the inverse of genaug.data's /255)."""
    return images.mul(255).round_().to(torch.uint8)


def _uint8_hwc(images: torch.Tensor) -> np.ndarray:
    """Float N×C×H×W in [0, 1] → uint8 N×H×W (one channel, PIL mode L) or N×H×W×3 (RGB)."""
    pixels = _uint8(images).permute(0, 2, 3, 1).numpy()
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def _png_name(index: int) -> str:
    return f"{index:06d}.png"


def _png_names(folder: Path) -> set[str]:
    return {name for name in os.listdir(folder) if _PNG_NAME.fullmatch(name)} if folder.is_dir() else set()


def _export_folders(out: Path, manifest: dict) -> list[Path]:
    """The folders an export writes into: ``out`` and, for PNGs, one per class (names checked first, so that
    nothing outside ``out`` is ever touched)."""
    if manifest["format"] != "png":
        return [out]
    _check_folder_names(manifest["classes"])
    return [out, *(out / name for name in manifest["classes"])]


def _remove_export(out: Path, manifest: dict) -> None:
    """Delete the files an earlier export wrote (its images and leftovers), keeping anything else."""
    root, *class_folders = _export_folders(out, manifest)
    for folder in class_folders:
        for name in _png_names(folder):
            (folder / name).unlink()
    (root / NPZ_FILE).unlink(missing_ok=True)
    _remove_temporaries([root, *class_folders])
    for folder in class_folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _remove_temporaries(folders: list[Path]) -> None:
    """Delete half-written temporary files left by an interrupted export."""
    for folder in folders:
        if folder.is_dir():
            for name in os.listdir(folder):
                if _TEMPORARY.fullmatch(name):
                    (folder / name).unlink()


def _check_folder_names(classes: list[str]) -> None:
    """Class names must work as folder names, visible to every loader, and distinct on any file system."""
    seen: dict[str, str] = {}
    for name in classes:
        bad = not isinstance(name, str) or not name or name.startswith(".") or name == MANIFEST_FILE
        if bad or any(c in name for c in "/\\\0"):
            raise ExportError(
                f"class name {name!r} cannot be a folder name (empty, hidden, or holding a path separator); "
                "use format='npz', which keeps class names inside the file"
            )
        if name.casefold() in seen:
            raise ExportError(
                f"class names {seen[name.casefold()]!r} and {name!r} differ only in case, so their folders would "
                "merge on case-insensitive file systems; use format='npz'"
            )
        seen[name.casefold()] = name
