"""benchmarks.report: a benchmark's JSON and markdown results, written atomically and read back on a rerun."""

from __future__ import annotations

import dataclasses

from benchmarks import report


def test_report_round_trip_and_missing_report(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    assert report.previous_report("anomaly") == {}
    report.write_report("anomaly", {"command": "python -m benchmarks.anomaly", "rows": [{"digit": 3}]}, "| a |\n")
    assert report.previous_report("anomaly")["rows"] == [{"digit": 3}]
    assert (tmp_path / "results" / "anomaly.md").read_text() == "| a |\n"
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["anomaly.json", "anomaly.md"]


def test_rows_resume_only_under_the_same_settings(tmp_path, monkeypatch):
    @dataclasses.dataclass
    class Settings:
        seed: int

    monkeypatch.setattr(report, "RESULTS", tmp_path)
    report.write_rows("probe", [{"accuracy": 0.9}], "python -m benchmarks.probe", "2 cores", Settings(0), "| 0.9 |\n")
    written = report.previous_report("probe")
    assert written["settings"] == {"seed": 0} and written["command"] == "python -m benchmarks.probe"
    assert report.previous_rows("probe", Settings(0)) == [{"accuracy": 0.9}]
    assert report.previous_rows("probe", Settings(1)) == []


def test_rows_are_kept_when_only_the_selection_of_rows_grows(tmp_path, monkeypatch):
    @dataclasses.dataclass
    class Settings:
        seeds: int
        steps: int

    monkeypatch.setattr(report, "RESULTS", tmp_path)
    report.write_rows("grid", [{"seed": 0}], "python -m benchmarks.grid", "2 cores", Settings(1, 600), "|\n")
    assert report.previous_rows("grid", Settings(3, 600), selectors=("seeds",)) == [{"seed": 0}]
    assert report.previous_rows("grid", Settings(3, 600)) == []  # without selectors every setting must match
    assert report.previous_rows("grid", Settings(3, 900), selectors=("seeds",)) == []  # steps change what is measured


def test_a_setting_added_since_a_report_counts_as_at_its_default_there(tmp_path, monkeypatch):
    @dataclasses.dataclass
    class Before:
        steps: int

    @dataclasses.dataclass
    class After:
        steps: int
        data: str = "mnist5k"

    monkeypatch.setattr(report, "RESULTS", tmp_path)
    report.write_rows("grid", [{"seed": 0}], "python -m benchmarks.grid", "2 cores", Before(600), "|\n")
    assert report.previous_rows("grid", After(600)) == [{"seed": 0}]
    assert report.previous_rows("grid", After(600, data="photos")) == []
