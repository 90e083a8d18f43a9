"""benchmarks.report: a benchmark's JSON and markdown results, written atomically and read back on a rerun."""

from __future__ import annotations

from benchmarks import report


def test_report_round_trip_and_missing_report(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    assert report.previous_report("anomaly") == {}
    report.write_report("anomaly", {"command": "python -m benchmarks.anomaly", "rows": [{"digit": 3}]}, "| a |\n")
    assert report.previous_report("anomaly")["rows"] == [{"digit": 3}]
    assert (tmp_path / "results" / "anomaly.md").read_text() == "| a |\n"
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["anomaly.json", "anomaly.md"]
