"""genaug-bench: measure how much each generator family helps a downstream classifier (recipes/bench.yaml)."""

from __future__ import annotations

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from genaug.bench import Benchmark, write_summary
from genaug.cli.recipes import recipes_dir


@hydra.main(config_path=recipes_dir(), config_name="bench", version_base="1.3")
def main(cfg: DictConfig) -> None:
    data = instantiate(cfg.data)
    bench = instantiate(cfg.bench, _convert_="all")
    models = {family: instantiate(cfg.models[family], _convert_="all") for family in bench.families}
    print(data.summary())
    out = Benchmark(bench, data, cfg.out, models, progress=cfg.progress).run()
    summary = write_summary(out)
    print(summary.read_text())
    print(f"results: {out / 'results.csv'}; summary: {summary}")


if __name__ == "__main__":
    main()
