"""metrics.csv (one row per logging interval) and, when installed, TensorBoard scalars and sample grids."""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from genaug.atomic import atomic_write_text

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
        with open(self.path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if not rows:
            return
        self._columns = rows[0]
        kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= step]
        atomic_write_text(self.path, "".join(",".join(r) + "\n" for r in kept))

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
