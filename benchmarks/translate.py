"""How well each family's ``translate`` changes an image's class and keeps the rest of it (issue 20: the diffusion
family's, beside the cvae's and the ae's).

Protocol (``benchmarks.small_data``'s splits and judges): each family trains with its shipped recipe, for ``steps``
steps, on N images per class of MNIST-5k's pool (the same subset for every family), then translates
``images_per_class`` images per class of the validation split (which no generator and no judge saw), each to
another class drawn at random. The judges, trained on the reference split, score each translation:

- target fidelity: share of translations the reference CNN (and, independently, the RBF-SVM on pixels) assigns
  the target class;
- source kept: share the reference CNN still assigns the image's own class (the edit did not take);
- change: mean pixel distance from each image to its translation, over the mean distance from each image to a
  random validation image of its target class (0: the image unchanged; about 1: as far from it as an unrelated
  image of the target class). A good translation has high target fidelity at a low change.

The diffusion family runs at several noise levels (``strengths``; 1.0 replaces the image by noise: a fresh sample
of the target class, the reference for "unrelated"); the cvae and the ae have no strength (the ae is given each
image's true class, which its translate would otherwise guess).

    python -m benchmarks.translate
    python -m benchmarks.translate families=diffusion strengths=0.5,0.7

Writes benchmarks/results/translate.{md,json} after every row; a rerun with the same settings resumes. The
generators are kept in benchmarks/results/translate_runs/ (not published); the diffusion model at N = 20, seed 0,
600 steps is the one ``benchmarks.small_data`` trained, when its directory is there.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from benchmarks.report import RESULTS, previous_rows, write_rows
from benchmarks.small_data import Judges, budget_split, train_judges, train_recipe
from benchmarks.small_data import Settings as SmallDataSettings
from genaug import load as load_model
from genaug.bench.machine import describe_machine
from genaug.data import ImageSet
from genaug.metrics import predict, svm_label_fidelity
from genaug.metrics.classifier import as_float
from genaug.models.base import GenerativeModel


@dataclass
class Settings:
    families: list[str] = field(default_factory=lambda: ["diffusion", "cvae", "ae"])
    strengths: list[float] = field(default_factory=lambda: [0.5, 0.7, 0.9, 1.0])  # the diffusion family's
    per_class: int = 20  # the generators' budget (images per class of the pool)
    seed: int = 0  # the subset's, the generators' and the target classes' seed
    steps: int = 600  # training steps of every generator
    images_per_class: int = 50  # validation images translated per class

    @classmethod
    def from_argv(cls, argv: list[str]) -> Settings:
        options = dict(arg.split("=", 1) for arg in argv)
        settings = cls()
        if "families" in options:
            settings.families = options.pop("families").split(",")
        if "strengths" in options:
            settings.strengths = [float(s) for s in options.pop("strengths").split(",")]
        for name in ("per_class", "seed", "steps", "images_per_class"):
            if name in options:
                setattr(settings, name, int(options.pop(name)))
        if options:
            raise ValueError(f"unknown option(s) {sorted(options)}; valid: {sorted(vars(settings))}")
        unknown = sorted(set(settings.families) - {"diffusion", "cvae", "ae"})
        if unknown:
            raise ValueError(f"unknown families {unknown}: the families with translate are diffusion, cvae and ae")
        return settings


def generator(family: str, train: ImageSet, settings: Settings) -> GenerativeModel:
    """``family``'s model for this subset: the one trained before (here, or by benchmarks.small_data for the
    diffusion family), else trained now with the shipped recipe."""
    small_data = RESULTS / "diffusion_small_data_runs" / f"n{settings.per_class}-seed{settings.seed}" / "baseline"
    work = RESULTS / "translate_runs" / f"n{settings.per_class}-seed{settings.seed}-steps{settings.steps}" / family
    for kept in ([small_data] if family == "diffusion" and settings.steps == 600 else []) + [work]:
        if (kept / "weights.safetensors").is_file():
            return load_model(kept)
    overrides = [f"trainer.seed={settings.seed}", f"trainer.steps={settings.steps}"]
    return train_recipe(family, overrides, train, work)[0]


def queries(validation: ImageSet, settings: Settings) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The images to translate (the first ``images_per_class`` of each class), their classes, their random target
    classes (never their own) and, per image, a random validation image of its target class."""
    generator = torch.Generator().manual_seed(settings.seed)
    k = validation.num_classes
    chosen = torch.cat([torch.nonzero(validation.labels == c).flatten()[: settings.images_per_class] for c in range(k)])
    labels = validation.labels[chosen]
    targets = (labels + torch.randint(1, k, (len(labels),), generator=generator)) % k
    unrelated = torch.stack(
        [
            members[torch.randint(len(members), (), generator=generator)]
            for members in (torch.nonzero(validation.labels == t).flatten() for t in targets.tolist())
        ]
    )
    return as_float(validation.images[chosen]), labels, targets, as_float(validation.images[unrelated])


