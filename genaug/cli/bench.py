"""genaug-bench: measure how much each generator family helps a downstream classifier (recipes/bench.yaml)."""

from __future__ import annotations

import time

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig

from genaug.bench import Benchmark, write_summary
from genaug.bench.machine import describe_machine
from genaug.bench.summary import verdict_sentence, verdicts
from genaug.cli.recipes import recipes_dir
from genaug.data import predefined_splits


@hydra.main(config_path=recipes_dir(), config_name="bench", version_base="1.3")
def main(cfg: DictConfig) -> None:
    start = time.perf_counter()
    data = instantiate(cfg.data)
    held_out = {part: instantiate(cfg.data, source=name) for part, name in held_out_sources(cfg.data).items()}
    bench = instantiate(cfg.bench, _convert_="all")
    models = {family: instantiate(model, _convert_="all") for family, model in cfg.models.items()}
    print(data.summary())
    for part, held in held_out.items():
        print(f"{part}: the predefined split {held.source}")
    benchmark = Benchmark(
        bench, data, cfg.out, models, progress=cfg.progress, workers=cfg.workers, device=cfg.device, **held_out
    )
    out = benchmark.run()
    overrides = HydraConfig.get().overrides.task
    summary = write_summary(out, header(overrides, time.perf_counter() - start, benchmark.device))
    print(summary.read_text())
    print(f"results: {out / 'results.csv'}; summary: {summary}")
    for verdict in verdicts(out):
        print(verdict_sentence(verdict))


def held_out_sources(data: DictConfig) -> dict[str, str]:
    """The built-in names of the predefined reference and test parts of the data recipe's source, if it has them
    (loaded the same way as the data: same image_size and channels)."""
    source = data.get("source")
    return (predefined_splits(source) or {}) if isinstance(source, str) else {}


def header(overrides: list[str], seconds: float, device: torch.device) -> str:
    """How the summary was produced: command line, machine (and the device it ran on) and this invocation's wall
    time."""
    return (
        "# genaug-bench\n\n"
        f"- Command: `genaug-bench {' '.join(overrides)}`\n"
        f"- Machine: {describe_machine(device=device)}\n"
        f"- Wall time of this invocation: {seconds / 60:.1f} min (a rerun skips the rows already in results.csv, "
        "so a resumed benchmark's total is the sum over its invocations)\n"
    )


if __name__ == "__main__":
    main()
