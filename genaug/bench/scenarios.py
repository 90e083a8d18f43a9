"""The benchmark's labelled training subsets: balanced budgets and long-tailed draws, one per seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genaug.bench.config import BenchConfig
from genaug.data import ImageSet, long_tailed_subset, per_class_subset


@dataclass(frozen=True)
class Scenario:
    """One labelled training subset: a balanced budget or a long-tailed draw, for one seed."""

    name: str  # "balanced" or "long_tailed"
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
        """Where a benchmark in ``out`` keeps this subset's classical arms' classifiers (the filtered arms' judges)."""
        return out / "classifiers" / self.tag

    def draw(self, pool: ImageSet) -> ImageSet:
        if self.name == "balanced":
            return per_class_subset(pool, self.per_class, seed=self.seed)
        return long_tailed_subset(pool, self.per_class, self.imbalance_ratio, seed=self.seed)


def scenarios(config: BenchConfig) -> list[Scenario]:
    balanced = [Scenario("balanced", n, 1.0, s) for n in config.per_class for s in range(config.seeds)]
    long_tailed = [
        Scenario("long_tailed", config.imbalance_max_per_class, r, s)
        for r in config.imbalance_ratios
        for s in range(config.seeds)
    ]
    return balanced + (long_tailed if config.imbalance_arms else [])
