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

Safety: an export holds ``out_dir``'s lock (``out_dir/.genaug.lock``, see ``genaug.directory_lock``) from start
to end, so a second export (or training run) into the same folder fails at once with DirectoryBusyError.
``overwrite=True`` deletes only the files the previous manifest lists (``<class>/000000.png`` up to its count
per class, or its .npz) and their half-written temporaries; it refuses a manifest naming anything outside
``out_dir`` and never follows a symbolic link: a link among the files or class folders it would touch is
refused.
"""

from __future__ import annotations

import os
import re
import reprlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from genaug.atomic import atomic_path
from genaug.checks import check_choice, check_int
from genaug.directory_lock import LOCK_FILES, directory_lock
from genaug.models.base import GenerativeModel
from genaug.synthetic.chunks import CHUNK_SIZE, chunk_spans, render_chunk
from genaug.synthetic.counts import counts_per_class
from genaug.synthetic.folder_names import folder_name_problem
from genaug.synthetic.manifest import (
    FORMATS,
    MANIFEST_FILE,
    ExportError,
    check_resumable,
    new_manifest,
    read_manifest,
    write_manifest,
)

NPZ_FILE = "synthetic.npz"
_PNG_NAME = re.compile(r"([0-9]{6,})\.png")
# what genaug.atomic leaves behind when a process dies mid-write: "." + final name + "." + random part + ".tmp"
_TEMPORARY = re.compile(r"\.(.+)\.[^.]+\.tmp")


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
    files that export wrote (those its manifest lists, nothing else); a folder with other content and no
    manifest.json is always refused. While another export or training run writes into ``out_dir``, this one
    fails at once with DirectoryBusyError.
    """
    if not isinstance(model, GenerativeModel):
        raise TypeError(f"model must be a genaug GenerativeModel (see genaug.load), got {type(model).__name__}")
    check_choice("format", format, FORMATS)
    counts = counts_per_class(model, n_per_class=n_per_class)
    record = new_manifest(model, check_int("seed", seed, minimum=0), format, counts)
    if format == "png":
        _check_folder_names(model.classes)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"out_dir {out} is a file; pass a folder (it is created if missing)")
    with directory_lock(out, "export"):
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
    """Make ``out`` (an existing folder) ready for ``record``; returns the manifest of the export it continues,
    else None."""
    previous = read_manifest(out)
    if previous is None:
        if any(name not in LOCK_FILES for name in os.listdir(out)):
            raise ExportError(
                f"out_dir {out} is not empty and holds no {MANIFEST_FILE}; genaug writes only into an empty "
                "folder or one holding its own export. Choose another out_dir"
            )
        return None
    if overwrite:
        _remove_files(out, previous, images=True)
        return None
    check_resumable(previous, record, out)
    _remove_files(out, previous, images=False)
    return previous


def _npz_is_done(out: Path, previous: dict | None, record: dict) -> bool:
    """Whether ``previous`` is a finished export of exactly ``record``'s images."""
    finished = previous is not None and previous.get("complete") is True
    return finished and previous["counts"] == record["counts"] and (out / NPZ_FILE).is_file()


def _write_pngs(model: GenerativeModel, out: Path, seed: int, counts: list[int], bar: tqdm) -> None:
    """Write the missing ``<class>/<index>.png`` files, one generated chunk at a time."""
    folders = [_class_folder(out, name) for name in model.classes]
    existing = [set(_own_files(folder, _image_names(n))[0]) for folder, n in zip(folders, counts, strict=True)]
    bar.update(sum(map(len, existing)))
    for k, (folder, count) in enumerate(zip(folders, counts, strict=True)):
        folder.mkdir(exist_ok=True)
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


def _image_names(count: int) -> Callable[[str], bool]:
    """A test of whether a file name is that of one of the first ``count`` images (exactly as export names it)."""

    def is_image(name: str) -> bool:
        match = _PNG_NAME.fullmatch(name)
        return match is not None and int(match[1]) < count and name == _png_name(int(match[1]))

    return is_image


def _class_folder(out: Path, name: str) -> Path:
    """``out/name``, refused when it is a symbolic link: export never writes or deletes through a link."""
    folder = out / name
    if folder.is_symlink():
        raise _link_refused(folder)
    return folder


def _link_refused(path: str | Path) -> ExportError:
    return ExportError(
        f"{path} is a symbolic link; genaug never follows links in an export. Replace the link by a plain folder "
        "or file, or choose another out_dir"
    )


def _own_files(folder: Path, is_own: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """The files in ``folder`` that ``is_own`` names, and the temporary files an interrupted write of such a
    name left (``.<name>.<random>.tmp``): (finished, temporary). A symbolic link among them is refused."""
    finished: list[str] = []
    temporary: list[str] = []
    if not folder.is_dir():
        return finished, temporary
    with os.scandir(folder) as entries:
        for entry in entries:
            half_written = _TEMPORARY.fullmatch(entry.name)
            if not is_own(half_written[1] if half_written else entry.name):
                continue
            if entry.is_symlink():
                raise _link_refused(entry.path)
            (temporary if half_written else finished).append(entry.name)
    return finished, temporary


def _export_files(out: Path, manifest: dict) -> dict[Path, tuple[list[str], list[str]]]:
    """Per folder, the files the export described by ``manifest`` wrote there and their temporaries (see
    ``_own_files``): what its manifest lists, nothing else. Checked whole before anything is deleted."""
    if manifest["format"] == "npz":
        return {out: _own_files(out, {NPZ_FILE, MANIFEST_FILE}.__contains__)}
    files = {out: _own_files(out, {MANIFEST_FILE}.__contains__)}
    for name, count in manifest["counts"].items():  # names checked by read_manifest: folders inside out
        folder = _class_folder(out, name)
        files[folder] = _own_files(folder, _image_names(count))
    return files


def _remove_files(out: Path, manifest: dict, images: bool) -> None:
    """Delete the temporary files the export of ``manifest`` left and, with ``images``, the images (or .npz) it
    wrote and the class folders that end up empty. The manifest itself stays (it is rewritten next)."""
    for folder, (finished, temporary) in _export_files(out, manifest).items():
        doomed = [*temporary, *(name for name in finished if images and name != MANIFEST_FILE)]
        for name in doomed:
            (folder / name).unlink()
        if images and folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _check_folder_names(classes: list[str]) -> None:
    """Class names must work as folder names, visible to every loader, and distinct on any file system."""
    seen: dict[str, str] = {}
    for name in classes:
        problem = "the manifest's name" if name == MANIFEST_FILE else folder_name_problem(name)
        if problem is not None:
            raise ExportError(
                f"class name {reprlib.repr(name)} cannot be a folder name ({problem}); "
                "use format='npz', which keeps class names inside the file"
            )
        if name.casefold() in seen:
            raise ExportError(
                f"class names {seen[name.casefold()]!r} and {name!r} differ only in case, so their folders would "
                "merge on case-insensitive file systems; use format='npz'"
            )
        seen[name.casefold()] = name
