"""The benchmark's labelled training subsets: balanced budgets and long-tailed draws, one per seed; and the
semi-supervised scenario, the balanced subset with the rest of the pool as unlabelled images (labels hidden)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genaug.bench.config import BenchConfig
from genaug.data import ImageSet, long_tailed_subset, per_class_split, per_class_subset

SEMI_SUPERVISED = "semi_supervised"


@dataclass(frozen=True)
class Scenario:
    """One labelled training subset: a balanced budget or a long-tailed draw, for one seed; semi_supervised is the
    balanced subset plus the rest of the pool without its labels."""

    name: str  # "balanced", "long_tailed" or "semi_supervised"
    per_class: int  # images per class (balanced) or of the largest class (long-tailed)
    imbalance_ratio: float  # largest / smallest class; 1 for balanced
    seed: int

    @property
    def key(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "per_class": self.per_class,
            "imbalance_ratio": self.imbalance_ratio,
            "seed": self.seed,
        }

    @property
    def tag(self) -> str:
        return f"{self.name}-n{self.per_class}-r{self.imbalance_ratio:g}-s{self.seed}"

    def generators_dir(self, out: Path) -> Path:
        """Where a benchmark in ``out`` keeps this subset's generators, one checkpoint directory per family."""
        return out / "generators" / self.tag

    def classifiers_dir(self, out: Path) -> Path:
        """Where a benchmark in ``out`` keeps this subset's classical arms' classifiers (the filtered arms' judges);
        semi_supervised shares the balanced subset's, since its labelled images are the same."""
        subset = Scenario("balanced", self.per_class, 1.0, self.seed) if self.name == SEMI_SUPERVISED else self
        return out / "classifiers" / subset.tag

    def draw(self, pool: ImageSet) -> ImageSet:
        """The labelled training subset."""
        if self.name in ("balanced", SEMI_SUPERVISED):
            return per_class_subset(pool, self.per_class, seed=self.seed)
        return long_tailed_subset(pool, self.per_class, self.imbalance_ratio, seed=self.seed)

    def split(self, pool: ImageSet) -> tuple[ImageSet, ImageSet | None]:
        """The labelled training subset, and the images whose labels this scenario hides (semi_supervised: the
        rest of the pool; otherwise None)."""
        if self.name == SEMI_SUPERVISED:
            return per_class_split(pool, self.per_class, seed=self.seed)
        return self.draw(pool), None


def scenarios(config: BenchConfig) -> list[Scenario]:
    balanced = [Scenario("balanced", n, 1.0, s) for n in config.per_class for s in range(config.seeds)]
    long_tailed = [
        Scenario("long_tailed", config.imbalance_max_per_class, r, s)
        for r in config.imbalance_ratios
        for s in range(config.seeds)
    ]
    semi = [Scenario(SEMI_SUPERVISED, n, 1.0, s) for n in config.per_class for s in range(config.seeds)]
    return balanced + (long_tailed if config.imbalance_arms else []) + (semi if config.semi_supervised_arms else [])
