"""Two Gloo processes on the CPU under torchrun train one tiny model with the single-process run's semantics.
The cgan runs with ADA and LeCam, whose running values the ranks share.

Four launches (about 15 s each): a 2-rank run, its resume through ``genaug-train`` under torchrun, a straight
2-rank run of the same length that streams its data through DataLoader workers, and a 2-rank run of the diffusion
family with unlabelled images.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import genaug
from genaug.models.io import read_config
from genaug.train import Trainer, TrainerConfig
from genaug.train.distributed import ProcessGroup, noise_seed, rank_device
from genaug.train.precision import Precision
from tests.train.distributed_worker import CGAN_OPTIONS, SETTINGS, UNLABELLED, record_batches
from tests.train.tiny import tiny_config

WORKER = Path(__file__).with_name("distributed_worker.py")
REPO = WORKER.parents[2]
STEPS, RESUMED_STEPS = 4, 6


def torchrun(*args: str) -> None:
    """Run ``args`` under torchrun with 2 CPU processes; fail the test with its output if it fails."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]


def reports(folder: Path) -> list[dict]:
    return [json.loads((folder / f"report-{rank}.json").read_text()) for rank in range(2)]


def global_batches(rank_reports: list[dict]) -> list[list[float]]:
    """Each step's images over both ranks, rank 0's shard first (the single-process batch order)."""
    return [a + b for a, b in zip(rank_reports[0]["batches"], rank_reports[1]["batches"], strict=True)]


@pytest.fixture(scope="module")
def single_process_batches(digits16, tmp_path_factory) -> list[list[float]]:
    """Pixel sums of the images of each step of the same run in one process."""
    seen: list[list[float]] = []
    config = TrainerConfig(steps=RESUMED_STEPS, progress=False, **SETTINGS)
    with pytest.MonkeyPatch.context() as patch:
        record_batches("cgan", seen, patch.setattr)
        Trainer(config, tmp_path_factory.mktemp("single")).fit(digits16, tiny_config("cgan"))
    return seen


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("ranks")
    torchrun(str(WORKER), str(root / "run"), str(root), "cgan", str(STEPS))
    return root / "run", reports(root)


@pytest.fixture(scope="module")
def resumed_by_cli(two_rank_run) -> Path:
    out, _ = two_rank_run
    torchrun(
        "-m", "genaug.cli.train", "data=digits", "data.image_size=16", "model=cgan", f"out={out}",
        "model.latent_dim=8", "model.generator_width=8", "model.discriminator_width=8",
        *(f"model.{key}={value}" for key, value in CGAN_OPTIONS.items()),
        f"trainer.steps={RESUMED_STEPS}", "trainer.resume=true", "trainer.progress=false",
        *(f"trainer.{key}={value}" for key, value in SETTINGS.items()),
    )  # fmt: skip
    return out


def test_ranks_hold_identical_weights_and_ema(two_rank_run):
    _, (rank0, rank1) = two_rank_run
    assert rank0["world_size"] == rank1["world_size"] == 2
    assert rank0["state"] == rank1["state"]
    assert rank0["ema"] == rank1["ema"], "the EMA generator is updated identically on every rank"
    assert rank0["ema"] != rank0["live"]
    # ADA's p and LeCam's anchors come from the batches of both ranks, so they are the same on each
    assert rank0["running"] == rank1["running"]
    assert rank0["running"]["ada_p"] != CGAN_OPTIONS["ada_start_p"]


def test_each_step_sees_the_single_process_batch_split_over_ranks(two_rank_run, single_process_batches):
    _, rank_reports = two_rank_run
    assert [len(b) for r in rank_reports for b in r["batches"]] == [8] * (2 * STEPS)  # batch_size 16 / 2 ranks
    assert rank_reports[0]["batches"] != rank_reports[1]["batches"]
    expected = torch.tensor(single_process_batches[:STEPS])
    torch.testing.assert_close(torch.tensor(global_batches(rank_reports)), expected)


