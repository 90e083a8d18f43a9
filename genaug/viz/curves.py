"""Training curves: every loss column of a run's metrics.csv against the step."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from genaug.train.metrics_log import METRICS_FILE
from genaug.viz.figure import save_png

SMOOTHING_WINDOWS = 20  # the smoothed line averages over 1/20 of the logged rows


def read_metrics(run: str | Path) -> dict[str, np.ndarray]:
    """Columns of a run's metrics.csv (``run`` is the run directory or the file itself), as float arrays."""
    path = Path(run)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; pass a run directory written by genaug.fit / genaug-train")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2 or not rows[0] or rows[0][0] != "step":
        raise ValueError(f"{path} holds no logged rows (a header starting with 'step' and at least one row)")
    values = np.array([[float(v) for v in row] for row in rows[1:] if row], dtype=np.float64)
    return {name: values[:, i] for i, name in enumerate(rows[0])}


def training_curves(run: str | Path, path: str | Path | None = None) -> Path:
    """A PNG with one panel per logged loss against the step, raw and smoothed; by default written as
    ``training_curves.png`` in the run directory."""
    columns = read_metrics(run)
    steps = columns.pop("step")
    if not columns:
        raise ValueError(f"{run} logs no losses besides the step; nothing to plot")
    run_dir = Path(run) if Path(run).is_dir() else Path(run).parent
    cols = min(3, len(columns))
    rows = math.ceil(len(columns) / cols)
    fig = Figure(figsize=(3.6 * cols, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    window = max(1, len(steps) // SMOOTHING_WINDOWS)
    for ax, (name, values) in zip(axes, columns.items(), strict=False):
        (raw,) = ax.plot(steps, values, alpha=0.35, linewidth=0.8)
        if window > 1:
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1 :], smooth, color=raw.get_color(), linewidth=1.5)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    fig.suptitle(f"training curves: {run_dir.name}", fontsize=10)
    return save_png(fig, run_dir / "training_curves.png" if path is None else path)
