"""Where benchmarks keep their results: ``benchmarks/results/<name>.json`` (data) and ``<name>.md`` (table).

Both files are rewritten atomically after every finished row, so an interrupted benchmark keeps what it measured
and a rerun can pick up from the rows already in the JSON report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genaug.atomic import atomic_write_text
from genaug.cli.schemas import field_default

RESULTS = Path(__file__).parent / "results"


def previous_report(name: str) -> dict[str, Any]:
    """The JSON report an earlier run of benchmark ``name`` left (empty when there is none)."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def write_report(name: str, report: dict[str, Any], markdown: str) -> None:
    """Write ``<name>.json`` and ``<name>.md`` atomically."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / f"{name}.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(RESULTS / f"{name}.md", markdown)


def previous_rows(name: str, settings: Any, selectors: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The rows an earlier run of benchmark ``name`` with the same ``settings`` (a dataclass) left; a run with
    other settings starts afresh. ``selectors``: settings that only choose which rows run (budgets, seeds, ...),
    not what a row measures; they may differ, so a rerun with more of them keeps the rows already measured. A
    setting added since a report was written counts as at its default there (what that run measured with)."""

    def measuring(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k not in selectors}

    previous = previous_report(name)
    defaults = {field.name: field_default(field) for field in dataclasses.fields(settings)}
    recorded = {**defaults, **previous.get("settings", {})}
    same = measuring(recorded) == measuring(dataclasses.asdict(settings))
    return previous.get("rows", []) if "settings" in previous and same else []


def write_rows(name: str, rows: list[dict[str, Any]], command: str, machine: str, settings: Any, markdown: str) -> None:
    """Write the rows measured so far, with the command, machine and ``settings`` (a dataclass) that produced them."""
    report = {"command": command, "machine": machine, "settings": dataclasses.asdict(settings), "rows": rows}
    write_report(name, report, markdown)
