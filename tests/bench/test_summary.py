"""Summary statistics: confidence intervals, paired differences, the markdown table and the plot."""

from __future__ import annotations

import csv
import math

import pytest
from scipy import stats

from genaug.bench.run import RESULT_FIELDS
from genaug.bench.summary import mean_ci, paired_difference, write_summary


def test_mean_ci_is_the_student_t_interval():
    mean, half = mean_ci([0.5, 0.7, 0.6])
    assert mean == pytest.approx(0.6)
    assert half == pytest.approx(stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3))
    assert math.isnan(mean_ci([0.5])[1])


def test_paired_difference_uses_only_shared_seeds():
    a, b = {0: 0.8, 1: 0.9, 2: 0.85, 3: 0.99}, {0: 0.7, 1: 0.85, 2: 0.8}
    mean, half, p, n = paired_difference(a, b)
    assert n == 3 and mean == pytest.approx((0.1 + 0.05 + 0.05) / 3)
    assert p == pytest.approx(stats.ttest_rel([0.8, 0.9, 0.85], [0.7, 0.85, 0.8]).pvalue)


def test_summary_reports_every_arm_with_differences(tmp_path):
    rows = []
    for n in (10, 20):
        for seed in range(3):
            for arm, family, acc in (("real", "", 0.7), ("classical", "", 0.75), ("real+synthetic", "cvae", 0.8)):
                rows.append({
                    "scenario": "balanced", "per_class": n, "imbalance_ratio": 1.0, "seed": seed, "arm": arm,
                    "family": family, "mode": "replace", "train_images": 100, "accuracy": acc + 0.01 * seed,
                    "balanced_accuracy": acc, "minority_recall": "", "seconds": 1.0,
                })  # fmt: skip
    with (tmp_path / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RESULT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    text = write_summary(tmp_path).read_text()
    assert "| 10 | real+synthetic (cvae) | 3 | 81.0 ± " in text
    assert "| 20 | classical | 3 | 76.0 ± " in text
    assert "10.0 ± 0.0" in text  # real+synthetic vs real: +10 points on every seed
    assert (tmp_path / "accuracy_vs_budget.png").stat().st_size > 1000
