"""Loader for a folder of image files in torchvision ImageFolder layout (one sub-folder per class, walked
recursively), or a folder of loose images (one unlabelled class named after the folder).

Every non-hidden regular file is opened with PIL and fully decoded; files that fail are skipped and reported
once. Other entries (named pipes, sockets, devices, broken links) are skipped and reported the same way, without
being opened: opening a named pipe blocks until something writes to it. Hidden files and folders (name starting
with ".") are ignored.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import torch
from PIL import Image
from tqdm import tqdm

from genaug.data.decoded import Decoded
from genaug.data.pixels import pil_to_batch
from genaug.data.problems import LoadNotes
from genaug.errors import DataError

# everything PIL raises for a file that is not a readable image (UnidentifiedImageError is an OSError;
# truncated files raise OSError; some decoders raise SyntaxError, ValueError or EOFError)
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def decode_folder(root: Path) -> Decoded:
    """Read every image under `root`; class names are the sorted names of its sub-folders."""
    entries = sorted(e for e in root.iterdir() if not e.name.startswith("."))
    class_dirs = [e for e in entries if e.is_dir()]
    loose = [e for e in entries if not e.is_dir()]  # pipes and broken links too: reported as skipped
    if class_dirs:
        _refuse_loose_images(root, loose, class_dirs)
        groups = {d: _files_under(d) for d in class_dirs}
        if not any(groups.values()):
            raise DataError(f"{root} contains no images: its {len(class_dirs)} class folder(s) are empty")
        empty = [str(d) for d, files in groups.items() if not files]
        if empty:
            raise DataError(f"class folder {empty[0]} is empty; remove it or add images to it")
        names, source = [d.name for d in class_dirs], f"image folder {root}"
    else:
        if not loose:
            raise DataError(f"{root} contains no images (no files and no class sub-folders)")
        groups = {root: loose}
        names, source = [root.resolve().name], f"image folder {root} (unlabelled: no class sub-folders)"

    notes = LoadNotes()
    batches: list[torch.Tensor] = []
    labels: list[int] = []
    progress = tqdm(total=sum(map(len, groups.values())), desc=f"reading {root}", unit="img", disable=None)
    with progress:
        for label, (folder, files) in enumerate(groups.items()):
            for path in files:
                batch = read_image(path, notes)
                if batch is not None:
                    batches.append(batch)
                    labels.append(label)
                progress.update()
            if not labels or labels[-1] != label:
                first = notes.skipped[-1]
                what = f"class folder {folder}" if class_dirs else str(folder)
                raise DataError(
                    f"{what} has no readable images: all {len(files)} file(s) failed, e.g. {first.path} "
                    f"({first.reason}); {'remove the folder or ' if class_dirs else ''}replace the files"
                )
    return Decoded(batches, torch.tensor(labels, dtype=torch.int64), names, source, notes)


def read_image(path: Path, notes: LoadNotes) -> torch.Tensor | None:
    """One image file → uint8 1×C×H×W tensor, or None (recorded in `notes`) if it cannot be read."""
    try:
        _require_regular_file(path)
        with Image.open(path) as img:
            img.load()
            return pil_to_batch(img, notes)
    except _UNREADABLE as e:
        notes.skip(str(path), e)
        return None


def _require_regular_file(path: Path) -> None:
    """Raise OSError for anything but a regular file (checked with stat, so a named pipe is never opened)."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise OSError(f"not a regular file but {_file_kind(mode)}; only image files are read")


def _file_kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "a special file")


def _files_under(folder: Path) -> list[Path]:
    """Non-hidden files anywhere under `folder`, in a stable (sorted) order."""
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files += [Path(dirpath, f) for f in sorted(filenames) if not f.startswith(".")]
    return files


def _refuse_loose_images(root: Path, loose: list[Path], class_dirs: list[Path]) -> None:
    """Image files next to class folders would belong to no class: refuse rather than drop them."""
    extensions = Image.registered_extensions()
    images = [f for f in loose if f.suffix.lower() in extensions]
    if images:
        classes = ", ".join(d.name for d in class_dirs[:5]) + (", ..." if len(class_dirs) > 5 else "")
        raise DataError(
            f"{root} has {len(images)} image file(s) directly inside it (e.g. {images[0].name}) next to "
            f"class sub-folders ({classes}); move them into a class folder or remove them, so that no "
            "image is left out silently"
        )
