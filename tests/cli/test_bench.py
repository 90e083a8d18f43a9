"""genaug-bench from the command line: the quick recipe runs end to end (shrunk further for the test suite)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image


def genaug_bench(*overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "genaug.cli.bench", *overrides]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def test_quick_recipe_writes_results_and_summary(tmp_path):
    done = genaug_bench(
        "bench=quick", "data=digits", f"out={tmp_path}", "progress=false", "bench.per_class=[5]", "bench.seeds=1",
        "bench.generator_steps=5", "bench.classifier_steps=5", "bench.pool_per_class=10",
        "models.ae.latent_dim=4", "models.ae.base_width=8", "models.ae.density_components=2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "## Balanced budgets: test accuracy" in done.stdout
    assert (tmp_path / "results.csv").read_text().count("\n") == 1 + 5  # header + the 5 balanced arms
    assert (tmp_path / "summary.md").exists() and (tmp_path / "accuracy_vs_budget.png").exists()
    summary = (tmp_path / "summary.md").read_text()
    assert "- Command: `genaug-bench bench=quick data=digits" in summary and "- Machine: " in summary


def test_runs_on_a_user_image_folder(tmp_path, digits):
    """RGB PNGs in one folder per class, as a user would have them (tinted digits, so the channels differ)."""
    folder = tmp_path / "images"
    for name, k in (("circle", 0), ("line", 1), ("swan", 2)):
        (folder / name).mkdir(parents=True)
        images = digits.images[digits.labels == k][:20, 0].numpy()
        for i, gray in enumerate(images):
            rgb = np.stack([gray, gray // 2, 255 - gray], axis=-1).astype(np.uint8)
            Image.fromarray(rgb).resize((16, 16)).save(folder / name / f"{i}.png")
    done = genaug_bench(
        "bench=quick", "data=imagefolder", f"data.source={folder}", "data.image_size=16", f"out={tmp_path / 'bench'}",
        "progress=false", "bench.per_class=[5]", "bench.generator_steps=5", "bench.classifier_steps=5",
        "bench.pool_per_class=10", "bench.arms=[real,real+synthetic]", "models.ae.latent_dim=4",
        "models.ae.base_width=8", "models.ae.density_components=2", "bench.seeds=2", "workers=2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| 5 | real+synthetic (ae, perturb 0.25) | 2 |" in (tmp_path / "bench" / "summary.md").read_text()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("bench.arms=[real,magic]", "valid arms"),
        ("bench.mode=blend", "bench.mode must be one of"),
        ("workers=0", "workers must be an int >= 1, got 0"),
        pytest.param(
            "device=cuda",
            "device='cuda' but CUDA is not available here",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here"),
        ),
    ],
)
def test_bad_settings_are_explained(tmp_path, override, message):
    done = genaug_bench("bench=quick", "data=digits", f"out={tmp_path}", override)
    assert done.returncode != 0 and message in done.stderr


def test_the_photos_recipe_is_measured_on_its_predefined_splits(tmp_path):
    done = genaug_bench(
        "bench=quick", "data=photos", f"out={tmp_path}", "progress=false", "workers=1", "bench.per_class=[3]",
        "bench.seeds=1", "bench.arms=[real,classical]", "bench.classifier_steps=3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "reference: the predefined split photos-reference" in done.stdout
    assert "test: the predefined split photos-test" in done.stdout
    assert (tmp_path / "results.csv").read_text().count("\n") == 1 + 2
