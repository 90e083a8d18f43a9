"""benchmarks.train_quality end to end on a few steps, its report written to a scratch folder."""

from __future__ import annotations

import json

from benchmarks import report, train_quality


def test_a_family_gets_its_row_with_both_judges_fidelity(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.setattr(train_quality, "RESULTS", tmp_path)
    train_quality.main(["families=[ae]", "trainer.steps=5", "overhead_steps=2", "reference_steps=20"])
    written = json.loads((tmp_path / "train_quality.json").read_text())
    (row,) = written["rows"]
    assert row["family"] == "ae" and row["steps"] == 5
    assert 0 <= row["label_fidelity"] <= 1 and 0 <= row["svm_label_fidelity"] <= 1
    assert written["svm_accuracy"] > 0.9  # the SVM on pixels, trained on 2,500 real digits, knows unseen ones
    table = (tmp_path / "train_quality.md").read_text()
    assert "| label fidelity | label fidelity (SVM) |" in table and "RBF-SVM on pixels" in table
    assert (tmp_path / "samples_ae.png").is_file()
