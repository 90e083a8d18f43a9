"""Generators on small data (issues 19 and 20): a family's targets on MNIST-5k subsets of N images per class, and
which of its variants (Hydra overrides of its shipped recipe; for the cgan: adaptive discriminator augmentation
(ADA), LeCam regularisation, a discriminator sized to the data) help, chosen on a validation split.

Protocol: MNIST-5k is split (stratified, seed 0) into a reference split (40%), a pool (30%) and a validation split
(30%). A reference CNN (``genaug.metrics``) and an RBF-SVM on raw pixels train on the reference split only. For
each N and seed, N images per class are drawn from the pool; every variant's generator trains on them (the family's
shipped ``model=<family>`` recipe plus the variant's overrides) and is scored against the validation split, which no
generator and no judge saw (variant +unlabelled also trains on the rest of the pool, labels hidden). The issues'
N = 500, "all of MNIST-5k", is more than the pool holds: that budget trains on every image outside the validation
split (3,500, the reference split too), with no unlabelled rest.
The diffusion family's sampling variants (solver steps, guidance) sample the baseline's generator of each subset and
seed with other default options: what each costs or buys in fidelity, recall and memorisation, chosen on validation.

``data=photos`` runs the same protocol on the RGB photograph patches (issue 19's RGB check; no targets there): the
pool is ``photos-train``, and ``photos-reference`` (cut from other regions of the photographs) is split in two
halves (stratified, seed 0), the judges' and the validation split; ``photos-test`` is never used.

- label fidelity: share of samples the reference CNN, and independently the SVM, assigns the class they were
  conditioned on;
- recall, memorised fraction: ``genaug.metrics.generator_quality`` (reference-CNN features, vs validation);
- synthetic-only / real-only: accuracy of a small CNN trained on synthetic images only, over one trained on the
  N real images per class, both tested on the validation split.

    python -m benchmarks.small_data                     # cgan: its target budgets, seeds 0-2, every variant
    python -m benchmarks.small_data family=diffusion per_class=20 seeds=3
    python -m benchmarks.small_data family=diffusion per_class=20 seeds=3 "variants=5 steps,10 steps,guidance 1"
    python -m benchmarks.small_data per_class=10 seeds=1 variants=baseline,+ada steps=200
    python -m benchmarks.small_data data=photos per_class=20 seeds=3 variants=baseline report=cgan_photos
    python -m benchmarks.small_data per_class=10 seeds=1 variants=baseline scored_at=3000,4500 \
        overrides=trainer.precision=bf16,trainer.channels_last=true report=cgan_fast

``scored_at=`` scores each generator at earlier step counts too (one run, resumed exactly to each), to see what
training length buys; ``overrides=`` adds Hydra overrides to every variant's (here the trainer's CPU speed-ups).

Cost on 2 cores with bf16: a cgan run of the recipe's 2,500 steps (N = 10, 20) takes about 5 minutes, 4,000 (N =
100) about 7, 6,000 (N = 500) about 11 (cgan_speed_x3.md, cgan_speed.md; fp32 about 1.7 times as long), and scoring
adds about a minute, so the cgan's 288 runs (24 variants) take about two days there; ``steps=``, ``variants=`` and
``per_class=`` cut it.

Writes benchmarks/results/<family>_small_data.{md,json} (``report=<name>``: <name>.{md,json}) after every run, and
a sample grid per N and variant (seed 0) in benchmarks/results/<report>/; a rerun resumes, and one with more budgets,
seeds or variants (the other settings the same) keeps the rows already measured.
(The cgan's first grid ran as ``python -m benchmarks.gan_small_data``, this module's name before the diffusion
family joined it.)
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from sklearn.svm import SVC
from torchvision.utils import save_image

from benchmarks.report import RESULTS, previous_rows, write_rows
from benchmarks.train_quality import default_recipe
from genaug import load as load_model
from genaug.bench.machine import describe_machine
from genaug.bench.statistics import mean_ci
from genaug.data import ImageSet, load, per_class_split, train_test_split
from genaug.metrics import SVM_C, accuracy, generator_quality, svm_label_fidelity, train_classifier, train_pixel_svm
from genaug.models.base import GenerativeModel
from genaug.train import Trainer

# family -> variant name -> Hydra overrides of the family's recipe; the first is the baseline (the recipe as shipped)
VARIANTS: dict[str, dict[str, list[str]]] = {
    "cgan": {
        "baseline": [],
        "+ada": ["model.ada_target=0.6"],
        "+ada from p=1": ["model.ada_target=0.6", "model.ada_start_p=1.0"],
        "+lecam": ["model.lecam_weight=0.3"],
        "+ada+lecam": ["model.ada_target=0.6", "model.lecam_weight=0.3"],
        "+auto width": ["model.discriminator_width=auto"],
        "+ada+lecam+auto width": ["model.ada_target=0.6", "model.lecam_weight=0.3", "model.discriminator_width=auto"],
        "+imle": ["model.imle_weight=10.0"],
        "+imle no class loss": ["model.imle_weight=10.0", "model.classifier_weight=0"],
        "+imle 30": ["model.imle_weight=30.0"],
        "translation only": ["model.diffaugment=[translation]"],
        "class loss 0.3": ["model.classifier_weight=0.3"],
        "class loss 0.1": ["model.classifier_weight=0.1"],
        "no class loss": ["model.classifier_weight=0"],
        "no mode seeking": ["model.diversity_weight=0"],
        "+mode seeking": ["model.diversity_weight=1.0"],
        "+mode seeking 0.1": ["model.diversity_weight=0.1"],
        "+mode seeking 0.1 + class loss 0.3": ["model.diversity_weight=0.1", "model.classifier_weight=0.3"],
        "generator width 16": ["model.generator_width=16"],
        "class loss 0.3 + generator width 16": ["model.classifier_weight=0.3", "model.generator_width=16"],
        "batch 32": ["trainer.batch_size=32"],
        "lr x2": ["model.lr_generator=4e-4", "model.lr_discriminator=4e-4"],
        "lr x3": ["model.lr_generator=6e-4", "model.lr_discriminator=6e-4"],
        "+unlabelled": [],
    },
    "diffusion": {
        "baseline": [],
        "+unlabelled": [],
        "5 steps": ["model.sampling_steps=5"],
        "10 steps": ["model.sampling_steps=10"],
        "guidance 1": ["model.guidance=1.0"],
        "guidance 3": ["model.guidance=3.0"],
    },
}
# overrides the shipped recipe has since taken as its defaults: the variants holding them were measured before (the
# reports keep their names), and change nothing now
NOW_DEFAULT = {"model.diversity_weight=0.1", "model.lr_generator=6e-4", "model.lr_discriminator=6e-4"}
# variants that only change the default sampling options: they sample the baseline's generator (trained once per
# subset and seed), so their train time is the baseline's
SAMPLING_VARIANTS = {"5 steps", "10 steps", "guidance 1", "guidance 3"}
# variants that also train on the rest of the pool, labels hidden, as unlabelled images (issue 22)
UNLABELLED_VARIANTS = {"+unlabelled"}
# The issues' largest budget, "all of MNIST-5k": more than the pool holds (about 150 per class), so it trains on
# every image outside the validation split instead (the pool and the reference split: 3,500 images, about 350 per
# class), which leaves no unlabelled rest
ALL_OUTSIDE_VALIDATION = 500
DATA = ("mnist5k", "photos")


@dataclass(frozen=True)
class Target:
    """An issue's targets at one N: each is a floor but the memorised fraction and the train time (s, 2 cores)."""

    label_fidelity: float
    recall: float
    synthetic_over_real: float
    memorised_fraction: float
    train_s: float


