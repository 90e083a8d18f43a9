"""benchmarks.linear_probe end to end on MNIST-5k with a briefly trained ae, its report written to a scratch folder."""

from __future__ import annotations

import json

from benchmarks import linear_probe, report


def test_every_representation_gets_a_row_and_a_rerun_repeats_none(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.setattr(linear_probe, "WORK", tmp_path / "runs")
    argv = ["steps=5", "families=ae", "threads=1"]
    linear_probe.main(argv)
    rows = json.loads((tmp_path / "linear_probe.json").read_text())["rows"]
    assert [(r["features"], r["dimension"]) for r in rows] == [
        ("raw pixels", 784),
        ("PCA (16 components)", 16),
        ("LatentEncoder(ae, 5 steps)", 16),
    ]
    assert all(0 < r[k] <= 1 for r in rows for k in ("accuracy_all", "accuracy_few"))
    assert "| raw pixels | 784 |" in (tmp_path / "linear_probe.md").read_text()
    linear_probe.main(argv)  # every row is there: nothing is measured again
    assert json.loads((tmp_path / "linear_probe.json").read_text())["rows"] == rows
