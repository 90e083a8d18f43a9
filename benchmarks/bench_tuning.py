"""Tuning genaug-bench's synthetic-data settings on a validation split, never on the test split.

Reuses the generators that a finished ``genaug-bench`` run trained (its ``out=`` directory, with its recorded
configuration, so the same splits and subsets) and, for each balanced budget and seed, trains the downstream
classifier under a few variants (``variants=``: a set of ``VARIANT_SETS``): how the synthetic images enter the
``classical+synthetic`` arm (``mixing``), or the settings of the default arm on best classical
(``default_arm``). Each classifier is scored on the benchmark's reference split: no generator or downstream
classifier trains on it, and the test split stays untouched.

    python -m benchmarks.bench_tuning run=runs/bench-mnist5k-default per_class=10,20 family=ae
    python -m benchmarks.bench_tuning run=<a run with the diffusion family> family=diffusion \
        variants=default_arm seeds=5 report=bench_tuning_diffusion
    python -m benchmarks.bench_tuning run=<a data=photos run> data=photos-train variants=share report=<name>
    python -m benchmarks.bench_tuning run=<a data=digits run with the diffusion family> data=digits \
        family=diffusion variants=strength_steps report=<name>
    python -m benchmarks.bench_tuning run=<a bench=semi run> scenario=semi_supervised variants=strength_high \
        per_class=10 report=<name>

Writes benchmarks/results/bench_tuning.{md,json} (``report=<name>``: <name>.{md,json}) after every run; a rerun
with the same settings resumes; one with other settings under the same name is refused.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genaug
from benchmarks.report import previous_report, previous_rows, write_rows
from genaug.bench import BALANCED_ARMS, BenchConfig, Benchmark
from genaug.bench.arms import BEST_CLASSICAL, ArmInputs
from genaug.bench.machine import describe_machine
from genaug.bench.recommend import best_classical_by_budget
from genaug.bench.scenarios import SEMI_SUPERVISED, Scenario
from genaug.bench.statistics import mean_ci, paired_difference
from genaug.data import predefined_splits
from genaug.metrics import accuracy

# variant name -> (arm, BenchConfig changes over the run's own settings, changes of the generator's config); an
# arm on best_classical (and "best_classical" itself) means the classical arm the run chose for the budget on the
# validation split. The first variant of a set is the baseline the others are compared with.
Variant = tuple[str, dict[str, Any], dict[str, Any]]
DEFAULT_ARM = "best_classical+filtered_synthetic"
VARIANT_SETS: dict[str, dict[str, Variant]] = {
    # how the ae's synthetic images enter training (bench_tuning.md, bench_tuning_perturb.md)
    "mixing": {
        "classical": ("classical", {}, {}),
        "classical+synthetic, replace 0.5": ("classical+synthetic", {"mode": "replace", "synthetic_fraction": 0.5}, {}),
        "classical+synthetic, replace 0.2": ("classical+synthetic", {"mode": "replace", "synthetic_fraction": 0.2}, {}),
        "classical+synthetic, perturb 0.5, strength 0.5": (
            "classical+synthetic",
            {"mode": "perturb", "synthetic_fraction": 0.5, "perturb_strength": 0.5},
            {},
        ),
        "classical+filtered_synthetic, perturb 0.5, strength 0.5": (
            "classical+filtered_synthetic",
            {"mode": "perturb", "synthetic_fraction": 0.5, "perturb_strength": 0.5},
            {},
        ),
    },
    # the default arm on best classical: its perturb strength, its mode, and (diffusion family) its solver steps
    "default_arm": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "perturb, strength 0.5": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.5}, {}),
        "perturb, strength 0.7": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.7}, {}),
        "perturb, strength 0.5, 8 solver steps": (
            DEFAULT_ARM,
            {"mode": "perturb", "perturb_strength": 0.5},
            {"sampling_steps": 8},
        ),
        "replace 0.2": (DEFAULT_ARM, {"mode": "replace", "synthetic_fraction": 0.2}, {}),
    },
    # the default arm's perturb strength (bench_tuning_strength_<data>.md)
    "strength": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "strength 0.5": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.5}, {}),
        "strength 0.25": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.25}, {}),
    },
    # the default arm's perturb strength below the default, where a weak generator's tone shifts cost accuracy
    # (bench_tuning_strength_low_<data>.md)
    "strength_low": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "strength 0.25": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.25}, {}),
        "strength 0.125": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.125}, {}),
    },
    # the diffusion family's arm on best classical: its perturb strength and its solver steps (a run's own steps are
    # its generators' sampling_steps, 4 in the published diffusion runs). A perturb integrates ceil(strength x steps)
    # steps, so at strength 0.25 both 2 and 4 steps take one: their rows agree, as the published report shows
    "strength_steps": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "strength 0.25": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.25}, {}),
        "strength 0.5": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.5}, {}),
        "strength 0.25, 2 solver steps": (
            DEFAULT_ARM,
            {"mode": "perturb", "perturb_strength": 0.25},
            {"sampling_steps": 2},
        ),
        "strength 0.25, 8 solver steps": (
            DEFAULT_ARM,
            {"mode": "perturb", "perturb_strength": 0.25},
            {"sampling_steps": 8},
        ),
    },
    # the default arm's share of synthetic images and perturb strength (where a weak generator costs accuracy)
    "share": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "share 0.5, strength 0.5": (
            DEFAULT_ARM,
            {"mode": "perturb", "synthetic_fraction": 0.5, "perturb_strength": 0.5},
            {},
        ),
        "share 0.25, strength 0.5": (
            DEFAULT_ARM,
            {"mode": "perturb", "synthetic_fraction": 0.25, "perturb_strength": 0.5},
            {},
        ),
        "share 0.5, strength 0.25": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.25}, {}),
        "share 0.25, strength 0.25": (
            DEFAULT_ARM,
            {"mode": "perturb", "synthetic_fraction": 0.25, "perturb_strength": 0.25},
            {},
        ),
    },
    # larger perturbations, for a generator that learned the images' manifold from unlabelled images too
    # (scenario=semi_supervised; bench_tuning_semi_strength_<data>.md)
    "strength_high": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "strength 0.25": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.25}, {}),
        "strength 0.5": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.5}, {}),
        "strength 1": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 1.0}, {}),
    },
    # larger shares at the default strength, where the default arm gains (MNIST-5k; bench_tuning_share_mnist5k.md)
    "share_high": {
        "best_classical": (BEST_CLASSICAL, {}, {}),
        "share 0.5, strength 0.25": (DEFAULT_ARM, {"mode": "perturb", "perturb_strength": 0.25}, {}),
        "share 0.75, strength 0.25": (
            DEFAULT_ARM,
            {"mode": "perturb", "synthetic_fraction": 0.75, "perturb_strength": 0.25},
            {},
        ),
        "share 0.9, strength 0.25": (
            DEFAULT_ARM,
            {"mode": "perturb", "synthetic_fraction": 0.9, "perturb_strength": 0.25},
            {},
        ),
    },
}


@dataclass
class Settings:
    run: str  # a genaug-bench out= directory whose generators are reused
    per_class: list[int]
    family: str = "ae"
    # whose generators: "balanced" (the labelled subset's) or "semi_supervised" (trained on the rest of the pool's
    # images too, a run with bench=semi); the classifiers train on the labelled subset either way
    scenario: str = "balanced"
    # the data set the run used, a genaug.data.load name (checked against its recorded size); a set with predefined
    # held-out parts (photos-train) is measured on them, as genaug-bench does
    data: str = "mnist5k"
    fingerprint: str = ""  # the run's configuration fingerprint (read from it): rows of another one are not reused
    report: str = "bench_tuning"  # writes benchmarks/results/<report>.{md,json}
    variants: str = "mixing"  # a key of VARIANT_SETS
    seeds: int | None = None  # the run's first seeds only (None: all of them)
    # where the classifiers train (auto: CUDA, then MPS, then the CPU); recorded as resolved, since rows depend on it
    device: str = "auto"

    @property
    def variant_set(self) -> dict[str, Variant]:
        if self.variants not in VARIANT_SETS:
            raise ValueError(f"unknown variants={self.variants!r}; choose one of {sorted(VARIANT_SETS)}")
        return VARIANT_SETS[self.variants]

    def __post_init__(self) -> None:
        if self.scenario not in ("balanced", SEMI_SUPERVISED):
            raise ValueError(f"unknown scenario={self.scenario!r}; choose balanced or {SEMI_SUPERVISED}")

    @classmethod
    def from_argv(cls, argv: list[str]) -> Settings:
        options = dict(arg.split("=", 1) for arg in argv)
        if "run" not in options:
            raise ValueError("give run=<a genaug-bench out= directory> (its generators are reused)")
        per_class = [int(n) for n in options.pop("per_class", "10,20").split(",")]
        seeds = int(options.pop("seeds")) if "seeds" in options else None
        return cls(per_class=per_class, seeds=seeds, **options)


def validation_accuracy(
    bench: Benchmark, settings: Settings, per_class: int, seed: int, variant: str, best: str
) -> float:
    """``variant``'s validation accuracy on one subset (``best``: the run's best classical arm at this budget); a
    filtered variant's judge is the run's classifier of the arm it stacks on for the subset (kept in the run's
    directory by the benchmark, or trained and kept there on first use)."""
    arm, changes, generator_changes = settings.variant_set[variant]
    arm = best if arm == BEST_CLASSICAL else arm
    config = dataclasses.replace(bench.config, **changes)
    scenario = Scenario(settings.scenario, per_class, 1.0, seed)
    model = None
    if BALANCED_ARMS[arm].uses_generator:
        model = genaug.load(scenario.generators_dir(Path(settings.run)) / settings.family)
        for name, value in generator_changes.items():  # options read at each call (e.g. sampling_steps)
            setattr(model.config, name, value)
    mixing = None
    if BALANCED_ARMS[arm].uses_mode:
        mixings = config.mixings()
        if len(mixings) > 1:
            raise ValueError(
                f"variant {variant!r} would mix in synthetic images in several ways, {mixings}: give it one mode "
                "(and for perturb one perturb_strength) in its BenchConfig changes"
            )
        mixing = mixings[0]
    train = scenario.draw(bench.pool)
    judge = bench.judge(train, scenario)
    inputs = ArmInputs(train, config, seed, model, judge, best_classical=best, mixing=mixing)
    classifier = bench.train_classifier(BALANCED_ARMS[arm].plan(inputs), seed)  # variants change the data only
    return accuracy(classifier, bench.reference_set.images, bench.reference_set.labels)


def resumable_rows(settings: Settings) -> list[dict[str, Any]]:
    """The rows an earlier run with these settings left under ``report=`` (more budgets or seeds keep them); a report
    of other settings there is refused rather than written over, since each published table lives under its name."""
    rows = previous_rows(settings.report, settings, selectors=("per_class", "seeds"))
    earlier = previous_report(settings.report)
    if not rows and earlier.get("rows"):
        raise ValueError(
            f"benchmarks/results/{settings.report}.json holds rows of other settings (`{earlier.get('command')}`); "
            "give this run its own report=<name>, or delete that report to measure it afresh"
        )
    return rows


def markdown(rows: list[dict[str, Any]], command: str, machine: str, settings: Settings) -> str:
    variants = settings.variant_set
    baseline = next(iter(variants))
    lines = [
        f"| N per class | variant | seeds | validation accuracy (%) | vs {baseline} (pp) |",
        "|---|---|---|---|---|",
    ]
    for n in settings.per_class:
        by_variant = {
            v: {r["seed"]: r["accuracy"] for r in rows if r["per_class"] == n and r["variant"] == v} for v in variants
        }
        for variant, values in by_variant.items():
            if not values:
                continue
            mean, half = mean_ci(list(values.values()))
            difference = ""
            if variant != baseline:
                d, d_half, p, count = paired_difference(values, by_variant[baseline])
                difference = f"{d * 100:+.1f} ± {d_half * 100:.1f} (p={p:.3f})" if count > 1 else ""
            ci = f" ± {half * 100:.1f}" if len(values) > 1 else ""
            lines.append(f"| {n} | {variant} | {len(values)} | {mean * 100:.1f}{ci} | {difference} |")
    return (
        f"Command: `{command}`  \nMachine: {machine}  \n"
        f"Generators: the {settings.family} models of the {settings.scenario} scenario of the genaug-bench run in "
        f"`{settings.run}`; scored on its "
        "reference split (validation), never on the test split. Mean ± 95% CI over seeds; differences paired by "
        "seed, with a paired t-test.\n\n" + "\n".join(lines) + "\n"
    )


def main(argv: list[str]) -> None:
    settings = Settings.from_argv(argv)
    command = "python -m benchmarks.bench_tuning " + " ".join(argv)
    meta = json.loads((Path(settings.run) / "bench_meta.json").read_text())
    config = BenchConfig.from_recorded(meta["config"])
    if config.fingerprint(meta["data"]) != meta["fingerprint"]:
        raise ValueError(
            f"{settings.run} was run by an older genaug whose settings this one reads differently (e.g. a setting "
            "added since, now at its default): its classifiers could not be reproduced; tune on a run of this version"
        )
    settings.fingerprint = meta["fingerprint"]
    if settings.scenario == SEMI_SUPERVISED and not config.semi_supervised_arms:
        raise ValueError(
            f"{settings.run} has no generators of the {SEMI_SUPERVISED} scenario: run `genaug-bench bench=semi "
            f"out={settings.run}` (with the run's data=) first, or tune its balanced ones (scenario=balanced)"
        )
    data = genaug.data.load(settings.data)
    if len(data) != meta["data"]["num_images"]:
        raise ValueError(f"{settings.run} ran on {meta['data']['data_source']}, not on data={settings.data}")
    held_out = {part: genaug.data.load(name) for part, name in (predefined_splits(settings.data) or {}).items()}
    bench = Benchmark(config, data, settings.run, progress=False, device=settings.device, **held_out)
    settings.device, machine = str(bench.device), describe_machine(device=bench.device)
    best = best_classical_by_budget(Path(settings.run) / "results.csv")
    rows = resumable_rows(settings)
    for n in settings.per_class:
        for seed in range(min(bench.config.seeds, settings.seeds or bench.config.seeds)):
            for variant in settings.variant_set:
                if any((r["per_class"], r["seed"], r["variant"]) == (n, seed, variant) for r in rows):
                    continue
                start = time.perf_counter()
                accuracy = validation_accuracy(bench, settings, n, seed, variant, best[n])
                row = {"per_class": n, "seed": seed, "variant": variant, "accuracy": round(accuracy, 5)}
                rows.append({**row, "seconds": round(time.perf_counter() - start, 1)})
                print(row, flush=True)
                report = markdown(rows, command, machine, settings)
                write_rows(settings.report, rows, command, machine, settings, report)
    print(markdown(rows, command, machine, settings))


if __name__ == "__main__":
    main(sys.argv[1:])
