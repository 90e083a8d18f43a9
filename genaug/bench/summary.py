"""summary.md and a plot from results.csv: mean +- 95% CI per arm, and paired differences over seeds.

The 95% confidence intervals are Student-t intervals over seeds; differences to ``real`` and ``classical`` are
paired by seed (same subset, same classifier seed) and tested with a paired t-test (scipy's ``ttest_rel``).
The plot needs matplotlib (``genaug[viz]``); without it the summary keeps its tables and a warning says so.
"""

from __future__ import annotations

import csv
import itertools
import math
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from genaug.atomic import atomic_path, atomic_write_text
from genaug.bench.scenarios import Scenario
from genaug.optional import MissingExtraError, require
from genaug.train.trainer import SAMPLES_DIR

Group = tuple[str, int, float, str]  # scenario, per_class, imbalance_ratio, arm label


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of its Student-t confidence interval (nan half-width for one value)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return float(x.mean()), math.nan
    return float(x.mean()), float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


def paired_difference(a: dict[int, float], b: dict[int, float]) -> tuple[float, float, float, int]:
    """Mean of a - b over the seeds both have, its 95% CI half-width, the paired t-test p-value, and n."""
    seeds = sorted(set(a) & set(b))
    diffs = [a[s] - b[s] for s in seeds]
    if not diffs:
        return math.nan, math.nan, math.nan, 0
    mean, half = mean_ci(diffs)
    if len(seeds) < 2:
        p = math.nan
    elif np.ptp(diffs) == 0:  # the same difference on every seed: the t statistic is infinite (or 0/0)
        p = 1.0 if mean == 0 else 0.0
    else:
        p = float(stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds]).pvalue)
    return mean, half, p, len(seeds)


def arm_label(row: dict[str, str]) -> str:
    return f"{row['arm']} ({row['family']})" if row["family"] else row["arm"]


def read_results(path: Path, metric: str) -> dict[Group, dict[int, float]]:
    """metric by seed for every (scenario, budget, ratio, arm label); rows without the metric are left out."""
    groups: dict[Group, dict[int, float]] = defaultdict(dict)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row[metric] == "":
                continue
            key = (row["scenario"], int(row["per_class"]), float(row["imbalance_ratio"]), arm_label(row))
            groups[key][int(row["seed"])] = float(row[metric])
    return groups


def _fmt(mean: float, half: float, scale: float = 100.0) -> str:
    if math.isnan(half):
        return f"{mean * scale:.1f}"
    return f"{mean * scale:.1f} ± {half * scale:.1f}"


def _difference_cell(groups: dict[Group, dict[int, float]], key: Group, baseline: str) -> str:
    base = (*key[:3], baseline)
    if key[3] == baseline or base not in groups:
        return ""
    mean, half, p, n = paired_difference(groups[key], groups[base])
    if n == 0:
        return ""
    return f"{_fmt(mean, half)} (p={p:.3f})" if not math.isnan(p) else _fmt(mean, half)


def summary_table(groups: dict[Group, dict[int, float]], scenario: str, setting_name: str) -> list[str]:
    """Markdown rows for one scenario: mean ± CI, and paired differences to real and classical."""
    lines = [
        f"| {setting_name} | arm | seeds | mean ± 95% CI (%) | vs real (pp) | vs classical (pp) |",
        "|---|---|---|---|---|---|",
    ]
    for key in sorted(k for k in groups if k[0] == scenario):
        setting = key[1] if scenario == "balanced" else f"{key[2]:g}"
        values = groups[key]
        lines.append(
            f"| {setting} | {key[3]} | {len(values)} | {_fmt(*mean_ci(list(values.values())))} "
            f"| {_difference_cell(groups, key, 'real')} | {_difference_cell(groups, key, 'classical')} |"
        )
    return lines


