"""benchmarks.augment_speed end to end with models trained for two steps, its report written to a scratch folder.
Slow (about two minutes on 2 cores: it times whole passes over MNIST-5k through DataLoader workers), so it is
left out of the default run (``pytest -m slow``)."""

from __future__ import annotations

import json

import pytest

from benchmarks import augment_speed, report


@pytest.mark.slow
def test_the_report_times_every_pipeline_and_states_each_target(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.setattr(augment_speed, "RESULTS", tmp_path)
    augment_speed.main(["fit_steps=2", "epochs=1", "workers=1", "report=speed"])
    measured = json.loads((tmp_path / "speed.json").read_text())
    assert measured["command"] == "python -m benchmarks.augment_speed fit_steps=2 epochs=1 workers=1 report=speed"
    assert all(v > 0 for v in measured["throughput_images_per_s"].values())
    assert set(measured["epoch_s"]) >= {"classical", augment_speed.BATCH_IN_STEP, augment_speed.BATCH_IN_WORKERS}
    assert all(len(epochs) == 1 and epochs[0]["wall"] > 0 for epochs in measured["epoch_s"].values())
    assert len(measured["targets_met"]) == 4 and all(isinstance(v, bool) for v in measured["targets_met"].values())
    assert "Targets:" in (tmp_path / "speed.md").read_text()


def test_an_unknown_option_names_the_valid_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.setattr(augment_speed, "RESULTS", tmp_path)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['epoch'\]; valid: cgan, ae, cvae, fit_steps"):
        augment_speed.main(["fit_steps=1", "epoch=1"])
