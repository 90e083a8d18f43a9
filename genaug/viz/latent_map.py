"""A 2-D map of a data set in a model's latent space, coloured by class (PCA or t-SNE from scikit-learn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from genaug.checks import check_choice
from genaug.data import ImageSet
from genaug.models.base import GenerativeModel
from genaug.viz.figure import save_png
from genaug.viz.selection import pick

METHODS = ("pca", "tsne")
FEATURES = {"cvae": "posterior means", "ae": "codes", "cgan": "discriminator features"}


def embed_2d(features: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """N × 2 coordinates of N × D features: PCA or t-SNE (perplexity at most 30 and below N)."""
    check_choice("method", method, METHODS)
    n, d = features.shape
    if d <= 2:  # already low-dimensional: plot the coordinates themselves
        return np.pad(features, ((0, 0), (0, 2 - d)))
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(features)
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 images, got {n}; use method='pca'")
    from sklearn.manifold import TSNE

    return TSNE(2, perplexity=min(30.0, (n - 1) / 3), init="pca", random_state=seed).fit_transform(features)


def latent_map(
    model: GenerativeModel,
    data: ImageSet,
    path: str | Path,
    method: str = "pca",
    max_points: int = 2000,
    seed: int = 0,
    batch_size: int = 256,
) -> Path:
    """A PNG scatter of up to ``max_points`` images of ``data`` (drawn with ``seed``) at their latent features
    (``model.latent_features``) reduced to 2-D by ``method`` ("pca" or "tsne"), one colour per class.

    ``data`` must hold images of the model's working shape (load it with ``image_size``/``channels``).
    """
    if not isinstance(data, ImageSet):
        raise TypeError(f"data must be a genaug ImageSet (from genaug.data.load), got {type(data).__name__}")
    check_choice("method", method, METHODS)
    images, names = pick(model, data, max_points, seed)
    features = model.latent_features(images, batch_size=batch_size).cpu().double().numpy()
    points = embed_2d(features, method, seed)
    fig = Figure(figsize=(6.5, 5.0), layout="constrained")
    ax = fig.subplots()
    colours = _class_colours(len(data.classes))
    for k, name in enumerate(data.classes):
        members = np.array([label == name for label in names])
        if members.any():
            ax.scatter(*points[members].T, s=6, alpha=0.7, color=colours[k], label=name)
    ax.legend(markerscale=2.5, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    what = FEATURES.get(model.family, "latent features")
    ax.set_title(f"{model.family} latent map: {method.upper()} of {what} ({len(images)} images)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return save_png(fig, path)


def _class_colours(k: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if k <= 10 else "tab20" if k <= 20 else "turbo"]
    return [cmap(i if k <= 20 else i / max(k - 1, 1)) for i in range(k)]
