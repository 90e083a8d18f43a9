"""Sampling speed of every family, and what the diffusion family's solver steps cost in quality (issue 20), on
MNIST-5k (28×28 gray, 10 classes), on this machine:

- throughput: images/second of ``model.sample(256)`` at each family's default size and options (a model trained for
  a few steps here: speed does not depend on how long it trained); for diffusion also at other ``steps`` and at
  ``guidance=1`` (one network pass per step instead of two);
- the batch core: milliseconds of one ``BatchAugment(p=1)`` call on a float batch of 64, diffusion's replace and
  perturb (strength 0.5: half the steps), beside the other families' in ``augment_speed.md``;
- with ``diffusion=DIR`` (a trained checkpoint, e.g. one of ``benchmarks.small_data family=diffusion``'s runs): label
  fidelity of its samples at each ``steps``, from the reference CNN and an RBF-SVM on pixels of
  ``benchmarks.small_data`` (trained on MNIST-5k's reference split, scored on samples only), so the speed each
  ``steps`` buys has its price in quality beside it.

    python -m benchmarks.sample_speed
    python -m benchmarks.sample_speed diffusion=benchmarks/results/diffusion_small_data_runs/n20-seed0/baseline

Writes benchmarks/results/sample_speed.{md,json} (``report=<name>``: <name>.{md,json}).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import torch

import genaug
from benchmarks.augment_speed import trained_model
from benchmarks.report import write_report
from benchmarks.small_data import Settings as JudgeSettings
from benchmarks.small_data import train_judges
from genaug.augment import BatchAugment
from genaug.bench.machine import describe_machine
from genaug.metrics import predict, svm_label_fidelity
from genaug.models.diffusion import DiffusionConfig

BATCH = 256  # images per sample() call, the batch
STEPS = (5, 10, 20, 50)  # diffusion solver steps measured (DiffusionConfig.sampling_steps is the default)
QUALITY_PER_CLASS = 100  # samples per class scored at each steps
MIN_TIMED_S = 3.0  # each speed is timed over at least this long (a diffusion batch takes longer once)


def seconds_per_run(call: Callable[[], Any]) -> float:
    """Mean seconds of ``call`` after a warm-up call, over as many calls as fill MIN_TIMED_S (at least one)."""
    call()
    calls, start = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - start < MIN_TIMED_S:
        call()
        calls += 1
    return (time.perf_counter() - start) / calls


def throughput(model: genaug.GenerativeModel, **options: Any) -> float:
    """Images/s of ``model.sample(BATCH, **options)``."""
    labels = torch.arange(BATCH) % model.num_classes
    return BATCH / seconds_per_run(lambda: model.sample(BATCH, labels=labels, seed=0, **options))


def steps_quality(checkpoint: str) -> list[dict[str, Any]]:
    """Label fidelity (reference CNN, SVM) and images/s of a trained diffusion model at each of STEPS."""
    model = genaug.load(checkpoint)
    protocol = train_judges(JudgeSettings())
    judges, own = protocol.judges, protocol.judge_accuracy
    print(f"judges: {own}", flush=True)
    rows = []
    for steps in STEPS:
        start = time.perf_counter()
        samples, labels = model.sample_per_class(QUALITY_PER_CLASS, seed=0, steps=steps)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "steps": steps,
                "label_fidelity": round(float((predict(judges.cnn, samples) == labels).float().mean()), 4),
                "svm_label_fidelity": round(svm_label_fidelity(judges.svm, samples, labels), 4),
                "images_per_s": round(len(labels) / seconds, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Command: `{report['command']}`  \nMachine: {report['machine']}  \nWall time: {report['wall_s']:.0f} s\n",
        f"Sampling throughput, `model.sample({BATCH})` (images/s; default size and options unless named):\n",
        "| family | options | images/s |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['family']} | {r['options'] or 'defaults'} | {r['images_per_s']:.0f} |" for r in report["throughput"]
    ]
    lines += [
        "\nGenerator cost of `BatchAugment(p=1)` on a float batch of 64 (the other families: `augment_speed.md`):\n",
        "| family, mode | ms per batch |",
        "|---|---|",
    ]
    lines += [f"| {name} | {ms:.0f} |" for name, ms in report["batch_ms"].items()]
    if report.get("steps_quality"):
        lines += [
            f"\nDiffusion solver steps against quality (`{report['checkpoint']}`, {QUALITY_PER_CLASS} samples per "
            "class; judges trained on MNIST-5k's reference split):\n",
            "| steps | label fidelity, reference CNN | label fidelity, RBF-SVM | images/s |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['steps']} | {r['label_fidelity']:.1%} | {r['svm_label_fidelity']:.1%} | {r['images_per_s']:.0f} |"
            for r in report["steps_quality"]
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    start = time.perf_counter()
    options = dict(arg.split("=", 1) for arg in argv)
    checkpoint = options.pop("diffusion", None)
    fit_steps = int(options.pop("fit_steps", 5))
    report_name = options.pop("report", "sample_speed")
    if options:
        raise ValueError(f"unknown option(s) {sorted(options)}; valid: diffusion, fit_steps, report")
    models = {family: trained_model(family, None, fit_steps) for family in ("cgan", "cvae", "ae", "diffusion")}
    rows = []
    for family, model in models.items():
        other_steps = ({"steps": s} for s in STEPS if s != DiffusionConfig.sampling_steps)
        variants = [{}] if family != "diffusion" else [{}, *other_steps, {"guidance": 1}]
        for sampling in variants:
            speed = throughput(model, **sampling)
            rows.append(
                {
                    "family": family,
                    "options": ", ".join(f"{k}={v}" for k, v in sampling.items()),
                    "images_per_s": round(speed, 1),
                }
            )
            print(rows[-1], flush=True)
    data = genaug.data.load("mnist5k")
    x, y = data.images[:64].float() / 255, data.labels[:64]
    batch_ms = {}
    for mode in ("replace", "perturb"):
        augment = BatchAugment(models["diffusion"], mode=mode, p=1.0, strength=0.5, seed=0)
        batch_ms[f"diffusion, {mode}"] = round(seconds_per_run(lambda a=augment: a(x, y)) * 1e3, 1)
    print(batch_ms, flush=True)
    report = {
        "command": " ".join(["python -m benchmarks.sample_speed", *argv]),
        "machine": describe_machine(),
        "throughput": rows,
        "batch_ms": batch_ms,
        "checkpoint": checkpoint,
        "steps_quality": steps_quality(checkpoint) if checkpoint else [],
    }
    report["wall_s"] = round(time.perf_counter() - start, 1)
    write_report(report_name, report, markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main(sys.argv[1:])
