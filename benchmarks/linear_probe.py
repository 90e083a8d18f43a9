"""Linear-probe accuracy of ``genaug.sklearn.LatentEncoder`` features on MNIST-5k, against raw pixels and PCA.

Protocol: MNIST-5k split 80/20, stratified, seed 0. The ae and cvae are trained (without labels mattering for
the encoder: the cvae's encoder never sees them) on the 4,000 training images; PCA is fitted on the same images
with as many components as the latent codes. A logistic regression (standardised inputs) is then trained on
each representation with all 4,000 training labels, and with only 10 labels per class, and tested on the 1,000
test images.

    python -m benchmarks.linear_probe                  # ae + cvae, 1000 steps each
    python -m benchmarks.linear_probe steps=200        # a quick look
    python -m benchmarks.linear_probe families=diffusion   # adds the diffusion row to the table

Rows are written to benchmarks/results/linear_probe.{json,md} as they finish; a re-run skips finished rows and
resumes unfinished trainings (runs in benchmarks/results/linear_probe_runs/).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import genaug
from benchmarks.report import RESULTS, previous_rows, write_rows
from genaug.bench.machine import describe_machine
from genaug.data import ImageSet, load, per_class_subset, train_test_split
from genaug.models.registry import get_family
from genaug.sklearn.latent import LatentEncoder

WORK = RESULTS / "linear_probe_runs"
FEW_LABELS = 10  # labelled images per class in the few-label probe


@dataclass
class Settings:
    """What the benchmark trains; every field can be set on the command line as key=value."""

    steps: int = 1000  # training steps of each encoder
    base_width: int = 16
    latent_dim: int = 16  # also the number of PCA components
    batch_size: int = 64
    families: list[str] = field(default_factory=lambda: ["ae", "cvae"])
    threads: int = 2  # torch CPU threads
    seed: int = 0

    @classmethod
    def from_argv(cls, argv: list[str]) -> Settings:
        names = [f.name for f in dataclasses.fields(cls)]
        values: dict = {}
        for arg in argv:
            key, _, value = arg.partition("=")
            if key not in names:
                raise SystemExit(f"unknown setting {key!r}; valid: {names}")
            values[key] = value.strip("[]").split(",") if key == "families" else int(value)
        return cls(**values)


def probe(features: Callable[[np.ndarray], np.ndarray], labelled: ImageSet, test: ImageSet) -> float:
    """Test accuracy of a standardised logistic regression on ``features`` of the ``labelled`` images."""
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    classifier.fit(features(labelled.images[:, 0].numpy()), labelled.labels.numpy())
    return float(classifier.score(features(test.images[:, 0].numpy()), test.labels.numpy()))


def representations(settings: Settings, train) -> dict[str, tuple[int, Callable[[np.ndarray], np.ndarray]]]:
    """name -> (dimension, function from uint8 N×28×28 images to features), each fitted on the training images."""
    x = train.images[:, 0].numpy()
    flat = x.reshape(len(x), -1) / 255.0
    pca = PCA(settings.latent_dim, random_state=settings.seed).fit(flat)
    found = {
        "raw pixels": (flat.shape[1], lambda images: images.reshape(len(images), -1) / 255.0),
        f"PCA ({settings.latent_dim} components)": (
            settings.latent_dim,
            lambda images: pca.transform(images.reshape(len(images), -1) / 255.0),
        ),
    }
    for family in settings.families:
        out = WORK / f"{family}-w{settings.base_width}-d{settings.latent_dim}-s{settings.steps}"
        # the sizes a family has: the diffusion U-Net has no code size (its features are its bottleneck channels)
        sizes = {"base_width": settings.base_width, "latent_dim": settings.latent_dim}
        fields = {f.name for f in dataclasses.fields(get_family(family).config_class)}
        start = time.perf_counter()
        genaug.fit(
            train,
            family=family,
            steps=settings.steps,
            out=out,
            seed=settings.seed,
            batch_size=settings.batch_size,
            resume=True,
            tensorboard=False,
            sample_every=settings.steps,
            **{name: value for name, value in sizes.items() if name in fields},
        )
        print(f"{family}: trained in {time.perf_counter() - start:.0f} s ({out})", flush=True)
        encoder = LatentEncoder(str(out)).fit()
        dimension = encoder.get_feature_names_out().shape[0]
        found[f"LatentEncoder({family}, {settings.steps} steps)"] = (dimension, encoder.transform)
    return found


def markdown(rows: list[dict], command: str, machine: str, settings: Settings) -> str:
    lines = [
        f"| features | dimension | accuracy, all 4,000 labels | accuracy, {FEW_LABELS} labels per class |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['features']} | {r['dimension']} | {r['accuracy_all']:.1%} | {r['accuracy_few']:.1%} |" for r in rows
    ]
    return (
        "## Linear probe on MNIST-5k (test accuracy of a logistic regression)\n\n"
        f"Command: `{command}`  \nMachine: {machine}\n\n"
        "Encoders and PCA are fitted on the 4,000 training images; a standardised logistic regression is trained "
        f"on each representation with all training labels or with {FEW_LABELS} per class, and tested on the 1,000 "
        f"test images. Encoders: the families' defaults with base_width={settings.base_width}, "
        f"latent_dim={settings.latent_dim}, {settings.steps} steps of batch {settings.batch_size}, "
        f"seed {settings.seed}.\n\n" + "\n".join(lines) + "\n\n"
        "The cvae's code is meant to carry style, not class: its decoder is given the label and beta > 1 pushes "
        "class information out of z, which is what lets `translate` change the class and keep the style. Its "
        "features are therefore a poor input for a class probe; use an ae as a feature extractor. The diffusion "
        "model's features are its U-Net's bottleneck averaged over positions, for the clean image without a class "
        "(its width, not latent_dim, sets their dimension); unlike the ae's and cvae's encoders it trains with the "
        "labels (all but the 10% it drops for guidance), so its few-label probe has seen every training label.\n"
    )


def main(argv: list[str]) -> None:
    settings = Settings.from_argv(argv)
    torch.set_num_threads(settings.threads)
    command = "python -m benchmarks.linear_probe " + " ".join(argv)
    machine = describe_machine(settings.threads)
    rows = previous_rows("linear_probe", settings, selectors=("families",))  # families only choose rows
    train, test = train_test_split(load("mnist5k"), test_size=0.2, seed=0)
    few = per_class_subset(train, FEW_LABELS, seed=settings.seed)
    for name, (dimension, features) in representations(settings, train).items():
        if any(r["features"] == name for r in rows):
            continue
        row = {
            "features": name,
            "dimension": dimension,
            "accuracy_all": round(probe(features, train, test), 4),
            "accuracy_few": round(probe(features, few, test), 4),
        }
        rows.append(row)
        print(row, flush=True)
        write_rows("linear_probe", rows, command, machine, settings, markdown(rows, command, machine, settings))
    print(markdown(rows, command, machine, settings))


if __name__ == "__main__":
    main(sys.argv[1:])