def write_summary(out: Path, header: str = "") -> Path:
    """Write ``summary.md`` and ``accuracy_vs_budget.png`` (when matplotlib is installed) for the results in ``out``;
    returns summary.md."""
    results = out / "results.csv"
    lines = [header] if header else []
    accuracy = read_results(results, "accuracy")
    if any(k[0] == "balanced" for k in accuracy):
        lines += ["## Balanced budgets: test accuracy", "", *summary_table(accuracy, "balanced", "N per class"), ""]
        lines += plot_or_warn(accuracy, out)
    if any(k[0] == "long_tailed" for k in accuracy):
        for metric, title in (("balanced_accuracy", "balanced accuracy"), ("minority_recall", "minority-class recall")):
            table = summary_table(read_results(results, metric), "long_tailed", "imbalance ratio")
            lines += [f"## Long-tailed subsets: {title}", "", *table, ""]
    budgets = sorted({k[1] for k in accuracy if k[0] == "balanced"})
    lines += sample_grid_table(out, budgets)
    quality = out / "quality.csv"
    if quality.exists():
        lines += ["## Generator quality (reference-CNN features; not comparable with Inception FID)", ""]
        lines += quality_table(quality)
    path = out / "summary.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def sample_grid_table(out: Path, budgets: list[int]) -> list[str]:
    """Links to the last sample grid of each budget's seed-0 generators: one row per budget, one column per family."""
    grids: dict[tuple[int, str], Path] = {}
    for n in budgets:
        for samples in sorted(Scenario("balanced", n, 1.0, 0).generators_dir(out).glob(f"*/{SAMPLES_DIR}")):
            steps = sorted(samples.glob("step_*.png"))
            if steps:
                grids[(n, samples.parent.name)] = steps[-1].relative_to(out)
    if not grids:
        return []
    families = sorted({family for _, family in grids})
    lines = ["## Sample grids (seed-0 generators; one row per class)", ""]
    lines += ["| N per class | " + " | ".join(families) + " |", "|---" * (1 + len(families)) + "|"]
    for n in budgets:
        cells = [f"![{f}, N={n}]({grids[(n, f)].as_posix()})" if (n, f) in grids else "" for f in families]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def quality_table(path: Path) -> list[str]:
    """Mean of every quality metric per scenario setting and family."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return []
    metrics = [k for k in rows[0] if k not in ("scenario", "per_class", "imbalance_ratio", "seed", "family")]
    groups: dict[tuple[str, int, float, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["scenario"], int(row["per_class"]), float(row["imbalance_ratio"]), row["family"])].append(row)
    lines = [
        "| scenario | N | ratio | family | seeds | " + " | ".join(metrics) + " |",
        "|---" * (5 + len(metrics)) + "|",
    ]
    for (scenario, n, ratio, family), members in sorted(groups.items()):
        means = [np.mean([float(r[m]) for r in members]) for m in metrics]
        lines.append(
            f"| {scenario} | {n} | {ratio:g} | {family} | {len(members)} | "
            + " | ".join(f"{v:.3g}" for v in means)
            + " |"
        )
    return lines


def plot_or_warn(groups: dict[Group, dict[int, float]], out: Path) -> list[str]:
    """Plot accuracy vs budget into ``out`` and return summary.md's link to it; without matplotlib, warn (naming
    the extra) and return nothing: a long benchmark run should not lose its tables to a missing plotting library."""
    try:
        plot_accuracy(groups, out / "accuracy_vs_budget.png")
    except MissingExtraError as error:
        warnings.warn(f"{error}; summary.md is written without the plot", stacklevel=2)
        return []
    return ["![accuracy vs budget](accuracy_vs_budget.png)", ""]


def plot_accuracy(groups: dict[Group, dict[int, float]], path: Path) -> None:
    """Accuracy vs N per class for every arm, with 95% confidence bands."""
    matplotlib = require("matplotlib", extra="viz", feature="the genaug-bench plot accuracy_vs_budget.png")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    balanced = [k for k in groups if k[0] == "balanced"]
    colours = itertools.cycle(plt.get_cmap("tab20").colors)  # 20 distinct colours: every arm keeps its own
    for label, colour in zip(sorted({k[3] for k in balanced}), colours, strict=False):
        keys = sorted((k for k in balanced if k[3] == label), key=lambda k: k[1])
        budgets = [k[1] for k in keys]
        stats_ = [mean_ci(list(groups[k].values())) for k in keys]
        means = np.array([m for m, _ in stats_]) * 100
        halves = np.nan_to_num(np.array([h for _, h in stats_]) * 100)
        ax.plot(budgets, means, marker="o", label=label, color=colour)
        ax.fill_between(budgets, means - halves, means + halves, color=colour, alpha=0.15)
    all_budgets = sorted({k[1] for k in balanced})
    ax.set_xscale("log")
    ax.set_xticks(all_budgets, [str(n) for n in all_budgets])
    ax.minorticks_off()
    ax.set_xlabel("labelled images per class (N)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
