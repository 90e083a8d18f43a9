"""An exclusive lock on a folder genaug writes into (an export, a training run), so two writers never mix files.

The lock is the operating system's lock on ``<folder>/.genaug.lock`` (``flock`` on Unix, through ``filelock``):
the kernel drops it when the holding process ends, however it ends, so a killed process never leaves the folder
locked. The file itself stays (an unlocked file is harmless, and deleting it would let two writers lock two
different files). While the lock is held, ``<folder>/.genaug.lock.json`` records who holds it (pid, host, what,
since when) for the message a second writer gets; the holder removes it on release. Both are hidden files,
which genaug's and torchvision's folder loaders skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from genaug.errors import DirectoryBusyError

LOCK_FILE = ".genaug.lock"
HOLDER_FILE = ".genaug.lock.json"
LOCK_FILES = frozenset({LOCK_FILE, HOLDER_FILE})


@contextlib.contextmanager
def directory_lock(folder: Path, purpose: str) -> Iterator[None]:
    """Hold ``folder``'s lock (creating the folder if missing) while the block runs.

    Raises DirectoryBusyError at once, without waiting, when another holder has it; ``purpose`` (``"export"``,
    ``"training run"``) says what this holder does, in the record and in the messages.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DirectoryBusyError(_busy_message(folder, purpose)) from None
    try:
        holder = {"purpose": purpose, "pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        (folder / HOLDER_FILE).write_text(json.dumps(holder) + "\n", encoding="utf-8")
        yield
    finally:
        (folder / HOLDER_FILE).unlink(missing_ok=True)
        lock.release()


def _busy_message(folder: Path, purpose: str) -> str:
    return (
        f"{folder} is in use by {_holder(folder)}, which holds its lock ({folder / LOCK_FILE}); this {purpose} "
        "stops so that two writers never mix their files. Wait for that process to finish or stop it, then "
        "run this again, or choose another folder (the lock goes when its process ends, even if it is killed)"
    )


def _holder(folder: Path) -> str:
    """Who holds ``folder``'s lock, from its record: "a genaug export (pid 12, host h, since ...)"."""
    try:
        record = json.loads((folder / HOLDER_FILE).read_text(encoding="utf-8"))
        return f"a genaug {record['purpose']} (pid {record['pid']} on host {record['host']}, since {record['since']})"
    except (OSError, ValueError, TypeError, KeyError):  # not yet written, or being written right now
        return "another process (it has not recorded its pid yet)"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %z")
