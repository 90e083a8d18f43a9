"""genaug.fit: train a model family on a data set in one call."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from genaug.data import StreamingData, load
from genaug.models.base import GenerativeModel
from genaug.models.registry import get_family
from genaug.train.config import TrainerConfig
from genaug.train.trainer import Trainer


def fit(
    data: Any,
    family: str = "ae",
    image_size: int | tuple[int, int] | None = None,
    steps: int | None = None,
    out: str | Path = "runs/genaug",
    seed: int | None = None,
    channels: int | None = None,
    unlabelled: Any = None,
    **options: Any,
) -> GenerativeModel:
    """Train a ``family`` model ("ae", "cvae", "cgan" or "diffusion") on ``data`` and save it in ``out``.

    The default family is the autoencoder: on the published benchmark (README, Benchmarks) it is the family
    whose synthetic data helped a downstream classifier at 10 to 100 labelled images per class (perturbing real
    images through it, filtered, on top of classical augmentation), and it trains fastest; the cgan lowered
    accuracy at those budgets when it trained 1,000 steps (its schedule now gives it 2,500 or more, at a higher
    learning rate).

    ``data`` is anything ``genaug.data.load`` accepts (a built-in name, a folder, an .npz, arrays, a Dataset
    or an ImageSet); ``image_size``/``channels`` set the working size and channel count. ``unlabelled``: more
    images without labels, in any form ``data`` may take; they are brought to ``data``'s size and channel count
    (load's rules), and the family learns from them too (its docstring says how; Trainer says how batches mix
    them); labels on them are ignored with a warning, and an empty set trains on ``data`` alone with a warning.
    ``steps`` and ``seed`` default to TrainerConfig's. ``options`` are trainer settings (``batch_size``,
    ``device``, ``resume``, ... see TrainerConfig) or the family's hyper-parameters (e.g. ``latent_dim``); an
    unknown name raises a ValueError listing both.
    """
    spec = get_family(family)
    trainer_keys = {f.name for f in dataclasses.fields(TrainerConfig)}
    model_keys = {f.name for f in dataclasses.fields(spec.config_class)}
    unknown = sorted(set(options) - trainer_keys - model_keys)
    if unknown:
        raise ValueError(
            f"unknown option(s) {unknown} for genaug.fit; trainer options: {sorted(trainer_keys)}; "
            f"{family} hyper-parameters: {sorted(model_keys)}"
        )
    trainer_options = {k: v for k, v in {"steps": steps, "seed": seed}.items() if v is not None}
    trainer_config = TrainerConfig(**trainer_options, **{k: v for k, v in options.items() if k in trainer_keys})
    model_config = spec.config_class(**{k: v for k, v in options.items() if k in model_keys})
    images = data if isinstance(data, StreamingData) else load(data, image_size=image_size, channels=channels)
    return Trainer(trainer_config, out).fit(images, model_config, unlabelled)
