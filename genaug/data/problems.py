"""Recoverable data problems: the warning class, the record of a skipped file, and the notes a loader keeps.

A loader never stops on a file it cannot read or on lossy-but-usable pixels; it records them in `LoadNotes`
and, once it has finished, emits one warning per kind of problem, with a count and where to find the list.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field


class DataWarning(UserWarning):
    """The data could be loaded, but something was dropped or changed on the way (see the message)."""


@dataclass(frozen=True)
class SkippedFile:
    """A file that could not be read as an image, and why."""

    path: str
    reason: str


@dataclass
class LoadNotes:
    """What happened to the images while one source was decoded; `warn` reports it once per kind."""

    skipped: list[SkippedFile] = field(default_factory=list)
    alpha_dropped: int = 0  # images with transparent pixels, composited onto black
    reduced_to_8bit: int = 0  # 16-bit images scaled down to 8 bits per pixel

    def skip(self, path: str, error: BaseException) -> None:
        self.skipped.append(SkippedFile(str(path), f"{type(error).__name__}: {error}"))

    def warn(self) -> None:
        if self.skipped:
            first = "; ".join(f"{s.path} ({s.reason})" for s in self.skipped[:3])
            more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            _warn(
                f"{len(self.skipped)} file(s) could not be read as images and were skipped: {first}{more}. "
                "The full list is on ImageSet.skipped."
            )
        if self.alpha_dropped:
            _warn(
                f"{self.alpha_dropped} image(s) had transparent pixels; the alpha channel was dropped by "
                "compositing them onto black."
            )
        if self.reduced_to_8bit:
            _warn(
                f"{self.reduced_to_8bit} image(s) had 16-bit pixels and were scaled down to 8 bits per pixel "
                "(precision is reduced)."
            )


def warn_small_classes(classes: list[str], counts: list[int]) -> None:
    """Warn about classes too small to split: stratified splits and per-class subsets need 2 images each."""
    small = [f"{name!r} ({count})" for name, count in zip(classes, counts, strict=True) if count < 2]
    if small:
        _warn(
            f"{len(small)} class(es) have fewer than 2 images: {', '.join(small[:10])}"
            f"{' ...' if len(small) > 10 else ''}. train_test_split and per-class subsets need at least 2 "
            "images per class; add images or remove these classes."
        )


def _warn(message: str) -> None:
    # stacklevel 4 points past this helper and the loader at the caller of genaug.data.load
    warnings.warn(message, DataWarning, stacklevel=4)
