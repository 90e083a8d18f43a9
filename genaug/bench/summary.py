"""summary.md and a plot from results.csv: the recommendation, mean +- 95% CI per arm, and paired differences.

The 95% confidence intervals are Student-t intervals over seeds; differences to ``real``, ``classical``, best
classical and the arm an arm stacks on are paired by seed (same subset, same classifier seed) and tested with a
paired t-test (``genaug.bench.statistics``).
The plot needs matplotlib (``genaug[viz]``); without it the summary keeps its tables and a warning says so.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

from genaug.atomic import atomic_path, atomic_write_text
from genaug.bench.arms import BALANCED_ARMS, BEST_CLASSICAL
from genaug.bench.recommend import (
    HARM_MARGIN,
    Verdict,
    arm_name,
    base_label,
    best_classical_by_budget,
    harms,
    on_current_choice,
    recommend,
    snippet,
)
from genaug.bench.results import CLASS_FILE, JUDGES_FILE, META_FILE, Group, read_results
from genaug.bench.scenarios import SEMI_SUPERVISED, Scenario
from genaug.bench.statistics import mean_ci, paired_difference
from genaug.optional import MissingExtraError, require
from genaug.train.trainer import SAMPLES_DIR


def _fmt(mean: float, half: float, scale: float = 100.0) -> str:
    if math.isnan(half):
        return f"{mean * scale:.1f}"
    return f"{mean * scale:.1f} ± {half * scale:.1f}"


def _difference_cell(groups: dict[Group, dict[int, float]], key: Group, baseline: str | None) -> str:
    """The paired difference of ``key``'s arm to the arm labelled ``baseline`` (same setting); blank without one."""
    base = (*key[:3], baseline)
    if baseline is None or key[3] == baseline or base not in groups:
        return ""
    return _difference_text(paired_difference(groups[key], groups[base]))


def _stacking_cell(
    groups: dict[Group, dict[int, float]], key: Group, base: str | None, base_setting: tuple | None = None
) -> str:
    """The difference to the arm ``key``'s arm stacks on (in ``base_setting``, by default ``key``'s scenario,
    budget and ratio), named, and flagged when it breaks do no harm."""
    base_key = (*(base_setting or key[:3]), base)
    if base is None or base_key not in groups:
        return ""
    difference = paired_difference(groups[key], groups[base_key])
    return f"on {base}: {_difference_text(difference)}" + (" **harms**" if harms(difference) else "")


def _difference_text(difference: tuple[float, float, float, int]) -> str:
    mean, half, p, n = difference
    if n == 0:
        return ""
    return f"{_fmt(mean, half)} (p={p:.3f})" if not math.isnan(p) else _fmt(mean, half)


def summary_table(
    groups: dict[Group, dict[int, float]],
    scenario: str,
    setting_name: str,
    validation: dict[Group, dict[int, float]] | None = None,
    best: dict[int, str] | None = None,
) -> list[str]:
    """Markdown rows for one scenario: mean ± CI, and paired differences to real and classical; with the
    ``validation`` scores and the ``best`` classical arm per budget, also the validation mean and the differences
    to best classical and to the arm each arm stacks on."""
    best = best or {}
    extra = validation is not None and scenario == "balanced"
    header = f"| {setting_name} | arm | seeds |" + (" validation (%) |" if extra else "")
    header += " mean ± 95% CI (%) | vs real (pp) | vs classical (pp) |"
    header += " vs best classical (pp) | vs the arm it stacks on (pp) |" if extra else ""
    lines = [header, "|---" * header.count(" |") + "|"]
    for key in sorted(k for k in groups if k[0] == scenario):
        setting = key[1] if scenario == "balanced" else f"{key[2]:g}"
        values = groups[key]
        chosen = best.get(key[1]) if scenario == "balanced" else None
        label = f"{key[3]} (best classical)" if key[3] == chosen else key[3]
        row = f"| {setting} | {label} | {len(values)} |"
        if extra:
            row += f" {_fmt(*mean_ci(list(validation.get(key, {}).values())))} |" if key in validation else " |"
        row += (
            f" {_fmt(*mean_ci(list(values.values())))} "
            f"| {_difference_cell(groups, key, 'real')} | {_difference_cell(groups, key, 'classical')} |"
        )
        if extra:
            base = base_label(key[3], chosen)
            row += f" {_difference_cell(groups, key, chosen)} | {_stacking_cell(groups, key, base)} |"
        lines.append(row)
    return lines


