"""Summary statistics: confidence intervals, paired differences, the markdown table and the plot."""

from __future__ import annotations

import csv
import dataclasses
import json
import math

import pytest
from scipy import stats

from genaug.bench.config import BenchConfig
from genaug.bench.recommend import recommend
from genaug.bench.run import RESULT_FIELDS, RESULT_KEY
from genaug.bench.statistics import mean_ci, paired_difference
from genaug.bench.summary import verdict_sentence, write_summary


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
    assert "| 10 | real+synthetic (cvae, replace) | 3 | 81.0 ± " in text
    assert "| 20 | classical | 3 | 76.0 ± " in text
    assert "10.0 ± 0.0" in text  # real+synthetic vs real: +10 points on every seed
    assert (tmp_path / "accuracy_vs_budget.png").stat().st_size > 1000


def write_rows(path, arms, budgets=(10,), seeds=4):
    """results.csv with, for each arm (name, family, stacked_on, validation, test[, scenario: balanced by default[,
    perturbation strength: 0.25 by default for an arm with a family]]), the given accuracies plus a seed-dependent
    offset shared by all arms (so paired differences are exact)."""
    with (path / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RESULT_FIELDS)
        writer.writeheader()
        for n in budgets:
            for seed in range(seeds):
                for arm, family, stacked_on, validation, test, *rest in arms:
                    scenario, strength = [*rest, "balanced", 0.25][0], [*rest[1:], 0.25][0]
                    writer.writerow({
                        "scenario": scenario, "per_class": n, "imbalance_ratio": 1.0, "seed": seed, "arm": arm,
                        "family": family, "mode": "perturb" if family else "", "strength": strength if family else "",
                        "stacked_on": stacked_on,
                        "train_images": 100, "validation_accuracy": validation + 0.01 * seed,
                        "accuracy": test + 0.01 * seed, "balanced_accuracy": test, "minority_recall": "", "seconds": 1,
                    })  # fmt: skip


def meta(path):
    data = {"data_source": "digits (scikit-learn load_digits, 8×8)", "classes": list("0123456789")}
    config = dataclasses.asdict(BenchConfig())
    (path / "bench_meta.json").write_text(
        json.dumps({"config": config, "data": data, "generators": {"ae": {"config": {"base_width": 16}}}})
    )


def test_best_classical_is_chosen_on_validation_and_the_recommendation_snippet_runs_its_settings(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [
        ("real", "", "", 0.70, 0.70),
        ("classical", "", "", 0.80, 0.85),  # best on test, but not on validation
        ("trivialaugment", "", "", 0.82, 0.80),
        ("classical+filtered_synthetic", "ae", "classical", 0.81, 0.86),
        ("best_classical+filtered_synthetic", "ae", "trivialaugment", 0.84, 0.83),
        ("best_classical+filtered_synthetic", "ae", "classical", 0.99, 0.99),  # stacked on an earlier choice
    ])  # fmt: skip
    text = write_summary(tmp_path).read_text()
    assert "| 10 | trivialaugment (best classical) | 4 | 83.5 ± " in text
    assert "| 10 | **trivialaugment** (best classical) | 81.5 ± 2.1 |  |" in text  # the compact table
    assert "| 10 | classical | 86.5 ± 2.1 | 5.0 ± 0.0 (p=0.000) |" in text
    assert "99.0" not in text  # rows on another arm than today's best classical are left out
    verdict = (
        "| 10 | trivialaugment | best_classical+filtered_synthetic (ae, perturb 0.25) | 2.0 ± 0.0 (p=0.000) "
        "| 3.0 ± 0.0 (p=0.000)"
    )
    assert verdict in text
    assert "genaug-train data.source=digits model=ae model.base_width=16 trainer.steps=600" in text
    assert 'policy_batch_augment("trivialaugment", seed=0)' in text and "filter=PredictionFilter(judge)" in text


def test_the_recommendation_chooses_the_strength_on_validation_and_its_snippet_uses_it(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [
        ("cutmix", "", "", 0.80, 0.80),
        ("best_classical+filtered_synthetic", "ae", "cutmix", 0.81, 0.83, "balanced", 0.25),
        ("best_classical+filtered_synthetic", "ae", "cutmix", 0.82, 0.79, "balanced", 0.125),  # best on validation
    ])  # fmt: skip
    text = write_summary(tmp_path).read_text()
    chosen = "best_classical+filtered_synthetic (ae, perturb 0.125)"
    assert f"| 10 | cutmix | {chosen} | 2.0 ± 0.0 (p=0.000) | -1.0 ± 0.0 (p=0.000) |" in text
    assert f"At N = 10: use {chosen}, on top of cutmix (-1.0 ± 0.0 pp" in text
    assert 'BatchAugment(model, mode="perturb", p=0.5, strength=0.125, filter=PredictionFilter(judge), seed=0)' in text
    assert "strength=0.25" not in text
    assert 'base = BatchLabelMix("cutmix", num_classes=10, seed=0)' in text and "    x, y = base(x, y)" in text
    assert "| 10 | best_classical+filtered_synthetic (ae, perturb 0.25) | 84.5 ± 2.1 | 3.0 ± 0.0 (p=0.000) |" in text


