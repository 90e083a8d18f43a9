"""Drawing helpers shared by the views: image grids with row/column labels, and atomic PNG saving.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot): nothing touches matplotlib's global
backend or state, so the views work in scripts, notebooks and worker processes alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from genaug.atomic import atomic_path

PAD = 2  # pixels of white between images in a grid
CELL_INCHES = 0.7  # drawn size of one image in a grid
DPI = 120


def grid_figure(rows: int, cols: int, title: str | None = None) -> tuple[Figure, Axes]:
    """A figure with one axes sized for a rows × cols image grid (plus room for labels and a title)."""
    fig = Figure(figsize=(cols * CELL_INCHES + 1.2, rows * CELL_INCHES + (0.8 if title else 0.4)), layout="constrained")
    ax = fig.subplots()
    if title:
        ax.set_title(title, fontsize=9)
    return fig, ax


def draw_image_grid(
    ax: Axes,
    images: torch.Tensor,
    cols: int,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
) -> None:
    """Draw float N×C×H×W images in [0, 1] on ``ax``, ``cols`` per row, with optional row and column labels."""
    from torchvision.utils import make_grid

    images = images.detach().float().cpu().clamp(0.0, 1.0)
    grid = make_grid(images, nrow=cols, padding=PAD, pad_value=1.0)  # 3 x H' x W' (gray is repeated)
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    height, width = images.shape[-2:]
    ax.set_xticks([PAD + (width + PAD) * j + width / 2 for j in range(cols)], col_labels or [""] * cols, fontsize=7)
    rows = -(-len(images) // cols)
    ax.set_yticks([PAD + (height + PAD) * i + height / 2 for i in range(rows)], row_labels or [""] * rows, fontsize=7)
    ax.tick_params(length=0)
    if col_labels:
        ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (which must end in .png) atomically and return the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"genaug.viz writes PNG files: {path} must end in .png")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    return path
