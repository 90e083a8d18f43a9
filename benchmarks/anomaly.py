"""One-class anomaly detection on MNIST-5k with ``model.anomaly_score``, for the ae, cvae and diffusion families.

Protocol: MNIST-5k (500 real digits per class) is split 80/20, stratified, seed 0. For each digit d, a model is
trained on the ~400 training images of d only (a one-class ImageSet), then scores all 1,000 test images (100 of
d, 900 of other digits); the ROC-AUC of "is not d" against the score (scikit-learn ``roc_auc_score``) is
reported per digit, with the mean. ae scores are reconstruction errors, cvae scores negative ELBOs, diffusion scores
the denoising error over noise levels under the normal class.

    python -m benchmarks.anomaly                        # 10 digits x 3 families, 600 steps each
    python -m benchmarks.anomaly families=diffusion     # one family's rows (the others' are kept)
    python -m benchmarks.anomaly steps=300 digits=0,1   # a quick look

Each finished (family, digit) row is written at once to benchmarks/results/anomaly.{json,md}; running the same
command again skips finished rows and resumes unfinished trainings (runs in benchmarks/results/anomaly_runs/).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

import genaug
from benchmarks.report import RESULTS, previous_report, write_rows
from genaug.bench.machine import describe_machine
from genaug.data import ImageSet, load, train_test_split

WORK = RESULTS / "anomaly_runs"

# family -> what its anomaly_score measures here
SCORES = {
    "ae": "reconstruction error",
    "cvae": "negative ELBO ({samples} z draw(s) per image)",
    "diffusion": "denoising error over noise levels, under the normal class",
}

# Published one-class MNIST ROC-AUCs (%) per normal digit, full MNIST (~6,000 training images of the digit, all
# 10,000 test images), from Ruff et al., "Deep One-Class Classification", ICML 2018, Table 1: DCAE is a deep
# convolutional autoencoder scored by reconstruction error (the counterpart of our ae); one-class Deep SVDD is
# their method. Their inputs were preprocessed (global contrast normalisation, min-max scaling) and about 1% of
# other digits were not mixed in. The values were transcribed without access to the paper here: check them
# against Table 1 before quoting them elsewhere.
REFERENCES = {
    "DCAE (Ruff et al. 2018)": [97.6, 98.3, 85.4, 86.7, 86.5, 78.2, 94.6, 92.3, 86.5, 90.4],
    "one-class Deep SVDD (Ruff et al. 2018)": [98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5],
}


@dataclass
class Settings:
    """What the benchmark trains; every field can be set on the command line as key=value."""

    steps: int = 600  # training steps per model
    base_width: int = 8  # a quarter of the families' default (32): 20 trainings fit a 2-core CPU budget
    batch_size: int = 32
    families: list[str] = field(default_factory=lambda: list(SCORES))
    digits: list[int] = field(default_factory=lambda: list(range(10)))
    samples: int = 1  # z draws per image in the cvae's negative ELBO
    threads: int = 2  # torch CPU threads
    seed: int = 0

    @classmethod
    def from_argv(cls, argv: list[str]) -> Settings:
        values = {}
        for arg in argv:
            key, _, value = arg.partition("=")
            if key not in {f.name for f in dataclasses.fields(cls)}:
                raise SystemExit(f"unknown setting {key!r}; valid: {[f.name for f in dataclasses.fields(cls)]}")
            values[key] = value.strip("[]").split(",") if key in ("families", "digits") else int(value)
        if "digits" in values:
            values["digits"] = [int(d) for d in values["digits"]]
        return cls(**values)

    def key(self, family: str, digit: int) -> dict:
        """What identifies a result row: rows of other settings are kept in the JSON but not re-used."""
        return {"family": family, "digit": digit, "steps": self.steps, "base_width": self.base_width}


def one_class(data: ImageSet, digit: int) -> ImageSet:
    """The images of ``digit`` as a one-class set (class name = the digit)."""
    members = data.labels == digit
    return ImageSet(data.images[members], torch.zeros(int(members.sum()), dtype=torch.int64), [str(digit)])


def run_one(settings: Settings, family: str, digit: int, train: ImageSet, test: ImageSet) -> dict:
    normal = one_class(train, digit)
    out = WORK / f"{family}-w{settings.base_width}-s{settings.steps}" / f"digit{digit}"
    start = time.perf_counter()
    model = genaug.fit(
        normal,
        family=family,
        steps=settings.steps,
        out=out,
        seed=settings.seed,
        batch_size=settings.batch_size,
        base_width=settings.base_width,
        resume=True,
        progress=False,
        tensorboard=False,
        sample_every=settings.steps,
        checkpoint_every=max(100, settings.steps // 4),
    )
    train_time = time.perf_counter() - start
    options = {
        "ae": {},
        "cvae": {"samples": settings.samples, "seed": settings.seed},
        "diffusion": {"labels": 0, "seed": settings.seed},  # every image claims the normal class
    }[family]
    scores = model.anomaly_score(test.images, **options).cpu().numpy()
    auc = roc_auc_score((test.labels != digit).numpy(), scores)
    return {
        **settings.key(family, digit),
        "train_images": len(normal),
        "roc_auc": round(float(auc), 4),
        "train_time_s": round(train_time, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),  # > cores means other work shared the CPU
    }


def markdown(settings: Settings, rows: list[dict], command: str, machine: str) -> str:
    """The results table: one row per digit, one column per family, then the published references."""
    mine = {(r["family"], r["digit"]): r["roc_auc"] * 100 for r in rows if _matches(settings, r)}
    families = [f for f in SCORES if f in settings.families or any(family == f for family, _ in mine)]
    header = ["digit", *[f"genaug {f} (MNIST-5k, {settings.steps} steps)" for f in families], *REFERENCES]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for digit in range(10):
        cells = [f"{mine[(f, digit)]:.1f}" if (f, digit) in mine else "–" for f in families]
        lines.append(f"| {digit} | " + " | ".join(cells + [f"{v[digit]:.1f}" for v in REFERENCES.values()]) + " |")
    means = [
        f"**{np.mean([mine[(f, d)] for d in range(10)]):.1f}**" if all((f, d) in mine for d in range(10)) else "–"
        for f in families
    ]
    lines.append("| mean | " + " | ".join(means + [f"**{np.mean(v):.1f}**" for v in REFERENCES.values()]) + " |")
    return (
        "## One-class anomaly detection on MNIST-5k (ROC-AUC, %)\n\n"
        f"Command: `{command}`  \nMachine: {machine}\n\n"
        "Train on the ~400 MNIST-5k training images of one digit; score the 1,000 test images (100 of that digit, "
        "900 others); ROC-AUC of the score for 'not that digit'. "
        + "; ".join(f"{f}: {SCORES[f].format(samples=settings.samples)}" for f in families)
        + ". Models: the families' defaults with base_width="
        f"{settings.base_width}, {settings.steps} steps of batch {settings.batch_size}, seed {settings.seed}.\n\n"
        + "\n".join(lines)
        + "\n\nThe reference columns use full MNIST (~6,000 training images per digit, 10,000 test images) and "
        "other preprocessing, so they are a guide, not a like-for-like comparison. They are transcribed from "
        "Ruff et al., *Deep One-Class Classification*, ICML 2018, Table 1 (means over 10 seeds): check them "
        "against the paper before quoting.\n"
    )


def _matches(settings: Settings, row: dict) -> bool:
    return {k: row[k] for k in ("steps", "base_width")} == {"steps": settings.steps, "base_width": settings.base_width}


def main(argv: list[str]) -> None:
    settings = Settings.from_argv(argv)
    torch.set_num_threads(settings.threads)
    command = "python -m benchmarks.anomaly " + " ".join(argv)
    machine = describe_machine(settings.threads)
    rows = previous_report("anomaly").get("rows", [])
    done = {(r["family"], r["digit"]) for r in rows if _matches(settings, r)}
    todo = [(f, d) for f in settings.families for d in settings.digits if (f, d) not in done]
    train, test = train_test_split(load("mnist5k"), test_size=0.2, seed=0)
    for family, digit in tqdm(todo, desc="one-class models", unit="model"):
        row = run_one(settings, family, digit, train, test)
        rows.append(row)
        tqdm.write(str(row))
        write_rows("anomaly", rows, command, machine, settings, markdown(settings, rows, command, machine))
    print(markdown(settings, rows, command, machine))


if __name__ == "__main__":
    main(sys.argv[1:])
