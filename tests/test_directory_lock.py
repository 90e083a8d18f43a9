"""Two writers, one folder: an export or a training run holds its folder's lock (genaug.directory_lock), so a
second writer in another process fails at once with DirectoryBusyError naming the holder, and the first one
finishes as if it had been alone; a killed holder leaves no lock behind. Each case runs a real second process,
paused while it holds the lock."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import genaug
from genaug.directory_lock import HOLDER_FILE, LOCK_FILE, directory_lock
from genaug.errors import DirectoryBusyError
from genaug.synthetic import export
from genaug.train import Trainer, TrainerConfig
from tests.train.tiny import tiny_config

REPO = Path(__file__).resolve().parents[1]

# Defines pause(): print "paused", then wait for a line on stdin (the test's go-ahead).
PAUSE = """
import sys
def pause():
    print("paused", flush=True)
    sys.stdin.readline()
def pause_first_call(owner, name):
    original, calls = getattr(owner, name), []
    def paused(*args, **kwargs):
        if not calls:
            calls.append(1)
            pause()
        return original(*args, **kwargs)
    setattr(owner, name, paused)
"""

HOLD_LOCK = PAUSE + textwrap.dedent(
    """
    import types
    from pathlib import Path
    package = types.ModuleType("genaug")  # the lock module alone, without torch: the holder starts at once
    package.__path__ = [str(Path(sys.argv[2], "genaug"))]
    sys.modules["genaug"] = package
    from genaug.directory_lock import directory_lock
    with directory_lock(Path(sys.argv[1]), "test holder"):
        pause()
    """
)

EXPORT = PAUSE + textwrap.dedent(
    """
    import importlib
    import genaug
    exporting = importlib.import_module("genaug.synthetic.export")
    pause_first_call(exporting, "write_manifest")  # before the export writes anything
    genaug.export(genaug.load(sys.argv[1]), sys.argv[2], n_per_class=3, seed=0, progress=False)
    """
)

TRAIN = PAUSE + textwrap.dedent(
    """
    from genaug.data import load
    from genaug.models.registry import get_family
    from genaug.train import Trainer, TrainerConfig
    from tests.train.tiny import tiny_config
    pause_first_call(get_family("cgan").objective_class, "train_step")  # before step 1
    config = TrainerConfig(steps=4, batch_size=16, log_every=1, sample_every=2, checkpoint_every=2,
                           progress=False, tensorboard=False)
    Trainer(config, sys.argv[1]).fit(load("digits", image_size=16), tiny_config("cgan"))
    """
)


@contextlib.contextmanager
def paused_process(script: str, *args: object) -> Iterator[subprocess.Popen]:
    """Run ``script`` in a new Python process until it pauses; on leaving, let it go on and check that it
    finishes cleanly (unless the test killed it)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", script, *map(str, args)]
    process = subprocess.Popen(command, env=env, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "paused\n", "the process ended before it paused (see its stderr)"
        yield process
        if process.poll() is None:
            process.communicate("go\n", timeout=120)
            assert process.returncode == 0, "the first writer failed (see its stderr)"
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def busy(folder: Path, holder: str, pid: int) -> str:
    """The start of the DirectoryBusyError message for ``folder`` held by ``holder`` in process ``pid``."""
    return re.escape(f"{folder} is in use by a genaug {holder} (pid {pid} on host {socket.gethostname()}, since ")


def lock_and_release(folder: Path, purpose: str) -> None:
    with directory_lock(folder, purpose):
        pass


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_second_writer_fails_at_once_and_is_told_who_holds_the_folder(tmp_path):
    folder = tmp_path / "out"
    with paused_process(HOLD_LOCK, folder, REPO) as holder:
        started = time.monotonic()
        with pytest.raises(DirectoryBusyError, match=busy(folder, "test holder", holder.pid)) as refused:
            lock_and_release(folder, "export")
        assert time.monotonic() - started < 1, "no waiting"
        assert "this export stops" in str(refused.value) and "Wait for that process to finish" in str(refused.value)
        assert "or choose another folder" in str(refused.value)
    assert os.listdir(folder) == [LOCK_FILE]  # the holder record goes on release; the unlocked file stays
    with directory_lock(folder, "export"):
        assert sorted(os.listdir(folder)) == [LOCK_FILE, HOLDER_FILE]


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    folder = tmp_path / "out"
    with paused_process(HOLD_LOCK, folder, REPO) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert json.loads((folder / HOLDER_FILE).read_text())["pid"] == holder.pid  # its record stays, stale
    with directory_lock(folder, "export"):  # the kernel dropped the lock itself
        assert json.loads((folder / HOLDER_FILE).read_text())["pid"] == os.getpid()


def test_one_process_cannot_hold_a_folder_twice(tmp_path):
    refused = pytest.raises(DirectoryBusyError, match=busy(tmp_path, "export", os.getpid()))
    with directory_lock(tmp_path, "export"), refused:
        lock_and_release(tmp_path, "training run")


def test_a_second_export_fails_while_one_runs_and_the_first_finishes_alone(tiny_runs, tiny_models, tmp_path):
    out, model = tmp_path / "syn", tiny_models["cvae"]
    with paused_process(EXPORT, tiny_runs["cvae"], out) as first:
        for overwrite in (False, True):
            with pytest.raises(DirectoryBusyError, match=busy(out, "export", first.pid)):
                export(model, out, n_per_class=3, seed=1, overwrite=overwrite, progress=False)
    alone = export(model, tmp_path / "alone", n_per_class=3, seed=0, progress=False)
    assert files(out) == files(alone)  # seed 0's images only, and a complete seed-0 manifest


def test_a_second_run_resume_or_export_fails_while_a_run_trains(digits16, tiny_models, tmp_path):
    out = tmp_path / "run"
    with paused_process(TRAIN, out) as first:
        for resume in (False, True):
            config = TrainerConfig(steps=4, batch_size=16, resume=resume, progress=False, tensorboard=False)
            with pytest.raises(DirectoryBusyError, match=busy(out, "training run", first.pid)):
                Trainer(config, out).fit(digits16, tiny_config("cgan"))
        with pytest.raises(DirectoryBusyError, match=busy(out, "training run", first.pid)):
            export(tiny_models["cvae"], out, n_per_class=1, progress=False)
    with open(out / "metrics.csv") as f:
        assert [int(row["step"]) for row in csv.DictReader(f)] == [1, 2, 3, 4]  # each step once
    assert genaug.models.io.read_config(out)["training"]["step"] == 4


RANKS = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from genaug.data import load
    from genaug.directory_lock import HOLDER_FILE
    from genaug.models.registry import get_family
    from genaug.train import Trainer, TrainerConfig
    from tests.train.tiny import tiny_config
    out, reports = Path(sys.argv[1]), Path(sys.argv[2])
    objective = get_family("cgan").objective_class
    train_step = objective.train_step
    def noting_step(self, images, labels):
        holder = json.loads((out / HOLDER_FILE).read_text())["pid"]
        report = {"pid": os.getpid(), "holder": holder}
        (reports / f"rank-{os.environ['RANK']}.json").write_text(json.dumps(report))
        return train_step(self, images, labels)
    objective.train_step = noting_step
    config = TrainerConfig(steps=1, batch_size=16, sample_every=10, progress=False, tensorboard=False)
    Trainer(config, out).fit(load("digits", image_size=16), tiny_config("cgan"))
    """
)


@pytest.mark.slow  # torchrun with 2 ranks; tests/train/test_distributed.py would fail too if both ranks locked
def test_under_torchrun_only_rank_zero_holds_the_run_folder(tmp_path):
    script = tmp_path / "ranks.py"
    script.write_text(RANKS)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script)]
    done = subprocess.run([*command, str(tmp_path / "run"), str(tmp_path)], env=env, cwd=REPO, timeout=240)
    assert done.returncode == 0
    rank0, rank1 = (json.loads((tmp_path / f"rank-{rank}.json").read_text()) for rank in range(2))
    assert rank0["holder"] == rank1["holder"] == rank0["pid"] != rank1["pid"]
