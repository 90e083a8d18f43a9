"""LatentEncoder: a trained genaug model as a scikit-learn transformer from images to latent features.

    pipe = make_pipeline(LatentEncoder("runs/mnist-ae"), LogisticRegression(max_iter=1000))
    pipe.fit(X_train, y_train)   # X: N×H×W[×C] or N×C×H×W arrays, or flat N×D rows with image_shape=(H, W)

Features are the posterior mean for ``cvae``, the code for ``ae``, the discriminator's pooled features for
``cgan`` (it has no encoder) and the U-Net's pooled bottleneck for ``diffusion``; see each family's
``latent_features``. ``fit`` only loads the model: the encoder was trained already, so the transformer learns
nothing from ``X``. A fitted encoder pickles and saves with
``joblib.dump`` for every family (its model as a checkpoint reference or config + weights: ``genaug.models.pickling``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from genaug.models.base import GenerativeModel
from genaug.models.io import load
from genaug.sklearn.image_rows import read_rows


class LatentEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Map images to a genaug model's latent features (N × latent_dim for ae and cvae).

    Parameters
    ----------
    model : str, Path or GenerativeModel
        A checkpoint directory (loaded in ``fit``, on ``device``) or a loaded model (used where it is).
    image_shape : tuple or None
        For flat N×D rows only: (H, W) for grayscale, (H, W, C) or (C, H, W) for how each row was flattened.
    batch_size : int
        Images encoded at once.
    device : str
        Where a checkpoint directory's model is loaded: "cpu", "cuda", "cuda:1", "mps".

    Images of another size or channel count than the model's are resized and converted, as everywhere in
    genaug's model inputs; pixels are uint8/integers in 0..255 or floats in [0, 1] or [0, 255].
    """

    def __init__(
        self,
        model: str | Path | GenerativeModel,
        image_shape: Sequence[int] | None = None,
        batch_size: int = 256,
        device: str = "cpu",
    ):
        self.model = model
        self.image_shape = image_shape
        self.batch_size = batch_size
        self.device = device

    def fit(self, X: np.ndarray | None = None, y: np.ndarray | None = None) -> LatentEncoder:  # noqa: N803
        """Load the model (``X`` and ``y`` are not needed; ``X`` is checked when given)."""
        if isinstance(self.model, GenerativeModel):
            model = self.model
        elif isinstance(self.model, (str, Path)):
            model = load(self.model, device=self.device)
        else:
            raise TypeError(
                f"model must be a checkpoint directory (str or Path) or a loaded genaug model, "
                f"got {type(self.model).__name__}"
            )
        self.model_ = model
        self._n_features_out = int(model.latent_features(torch.zeros(1, *model.image_shape)).shape[1])
        if X is not None:
            read_rows(np.asarray(X), self.image_shape)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """Latent features of the images in ``X``: float32, N × n_features."""
        check_is_fitted(self, "model_")
        images, _ = read_rows(np.asarray(X), self.image_shape)
        features = self.model_.latent_features(images, batch_size=self.batch_size)
        return features.cpu().numpy()