# family -> N per class -> the targets (issue 19: cgan, issue 20: diffusion); their Ns are the default budgets
TARGETS: dict[str, dict[int, Target]] = {
    "cgan": {
        10: Target(0.85, 0.30, 0.85, 0.10, 300),
        20: Target(0.90, 0.35, 0.90, 0.10, 300),
        100: Target(0.95, 0.45, 0.93, 0.10, 480),
        500: Target(0.97, 0.55, 0.95, 0.10, 720),
    },
    "diffusion": {
        20: Target(0.95, 0.40, 0.93, 0.15, 480),
        100: Target(0.97, 0.50, 0.96, 0.10, 720),
        500: Target(0.98, 0.60, 0.97, 0.10, 1200),
    },
}
GRID_PER_CLASS = 10  # images per class (a row) in the sample grids
METRICS = ("label_fidelity", "svm_label_fidelity", "recall", "synthetic_over_real", "memorised_fraction", "train_s")


@dataclass
class Settings:
    family: str = "cgan"
    data: str = "mnist5k"  # or "photos" (the module docstring says how each is split)
    per_class: list[int] = field(default_factory=list)  # empty: the budgets of the family's targets
    seeds: int = 3
    variants: list[str] = field(default_factory=list)  # empty: every variant of the family
    steps: int | None = None  # trainer steps (None: the trainer recipe's "auto", the family's schedule)
    overrides: list[str] = field(default_factory=list)  # Hydra overrides added to every variant's (e.g. the
    # trainer's precision), comma-separated on the command line
    scored_at: list[int] = field(default_factory=list)  # earlier step counts each generator is also scored at: one
    # run, resumed exactly from each to the next (rows "<variant> @ <steps> steps"), to see what length buys
    samples_per_class: int = 150  # synthetic images per class scored for fidelity, recall and memorisation
    synthetic_train_per_class: int = 500  # synthetic images per class the synthetic-only classifier trains on
    classifier_steps: int = 1500  # steps of the reference CNN and of the downstream classifiers
    svm_c: float = SVM_C  # the RBF-SVM's C (genaug.metrics.pixel_svm)
    report: str = ""  # writes benchmarks/results/<report>.{md,json}; empty: <family>_small_data

    @classmethod
    def from_argv(cls, argv: list[str]) -> Settings:
        options = dict(arg.split("=", 1) for arg in argv)
        family = options.pop("family", cls.family)
        if family not in VARIANTS:
            raise ValueError(f"unknown family {family!r}; this benchmark knows {sorted(VARIANTS)}")
        data = options.pop("data", cls.data)
        if data not in DATA:
            raise ValueError(f"unknown data {data!r}; this benchmark knows {sorted(DATA)}")
        settings = cls(
            family=family,
            data=data,
            per_class=sorted(TARGETS[family]) if data == cls.data else [],
            variants=list(VARIANTS[family]),
            report=options.pop("report", f"{family}_small_data"),
        )
        if "per_class" in options:
            settings.per_class = [int(n) for n in options.pop("per_class").split(",")]
        if "variants" in options:
            settings.variants = options.pop("variants").split(",")
        unknown = sorted(set(settings.variants) - set(VARIANTS[family]))
        if unknown:
            raise ValueError(f"unknown variant(s) {unknown} of {family}; valid: {list(VARIANTS[family])}")
        for name in ("seeds", "steps", "samples_per_class", "synthetic_train_per_class", "classifier_steps"):
            if name in options:
                setattr(settings, name, int(options.pop(name)))
        if "overrides" in options:
            settings.overrides = options.pop("overrides").split(",")
        if "scored_at" in options:
            settings.scored_at = sorted(int(k) for k in options.pop("scored_at").split(","))
        if settings.scored_at and set(settings.variants) & SAMPLING_VARIANTS:
            raise ValueError("scored_at= scores trained generators at earlier lengths; drop the sampling variants")
        if "svm_c" in options:
            settings.svm_c = float(options.pop("svm_c"))
        if options:
            raise ValueError(f"unknown option(s) {sorted(options)}; valid: {sorted(vars(settings))}")
        if not settings.per_class:
            raise ValueError(f"data={data} has no targets, hence no default budgets: give per_class=N[,N...]")
        return settings


