"""genaug-bench from the command line: the quick recipe runs end to end (shrunk further for the test suite)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def genaug_bench(*overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "genaug.cli.bench", *overrides]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def test_quick_recipe_writes_results_and_summary(tmp_path):
    done = genaug_bench(
        "bench=quick", "data=digits", f"out={tmp_path}", "progress=false", "bench.per_class=[5]", "bench.seeds=1",
        "bench.generator_steps=5", "bench.classifier_steps=5", "bench.pool_per_class=10",
        "models.cvae.latent_dim=4", "models.cvae.base_width=8",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "## Balanced budgets: test accuracy" in done.stdout
    assert (tmp_path / "results.csv").read_text().count("\n") == 1 + 5  # header + the 5 balanced arms
    assert (tmp_path / "summary.md").exists() and (tmp_path / "accuracy_vs_budget.png").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [("bench.arms=[real,magic]", "valid arms"), ("bench.mode=blend", "bench.mode must be one of")],
)
def test_bad_settings_are_explained(tmp_path, override, message):
    done = genaug_bench("bench=quick", "data=digits", f"out={tmp_path}", override)
    assert done.returncode != 0 and message in done.stderr
