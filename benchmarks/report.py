"""Where benchmarks keep their results: ``benchmarks/results/<name>.json`` (data) and ``<name>.md`` (table).

Both files are rewritten atomically after every finished row, so an interrupted benchmark keeps what it measured
and a rerun can pick up from the rows already in the JSON report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genaug.train.atomic import atomic_write_text

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
