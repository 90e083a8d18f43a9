"""metrics.csv (one row per logging interval) and, when installed, TensorBoard scalars and sample grids.

Rows are appended as training goes, so a run killed while writing one leaves it cut short (or, on some file
systems, as NUL bytes): on resume that malformed last row is dropped with a warning. A malformed row before the
last is not a crash's doing; it stops the resume with an error naming the file and line.
"""

from __future__ import annotations

import csv
import reprlib
import warnings
from pathlib import Path

import torch

from genaug.atomic import atomic_write_text
from genaug.errors import CheckpointError

METRICS_FILE = "metrics.csv"


class MetricsLog:
    """Appends rows of losses to ``out/metrics.csv``; on resume it first drops rows past the resumed step."""

    def __init__(self, out: Path, resumed_step: int, tensorboard: bool):
        self.path = out / METRICS_FILE
        self._columns: list[str] | None = None
        if self.path.exists():
            self._drop_rows_after(resumed_step)
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                pass
            else:
                self.writer = SummaryWriter(str(out / "tensorboard"), purge_step=resumed_step + 1)

    def _drop_rows_after(self, step: int) -> None:
        """Keep the header and the rows up to ``step`` (see the module docstring for malformed rows)."""
        rows = self._read_rows()
        kept: list[list[str]] = []  # the header, then the rows up to ``step``
        for index, (line, row) in enumerate(rows):
            if _well_formed(row, kept[0] if kept else None):
                if not kept or int(row[0]) <= step:
                    kept.append(row)
            elif index == len(rows) - 1:
                warnings.warn(
                    f"{self.path}, line {line}: dropped the malformed last row {_shown(row)}, left by a run stopped "
                    "while writing it",
                    stacklevel=4,
                )
            else:
                expected = "a row of metrics (a step, then one value per column)" if kept else "the header (step, ...)"
                raise CheckpointError(
                    f"{self.path}, line {line}: {_shown(row)} is not {expected}; correct or delete that line, or "
                    f"delete {self.path} to start the log afresh, then resume again"
                )
        self._columns = kept[0] if kept else None
        atomic_write_text(self.path, "".join(",".join(r) + "\n" for r in kept))

    def _read_rows(self) -> list[tuple[int, list[str]]]:
        """The non-blank rows of the file, with the line each ends on."""
        with open(self.path, newline="", encoding="utf-8", errors="replace") as f:
            reader = csv.reader(f)
            try:
                return [(reader.line_num, row) for row in reader if row]
            except csv.Error as e:
                raise CheckpointError(
                    f"{self.path}, line {reader.line_num}: {e}; delete {self.path} to start the log afresh"
                ) from e

    def write(self, step: int, values: dict[str, float]) -> None:
        columns = ["step", *values]
        new_file = not self.path.exists() or self.path.stat().st_size == 0
        if self._columns is not None and self._columns != columns and not new_file:
            raise ValueError(f"{self.path} has columns {self._columns}, this run logs {columns}; use another out")
        self._columns = columns
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            if new_file:
                out.writerow(columns)
            out.writerow([step, *(f"{v:.6g}" for v in values.values())])
        if self.writer is not None:
            for name, value in values.items():
                self.writer.add_scalar(name, value, step)

    def add_grid(self, grid: torch.Tensor, step: int) -> None:
        if self.writer is not None:
            self.writer.add_image("samples", grid, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _well_formed(row: list[str], header: list[str] | None) -> bool:
    """A header starts with "step"; a row under it has the header's width and a whole-number step first."""
    if header is None:
        return row[:1] == ["step"]
    return len(row) == len(header) and row[0].isascii() and row[0].isdigit()


def _shown(row: list[str]) -> str:
    return reprlib.repr(",".join(row))
