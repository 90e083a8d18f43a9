"""What ``genaug-bench`` tells the user: the best classical arm, the recommended genaug arm, and whether an arm hurts.

Every choice is made on the validation split (the reference split: no generator or downstream classifier trains on
it); the test split only reports the chosen arm's effect. Per budget:

- ``best_classical``: the classical arm (of those measured) with the highest mean validation accuracy;
- the recommendation: among the genaug arms that stack on an augmentation (``Arm.stacks_on``), each run with every
  generator family, mode and perturbation strength measured (a label for each), the one whose
  validation accuracy is furthest above best classical's, if it is above on average and its interval rules out
  losing more than ``HARM_MARGIN``; otherwise best classical alone. The interval is a simultaneous one over the
  candidates (Bonferroni: each at level 1 - 0.05 / k for k distinct trainings), so that searching more arms,
  families or strengths does not make a lucky lead on validation more likely to pass;
- do no harm: an arm whose test accuracy is more than ``HARM_MARGIN`` below the arm it stacks on, or significantly
  below it (paired t-test, p < 0.05), is flagged.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genaug.bench.arms import (
    BALANCED_ARMS,
    BEST_CLASSICAL,
    CLASSICAL_ARMS,
    SEMI_SUPERVISED_ARMS,
    resolve_base,
    same_training,
)
from genaug.bench.config import BenchConfig, Mixing
from genaug.bench.results import Group, label_parts, read_results
from genaug.bench.statistics import mean_ci, paired_difference
from genaug.data import builtin_of

HARM_MARGIN = 0.005  # half a percentage point of accuracy
SAFETY_LEVEL = 0.95  # the recommendation's intervals cover every candidate's validation gain at once at this level
Difference = tuple[float, float, float, int]  # mean, 95% CI half-width, p-value, seeds


def choose_best_classical(validation: dict[Group, dict[int, float]], per_class: int) -> str | None:
    """The classical arm with the highest mean validation accuracy at budget ``per_class`` (the first of equals,
    in ``CLASSICAL_ARMS`` order); None when none was measured."""
    means = {
        arm: mean_ci(list(validation[key].values()))[0]
        for arm in CLASSICAL_ARMS
        if (key := ("balanced", per_class, 1.0, arm)) in validation
    }
    return max(means, key=means.__getitem__) if means else None


def best_classical_by_budget(results: Path) -> dict[int, str]:
    """``choose_best_classical`` for every balanced budget of the results CSV ``results`` (none before it exists)."""
    if not results.exists():
        return {}
    validation = read_results(results, "validation_accuracy")
    budgets = sorted({key[1] for key in validation if key[0] == "balanced"})
    return {n: arm for n in budgets if (arm := choose_best_classical(validation, n)) is not None}


def on_current_choice(best: dict[int, str]):
    """A row filter for ``read_results``: rows of arms on best_classical count only when they stacked on the arm
    chosen now (a choice can change when seeds are added; rows of the earlier choice stay in the CSV)."""

    def keep(row: dict[str, str]) -> bool:
        stacks_on = BALANCED_ARMS[row["arm"]].stacks_on if row["arm"] in BALANCED_ARMS else None
        return stacks_on != BEST_CLASSICAL or row["stacked_on"] == best.get(int(row["per_class"]))

    return keep


def arm_name(label: str) -> str:
    """The arm of an arm label: "classical+filtered_synthetic (ae, perturb 0.25)" -> "classical+filtered_synthetic"."""
    return label_parts(label)[0]


def base_label(label: str, best_classical: str | None) -> str | None:
    """The label of the arm that ``label``'s arm (balanced or semi-supervised) stacks on (None: it stacks on
    nothing)."""
    arm = BALANCED_ARMS.get(arm_name(label)) or SEMI_SUPERVISED_ARMS.get(arm_name(label))
    return None if arm is None else resolve_base(arm.stacks_on, best_classical)


def harms(difference: Difference) -> bool:
    """A difference to the arm stacked on that breaks do no harm: below -HARM_MARGIN, or significantly negative."""
    mean, _, p, n = difference
    return n > 0 and (mean < -HARM_MARGIN or (mean < 0 and not math.isnan(p) and p < 0.05))


@dataclass
class Candidate:
    """A genaug arm the recommendation weighed: its validation gain over best classical (95% interval), the lower
    end of its simultaneous interval over all candidates, and whether it harms the arm it stacks on there."""

    label: str
    gain: Difference
    lower: float
    harms_base: bool

    @property
    def safe(self) -> bool:
        """Above best classical on average, and ruled out to lose more than HARM_MARGIN, without harming its base."""
        return not self.harms_base and self.gain[0] > 0 and not math.isnan(self.lower) and self.lower > -HARM_MARGIN


@dataclass
class Verdict:
    """The recommendation at one budget: ``arm`` (a genaug arm label) or None for best classical alone."""

    per_class: int
    best_classical: str
    arm: str | None
    validation_gain: Difference | None  # the arm against best classical, on the validation split
    test_vs_best: Difference | None  # ... on the test split
    test_vs_base: Difference | None  # against the arm it stacks on, on the test split
    candidates: int = 0  # distinct genaug trainings weighed (the simultaneous interval's k)
    nearest: Candidate | None = None  # without a recommendation: the candidate highest on validation, to say why


def distinct_trainings(labels: list[str], best_classical: str) -> int:
    """How many different trainings ``labels`` name (an arm on best classical and its namesake on the chosen arm
    count once, ``same_training``): the k of the simultaneous interval."""
    return len({same_training(label, best_classical) for label in labels})


def weigh(validation: dict[Group, dict[int, float]], per_class: int, best: str) -> list[Candidate]:
    """Every genaug arm at budget ``per_class`` that stacks on a measured arm, weighed against best classical
    ``best`` on the validation split (label order)."""
    best_key = ("balanced", per_class, 1.0, best)
    if best_key not in validation:
        return []
    keys = [
        key
        for key in sorted(k for k in validation if k[0] == "balanced" and k[1] == per_class)
        if (base := base_label(key[3], best)) is not None and ("balanced", per_class, 1.0, base) in validation
    ]
    level = 1 - (1 - SAFETY_LEVEL) / max(1, distinct_trainings([key[3] for key in keys], best))
    weighed = []
    for key in keys:
        base_key = ("balanced", per_class, 1.0, base_label(key[3], best))
        mean, half, _, _ = paired_difference(validation[key], validation[best_key], level)
        harmful = harms(paired_difference(validation[key], validation[base_key]))
        weighed.append(
            Candidate(key[3], paired_difference(validation[key], validation[best_key]), mean - half, harmful)
        )
    return weighed


def recommend(
    validation: dict[Group, dict[int, float]], test: dict[Group, dict[int, float]], per_class: int, best: str
) -> Verdict:
    """The verdict at budget ``per_class`` given the best classical arm ``best`` (see the module docstring)."""
    weighed = weigh(validation, per_class, best)
    count = distinct_trainings([c.label for c in weighed], best)
    safe = [c for c in weighed if c.safe]
    if not safe:  # the first of equals, in label order
        nearest = max(weighed, key=lambda c: c.gain[0], default=None)
        return Verdict(per_class, best, None, None, None, None, count, nearest)
    chosen = max(safe, key=lambda c: c.gain[0])
    best_key = ("balanced", per_class, 1.0, best)
    base_key = ("balanced", per_class, 1.0, base_label(chosen.label, best))
    chosen_key = ("balanced", per_class, 1.0, chosen.label)
    on_test = chosen_key in test
    return Verdict(
        per_class, best, chosen.label, chosen.gain,
        paired_difference(test[chosen_key], test[best_key]) if on_test and best_key in test else None,
        paired_difference(test[chosen_key], test[base_key]) if on_test and base_key in test else None,
        count,
    )  # fmt: skip


def snippet(verdict: Verdict, meta: dict[str, Any]) -> str:
    """A ready-to-run sketch of the recommended configuration with public calls: the generator's genaug-train
    command (with the benchmark's generator settings), the classical augmentation it stacks on, the filter, and the
    training-step calls. ``meta``: the run's bench_meta.json."""
    assert verdict.arm is not None
    config, data = BenchConfig.from_recorded(meta["config"]), meta["data"]
    _, family, mixing = label_parts(verdict.arm)
    assert family is not None and mixing is not None, f"a recommended arm mixes in a family's images: {verdict.arm}"
    base = base_label(verdict.arm, verdict.best_classical)
    filtered = "filtered_synthetic" in arm_name(verdict.arm)
    imports = ["import torch", "from torchvision.transforms import v2"] if mixing.mode == "dataset" else []
    imports.append("import genaug")
    base_import, make_base, apply_base = _base_augmentation(base, len(data["classes"]))
    judge = f"judge = ...  # your classifier trained on the real images with the {base} augmentation"
    lines = [
        "```bash",
        _train_command(config, meta, family, verdict.per_class * len(data["classes"])),
        "```",
        "",
        "```python",
        *imports,
        *([base_import] if base_import else []),
        *(["from genaug.filters import PredictionFilter"] if filtered else []),
        "",
        f'model = genaug.load("runs/genaug-{family}")',
        *([f"base = {make_base}  # {base}: the best classical augmentation here"] if make_base else []),
        *([judge] if filtered else []),
        *_training_loop(config, mixing, verdict.per_class, filtered),
        *([f"    {apply_base}"] if apply_base else []),
        "    ...  # the training step",
        "```",
    ]
    return "\n".join(lines)


def _train_command(config: BenchConfig, meta: dict[str, Any], family: str, subset_size: int) -> str:
    """The genaug-train command that trains ``family``'s generator as the benchmark did on a subset of this size."""
    overrides = meta.get("generators", {}).get(family, {}).get("config", {})
    settings = "".join(f" model.{k}={v}" for k, v in overrides.items())
    source = builtin_of(meta["data"]["data_source"]) or meta["data"]["data_source"]  # a built-in, or the user's path
    steps = config.steps_for(family, subset_size)
    return (
        f"genaug-train data.source={shlex.quote(source)} model={family}{settings} trainer.steps={steps} "
        f"out=runs/genaug-{family}"
    )


def _base_augmentation(base: str | None, num_classes: int) -> tuple[str, str, str]:
    """The import, the construction and the training-step call of the classical augmentation ``base`` (empty
    strings for ``real``, no augmentation)."""
    if base == "classical":
        return (
            "from genaug.baselines import classical_batch_augment",
            "classical_batch_augment(seed=0)",
            "x = base(x, y)",
        )
    if base in ("mixup", "cutmix"):
        make = f'BatchLabelMix("{base}", num_classes={num_classes}, seed=0)'
        return "from genaug.baselines import BatchLabelMix", make, "x, y = base(x, y)"
    if base in (None, "real"):
        return "", "", ""
    return (
        "from genaug.baselines import policy_batch_augment",
        f'policy_batch_augment("{base}", seed=0)',
        "x = base(x, y)",
    )


def _training_loop(config: BenchConfig, mixing: Mixing, per_class: int, filtered: bool) -> list[str]:
    """How the synthetic images enter training, up to the loop over batches: a ``BatchAugment`` in the training step,
    or (dataset mode) a fixed ``SyntheticDataset`` beside the real images, as the benchmark's dataset mode trains."""
    keep = ", filter=PredictionFilter(judge)" if filtered else ""
    share = config.synthetic_fraction
    if mixing.mode == "dataset":
        synthetic_per_class = round(per_class * share / (1 - share))  # the share of the mixed set, as in the bench
        return [
            "real = ...  # your labelled images: an ImageSet (genaug.data.load) or a dataset of (image, label)",
            f"synthetic = genaug.SyntheticDataset(model, n_per_class={synthetic_per_class}, seed=0{keep})",
            "as_float = v2.ToDtype(torch.float32, scale=True)",
            f"mixed = genaug.MixedDataset(real, synthetic, synthetic_fraction={share}, transform=as_float)",
            f"loader = torch.utils.data.DataLoader(mixed, batch_size={config.classifier_batch_size}, shuffle=True)",
            "for x, y in loader:",
        ]
    strength = f", strength={mixing.strength:g}" if mixing.strength is not None else ""
    return [
        f'aug = genaug.augment.BatchAugment(model, mode="{mixing.mode}", p={share}{strength}{keep}, seed=0)',
        "for x, y in loader:  # float batches in [0, 1], int64 labels, on the training device",
        "    x, y = aug(x, y)",
    ]
