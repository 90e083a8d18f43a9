"""benchmarks.gpu_check on a machine without CUDA (CI, 2 CPU cores): it says so and writes nothing."""

from __future__ import annotations

import torch

from benchmarks import gpu_check


def test_without_cuda_it_skips_cleanly_and_writes_nothing(monkeypatch, capsys, tmp_path):
    written = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(gpu_check, "write_report", lambda *args: written.append(args))
    assert gpu_check.main([]) == 0
    assert "no CUDA device here" in capsys.readouterr().out and written == []


def test_a_failing_check_is_recorded_and_the_rest_still_run(monkeypatch):
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda: None)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda: 3 * 2**20)
    rows: list[dict] = []
    gpu_check.run_check("broken", lambda: 1 / 0, rows)
    gpu_check.run_check("fine", lambda: {"images_per_s": 5.0}, rows)
    assert [(r["check"], r["ok"]) for r in rows] == [("broken", False), ("fine", True)]
    assert rows[0]["error"].startswith("ZeroDivisionError") and rows[1]["peak_memory_mb"] == 3.0
    table = gpu_check.markdown({"command": "c", "machine": "m", "gpu": "g", "wall_s": 1, "rows": rows})
    assert "| broken | FAILED |" in table and "| fine | yes | images_per_s=5.0 | 3.0 |" in table
