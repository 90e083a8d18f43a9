"""Which names can be the name of one folder: a single path component, visible to loaders, short enough for
every common file system. Export checks class names with it before it writes anything, and the manifest of an
earlier export before anything is deleted, so that no name ever leads outside the export folder."""

from __future__ import annotations

import os

# NAME_MAX of ext4, XFS, btrfs and APFS (bytes); NTFS allows 255 UTF-16 units, never fewer than 255 UTF-8 bytes
MAX_NAME_BYTES = 255


def folder_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name one folder inside another, or None when it can."""
    if not isinstance(name, str) or not name:
        return "empty or not a string"
    if name.startswith("."):
        return "hidden, or '.' or '..'"
    if any(c in name for c in "/\\\0"):
        return "holds a path separator"
    try:
        size = len(os.fsencode(name))
    except UnicodeEncodeError:
        return "not encodable as a file name"
    if size > MAX_NAME_BYTES:
        return f"{size} bytes long; file systems allow {MAX_NAME_BYTES}"
    return None