@dataclass
class Judges:
    """What scores a generator, all trained on the reference split only."""

    cnn: torch.nn.Module
    svm: SVC
    validation: ImageSet


def protocol_splits(data_name: str = "mnist5k") -> tuple[ImageSet, ImageSet, ImageSet, ImageSet | None]:
    """The reference split (the judges'), pool (the budgets' subsets), validation split (every score's) and every
    image outside the validation split (the pool and the reference split: MNIST-5k's largest budget's; None for
    the photograph patches, whose pool is every image a generator may train on)."""
    if data_name == "photos":
        reference, validation = train_test_split(load("photos-reference"), test_size=0.5, seed=0)
        pool = load("photos-train")
        return reference, pool, validation, None
    data = load("mnist5k")
    rest, reference = train_test_split(data, test_size=0.4, seed=0)
    pool, validation = train_test_split(rest, test_size=0.5, seed=0)
    outside_validation = ImageSet(
        torch.cat([pool.images, reference.images]),
        torch.cat([pool.labels, reference.labels]),
        data.classes,
        f"{data.source}: the pool and the reference split",
    )
    return reference, pool, validation, outside_validation


@dataclass
class Protocol:
    """What the generators of a run train on and are scored with."""

    judges: Judges
    pool: ImageSet  # the budgets' subsets are drawn from it
    outside_validation: ImageSet | None  # every image outside the validation split (protocol_splits)
    judge_accuracy: dict[str, float]  # the judges' own validation accuracies