def test_rank_zero_writes_one_loadable_checkpoint(two_rank_run):
    out, (rank0, _) = two_rank_run
    model = genaug.load(out)
    assert model.weights_sha256 == rank0["state"]
    training = read_config(out)["training"]
    assert training["world_size"] == 2 and training["per_rank_batch_size"] == 8
    assert training["images_seen"] == STEPS * 16 == training["step"] * training["batch_size"]
    with open(out / "metrics.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == list(range(1, STEPS + 1))
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_000002.png", "step_000004.png"]
    assert not list(out.glob(".*.tmp"))


def test_resume_under_torchrun_matches_a_straight_streamed_run(resumed_by_cli, tmp_path, single_process_batches):
    """Resuming 4 -> 6 steps with genaug-train gives the weights of a straight 6-step run, which streams its
    data through DataLoader workers (memory_budget_mb=0) and still sees the single-process batches."""
    torchrun(str(WORKER), str(tmp_path / "straight"), str(tmp_path), "cgan", str(RESUMED_STEPS), "stream")
    straight = reports(tmp_path)
    assert straight[0]["state"] == straight[1]["state"]
    torch.testing.assert_close(torch.tensor(global_batches(straight)), torch.tensor(single_process_batches))
    assert read_config(tmp_path / "straight")["training"]["streamed"] is True
    resumed = genaug.load(resumed_by_cli)
    assert read_config(resumed_by_cli)["training"]["step"] == RESUMED_STEPS
    assert resumed.weights_sha256 == straight[0]["state"]
    with open(resumed_by_cli / "metrics.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == list(range(1, RESUMED_STEPS + 1))
    assert sorted(p.name for p in (resumed_by_cli / ".hydra").iterdir()) == [
        "config.yaml", "hydra.yaml", "overrides.yaml"
    ]  # fmt: skip


def test_unlabelled_batches_are_split_over_the_ranks_like_the_labelled_ones(tmp_path, digits16):
    """With the diffusion family, so that its 2-rank run is covered too: the ranks end with the same weights."""
    torchrun(str(WORKER), str(tmp_path / "run"), str(tmp_path), "diffusion", str(STEPS), "unlabelled")
    rank_reports = reports(tmp_path)
    assert rank_reports[0]["state"] == rank_reports[1]["state"]
    seen: list[list[float]] = []
    config = TrainerConfig(steps=STEPS, progress=False, **SETTINGS)
    with pytest.MonkeyPatch.context() as patch:
        record_batches("diffusion", seen, patch.setattr)
        Trainer(config, tmp_path / "single").fit(digits16, tiny_config("diffusion"), digits16.images[:UNLABELLED])
    assert len(seen) == 2 * STEPS  # a labelled and an unlabelled batch per step
    torch.testing.assert_close(torch.tensor(global_batches(rank_reports)), torch.tensor(seen))
    assert read_config(tmp_path / "run")["training"]["num_unlabelled_images"] == UNLABELLED


def test_a_plain_process_trains_alone(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert ProcessGroup.join("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "1")  # torchrun --nproc_per_node=1: the single-process path
    assert ProcessGroup.join("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE='two'"):
        ProcessGroup.join("cpu")


def test_rank_settings_are_checked():
    group = ProcessGroup(rank=1, world_size=3, device=torch.device("cpu"), owns_group=False)
    assert group.per_rank_batch(48) == 16
    with pytest.raises(ValueError, match="trainer.batch_size=64 .* divisible by the 3 ranks; .*batch_size=63"):
        group.per_rank_batch(64)
    assert group.shard(torch.arange(48)).tolist() == list(range(16, 32))
    with pytest.raises(ValueError, match="cuda:LOCAL_RANK"):
        rank_device("cuda:1", local_rank=0)
    assert rank_device("cpu", local_rank=1) == torch.device("cpu")
    seeds = {noise_seed(seed, rank, step) for seed in (0, 1) for rank in (0, 1, 2) for step in (0, 10)}
    assert len(seeds) == 12


@pytest.mark.parametrize(("family", "syncs_per_step"), [("cgan", 2), ("cvae", 1), ("ae", 1), ("diffusion", 1)])
def test_every_optimiser_step_is_synchronised(digits16, tmp_path, monkeypatch, family, syncs_per_step):
    """The hook DDP-style gradient averaging hangs on is called once per optimiser step, before the step."""
    synced = []
    real_init = Precision.__init__

    def init_with_sync(self, device, mode="auto", gradient_sync=None, value_sync=None):
        real_init(self, device, mode, lambda optimizer: synced.append(any(p.grad is not None for g in
                  optimizer.param_groups for p in g["params"])))  # fmt: skip

    monkeypatch.setattr(Precision, "__init__", init_with_sync)
    config = TrainerConfig(steps=2, batch_size=8, progress=False, tensorboard=False, sample_every=10**6)
    Trainer(config, tmp_path / "run").fit(digits16, tiny_config(family))
    assert synced == [True] * (2 * syncs_per_step)
