"""Training speed on this machine's CPU: each family's shipped recipe at each of the trainer's CPU speed settings,
full precision or bf16 autocast (``trainer.precision``) and channels-last memory (``trainer.channels_last``), on
MNIST-5k (28x28 gray, 10 classes, batch 64).

What each setting costs in quality is a separate question, measured where it matters (the cgan's:
``benchmarks.small_data ... overrides=trainer.precision=bf16,trainer.channels_last=true report=cgan_fast``).

    python -m benchmarks.cpu_speed
    python -m benchmarks.cpu_speed families=cgan steps=100

Each family trains ``steps`` steps per setting through the public Trainer (quietly, as ``benchmarks.small_data``
trains); its speed is the median of the ``images_per_sec`` the Trainer logs every ``LOG_EVERY`` steps, the first
window (warm-up) left out.
Writes benchmarks/results/cpu_speed.{md,json}.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import RESULTS, write_report
from benchmarks.small_data import train_recipe
from genaug.bench.machine import describe_machine
from genaug.data import ImageSet, load
from genaug.models import family_names

LOG_EVERY = 10
SETTINGS = {  # name -> trainer overrides
    "fp32": [],
    "channels_last": ["trainer.channels_last=true"],
    "bf16": ["trainer.precision=bf16"],
    "bf16 + channels_last": ["trainer.precision=bf16", "trainer.channels_last=true"],
}


def images_per_second(family: str, overrides: list[str], steps: int, work: Path, data: ImageSet) -> float:
    """Median logged training images/s of ``family``'s recipe with ``overrides`` over ``steps`` steps on ``data``."""
    run = [*overrides, f"trainer.steps={steps}", f"trainer.log_every={LOG_EVERY}", "trainer.device=cpu"]
    train_recipe(family, run, data, work)
    with open(work / "metrics.csv") as f:
        speeds = [float(row["images_per_sec"]) for row in csv.DictReader(f)]
    return statistics.median(speeds[1:])


def markdown(report: dict[str, Any]) -> str:
    names = list(SETTINGS)
    lines = [
        f"Command: `{report['command']}`  \nMachine: {report['machine']}  \nWall time: {report['wall_s']:.0f} s\n",
        "Training images/s of each family's shipped recipe on the CPU (batch 64, MNIST-5k 28x28; in brackets: "
        "times the fp32 speed):\n",
        "| family | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for family, speeds in report["speeds"].items():
        base = speeds["fp32"]
        cells = [f"{speeds[n]:.0f} ({speeds[n] / base:.2f}x)" for n in names]
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    start = time.perf_counter()
    options = dict(arg.split("=", 1) for arg in argv)
    families = options.pop("families", ",".join(family_names())).split(",")
    steps = int(options.pop("steps", 60))
    if options:
        raise ValueError(f"unknown option(s) {sorted(options)}; valid: ['families', 'steps']")
    unknown = sorted(set(families) - set(family_names()))
    if unknown:
        raise ValueError(f"unknown famil(ies) {unknown}; valid: {family_names()}")
    if steps < 2 * LOG_EVERY:
        raise ValueError(f"steps must be at least {2 * LOG_EVERY}: the first {LOG_EVERY} are a warm-up")
    speeds: dict[str, dict[str, float]] = {}
    data = load("mnist5k")
    for family in families:
        speeds[family] = {}
        work = RESULTS / "cpu_speed_runs" / family
        for name, overrides in SETTINGS.items():
            speeds[family][name] = round(images_per_second(family, overrides, steps, work, data), 1)
            print(family, name, speeds[family][name], flush=True)
    report = {
        "command": "python -m benchmarks.cpu_speed " + " ".join(argv),
        "machine": describe_machine(),
        "wall_s": round(time.perf_counter() - start, 1),
        "steps": steps,
        "speeds": speeds,
    }
    write_report("cpu_speed", report, markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main(sys.argv[1:])