def train_judges(settings: Settings) -> Protocol:
    """The judges, trained on the reference split, and the images the generators train on."""
    reference, pool, validation, outside_validation = protocol_splits(settings.data)
    cnn = train_classifier(
        reference.images, reference.labels, reference.num_classes, steps=settings.classifier_steps, seed=0
    )
    svm = train_pixel_svm(reference.images, reference.labels, c=settings.svm_c)
    judges = Judges(cnn, svm, validation)
    own = {
        "reference_cnn": accuracy(cnn, validation.images, validation.labels),
        "svm": svm_label_fidelity(svm, validation.images, validation.labels),
    }
    return Protocol(judges, pool, outside_validation, own)


def budget_split(pool: ImageSet, outside_validation: ImageSet | None, n: int, seed: int) -> tuple[ImageSet, ImageSet]:
    """The generator's training images at budget ``n`` (N per class from the pool; ``ALL_OUTSIDE_VALIDATION``: every
    image outside the validation split) and the rest of the pool, which the +unlabelled variants add."""
    if n == ALL_OUTSIDE_VALIDATION and outside_validation is not None:
        return outside_validation, outside_validation.subset([])
    return per_class_split(pool, n, seed=seed)


def real_only_accuracy(train: ImageSet, judges: Judges, settings: Settings, seed: int) -> float:
    """Validation accuracy of a small CNN trained on the real subset alone (the denominator of the ratio)."""
    net = train_classifier(train.images, train.labels, train.num_classes, steps=settings.classifier_steps, seed=seed)
    return accuracy(net, judges.validation.images, judges.validation.labels)


def score(model: GenerativeModel, train: ImageSet, judges: Judges, settings: Settings, seed: int) -> dict[str, float]:
    """Every metric of one trained generator (real-only accuracy aside)."""
    samples, labels = model.sample_per_class(settings.samples_per_class, seed=1000 + seed)
    quality = generator_quality(judges.cnn, train.images, judges.validation.images, samples, labels, seed=seed)
    synthetic, train_labels = model.sample_per_class(settings.synthetic_train_per_class, seed=2000 + seed)
    net = train_classifier(synthetic, train_labels, model.num_classes, steps=settings.classifier_steps, seed=seed)
    return {
        "label_fidelity": quality["label_fidelity"],
        "svm_label_fidelity": svm_label_fidelity(judges.svm, samples, labels),
        "recall": quality["recall"],
        "coverage": quality["coverage"],
        "memorised_fraction": quality["memorised_fraction"],
        "synthetic_only_accuracy": accuracy(net, judges.validation.images, judges.validation.labels),
    }


def run_variant(
    train: ImageSet, unlabelled: ImageSet, variant: str, settings: Settings, seed: int, work: Path
) -> tuple[GenerativeModel, float]:
    """Train one variant's generator on ``train`` (and ``unlabelled``'s images, if the variant uses them); the model
    and the wall time of its training."""
    *_, (_, model, seconds) = run_lengths(
        train, unlabelled, variant, dataclasses.replace(settings, scored_at=[]), seed, work
    )
    return model, seconds