def test_a_recommended_dataset_arm_gets_a_snippet_with_the_synthetic_and_mixed_datasets(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [
        ("classical", "", "", 0.80, 0.80),
        ("best_classical+filtered_synthetic", "ae", "classical", 0.82, 0.81),
    ])  # fmt: skip
    results = tmp_path / "results.csv"
    results.write_text(results.read_text().replace(",perturb,0.25,", ",dataset,,"))
    text = write_summary(tmp_path).read_text()
    assert "| 10 | classical | best_classical+filtered_synthetic (ae, dataset) | 2.0 ± 0.0 (p=0.000) |" in text
    assert "synthetic = genaug.SyntheticDataset(model, n_per_class=10, seed=0, filter=PredictionFilter(judge))" in text
    assert "mixed = genaug.MixedDataset(real, synthetic, synthetic_fraction=0.5, transform=as_float)" in text
    assert "BatchAugment" not in text and "    x = base(x, y)" in text


def test_without_a_gain_on_validation_the_verdict_is_best_classical_alone_and_harm_is_flagged(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [
        ("mixup", "", "", 0.80, 0.80),
        ("mixup+synthetic", "ae", "mixup", 0.79, 0.78),  # below mixup on validation, and 2 pp below on test
    ])  # fmt: skip
    text = write_summary(tmp_path).read_text()
    assert "At N = 10: on this data, use mixup alone." in text and "| 10 | mixup | mixup alone |" in text
    why = "The genaug arm highest on the validation split, mixup+synthetic (ae, perturb 0.25), is -1.0 ± 0.0 pp"
    assert f"{why} against it: harms the arm it stacks on there." in text
    assert "| on mixup: -2.0 ± 0.0 (p=0.000) **harms** |" in text


def test_the_compact_table_names_seed_counts_where_a_resumed_run_gave_some_arms_more_seeds(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [("mixup", "", "", 0.80, 0.80), ("mixup+synthetic", "ae", "mixup", 0.81, 0.79)])
    assert "seeds]" not in write_summary(tmp_path).read_text()  # every arm on the same seeds: no counts
    with (tmp_path / "results.csv").open(newline="") as f:
        extra = [{**row, "seed": int(row["seed"]) + 4} for row in csv.DictReader(f) if row["arm"] == "mixup"][:2]
    with (tmp_path / "results.csv").open("a", newline="") as f:
        csv.DictWriter(f, fieldnames=RESULT_FIELDS).writerows(extra)
    text = write_summary(tmp_path).read_text()
    assert "| 10 | **mixup** (best classical) [6 seeds] |" in text
    assert "| 10 | mixup+synthetic (ae, perturb 0.25) [4 seeds] | 80.5 ± 2.1 | -1.0 ± 0.0 (p=0.000) |" in text


def test_the_quality_table_averages_what_was_measured_and_leaves_a_metric_measured_nowhere_blank(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [("mixup", "", "", 0.80, 0.80), ("mixup+synthetic", "ae", "mixup", 0.81, 0.79)])
    key = "scenario,per_class,imbalance_ratio,seed,family"
    (tmp_path / "quality.csv").write_text(
        f"{key},label_fidelity,svm_label_fidelity,recall\n"
        "balanced,10,1.0,0,ae,0.9,0.8,\nbalanced,10,1.0,1,ae,0.7,,\n"  # a run of an older version, half filled
    )
    text = write_summary(tmp_path).read_text()
    assert "| family | seeds | label_fidelity | svm_label_fidelity | recall |" in text
    assert "| balanced | 10 | 1 | ae | 2 | 0.8 | 0.8 |  |" in text


