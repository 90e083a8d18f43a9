"""Run by tests under torchrun: trains a tiny model and writes what this rank saw into ``report-RANK.json``.

    python -m torch.distributed.run --standalone --nproc_per_node=2 tests/train/distributed_worker.py \\
        OUT REPORT_DIR FAMILY STEPS [resume] [stream] [unlabelled]
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from genaug.data import load
from genaug.models.io import tensors_digest
from genaug.models.registry import get_family
from genaug.train import Trainer, TrainerConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.train.tiny import tiny_config  # noqa: E402

SETTINGS = {"batch_size": 16, "log_every": 1, "sample_every": 2, "checkpoint_every": 2, "tensorboard": False}
UNLABELLED = 300  # with the flag unlabelled: the first images of digits16 again, as unlabelled ones


def record_batches(family: str, seen: list[list[float]], set_attribute: Callable = setattr) -> None:
    """Make the family's objective note the pixel sum of every image of every batch it trains on (a step with
    unlabelled images adds a second entry, for them)."""
    objective_class = get_family(family).objective_class
    train_step = objective_class.train_step

    def recording_step(self, images, labels, **unlabelled):
        seen.append(images.sum(dim=(1, 2, 3)).tolist())
        seen.extend(batch.sum(dim=(1, 2, 3)).tolist() for batch in unlabelled.values())
        return train_step(self, images, labels, **unlabelled)

    set_attribute(objective_class, "train_step", recording_step)


def main() -> None:
    out, report_dir, family, steps, *flags = sys.argv[1:]
    torch.set_num_threads(1)
    seen: list[list[float]] = []
    record_batches(family, seen)
    config = TrainerConfig(
        steps=int(steps), resume="resume" in flags, progress=False, **SETTINGS,
        memory_budget_mb=0 if "stream" in flags else 4096, num_workers=1,
    )  # fmt: skip
    data = load("digits", image_size=16)
    unlabelled = data.images[:UNLABELLED] if "unlabelled" in flags else None
    model = Trainer(config, out).fit(data, tiny_config(family), unlabelled)
    report = {
        "world_size": int(os.environ["WORLD_SIZE"]),
        "state": tensors_digest(model.state_dict()),
        "batches": seen,
    }
    if family == "cgan":
        report["ema"] = tensors_digest(model.generator_ema.state_dict())
        report["live"] = tensors_digest(model.generator.state_dict())
    Path(report_dir, f"report-{os.environ['RANK']}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main()