def run_lengths(
    train: ImageSet, unlabelled: ImageSet, variant: str, settings: Settings, seed: int, work: Path
) -> Iterator[tuple[int | None, GenerativeModel, float]]:
    """Train one variant's generator as ``run_variant`` does, stopping at each of ``settings.scored_at`` on the way:
    (the step count reached, or None at the end; the model; the training's wall time so far) at each stop."""
    base = [*settings.overrides, *VARIANTS[settings.family][variant], f"trainer.seed={seed}"]
    extra = unlabelled if variant in UNLABELLED_VARIANTS else None
    total = 0.0
    for i, steps in enumerate([*settings.scored_at, settings.steps]):
        length = [] if steps is None else [f"trainer.steps={steps}"]
        model, seconds = train_recipe(settings.family, base + length, train, work, extra, resume=i > 0)
        total += seconds
        yield (steps if i < len(settings.scored_at) else None), model, total


def train_recipe(
    family: str,
    overrides: list[str],
    train: ImageSet,
    work: Path,
    unlabelled: ImageSet | None = None,
    resume: bool = False,
) -> tuple[GenerativeModel, float]:
    """``family``'s shipped recipe with Hydra ``overrides``, trained quietly on ``train`` (and ``unlabelled``'s
    images, labels hidden) in ``work``, which it replaces (``resume``: continues the run there to the steps the
    overrides set); the model and the wall time of its training."""
    model_config, trainer_config = default_recipe(family, overrides)
    trainer_config.progress, trainer_config.tensorboard = False, False
    trainer_config.overwrite, trainer_config.resume = not resume, resume
    trainer_config.sample_every = trainer_config.checkpoint_every = 10**9  # one grid and checkpoint, at the end
    hidden = unlabelled.images if unlabelled is not None else None  # a bare tensor: no labels to ignore
    start = time.perf_counter()
    model = Trainer(trainer_config, work).fit(train, model_config, hidden)
    return model, time.perf_counter() - start


def sampling_variant(
    train: ImageSet, variant: str, settings: Settings, seed: int, work: Path, baseline_train_s: float | None
) -> tuple[GenerativeModel, float]:
    """The baseline's generator of this subset and seed (loaded from ``work``/baseline, or trained there first) with
    ``variant``'s sampling options as its defaults, and the baseline's train time (``baseline_train_s``, its row's,
    even when its weights are gone and it trains again; else this training's)."""
    baseline = work / "baseline"
    if baseline_train_s is None or not (baseline / "weights.safetensors").is_file():
        model, seconds = run_variant(train, train, "baseline", settings, seed, baseline)
        baseline_train_s = seconds if baseline_train_s is None else baseline_train_s
    else:
        model = load_model(baseline)
    overrides = VARIANTS[settings.family][variant]
    variant_config, _ = default_recipe(settings.family, overrides)  # Hydra parses the overrides' values
    changed = [override.split("=", 1)[0].removeprefix("model.") for override in overrides]
    model.config = dataclasses.replace(model.config, **{key: getattr(variant_config, key) for key in changed})
    return model, baseline_train_s


def describe(family: str, variant: str) -> str:
    """What a variant changes: its Hydra overrides, and the unlabelled images it adds."""
    overrides = VARIANTS[family][variant]
    parts = [f"`{' '.join(overrides)}`"] if overrides else []
    if variant in UNLABELLED_VARIANTS:
        parts.append("the rest of the pool as unlabelled images")
    if variant in SAMPLING_VARIANTS:
        parts.append("the baseline's generator")
    return " + ".join(parts) or "none"


def cell(values: list[float], percent: bool = True) -> str:
    """Mean ± 95% CI half-width (none for one seed), in percent or as is."""
    mean, half = mean_ci(values)
    scale = 100 if percent else 1
    ci = f" ± {half * scale:.1f}" if not math.isnan(half) else ""
    return f"{mean * scale:.1f}{ci}"