def test_the_recommendation_s_interval_widens_with_the_number_of_candidates():
    def group(label):
        return ("balanced", 10, 1.0, label)

    on_best = "best_classical+filtered_synthetic (ae, perturb 0.25)"
    gain = [0.00976, 0.00024, 0.00976, 0.00024]  # +0.5 pp on average: 95% interval down to -0.38 pp, 97.5% to -0.65
    validation = {
        group("classical"): dict.fromkeys(range(4), 0.8),
        group(on_best): {seed: 0.8 + g for seed, g in enumerate(gain)},
    }
    alone = recommend(validation, {}, 10, "classical")
    assert alone.arm == on_best
    assert alone.validation_gain[1] == pytest.approx(paired_difference(*validation.values())[1])  # reported at 95%
    # its twin (the same training when classical is best classical) is not a second candidate
    validation[group("classical+filtered_synthetic (ae, perturb 0.25)")] = validation[group(on_best)]
    assert recommend(validation, {}, 10, "classical").arm == on_best
    # a second strength, 1 pp below on validation, is: each candidate's interval is now at 97.5%
    validation[group("best_classical+filtered_synthetic (ae, perturb 0.125)")] = dict.fromkeys(range(4), 0.79)
    verdict = recommend(validation, {}, 10, "classical")
    assert verdict.arm is None and verdict.candidates == 2 and verdict.nearest.label == on_best
    one_seed = recommend({k: {0: v[0]} for k, v in validation.items()}, {}, 10, "classical")
    assert verdict_sentence(one_seed).endswith("against it: one seed gives no interval to rule out a loss.")
    assert verdict_sentence(verdict).endswith(
        "is +0.5 ± 0.9 pp against it: its interval (covering the 2 candidates) reaches -0.6 pp, more than the 0.5 pp "
        "a recommendation may risk."
    )


def test_the_semi_supervised_table_flags_an_arm_that_harms_the_arm_it_stacks_on(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [
        ("classical", "", "", 0.80, 0.80),
        ("cutmix", "", "", 0.82, 0.84),  # best classical
        ("best_classical+filtered_synthetic", "ae", "cutmix", 0.83, 0.84),
        ("classical+filtered_synthetic", "ae", "classical", 0.81, 0.81),
        ("best_classical+filtered_synthetic", "ae", "cutmix", 0.82, 0.83, "semi_supervised"),  # 1 pp below cutmix
        ("pseudo_label", "", "cutmix", 0.84, 0.846, "semi_supervised"),
        ("classical+filtered_synthetic", "ae", "classical", 0.81, 0.805, "semi_supervised"),  # above classical
    ])  # fmt: skip
    text = write_summary(tmp_path).read_text()
    table = text[text.index("## Semi-supervised") :]
    ae = "| 10 | best_classical+filtered_synthetic (ae, perturb 0.25) | 4 | 84.5 ± 2.1 | -1.0 ± 0.0 (p=0.000) |"
    assert f"{ae} on cutmix: -1.0 ± 0.0 (p=0.000) **harms** | -1.0 ± 0.0 (p=0.000) |" in table
    assert "| on cutmix: 0.6 ± 0.0 (p=0.000) |  |" in table  # pseudo-labelling, no generator to compare with
    assert "| -3.5 ± 0.0 (p=0.000) | on classical: 0.5 ± 0.0 (p=0.000) | -0.5 ± 0.0 (p=0.000) |" in table


def test_the_per_class_table_shows_where_the_arm_on_best_classical_loses(tmp_path):
    meta(tmp_path)
    write_rows(tmp_path, [
        ("classical", "", "", 0.80, 0.80),
        ("best_classical+filtered_synthetic", "ae", "classical", 0.81, 0.80),
        ("best_classical+filtered_synthetic", "ae", "mixup", 0.99, 0.99),  # stacked on an earlier choice
    ])  # fmt: skip
    with (tmp_path / "class_accuracy.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*RESULT_KEY, "class", "accuracy"])
        writer.writeheader()
        for seed in range(4):
            for arm, family, stacked_on, by_class in (
                ("classical", "", "", {"cat": 0.8, "dog": 0.6, "eel": 0.7}),
                (
                    "best_classical+filtered_synthetic",
                    "ae",
                    "classical",
                    {"cat": 0.9 + 0.01 * seed, "dog": 0.5, "eel": 0.7 - 0.02 * (seed % 2)},
                ),
                ("best_classical+filtered_synthetic", "ae", "mixup", {"cat": 0.1, "dog": 0.1}),
            ):
                for name, value in by_class.items():
                    writer.writerow({
                        "scenario": "balanced", "per_class": 10, "imbalance_ratio": 1.0, "seed": seed, "arm": arm,
                        "family": family, "mode": "perturb" if family else "", "strength": 0.25 if family else "",
                        "stacked_on": stacked_on,
                        "class": name, "accuracy": value,
                    })  # fmt: skip
    text = write_summary(tmp_path).read_text()
    assert "## Per class" in text and "| 10.0 ± 0.0 |" not in text  # the rows on an earlier choice are left out
    arm = "| 10 | best_classical+filtered_synthetic (ae, perturb 0.25)"
    assert f"{arm} | cat | 91.5 ± 2.1 | 80.0 ± 0.0 | 11.5 ± 2.1 (p=0." in text
    assert f"{arm} | dog | 50.0 ± 0.0 | 60.0 ± 0.0 | -10.0 ± 0.0 (p=0.000) **loses** |" in text
    assert f"{arm} | eel | 69.0 ± 1.8 | 70.0 ± 0.0 | -1.0 ± 1.8 (p=0.182) |" in text  # within the seeds' spread
    assert text.index("| cat |") < text.index("| dog |") < text.index("| eel |")  # in the data set's class order
