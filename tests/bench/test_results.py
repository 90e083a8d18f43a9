"""Result files: rows survive a crash, reruns skip finished runs, other configurations are refused."""

from __future__ import annotations

import threading

import pytest
from filelock import FileLock

from genaug.bench.results import ResultsFile, ResultsMismatchError, claim_directory

FIELDS, KEY = ["seed", "arm", "accuracy"], ["seed", "arm"]


def test_appended_rows_are_on_disk_and_skipped_on_rerun(tmp_path):
    path = tmp_path / "results.csv"
    first = ResultsFile(path, FIELDS, KEY)
    assert not first.done(seed=0, arm="real")
    first.append({"seed": 0, "arm": "real", "accuracy": 0.9})
    again = ResultsFile(path, FIELDS, KEY)
    assert again.done(seed=0, arm="real") and not again.done(seed=1, arm="real")
    assert again.rows == [{"seed": "0", "arm": "real", "accuracy": "0.9"}]


def test_a_half_written_last_row_is_dropped_and_redone(tmp_path):
    path = tmp_path / "results.csv"
    ResultsFile(path, FIELDS, KEY).append({"seed": 0, "arm": "real", "accuracy": 0.9})
    with path.open("a") as f:
        f.write("1,classi")  # killed mid-write
    results = ResultsFile(path, FIELDS, KEY)
    assert len(results.rows) == 1 and not results.done(seed=1, arm="classical")
    results.append({"seed": 1, "arm": "classical", "accuracy": 0.8})
    assert ResultsFile(path, FIELDS, KEY).done(seed=1, arm="classical")


def test_an_append_waits_while_another_process_holds_the_lock(tmp_path):
    path = tmp_path / "results.csv"
    results = ResultsFile(path, FIELDS, KEY)
    with FileLock(f"{path}.lock"):  # as a worker process appending its row
        writer = threading.Thread(target=results.append, args=({"seed": 0, "arm": "real", "accuracy": 0.9},))
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive() and not path.exists()
    writer.join(timeout=10)
    assert path.read_text().splitlines() == ["seed,arm,accuracy", "0,real,0.9"]


def test_results_with_other_columns_are_refused(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("seed,arm\n0,real\n")
    with pytest.raises(ResultsMismatchError, match="results.csv"):
        ResultsFile(path, FIELDS, KEY)


def test_a_file_without_a_later_metric_is_widened_and_its_blanks_filled_once(tmp_path):
    path = tmp_path / "quality.csv"
    path.write_text("seed,arm\n0,real\n1,real\n")  # written before "accuracy" was measured
    with pytest.raises(ResultsMismatchError, match="quality.csv"):
        ResultsFile(path, FIELDS, KEY)  # a column nobody declared added is another version's file
    results = ResultsFile(path, FIELDS, KEY, added_fields=["accuracy"])
    assert path.read_text() == "seed,arm,accuracy\n0,real,\n1,real,\n" and results.done(seed=1, arm="real")
    ResultsFile(path, FIELDS, KEY).append({"seed": 2, "arm": "real", "accuracy": 0.7})  # another worker's row
    results.fill({"seed": 1, "arm": "real"}, {"accuracy": 0.9})
    results.fill({"seed": 2, "arm": "real"}, {"accuracy": 0.1})  # measured already: kept
    assert path.read_text() == "seed,arm,accuracy\n0,real,\n1,real,0.9\n2,real,0.7\n"
    assert results.find(seed=2, arm="real") == {"seed": "2", "arm": "real", "accuracy": "0.7"}
    with pytest.raises(KeyError, match="'seed': '3'"):
        results.fill({"seed": 3, "arm": "real"}, {"accuracy": 0.5})


def test_a_directory_of_another_configuration_is_refused(tmp_path):
    claim_directory(tmp_path, "abc", {"data": "x"}, {})
    claim_directory(tmp_path, "abc", {"data": "x"}, {})  # same configuration: resume
    with pytest.raises(ResultsMismatchError, match="bench_meta.json"):
        claim_directory(tmp_path, "def", {"data": "y"}, {})