def rows_of(rows: list[dict[str, Any]], n: int, variant: str, at_steps: int | None = None) -> list[dict[str, Any]]:
    """The rows of one N and variant, one per seed measured, at the runs' ends (``at_steps``: at that earlier stop)."""
    return [r for r in rows if r["per_class"] == n and r["variant"] == variant and r.get("at_steps") == at_steps]


def markdown(rows: list[dict[str, Any]], command: str, machine: str, settings: Settings, own: dict) -> str:
    """The table of every budget and variant measured (by this invocation or an earlier one with the same
    settings), each with all its seeds, and each budget's target."""
    lines = [
        "| N per class | variant | seeds | label fidelity (%) | SVM label fidelity (%) | recall (%) "
        "| synthetic-only / real-only (%) | memorised (%) | train time (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    budgets = sorted({*settings.per_class, *(r["per_class"] for r in rows)})
    variants = [v for v in VARIANTS[settings.family] if v in settings.variants or any(r["variant"] == v for r in rows)]
    chosen = []
    for n in budgets:
        target = TARGETS[settings.family].get(n) if settings.data == Settings.data else None
        if target is not None:
            lines.append(
                f"| {n} | *target* | | ≥ {target.label_fidelity:.0%} | | ≥ {target.recall:.0%} "
                f"| ≥ {target.synthetic_over_real:.0%} | ≤ {target.memorised_fraction:.0%} | ≤ {target.train_s:.0f} |"
            )
        done_by_variant = {v: done for v in variants if (done := rows_of(rows, n, v))}
        stops = sorted({r["at_steps"] for r in rows if r["per_class"] == n and "at_steps" in r})
        for variant in variants:
            for at_steps in [*stops, None]:
                if done := rows_of(rows, n, variant, at_steps):
                    values = {m: [r[m] for r in done] for m in METRICS}
                    cells = [cell(values[m], percent=m != "train_s") for m in METRICS]
                    name = variant if at_steps is None else f"{variant} @ {at_steps:,} steps"
                    lines.append(f"| {n} | {name} | {len(done)} | " + " | ".join(cells) + " |")
        most = max((len(done) for done in done_by_variant.values()), default=0)
        # the choice, among the variants with the most seeds: the best mean synthetic-only / real-only ratio (what a
        # downstream user gets)
        finished = {v: done for v, done in done_by_variant.items() if len(done) == most}
        if finished:
            best = max(finished, key=lambda v: mean_ci([r["synthetic_over_real"] for r in finished[v]])[0])
            chosen.append(f"N = {n}: **{best}** ({most} seed{'s' if most > 1 else ''})")
    splits = (
        f"N = {ALL_OUTSIDE_VALIDATION} (the issues' all of MNIST-5k): every image outside the validation split, 3,500 "
        "(the reference split too)."
        if settings.data == Settings.data
        else "Data: the photograph patches, N per class from photos-train; photos-reference split in halves, the "
        "judges' reference split and the validation split; photos-test unused."
    )
    return (
        f"Command (the latest; the rows are those of every run of this report with the same settings): "
        f"`{command}`  \nMachine: {machine}  \n"
        f"Judges (trained on the reference split): reference CNN {own['reference_cnn']:.1%}, RBF-SVM on pixels "
        f"{own['svm']:.1%} accuracy on the validation split. {splits} Every metric is "
        "measured on the validation split, never "
        f"on a test split; mean ± 95% CI over seeds. Variants (Hydra overrides of the shipped {settings.family} "
        "recipe): "
        + "; ".join(f"{name}: {describe(settings.family, name)}" for name in variants)
        + (f". Every run also: `{' '.join(settings.overrides)}`" if settings.overrides else "")
        + "\n\n"
        + "\n".join(lines)
        + "\n\nChosen on the validation split (best mean synthetic-only / real-only among the variants with the most "
        "seeds): " + ("; ".join(chosen) or "none yet") + "\n"
    )


def save_real_grid(train: ImageSet, path: Path) -> None:
    """The first ``GRID_PER_CLASS`` training images of each class (fewer if it has fewer), laid out as the sample
    grids are, to set the samples beside what the generator learned from."""
    rows = []
    for k in range(train.num_classes):
        members = train.images[train.labels == k][:GRID_PER_CLASS].float() / 255.0
        blank = torch.zeros(GRID_PER_CLASS - len(members), *train.image_shape)
        rows.append(torch.cat([members, blank]))
    save_image(torch.cat(rows), path, nrow=GRID_PER_CLASS)


def key(row: dict[str, Any]) -> tuple[int, int, str, int | None]:
    """What a row measured: budget, seed, variant, and the step count of an earlier stop (None: the run's end)."""
    return row["per_class"], row["seed"], row["variant"], row.get("at_steps")


def save_grids(
    model: GenerativeModel, train: ImageSet, grids: Path, n: int, variant: str, at_steps: int | None
) -> None:
    """The sample grid of one generator (``GRID_PER_CLASS`` per class) and the real one of its training images."""
    name = re.sub(r"[^a-z0-9]+", "-", variant).strip("-")  # "+ada from p=1": ada-from-p-1
    length = "" if at_steps is None else f"-{at_steps}-steps"
    samples, _ = model.sample_per_class(GRID_PER_CLASS, seed=1)
    save_image(samples, grids / f"n{n}-{name}{length}.png", nrow=GRID_PER_CLASS)
    save_real_grid(train, grids / f"n{n}-real.png")


def main(argv: list[str]) -> None:
    settings = Settings.from_argv(argv)
    command = "python -m benchmarks.small_data " + " ".join(argv)
    machine = describe_machine()
    work = RESULTS / f"{settings.report}_runs"
    grids = RESULTS / settings.report
    grids.mkdir(parents=True, exist_ok=True)
    selectors = ("per_class", "seeds", "variants", "scored_at", "report")  # they choose rows, not what one measures
    rows = previous_rows(settings.report, settings, selectors=selectors)
    start = time.perf_counter()
    protocol = train_judges(settings)
    judges, own = protocol.judges, protocol.judge_accuracy
    print(f"judges: {own} ({time.perf_counter() - start:.0f} s)", flush=True)
    for n in settings.per_class:
        for seed in range(settings.seeds):
            train, rest = budget_split(protocol.pool, protocol.outside_validation, n, seed)
            real_only = next((r["real_only_accuracy"] for r in rows if (r["per_class"], r["seed"]) == (n, seed)), None)
            for variant in settings.variants:
                if any(key(r) == (n, seed, variant, None) for r in rows):
                    continue
                if variant in UNLABELLED_VARIANTS and not len(rest):
                    print(f"N = {n}: {variant} skipped, no image is left to add unlabelled", flush=True)
                    continue
                if real_only is None:
                    real_only = real_only_accuracy(train, judges, settings, seed)
                subset_work = work / f"n{n}-seed{seed}"
                if variant in SAMPLING_VARIANTS:
                    baseline_s = next((r["train_s"] for r in rows_of(rows, n, "baseline") if r["seed"] == seed), None)
                    stops = [(None, *sampling_variant(train, variant, settings, seed, subset_work, baseline_s))]
                else:  # an interrupted run's earlier stops are measured again with it
                    rows = [r for r in rows if key(r)[:3] != (n, seed, variant)]
                    stops = run_lengths(train, rest, variant, settings, seed, subset_work / variant)
                for at_steps, model, seconds in stops:
                    metrics = score(model, train, judges, settings, seed)
                    if seed == 0:
                        save_grids(model, train, grids, n, variant, at_steps)
                    row = {
                        "per_class": n,
                        "seed": seed,
                        "variant": variant,
                        **({} if at_steps is None else {"at_steps": at_steps}),
                        **{k: round(v, 5) for k, v in metrics.items()},
                        "real_only_accuracy": round(real_only, 5),
                        "synthetic_over_real": round(metrics["synthetic_only_accuracy"] / real_only, 5),
                        "train_s": round(seconds, 1),
                    }
                    rows.append(row)
                    print(row, flush=True)
                    report = markdown(rows, command, machine, settings, own)
                    write_rows(settings.report, rows, command, machine, settings, report)
    print(markdown(rows, command, machine, settings, own))


if __name__ == "__main__":
    main(sys.argv[1:])
