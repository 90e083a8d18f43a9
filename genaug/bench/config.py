"""BenchConfig: what the downstream-benefit benchmark measures (plain data, instantiated by Hydra)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genaug.checks import AUTO, check_choice, check_int, check_number
from genaug.models.base import SAMPLING_VERSION
from genaug.models.registry import get_family

MODES = ("replace", "perturb", "dataset")
# the classical arms (the baselines users already run; best_classical is chosen among them on the validation split),
# then genaug stacked on best_classical (the comparison that matters). Left to bench=full so that the default run on
# three data sets stays near three hours at the 1,200 classifier steps below (README): autoaugment and mixup (never
# best classical, and at least 0.8 pp below it on every validation split at 400 steps; cutmix stays as the label
# mixing), classical+filtered_synthetic (genaug on the simple pipeline, for comparison with the 400-step results)
# and synthetic_only (the generator's Classification Accuracy Score, which the quality table's label fidelity
# also reads). classical+synthetic (unfiltered) is left out: its filtered version scored at least as well on
# validation and test (README)
DEFAULT_ARMS = (
    "real", "classical", "trivialaugment", "randaugment", "cutmix", "best_classical+filtered_synthetic",
)  # fmt: skip
# the list settings that say which rows run (not what a row means; left out of the fingerprint): a results directory
# invoked again with more of them gains rows; the mode and strength of an arm that mixes in synthetic images are
# columns of its rows
ROW_LISTS = (
    "per_class", "families", "arms", "imbalance_ratios", "imbalance_arms", "semi_supervised_arms", "mode",
    "perturb_strength",
)  # fmt: skip
PER_FAMILY = ("generator_steps", "generator_min_epochs")  # settings checked family by family (family_settings)


@dataclass
class BenchConfig:
    """Settings of ``genaug-bench``; the defaults are the default protocol (``recipes/bench/default.yaml``)."""

    # labelled budgets N per class: the small budgets genaug is for (bench=full adds 50 and 100)
    per_class: list[int] = field(default_factory=lambda: [10, 20])
    seeds: int = 10  # repetitions per budget (subset draw, generator and classifier seeds)
    test_size: float = 0.3  # fixed stratified test split that no generator or classifier ever trains on
    split_seed: int = 0  # seed of that split
    # share of the rest kept apart: the reference CNN of the quality metrics trains on it, and it is the validation
    # split of every choice (best classical, the recommendation); no arm ever trains on it
    reference_size: float = 0.25
    # generators to compare: the ae, which helped most at small budgets (README); the cvae helped less, and the cgan
    # (bench.mode=replace only: it has no encoder) was below best classical on the validation split at N = 10 and 20
    # (README); each family more costs about 36 min on MNIST-5k (its generators and arms)
    families: list[str] = field(default_factory=lambda: ["ae"])
    # balanced-budget arms; the synthetic ones run once per family
    arms: list[str] = field(default_factory=lambda: list(DEFAULT_ARMS))
    # training steps of each generator (on the N-per-class subset only): one number, "auto" (the family's schedule,
    # as trainer.steps=auto: genaug.models.schedule), or one of those per family. The ae, cvae and diffusion keep the
    # numbers their published rows were measured with (the same as their schedules at the default budgets); the cgan
    # takes its schedule (2,500 steps and more on larger sets: issue 19's measurements)
    generator_steps: int | str | dict[str, int | str] = field(
        default_factory=lambda: {"cgan": AUTO, "cvae": 600, "ae": 600, "diffusion": 600}
    )
    # at least this many passes over the subset (so more steps at larger budgets) for a family given a number of
    # steps: one number, or some families' ({"cvae": 150}: on generator_steps alone it was undertrained at the
    # larger budgets; README, chosen on the validation split); None: generator_steps alone
    generator_min_epochs: int | dict[str, int] | None = field(default_factory=lambda: {"cvae": 150})
    generator_batch_size: int = 64
    classifier: str = "small_cnn"  # "small_cnn" or "resnet"
    # channels of its first stage; 16 keeps the protocol short, at the price of a little accuracy against 32, for
    # every arm alike (README)
    classifier_width: int = 16
    # training steps of each downstream classifier. 400 (until 6 December) trained every arm short of its best: at
    # N = 10, on validation, 1,200 steps gained best classical 1.3 pp on MNIST-5k and 3.0 on the patches, 2,400 a
    # further 0.3 and 0.9 (n.s.); 2,400 would double the default run's three hours (README)
    classifier_steps: int = 1200
    classifier_batch_size: int = 64
    classifier_lr: float = 2e-3
    # how synthetic images enter training: replace | perturb | dataset, or a list of them that each genaug arm runs
    # with and the recommendation chooses among on the validation split; perturb beat replace on the validation
    # split (benchmarks/results/bench_tuning.md)
    mode: str | list[str] = field(default_factory=lambda: ["perturb"])
    synthetic_fraction: float = 0.5  # share of each training batch that is synthetic
    pool_per_class: int = 500  # synthetic images drawn per class for replace / synthetic_only
    # posterior / code standard deviations, for mode=perturb: one, or several that each genaug arm runs with and the
    # recommendation chooses among on the validation split. 0.25 was never below 0.5 on the validation splits of the
    # three data sets and, unlike 0.5, did not lose to CutMix on the photograph patches (bench_tuning_strength_*.md);
    # 0.125, the gentler step, for generators whose perturbations shift what they keep (tone on the patches)
    perturb_strength: float | list[float] = field(default_factory=lambda: [0.125, 0.25])
    imbalance_ratios: list[float] = field(default_factory=list)  # long-tailed scenario (bench=full: [10, 50])
    imbalance_max_per_class: int = 100  # images of the largest class in the long-tailed scenario
    imbalance_arms: list[str] = field(
        default_factory=lambda: ["real", "class_weighted", "oversample", "classical", "genaug_balance"]
    )
    # semi-supervised scenario (off when empty; bench=semi): each balanced subset, with the rest of the pool as
    # unlabelled images that the generators also train on and pseudo-labelling labels; compared with the balanced
    # scenario's rows of the same subset (best classical, and genaug from the labelled images alone)
    semi_supervised_arms: list[str] = field(default_factory=list)
    quality: bool = True  # also measure each generator (Frechet distance, KID, precision/recall, ...)

    def __post_init__(self) -> None:
        self.mode = _distinct("bench.mode", self.mode, lambda name, mode: check_choice(name, mode, MODES))
        check_number("bench.synthetic_fraction", self.synthetic_fraction, minimum=0, maximum=1, max_inclusive=False)
        for name in ("seeds", "classifier_steps", "classifier_width", "pool_per_class", "imbalance_max_per_class"):
            check_int(f"bench.{name}", getattr(self, name), minimum=1)
        if isinstance(self.generator_steps, dict):
            missing = [f for f in self.families if f not in self.generator_steps]
            if missing:
                raise ValueError(
                    f"bench.generator_steps has no entry for {missing}: give one per family in bench.families "
                    f"({self.families}) or a single number, got {self.generator_steps}"
                )
        check_per_family("bench.generator_steps", self.generator_steps, auto=True)
        if self.generator_min_epochs is not None:
            check_per_family("bench.generator_min_epochs", self.generator_min_epochs)
        self.perturb_strength = _distinct(
            "bench.perturb_strength", self.perturb_strength, lambda name, v: check_number(name, v, minimum=0)
        )
        if not self.per_class:
            raise ValueError("bench.per_class must be a non-empty list of budgets (images per class), got []")
        self.per_class = [check_int(f"bench.per_class[{i}]", n, minimum=1) for i, n in enumerate(self.per_class)]
        self.imbalance_ratios = [
            check_number(f"bench.imbalance_ratios[{i}]", r, minimum=1, note="largest / smallest class")
            for i, r in enumerate(self.imbalance_ratios)
        ]

    @classmethod
    def from_recorded(cls, settings: dict[str, Any]) -> BenchConfig:
        """The configuration a results directory recorded (``bench_meta.json``); an optional setting missing there
        was added since, so that run had it off (None), whatever its default is now."""
        optional = {f.name: None for f in dataclasses.fields(cls) if str(f.type).endswith("| None")}
        return cls(**{**optional, **settings})

    def covering(self, earlier: BenchConfig) -> BenchConfig:
        """This configuration widened to describe the rows of an earlier invocation in the same results directory
        too (same fingerprint): every budget, family, arm, mode and strength of either, the more seeds, quality if
        either measured it, and the generator settings of the earlier families this one does not run (those of a
        family both run are checked equal, ``family_settings``)."""
        widened: dict[str, Any] = {
            name: [*getattr(earlier, name), *(v for v in getattr(self, name) if v not in getattr(earlier, name))]
            for name in ROW_LISTS
        }
        widened.update(seeds=max(self.seeds, earlier.seeds), quality=self.quality or earlier.quality)
        for name in PER_FAMILY:
            mine = getattr(self, name)
            per_family = {
                **(mine if isinstance(mine, dict) else {}),
                **_of_families(getattr(earlier, name), earlier.families),
                **_of_families(mine, self.families),
            }
            widened[name] = per_family or None
        return dataclasses.replace(self, **widened)

    def mixings(self) -> list[Mixing]:
        """How each arm that mixes in synthetic images runs: once per mode of bench.mode, perturb once per strength
        of bench.perturb_strength."""
        return [
            Mixing(mode, strength)
            for mode in self.mode
            for strength in (self.perturb_strength if mode == "perturb" else [None])
        ]

    def steps_for(self, family: str, subset_size: int) -> int:
        """Training steps of ``family``'s generator on a subset of ``subset_size`` images."""
        steps = self.generator_steps
        steps = steps[family] if isinstance(steps, dict) else steps
        if steps == AUTO:
            return get_family(family).schedule.steps(subset_size, self.generator_batch_size)
        epochs = self.generator_min_epochs
        epochs = epochs.get(family) if isinstance(epochs, dict) else epochs
        if epochs is None:
            return steps
        return max(steps, math.ceil(epochs * subset_size / self.generator_batch_size))

    def family_settings(self, family: str) -> dict[str, Any]:
        """What of these settings only ``family``'s rows depend on (checked per family, not in the fingerprint)."""
        epochs = self.generator_min_epochs
        steps = self.generator_steps[family] if isinstance(self.generator_steps, dict) else self.generator_steps
        if steps == AUTO:  # the schedule's numbers, so that a changed schedule is not mistaken for the same rows
            return {"steps": AUTO, "schedule": dataclasses.asdict(get_family(family).schedule)}
        return {"steps": steps, "min_epochs": epochs.get(family) if isinstance(epochs, dict) else epochs}

    def fingerprint(self, data_description: dict[str, Any]) -> str:
        """A hash of everything that changes the meaning of every result row (not which budgets, seeds, arms or
        families run, nor one family's own settings: ``family_settings``, checked family by family)."""
        # an optional setting left at None (off) is not hashed, so adding one keeps earlier runs resumable
        settings = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        for row_key in (*ROW_LISTS, "seeds", "quality"):
            settings.pop(row_key)
        for per_family in PER_FAMILY:
            settings.pop(per_family, None)
        settings["sampling_version"] = SAMPLING_VERSION  # rows from synthetic samples depend on the noise layout
        text = json.dumps({"bench": settings, "data": data_description}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Mixing:
    """How a genaug arm brings its synthetic images in: a mode of bench.mode and, for perturb, a strength."""

    mode: str
    strength: float | None = None

    @property
    def label(self) -> str:
        """What an arm label adds after the family: "perturb 0.25", "replace"."""
        return self.mode if self.strength is None else f"{self.mode} {self.strength:g}"

    @classmethod
    def from_label(cls, text: str) -> Mixing:
        """The Mixing whose ``label`` is ``text``."""
        mode, _, strength = text.partition(" ")
        return cls(mode, float(strength) if strength else None)


def _of_families(value: Any, families: list[str]) -> dict[str, Any]:
    """A per-family setting (one value for all, a dict by family, or None: unset) as a dict over ``families``."""
    if isinstance(value, dict):
        return {f: value[f] for f in families if f in value}
    return {} if value is None else dict.fromkeys(families, value)


def _distinct(name: str, value: Any, check: Callable[[str, Any], Any]) -> list[Any]:
    """``value`` (one value, or a list of distinct ones) as a list, each checked by ``check(its name, v)``."""
    several = isinstance(value, list | tuple)
    values = list(value) if several else [value]
    checked = [check(f"{name}[{i}]" if several else name, v) for i, v in enumerate(values)]
    if not checked or len(set(checked)) < len(checked):
        raise ValueError(f"{name} must be one value or a list of distinct ones, got {values}")
    return checked


def check_per_family(name: str, value: Any, auto: bool = False) -> None:
    """A positive int (or, with ``auto``, "auto"), or a {family: that} mapping."""
    note = "or 'auto'" if auto else None
    for key, number in value.items() if isinstance(value, dict) else [("", value)]:
        if not (auto and number == AUTO):
            check_int(f"{name}.{key}" if key else name, number, minimum=1, note=note)
