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
# the cgan runs with ADA (p moving by 8 / 64 every step) and LeCam, whose running values every rank must share
CGAN_OPTIONS = {"ada_target": 0.6, "ada_start_p": 0.5, "ada_interval": 1, "ada_ramp_images": 64, "lecam_weight": 0.1}


def record_batches(
    family: str, seen: list[list[float]], set_attribute: Callable = setattr, seen_by: list | None = None
) -> None:
    """Make the family's objective note the pixel sum of every image of every batch it trains on (a step with
    unlabelled images adds a second entry, for them), and itself in ``seen_by`` (if given) at every step."""
    seen_by = [] if seen_by is None else seen_by
    objective_class = get_family(family).objective_class
    train_step = objective_class.train_step

    def recording_step(self, images, labels, **unlabelled):
        seen_by.append(self)
        seen.append(images.sum(dim=(1, 2, 3)).tolist())
        seen.extend(batch.sum(dim=(1, 2, 3)).tolist() for batch in unlabelled.values())
        return train_step(self, images, labels, **unlabelled)

    set_attribute(objective_class, "train_step", recording_step)


def main() -> None:
    out, report_dir, family, steps, *flags = sys.argv[1:]
    torch.set_num_threads(1)
    seen: list[list[float]] = []
    objectives: list = []
    record_batches(family, seen, seen_by=objectives)
    config = TrainerConfig(
        steps=int(steps), resume="resume" in flags, progress=False, **SETTINGS,
        memory_budget_mb=0 if "stream" in flags else 4096, num_workers=1,
    )  # fmt: skip
    data = load("digits", image_size=16)
    unlabelled = data.images[:UNLABELLED] if "unlabelled" in flags else None
    options = CGAN_OPTIONS if family == "cgan" else {}
    model = Trainer(config, out).fit(data, tiny_config(family, **options), unlabelled)
    report = {
        "world_size": int(os.environ["WORLD_SIZE"]),
        "state": tensors_digest(model.state_dict()),
        "batches": seen,
    }
    if family == "cgan":
        report["ema"] = tensors_digest(model.generator_ema.state_dict())
        report["live"] = tensors_digest(model.generator.state_dict())
        state = objectives[-1].state  # ADA's p and LeCam's anchors after the last step
        report["running"] = {key: float(state[key]) for key in ("ada_p", "lecam_real", "lecam_fake")}
    Path(report_dir, f"report-{os.environ['RANK']}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main()
