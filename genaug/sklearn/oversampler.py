"""GenerativeOversampler: imbalanced-learn's ``fit_resample`` contract for image arrays, with the new rows drawn
from a class-conditional generative model trained on ``X, y``."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

from genaug.checks import check_int
from genaug.data.imageset import ImageSet
from genaug.data.pixels import as_numpy
from genaug.models.base import GenerativeModel
from genaug.models.registry import get_family
from genaug.sklearn.image_rows import read_rows, write_rows
from genaug.sklearn.sampling_strategy import SamplingStrategy, over_sampling_targets
from genaug.train.fit import fit

# genaug.fit arguments the oversampler sets itself, and why a user cannot pass them through fit_kwargs
RESERVED_FIT_KWARGS = {
    "data": "the data are the X, y given to fit_resample",
    "seed": "pass random_state instead",
    "image_size": "synthetic rows must match X's own image size; resize X first",
    "channels": "synthetic rows must match X's own channels; convert X first",
}


class GenerativeOversampler(BaseEstimator):
    """Adds synthetic images to under-represented classes, like imbalanced-learn's over-samplers (SMOTE, ...).

    ``fit_resample(X, y)`` trains a ``family`` model ("cvae", "cgan" or "ae") on all of ``X, y`` with
    ``genaug.fit(**fit_kwargs)`` (e.g. ``steps``, ``batch_size``, ``latent_dim``, ``progress``), samples the
    rows each class needs, and returns ``X_res, y_res``: the original rows first, unchanged, then the
    synthetic rows, class by class in sorted label order.

    X is one row per image: flat N×D (pass ``image_shape`` = (H, W), (H, W, C) or (C, H, W), the shape each
    row was flattened from), N×H×W, N×H×W×C or N×C×H×W. The new rows have X's layout and dtype: uint8 stays
    uint8, other integers in 0..255 are rounded, floats keep their range ([0, 1], or [0, 255] when X's
    largest value exceeds 1). y may hold any labels (ints, strings); y_res keeps their dtype.

    ``sampling_strategy`` has imbalanced-learn's meanings (see ``genaug.sklearn.sampling_strategy``): "auto"
    ("not majority"), "minority", "not minority", "all", a float for binary problems, a dict {class: count}
    or a callable returning one. The same ``random_state`` (an int) gives the same model and rows; None draws
    a fresh seed, kept as ``seed_``. The run goes to a temporary directory, deleted afterwards, unless
    ``out`` names a directory to keep it in (an existing run there needs ``overwrite=True``).

    After ``fit_resample``: ``model_`` (the trained GenerativeModel; None when no class needed rows, in which
    case nothing is trained), ``sampling_strategy_`` ({class: rows added}) and ``seed_``.
    Works as a step of an imbalanced-learn ``Pipeline`` (resampling happens during ``fit`` only). A fitted
    oversampler pickles and saves with ``joblib.dump``: ``model_`` travels as its config and weights (or as a
    reference to ``out``'s checkpoint), see ``genaug.models.pickling``.
    """

    def __init__(
        self,
        family: str = "cvae",
        sampling_strategy: SamplingStrategy = "auto",
        image_shape: Sequence[int] | None = None,
        random_state: int | None = None,
        out: str | Path | None = None,
        **fit_kwargs: Any,
    ):
        self.family = family
        self.sampling_strategy = sampling_strategy
        self.image_shape = image_shape
        self.random_state = random_state
        self.out = out
        self.fit_kwargs = fit_kwargs
        self._check_params()

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, ``fit_kwargs`` included (so ``sklearn.base.clone`` keeps them)."""
        return {**super().get_params(deep=deep), **self.fit_kwargs}

    def set_params(self, **params: Any) -> GenerativeOversampler:
        """Set constructor arguments; names that are not the oversampler's own go to ``fit_kwargs``."""
        own = set(self._get_param_names())
        self.fit_kwargs.update({k: v for k, v in params.items() if k not in own})
        super().set_params(**{k: v for k, v in params.items() if k in own})
        self._check_params()
        return self

    def fit_resample(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Train the model on ``X, y`` and return ``(X_res, y_res)``: the originals, then the synthetic rows."""
        self._check_params()
        x, labels = as_numpy(X), as_numpy(y)
        images, row_format = read_rows(x, self.image_shape)
        if labels.ndim != 1:
            raise ValueError(f"y must be 1-D with one label per row of X, got shape {labels.shape}")
        if len(labels) != len(x):
            raise ValueError(f"X has {len(x)} rows but y has {len(labels)} labels; they must match one to one")
        self.sampling_strategy_ = over_sampling_targets(self.sampling_strategy, labels)
        self.seed_ = int(self.random_state) if self.random_state is not None else secrets.randbits(63)
        classes, codes = np.unique(labels, return_inverse=True)
        index = {label: k for k, label in enumerate(classes.tolist())}
        wanted = self.sampling_strategy_
        new_codes = np.repeat(np.array([index[label] for label in wanted], dtype=np.int64), list(wanted.values()))
        if len(new_codes) == 0:
            self.model_ = None
            return x.copy(), labels.copy()
        data = ImageSet(
            images, torch.from_numpy(codes.astype(np.int64)), [str(c) for c in classes], "X of fit_resample"
        )
        self.model_ = self._train(data)
        synthetic = self.model_.sample(len(new_codes), labels=torch.from_numpy(new_codes), seed=self.seed_)
        return np.concatenate([x, write_rows(synthetic, row_format)]), np.concatenate([labels, classes[new_codes]])

    def _train(self, data: ImageSet) -> GenerativeModel:
        options = {"family": self.family, "seed": self.seed_, **self.fit_kwargs}
        if self.out is not None:
            return fit(data, out=self.out, **options)
        with tempfile.TemporaryDirectory(prefix="genaug-oversampler-") as run_dir:
            model = fit(data, out=run_dir, **options)
        model.checkpoint_dir = model.weights_sha256 = None  # the run directory is gone: pickles carry the weights
        return model

    def _check_params(self) -> None:
        get_family(self.family)
        reserved = sorted(set(self.fit_kwargs) & set(RESERVED_FIT_KWARGS))
        if reserved:
            name = reserved[0]
            raise ValueError(f"GenerativeOversampler does not take {name}= ({RESERVED_FIT_KWARGS[name]})")
        if self.random_state is not None:
            check_int("random_state", self.random_state, minimum=0, note="or None: a fresh seed")
