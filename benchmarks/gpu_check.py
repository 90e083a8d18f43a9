"""Every CUDA path in one command (a few minutes on one GPU), for the machines the project borrows now and then:

- training each family on the GPU with ``precision=auto`` (bf16/fp16 autocast), then with ``channels_last`` and
  ``compile`` as well: images/s and peak GPU memory;
- ``BatchAugment`` on CUDA batches (ae perturb, cvae perturb, cgan replace): ms per batch of 256, and that the
  result stays on the GPU;
- ``torchrun`` (DDP): 2 processes when 2 GPUs are visible, else 1;
- ``genaug-bench device=cuda`` on the quick recipe (shrunk): every arm's classifier and the generator on the GPU.

    python -m benchmarks.gpu_check                  # writes benchmarks/results/gpu_check.{md,json}
    python -m benchmarks.gpu_check steps=100

Each check runs on its own: a failure is recorded with its error and the rest still run. Without CUDA it prints
why and exits 0 without writing anything (CI and CPU machines).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import genaug
from benchmarks.report import write_report
from genaug.augment import BatchAugment
from genaug.bench.machine import describe_machine

FAMILIES = ("ae", "cvae", "cgan", "diffusion")
BATCH_MODES = (("ae", "perturb"), ("cvae", "perturb"), ("cgan", "replace"), ("diffusion", "perturb"))


def run_check(name: str, check: Callable[[], dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Run one check, record its measurements or its failure, and print the row."""
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    try:
        row = {"check": name, "ok": True, **check()}
    except Exception as exc:  # noqa: BLE001  a failure is a result here: record it and go on
        row = {"check": name, "ok": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    row["wall_s"] = round(time.perf_counter() - start, 1)
    row.setdefault("peak_memory_mb", round(torch.cuda.max_memory_allocated() / 2**20, 1))
    rows.append(row)
    print({k: v for k, v in row.items() if k != "trace"}, flush=True)


def training(data: Any, family: str, out: Path, steps: int, **switches: Any) -> dict[str, Any]:
    """Train ``family`` on the GPU for ``steps`` steps; images/s over the second half (after warm-up/compile)."""
    quiet = {"progress": False, "tensorboard": False, "sample_every": 10**9, "checkpoint_every": 10**9}
    common = {"family": family, "device": "cuda", "precision": "auto", "batch_size": 64, **quiet, **switches}
    genaug.fit(data, out=out / "warm", steps=steps // 2, **common)  # warm-up (and compilation)
    torch.cuda.synchronize()
    start = time.perf_counter()
    model = genaug.fit(data, out=out / "timed", steps=steps, **common)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    sample = model.sample(64, seed=0)
    return {
        "images_per_s": round(steps * 64 / seconds, 1),
        "sample_device": str(sample.device),
        "sample_finite": bool(torch.isfinite(sample).all()),
    }


def batch_augment(model: Any, mode: str, data: Any) -> dict[str, Any]:
    """ms per ``BatchAugment(p=0.5, strength=1)`` call on a CUDA batch of 256."""
    x = (data.images[:256].float() / 255).cuda()
    y = data.labels[:256].cuda()
    # strength 1 (perturb's default when this check was first published): the dearest perturb, a diffusion model's
    # every solver step; the default 0.25 takes a quarter of them
    augment = BatchAugment(model, mode=mode, p=0.5, strength=1.0, seed=0)
    out, _ = augment(x, y)  # warm-up, and moves the model to the GPU
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(20):
        out, _ = augment(x, y)
    torch.cuda.synchronize()
    return {"ms_per_batch_of_256": round((time.perf_counter() - start) / 20 * 1e3, 2), "out_device": str(out.device)}


def torchrun(data_name: str, out: Path, steps: int) -> dict[str, Any]:
    """genaug-train under torchrun with one process per GPU (at most 2)."""
    processes = min(2, torch.cuda.device_count())
    script = shutil.which("genaug-train") or str(Path(sys.executable).parent / "genaug-train")
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
        "--no-python", script, f"data={data_name}", "model=ae", f"trainer.steps={steps}", "trainer.device=cuda",
        "trainer.progress=false", f"out={out}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"torchrun exited {done.returncode}: {done.stderr[-2000:]}")
    return {"processes": processes, "checkpoint": (out / "weights.safetensors").is_file()}


def bench(out: Path) -> dict[str, Any]:
    """genaug-bench's quick recipe, shrunk, with every generator, classifier and augmentation on the GPU."""
    command = [
        sys.executable, "-m", "genaug.cli.bench", "bench=quick", "data=digits", f"out={out}", "device=cuda",
        "workers=1", "progress=false", "bench.per_class=[5]", "bench.seeds=1", "bench.generator_steps=50",
        "bench.classifier_steps=50",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"genaug-bench exited {done.returncode}: {done.stderr[-2000:]}")
    if "ran on cuda" not in (out / "summary.md").read_text():
        raise RuntimeError(f"{out / 'summary.md'} does not say the benchmark ran on CUDA")
    return {"rows": (out / "results.csv").read_text().count("\n") - 1}


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Command: `{report['command']}`  ",
        f"Machine: {report['machine']}  ",
        f"GPU: {report['gpu']}  ",
        f"Wall time: {report['wall_s']} s",
        "",
        "| check | ok | measured | peak GPU memory (MB) | wall (s) |",
        "|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        shown = {k: v for k, v in row.items() if k not in ("check", "ok", "trace", "wall_s", "peak_memory_mb")}
        measured = ", ".join(f"{k}={v}" for k, v in shown.items())
        lines.append(f"| {row['check']} | {'yes' if row['ok'] else 'FAILED'} | {measured} | "
                     f"{row['peak_memory_mb']} | {row['wall_s']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (torch.cuda.is_available() is False); nothing to check, nothing written")
        return 0
    options = dict(arg.split("=", 1) for arg in argv)
    steps = int(options.pop("steps", 200))
    if options:
        raise ValueError(f"unknown option(s) {sorted(options)}; valid: steps")
    start = time.perf_counter()
    try:
        data_name, data = "mnist5k", genaug.data.load("mnist5k")
    except ImportError:  # the datasets extra is missing: sklearn's digits need none
        data_name, data = "digits", genaug.data.load("digits", image_size=16)
    rows: list[dict[str, Any]] = []
    report = {
        "command": " ".join(["python -m benchmarks.gpu_check", *argv]),
        "machine": describe_machine(),
        "gpu": f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}",
        "data": data_name,
        "steps": steps,
        "rows": rows,
    }

    def check(name: str, measure: Callable[[], dict[str, Any]]) -> None:
        """Run one check and rewrite the report, so a run stopped midway keeps the rows it measured."""
        run_check(name, measure, rows)
        report["wall_s"] = round(time.perf_counter() - start, 1)
        write_report("gpu_check", report, markdown(report))

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for family in FAMILIES:
            check(f"train {family}, precision=auto", lambda f=family: training(data, f, root / f, steps))
            check(
                f"train {family}, precision=auto, channels_last, compile",
                lambda f=family: training(data, f, root / f"{f}-fast", steps, channels_last=True, compile=True),
            )
        for family, mode in BATCH_MODES:
            checkpoint = root / family / "timed"
            check(
                f"BatchAugment({family}, {mode}) on CUDA",
                lambda c=checkpoint, m=mode: batch_augment(genaug.load(c, device="cuda"), m, data),
            )
        check("torchrun genaug-train (ae)", lambda: torchrun(data_name, root / "ddp", steps))
        check("genaug-bench device=cuda (quick recipe)", lambda: bench(root / "bench"))
    print(markdown(report))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="genaug-inductor-"))
    sys.exit(main(sys.argv[1:]))
