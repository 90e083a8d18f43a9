"""benchmarks.bench_tuning's variant sets and report (the tuning runs themselves are benchmarks, not tests)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from benchmarks.bench_tuning import VARIANT_SETS, Settings, markdown, resumable_rows
from genaug.bench import BALANCED_ARMS, BenchConfig
from genaug.bench.arms import BEST_CLASSICAL
from genaug.models.diffusion import DiffusionConfig


@pytest.mark.parametrize("name", sorted(VARIANT_SETS))
def test_every_variant_names_an_arm_and_real_settings(name):
    bench_fields = {f.name for f in dataclasses.fields(BenchConfig)}
    generator_fields = {f.name for f in dataclasses.fields(DiffusionConfig)}
    for arm, changes, generator_changes in VARIANT_SETS[name].values():
        assert arm == BEST_CLASSICAL or arm in BALANCED_ARMS
        assert set(changes) <= bench_fields and set(generator_changes) <= generator_fields
        config = dataclasses.replace(BenchConfig(), **changes)  # valid values
        mixes = arm != BEST_CLASSICAL and BALANCED_ARMS[arm].uses_mode
        assert not mixes or len(config.mixings()) == 1  # one mode and strength, whatever the run searched


def test_an_unknown_variant_set_lists_the_known_ones():
    known = (
        r"\['default_arm', 'mixing', 'share', 'share_high', 'strength', 'strength_high', 'strength_low', "
        r"'strength_steps'\]"
    )
    with pytest.raises(ValueError, match=r"unknown variants='speed'; choose one of " + known):
        _ = Settings(run="r", per_class=[10], variants="speed").variant_set


def test_the_report_compares_each_variant_with_the_first_of_its_set():
    settings = Settings(run="runs/bench", per_class=[10], family="diffusion", variants="default_arm")
    rows = [
        {"per_class": 10, "seed": seed, "variant": variant, "accuracy": accuracy + 0.01 * seed}
        for seed in range(3)
        for variant, accuracy in (("best_classical", 0.90), ("perturb, strength 0.7", 0.92))
    ]
    text = markdown(rows, "python -m benchmarks.bench_tuning ...", "machine", settings)
    assert "| N per class | variant | seeds | validation accuracy (%) | vs best_classical (pp) |" in text
    assert "| 10 | best_classical | 3 | 91.0 ± 2.5 |  |" in text
    assert "| 10 | perturb, strength 0.7 | 3 | 93.0 ± 2.5 | +2.0 ± 0.0 (p=" in text
    assert "replace 0.2" not in text  # variants without rows are left out
    assert "the diffusion models of the balanced scenario of the genaug-bench run in `runs/bench`" in text


def test_an_unknown_scenario_names_the_two_whose_generators_can_be_tuned():
    with pytest.raises(ValueError, match="unknown scenario='long_tailed'; choose balanced or semi_supervised"):
        Settings(run="r", per_class=[10], scenario="long_tailed")


def test_a_report_of_other_settings_is_refused_not_written_over(tmp_path, monkeypatch):
    monkeypatch.setattr("benchmarks.report.RESULTS", tmp_path)
    earlier = Settings(run="runs/a", per_class=[10], variants="mixing", report="tuned")
    row = {"per_class": 10, "seed": 0, "variant": "classical", "accuracy": 0.9}
    report = {"command": "python -m benchmarks.bench_tuning run=runs/a", "settings": dataclasses.asdict(earlier)}
    (tmp_path / "tuned.json").write_text(json.dumps({**report, "rows": [row]}))
    assert resumable_rows(dataclasses.replace(earlier, per_class=[10, 20])) == [row]  # more budgets: resumed
    with pytest.raises(ValueError, match=r"tuned.json holds rows of other settings \(`python -m benchmarks"):
        resumable_rows(dataclasses.replace(earlier, variants="strength"))
    assert resumable_rows(dataclasses.replace(earlier, report="fresh")) == []
