"""benchmarks.sample_speed: the diffusion steps' quality step runs end to end on a saved checkpoint, with real judges
(trained briefly here on MNIST-5k's reference split)."""

from __future__ import annotations

from benchmarks import sample_speed, small_data
from genaug.data import load
from genaug.models.diffusion import Diffusion, DiffusionConfig


def test_steps_quality_scores_a_saved_diffusion_model_at_each_steps(tmp_path, monkeypatch):
    classes = load("mnist5k").classes
    model = Diffusion(DiffusionConfig(base_width=8, channel_multipliers=(1, 2)), classes, (1, 28, 28))
    model.save(tmp_path / "diffusion")
    monkeypatch.setattr(sample_speed, "JudgeSettings", lambda: small_data.Settings(classifier_steps=5))
    monkeypatch.setattr(sample_speed, "STEPS", (1, 2))
    monkeypatch.setattr(sample_speed, "QUALITY_PER_CLASS", 2)
    rows = sample_speed.steps_quality(str(tmp_path / "diffusion"))
    assert [row["steps"] for row in rows] == [1, 2]
    for row in rows:
        assert 0 <= row["label_fidelity"] <= 1 and 0 <= row["svm_label_fidelity"] <= 1 and row["images_per_s"] > 0