def glance_table(accuracy: dict[Group, dict[int, float]], best: dict[int, str]) -> list[str]:
    """The compact table (the README's): test accuracy per budget and arm, and the difference to best classical.
    Where a budget's arms ran on different numbers of seeds (a resumed run that added seeds to some), each arm's
    label says its count; differences are paired over the seeds both arms have."""
    lines = ["| N per class | arm | test accuracy (%) | vs best classical (pp) |", "|---|---|---|---|"]
    keys = sorted(k for k in accuracy if k[0] == "balanced" and k[1] in best)
    seed_counts = {n: {len(accuracy[k]) for k in keys if k[1] == n} for n in best}
    for key in keys:
        label = f"**{key[3]}** (best classical)" if key[3] == best[key[1]] else key[3]
        if len(seed_counts[key[1]]) > 1:
            label += f" [{len(accuracy[key])} seeds]"
        cells = [_fmt(*mean_ci(list(accuracy[key].values()))), _difference_cell(accuracy, key, best[key[1]])]
        lines.append(f"| {key[1]} | {label} | " + " | ".join(cells) + " |")
    return lines


def semi_supervised_table(accuracy: dict[Group, dict[int, float]], best: dict[int, str]) -> list[str]:
    """The semi-supervised arms against the balanced scenario's rows of the same subsets: best classical, the arm
    each stacks on (flagged when it breaks do no harm), and the same arm whose generator saw the labelled images
    alone."""
    lines = [
        "| N per class | arm | seeds | test accuracy (%) | vs best classical (pp) | vs the arm it stacks on (pp) "
        "| vs the same arm without the unlabelled images (pp) |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in sorted({k[1] for k in accuracy if k[0] == SEMI_SUPERVISED}):
        best_values = accuracy.get(("balanced", n, 1.0, best.get(n, "")))
        if best_values:
            lines.append(
                f"| {n} | {best[n]} (best classical; labelled images only) | {len(best_values)} "
                f"| {_fmt(*mean_ci(list(best_values.values())))} | | | |"
            )
        for key in sorted(k for k in accuracy if k[0] == SEMI_SUPERVISED and k[1] == n):
            values, labelled_only = accuracy[key], accuracy.get(("balanced", n, 1.0, key[3]))
            base = base_label(key[3], best.get(n))
            cells = [
                _difference_text(paired_difference(values, best_values)) if best_values else "",
                _stacking_cell(accuracy, key, base, base_setting=("balanced", n, 1.0)),
                _difference_text(paired_difference(values, labelled_only)) if labelled_only else "",
            ]
            lines.append(
                f"| {n} | {key[3]} | {len(values)} | {_fmt(*mean_ci(list(values.values())))} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def class_table(path: Path, best: dict[int, str]) -> list[str]:
    """Per budget and class: each genaug arm on best classical against best classical alone (test accuracy on the
    class's images, differences paired by seed), a class significantly below flagged **loses** (not do no harm's
    margin: a class has few test images, so a few of them move its accuracy by more than that)."""
    classes = read_results(path, "accuracy", on_current_choice(best), within="class")
    lines = [
        "| N per class | arm | class | test accuracy (%) | best classical (%) | difference (pp) |",
        "|---|---|---|---|---|---|",
    ]
    for scenario, n, ratio, label, name in classes:  # the CSV's order: the classes in the data set's order
        stacks_on = BALANCED_ARMS[arm_name(label)].stacks_on if arm_name(label) in BALANCED_ARMS else None
        base = (scenario, n, ratio, best.get(n), name)
        if scenario != "balanced" or stacks_on != BEST_CLASSICAL or base not in classes:
            continue
        values = classes[(scenario, n, ratio, label, name)]
        difference = paired_difference(values, classes[base])
        cells = [_fmt(*mean_ci(list(values.values()))), _fmt(*mean_ci(list(classes[base].values())))]
        mean, _, p, _ = difference
        flag = " **loses**" if mean < 0 and p < 0.05 else ""  # a NaN p (no spread) compares False
        lines.append(f"| {n} | {label} | {name} | " + " | ".join(cells) + f" | {_difference_text(difference)}{flag} |")
    return lines if len(lines) > 2 else []


def recommendation(out: Path, verdicts: list[Verdict]) -> list[str]:
    """The verdicts as a table, then each budget's sentence and a snippet for each recommended configuration."""
    lines = [
        "## Recommendation (chosen on the validation split; effects measured on the test split)",
        "",
        "| N per class | best classical | recommended | validation: vs best classical (pp) "
        "| test: vs best classical (pp) | test: vs the arm it stacks on (pp) |",
        "|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        effects = (v.validation_gain, v.test_vs_best, v.test_vs_base)
        cells = [v.best_classical, v.arm or f"{v.best_classical} alone"]
        cells += [_difference_text(d) if d is not None else "" for d in effects]
        lines.append(f"| {v.per_class} | " + " | ".join(cells) + " |")
    lines.append("")
    meta = json.loads((out / META_FILE).read_text())
    shown: set[str] = set()
    for v in verdicts:
        lines += [verdict_sentence(v), ""]
        if v.arm is not None and v.arm not in shown:
            shown.add(v.arm)
            lines += [snippet(v, meta), ""]
    return lines


def verdict_sentence(v: Verdict) -> str:
    """One budget's verdict in a sentence."""
    if v.arm is None:
        return f"At N = {v.per_class}: on this data, use {v.best_classical} alone." + _why_alone(v)
    effect = ""
    if v.test_vs_best is not None and v.test_vs_best[3] > 0:
        mean, half, p, _ = v.test_vs_best
        effect = f" ({mean * 100:+.1f} ± {half * 100:.1f} pp against it on the test split, p = {p:.3f})"
    return f"At N = {v.per_class}: use {v.arm}, on top of {v.best_classical}{effect}:"


def _why_alone(v: Verdict) -> str:
    """Why no genaug arm is recommended: how the one highest on the validation split fared ("" when none was
    measured)."""
    c = v.nearest
    if c is None:
        return ""
    mean, half, _, _ = c.gain
    gain = f"{mean * 100:+.1f} ± {half * 100:.1f} pp"
    if c.harms_base:
        reason = "harms the arm it stacks on there"
    elif mean <= 0:
        reason = "not above it"
    elif math.isnan(c.lower):
        reason = "one seed gives no interval to rule out a loss"
    else:
        over = f" (covering the {v.candidates} candidates)" if v.candidates > 1 else ""
        risk = f"more than the {HARM_MARGIN * 100:.1f} pp a recommendation may risk"
        reason = f"its interval{over} reaches {c.lower * 100:+.1f} pp, {risk}"
    return f" The genaug arm highest on the validation split, {c.label}, is {gain} against it: {reason}."


def verdicts(out: Path) -> list[Verdict]:
    """The recommendation at every balanced budget of the results in ``out`` (none for results written before the
    validation scores existed)."""
    best, accuracy, validation = _scores(out / "results.csv")
    return _verdicts(best, accuracy, validation)


def _verdicts(
    best: dict[int, str], accuracy: dict[Group, dict[int, float]], validation: dict[Group, dict[int, float]] | None
) -> list[Verdict]:
    return [recommend(validation or {}, accuracy, n, best[n]) for n in sorted(best)]


def _scores(
    results: Path,
) -> tuple[dict[int, str], dict[Group, dict[int, float]], dict[Group, dict[int, float]] | None]:
    """Best classical per budget, test accuracies and validation accuracies (None for results written before the
    validation scores existed), each read from ``results`` with the rows of the current choice only."""
    with results.open(newline="") as f:
        scored = "validation_accuracy" in (csv.DictReader(f).fieldnames or [])
    best = best_classical_by_budget(results) if scored else {}
    keep = on_current_choice(best) if scored else None
    accuracy = read_results(results, "accuracy", keep)
    validation = (read_results(results, "validation_accuracy", keep) if scored else None) or None
    return best, accuracy, validation


def write_summary(out: Path, header: str = "") -> Path:
    """Write ``summary.md`` and ``accuracy_vs_budget.png`` (when matplotlib is installed) for the results in ``out``;
    returns summary.md. Results written before the validation scores existed get the tables without them."""
    results = out / "results.csv"
    lines = [header] if header else []
    best, accuracy, validation = _scores(results)
    if best:
        lines += recommendation(out, _verdicts(best, accuracy, validation))
        lines += ["## At a glance: test accuracy against best classical", "", *glance_table(accuracy, best), ""]
    if any(k[0] == "balanced" for k in accuracy):
        table = summary_table(accuracy, "balanced", "N per class", validation, best)
        lines += ["## Balanced budgets: test accuracy", "", *table, ""]
        lines += plot_or_warn(accuracy, out)
    per_class = class_table(out / CLASS_FILE, best) if (out / CLASS_FILE).exists() else []
    if per_class:
        lines += ["## Per class: the genaug arms on best classical against it (test split)", ""]
        lines += [
            "Where synthetic data gains and loses: a class's test accuracy is the share of its test images "
            "predicted as it. **loses**: significantly below best classical (paired t-test over seeds, p < 0.05). "
            "Measured on the test split, so it says where to look, not what to choose.",
            "",
            *per_class,
            "",
        ]
    if any(k[0] == "long_tailed" for k in accuracy):
        for metric, title in (("balanced_accuracy", "balanced accuracy"), ("minority_recall", "minority-class recall")):
            table = summary_table(read_results(results, metric), "long_tailed", "imbalance ratio")
            lines += [f"## Long-tailed subsets: {title}", "", *table, ""]
    if any(k[0] == SEMI_SUPERVISED for k in accuracy):
        lines += ["## Semi-supervised: the rest of the pool as unlabelled images (test accuracy)", ""]
        lines += [*semi_supervised_table(accuracy, best), ""]
    budgets = sorted({k[1] for k in accuracy if k[0] == "balanced"})
    lines += sample_grid_table(out, budgets)
    quality = out / "quality.csv"
    if quality.exists():
        lines += ["## Generator quality (reference-CNN features; not comparable with Inception FID)", ""]
        lines += [*judges_sentence(out / JUDGES_FILE), *quality_table(quality)]
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


def judges_sentence(path: Path) -> list[str]:
    """How well label fidelity's judges classify real test images (judges.json; nothing when absent)."""
    if not path.exists():
        return []
    judges = json.loads(path.read_text())["test_accuracy"]
    return [
        f"Label fidelity's judges, trained on the reference split, classify {judges['reference_cnn']:.1%} (the "
        f"reference CNN: label_fidelity) and {judges['rbf_svm']:.1%} (an RBF-SVM on pixels: svm_label_fidelity) of "
        "the real test images correctly: a generator's label fidelity reads against these.",
        "",
    ]


def quality_table(path: Path) -> list[str]:
    """Mean of every quality metric per scenario setting and family (over the seeds that measured it)."""
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
        means = [mean_of_measured([r[m] for r in members]) for m in metrics]
        lines.append(f"| {scenario} | {n} | {ratio:g} | {family} | {len(members)} | " + " | ".join(means) + " |")
    return lines


def mean_of_measured(cells: list[str]) -> str:
    """The mean of a metric's non-blank cells, to 3 significant digits; blank when none was measured (a metric a
    later version added, not measured yet for a run of an older one)."""
    values = [float(c) for c in cells if c != ""]
    return f"{np.mean(values):.3g}" if values else ""


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
