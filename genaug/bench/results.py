"""Result files that survive interruption: one CSV row per finished run, appended and flushed at once.

A rerun reads the rows already there and skips their runs. Reads and appends hold a lock file beside the CSV, so
worker processes can share it. A ``bench_meta.json`` beside the CSVs records the
configuration fingerprint; results of a different configuration are never mixed into the same directory.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock

from genaug.atomic import atomic_path, atomic_write_text
from genaug.bench.config import Mixing
from genaug.errors import GenaugError

META_FILE = "bench_meta.json"
CLASS_FILE = "class_accuracy.csv"  # per class test accuracy of every run (genaug.bench.run)
JUDGES_FILE = "judges.json"  # the test accuracy of label fidelity's judges, to read quality.csv against


class ResultsMismatchError(GenaugError):
    """The output directory holds results of another benchmark configuration."""


def claim_directory(
    out: Path, fingerprint: str, description: dict[str, Any], generators: dict[str, dict[str, Any]]
) -> None:
    """Create ``out`` for this configuration, or check that its results come from the same one: the same
    ``fingerprint`` (the settings every row depends on) and, for each family of ``generators`` (family -> the
    settings its rows depend on) that ran there before, the same settings. A family new to ``out`` is recorded, and
    ``description`` replaces what was recorded under its keys (``genaug.bench.run`` passes a configuration that
    covers every invocation's rows: ``BenchConfig.covering``)."""
    out.mkdir(parents=True, exist_ok=True)
    meta = out / META_FILE
    recorded = json.loads(meta.read_text()) if meta.exists() else {"fingerprint": fingerprint, **description}
    if recorded.get("fingerprint") != fingerprint:
        raise ResultsMismatchError(
            f"{out} holds results of a different benchmark configuration (see {meta}); refusing to mix them. "
            f"Use another out= directory, or delete {out} to start over"
        )
    known = recorded.setdefault("generators", {})
    changed = [f for f, settings in generators.items() if f in known and _plain(known[f]) != _plain(settings)]
    if changed:
        raise ResultsMismatchError(
            f"{out} holds results of {changed} generators with other settings (see {meta}): "
            f"{[known[f] for f in changed]}, now {[generators[f] for f in changed]}; refusing to mix them. Use "
            f"another out= directory, or drop {changed} from bench.families"
        )
    new_families = {f: settings for f, settings in generators.items() if f not in known}
    updated = {**recorded, **_plain(description), "generators": {**known, **_plain(new_families)}}
    if not meta.exists() or updated != recorded:
        atomic_write_text(meta, json.dumps(updated, indent=2, default=str) + "\n")


def recorded_config(out: Path, fingerprint: str) -> dict[str, Any] | None:
    """The bench configuration recorded in ``out`` by an earlier invocation with this ``fingerprint`` (None when
    there is none: a new directory, or another configuration's, which ``claim_directory`` then refuses)."""
    meta = out / META_FILE
    recorded = json.loads(meta.read_text()) if meta.exists() else {}
    return recorded.get("config") if recorded.get("fingerprint") == fingerprint else None


def _plain(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists), to compare recorded settings with current ones."""
    return json.loads(json.dumps(value, default=str))


class ResultsFile:
    """Rows of one CSV, keyed by ``key_fields``; ``append`` writes a row to disk before returning.

    ``added_fields``: trailing fields that a later version added (a new metric). A file written before them is
    widened on opening, those columns blank in its rows, for the caller to ``fill``; any other difference in columns
    is refused."""

    def __init__(self, path: Path, fields: Sequence[str], key_fields: Sequence[str], added_fields: Sequence[str] = ()):
        self.path, self.fields, self.key_fields = Path(path), list(fields), list(key_fields)
        self.rows: list[dict[str, str]] = []
        self._lock = FileLock(f"{self.path}.lock")
        with self._lock:
            if self.path.exists():
                self._drop_partial_last_line()
                header, self.rows = self._read()
                if header != self.fields:
                    if not self._older_version(header, list(added_fields)):
                        raise ResultsMismatchError(
                            f"{self.path} has columns {header}, expected {self.fields}; "
                            "it was written by another version of the benchmark. Use another out= directory"
                        )
                    self.rows = [{k: row.get(k, "") for k in self.fields} for row in self.rows]
                    self._rewrite()
        self._done = {self._key(row) for row in self.rows}

    def _read(self) -> tuple[list[str], list[dict[str, str]]]:
        with self.path.open(newline="") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), list(reader)

    def _older_version(self, header: list[str], added: list[str]) -> bool:
        """Whether ``header`` is this file's fields without some of the trailing ``added`` ones."""
        kept = len(self.fields) - len(added)
        return self.fields[kept:] == added and self.fields[: len(header)] == header and len(header) >= kept

    def _rewrite(self) -> None:
        """``self.rows`` as the whole file, in one atomic replacement (call with the lock held)."""
        with atomic_path(self.path) as tmp, tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.fields)
            writer.writeheader()
            writer.writerows(self.rows)

    def _key(self, row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(row[k]) for k in self.key_fields)

    def _drop_partial_last_line(self) -> None:
        """A process killed mid-write can leave half a row; drop it, the run is redone."""
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            self.path.write_bytes(data[: data.rfind(b"\n") + 1])

    def done(self, **key: Any) -> bool:
        return self._key(key) in self._done

    def find(self, **key: Any) -> dict[str, str] | None:
        """The row with this key, or None."""
        wanted = self._key(key)
        return next((row for row in self.rows if self._key(row) == wanted), None)

    def fill(self, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Write ``values`` into the blank fields of the row with ``key`` (read afresh from disk, since worker
        processes append to the same file), replacing the file atomically; fields already measured stay."""
        wanted = self._key(key)
        with self._lock:
            self.rows = self._read()[1]
            row = next((r for r in self.rows if self._key(r) == wanted), None)
            if row is None:
                raise KeyError(f"{self.path} has no row {dict(zip(self.key_fields, wanted, strict=True))}")
            row.update({k: str(v) for k, v in values.items() if row[k] == ""})
            self._rewrite()
        self._done = {self._key(r) for r in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        with self._lock, self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.fields)
            if f.tell() == 0:
                writer.writeheader()
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
        self.rows.append({k: str(v) for k, v in row.items()})
        self._done.add(self._key(row))


Group = tuple[str, int, float, str]  # scenario, per_class, imbalance_ratio, arm label


def mixing_columns(mixing: Mixing | None) -> dict[str, str | float]:
    """The mode and strength columns of a row (blank for an arm that does not mix in synthetic images)."""
    if mixing is None:
        return {"mode": "", "strength": ""}
    return {"mode": mixing.mode, "strength": "" if mixing.strength is None else mixing.strength}


def row_mixing(row: dict[str, str]) -> Mixing | None:
    """The Mixing of a row's mode and strength columns (None when blank)."""
    if not row.get("mode"):
        return None
    strength = row.get("strength")
    return Mixing(row["mode"], float(strength) if strength else None)


def arm_label(row: dict[str, str]) -> str:
    """An arm's name, with its generator family and, for an arm that mixes in synthetic images, how:
    "classical+filtered_synthetic (ae, perturb 0.25)", "real+synthetic (cgan, replace)", "synthetic_only (ae)"."""
    if not row["family"]:
        return row["arm"]
    mixing = row_mixing(row)
    return f"{row['arm']} ({row['family']}{f', {mixing.label}' if mixing else ''})"


def label_parts(label: str) -> tuple[str, str | None, Mixing | None]:
    """The arm, family and Mixing of an ``arm_label`` (None for what it does not name)."""
    arm, _, inside = label.partition(" (")
    if not inside:
        return arm, None, None
    family, _, mixing = inside.rstrip(")").partition(", ")
    return arm, family, Mixing.from_label(mixing) if mixing else None


def read_results(
    path: Path, metric: str, keep: Callable[[dict[str, str]], bool] | None = None, within: str | None = None
) -> dict[Any, dict[int, float]]:
    """``metric`` by seed for every (scenario, budget, ratio, arm label) of the CSV at ``path`` (``within`` a
    column, e.g. "class": for every (scenario, budget, ratio, arm label, that column's value)); rows without the
    metric, or that ``keep`` refuses, are left out."""
    groups: dict[Any, dict[int, float]] = defaultdict(dict)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row[metric] == "" or (keep is not None and not keep(row)):
                continue
            key = (row["scenario"], int(row["per_class"]), float(row["imbalance_ratio"]), arm_label(row))
            groups[(*key, row[within]) if within else key][int(row["seed"])] = float(row[metric])
    return groups