def scores(
    translated: torch.Tensor,
    images: torch.Tensor,
    labels: torch.Tensor,
    targets: torch.Tensor,
    unrelated: torch.Tensor,
    judges: Judges,
) -> dict[str, float]:
    """Target fidelity (CNN, SVM), source kept and change of one family's translations (see the module's text)."""
    predicted = predict(judges.cnn, translated)
    distance = (translated - images).flatten(1).norm(dim=1).mean()
    baseline = (unrelated - images).flatten(1).norm(dim=1).mean()
    return {
        "target_fidelity": float((predicted == targets).float().mean()),
        "svm_target_fidelity": svm_label_fidelity(judges.svm, translated, targets),
        "source_kept": float((predicted == labels).float().mean()),
        "change": float(distance / baseline),
    }


def markdown(rows: list[dict[str, Any]], command: str, machine: str, settings: Settings, own: dict) -> str:
    lines = [
        "| family | strength | target fidelity (%) | SVM target fidelity (%) | source kept (%) | change | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        strength = "" if row["strength"] is None else f"{row['strength']:g}"
        lines.append(
            f"| {row['family']} | {strength} | {row['target_fidelity'] * 100:.1f} | "
            f"{row['svm_target_fidelity'] * 100:.1f} | {row['source_kept'] * 100:.1f} | {row['change']:.2f} | "
            f"{row['seconds']} |"
        )
    return (
        f"Command: `{command}`  \nMachine: {machine}  \n"
        f"Generators: each family's shipped recipe, {settings.steps} steps, on {settings.per_class} MNIST-5k images "
        f"per class (benchmarks.small_data's pool, seed {settings.seed}). Translated: {settings.images_per_class} "
        "validation images per class, each to a random other class. Judges (trained on the reference split): "
        f"reference CNN {own['reference_cnn']:.1%}, RBF-SVM {own['svm']:.1%} on the validation split. Change: mean "
        "pixel distance to the image over the mean distance to a random validation image of the target class.\n\n"
        + "\n".join(lines)
        + "\n"
    )


def main(argv: list[str]) -> None:
    settings = Settings.from_argv(argv)
    command = "python -m benchmarks.translate " + " ".join(argv)
    machine = describe_machine()
    rows = previous_rows("translate", settings, selectors=("families", "strengths"))
    protocol = train_judges(SmallDataSettings())
    judges, own = protocol.judges, protocol.judge_accuracy
    train, _ = budget_split(protocol.pool, protocol.outside_validation, settings.per_class, settings.seed)
    images, labels, targets, unrelated = queries(judges.validation, settings)
    for family in settings.families:
        model = None
        for strength in settings.strengths if family == "diffusion" else [None]:
            if any((r["family"], r["strength"]) == (family, strength) for r in rows):
                continue
            model = model or generator(family, train, settings)
            options = {"strength": strength, "seed": settings.seed} if strength is not None else {}
            if family == "ae":  # it moves each code from its class's mean to the target's: give the true class
                options["source_labels"] = labels
            start = time.perf_counter()
            translated = model.translate(images, targets, **options).cpu()
            seconds = round(time.perf_counter() - start, 1)
            measured = scores(translated, images, labels, targets, unrelated, judges)
            row = {"family": family, "strength": strength, **{k: round(v, 5) for k, v in measured.items()}}
            rows.append({**row, "seconds": seconds})
            print(row, flush=True)
            write_rows("translate", rows, command, machine, settings, markdown(rows, command, machine, settings, own))
    print(markdown(rows, command, machine, settings, own))


if __name__ == "__main__":
    main(sys.argv[1:])
