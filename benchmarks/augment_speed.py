"""Speed benchmark of GenerativeAugment (torchvision form), on MNIST-5k, on this machine:

- throughput: images/second through a DataLoader (2 forked workers) with ``GenerativeAugment(p=1)``, fed from the
  sample bank (default ``bank_size``: 16 per class for a CPU model) vs one ``model.sample(1)`` per call
  (``bank_size=1``), and with ``mode="perturb"`` (ae), where each call runs the encoder and decoder on its image;
- per-call overhead, in this process: the transform's time per call vs the bare model call it wraps;
- the cost users feel: wall time of one epoch of a SmallCNN training loop (batch 64, the same 2 workers) with the
  classical pipeline alone vs ``GenerativeAugment(p=0.5)`` (cgan replace, and ae perturb) followed by the same
  classical pipeline, vs the classical pipeline in the workers and ``BatchAugment(ae, perturb, p=0.5)`` on each
  batch, either in the training step (in the training process: on a GPU machine that is where the GPU is) or in
  the workers (``collate_fn=aug.collate``: the CPU placement);
- the generator's cost per batch of 64 in ``BatchAugment(p=1)``, per family and mode, in this process.

Models have the default recipe's size (speed does not depend on how long they trained), trained for a few steps
here unless given: ``cgan=DIR`` and ``ae=DIR`` take existing checkpoints (28×28 gray, 10 classes).

    python -m benchmarks.augment_speed                        # trains the models (a minute), then measures
    python -m benchmarks.augment_speed cgan=runs/mnist-cgan ae=runs/mnist-ae epochs=3 workers=2 threads=1
    python -m benchmarks.augment_speed threads=2 report=augment_speed_threads2   # beside the published report

``threads`` (default 1) sets torch's threads in the main process. On 2 cores next to 2 busy workers (and on a
shared machine), 2 OpenMP threads make each SmallCNN step several times slower than 1 (measured: 0.9 s vs 0.15 s).

Writes benchmarks/results/augment_speed.{md,json}. Targets (2 CPU cores): the epoch with GenerativeAugment takes at
most 1.25× the classical one, the epoch with BatchAugment at most 1.15×; bank throughput is at least 5×
one-at-a-time.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

import genaug
from benchmarks.report import RESULTS, write_report
from genaug.augment import BatchAugment
from genaug.baselines.classical import classical_transforms
from genaug.bench.machine import describe_machine
from genaug.data import ImageSet
from genaug.metrics import SmallCNN
from genaug.models.base import GenerativeModel
from genaug.transforms import GenerativeAugment

TARGET_EPOCH_RATIO = 1.25
TARGET_BATCH_EPOCH_RATIO = 1.15
TARGET_BANK_SPEEDUP = 5.0
BATCH_IN_STEP = "classical + BatchAugment(ae, perturb, p=0.5)"
BATCH_IN_WORKERS = "classical + BatchAugment(ae, perturb, p=0.5) in the workers' collate_fn"


class TransformedImages(Dataset):
    """An ImageSet whose (image, label) samples go through a v2 transform."""

    def __init__(self, images: ImageSet, transform: v2.Transform):
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(*self.images[i])


def trained_model(family: str, checkpoint: str | None, steps: int, **size: int) -> GenerativeModel:
    """The checkpoint given, or a model of the default recipe size (or ``size``) trained for ``steps`` steps on
    MNIST-5k."""
    if checkpoint:
        return genaug.load(checkpoint)
    out = RESULTS / "augment_speed_runs" / "-".join([family, *(f"{k}{v}" for k, v in size.items())])
    every = {"sample_every": 10**9, "checkpoint_every": 10**9}
    quiet = {"progress": False, "tensorboard": False, "overwrite": True}
    return genaug.fit("mnist5k", family=family, steps=steps, out=out, **quiet, **every, **size)


def loader(
    images: ImageSet, transform: v2.Transform, workers: int, shuffle: bool = False, collate: Any = None
) -> DataLoader:
    return DataLoader(
        TransformedImages(images, transform),
        batch_size=64,
        shuffle=shuffle,
        num_workers=workers,
        collate_fn=collate,
        multiprocessing_context="fork" if workers else None,
    )


def images_per_second(images: ImageSet, transform: v2.Transform, workers: int) -> float:
    """Images/s of one pass over ``images`` through ``transform`` in a DataLoader (worker start-up included)."""
    torch.manual_seed(0)
    start = time.perf_counter()
    count = sum(len(batch) for batch, _ in loader(images, transform, workers))
    return count / (time.perf_counter() - start)


def seconds_per_call(call: Any, calls: int) -> float:
    call()  # warm-up: first-use loading, allocator
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def training_epoch(
    images: ImageSet,
    transform: v2.Transform,
    workers: int,
    batch_augment: BatchAugment | None = None,
    in_workers: bool = False,
) -> dict[str, float]:
    """One epoch of SmallCNN training (AdamW, batch 64) on samples from ``transform``, then ``batch_augment`` on
    each batch (in this process, or with ``in_workers`` as the workers' collate_fn): its wall time, and the CPU
    time of the training process and of the DataLoader workers (which exit at the end of the epoch)."""
    torch.manual_seed(0)
    model = SmallCNN(images.image_shape[0], images.num_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    model.train()
    workers_before, main_before, start = children_cpu_seconds(), time.process_time(), time.perf_counter()
    collate = batch_augment.collate if in_workers and batch_augment is not None else None
    for x, y in loader(images, transform, workers, shuffle=True, collate=collate):
        if batch_augment is not None and not in_workers:
            x, y = batch_augment(x, y)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return {
        "wall": time.perf_counter() - start,
        "main_cpu": time.process_time() - main_before,
        "workers_cpu": children_cpu_seconds() - workers_before,
    }


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    start = time.perf_counter()
    options = dict(arg.split("=", 1) for arg in argv)
    fit_steps = int(options.pop("fit_steps", 20))
    epochs = int(options.pop("epochs", 3))
    workers = int(options.pop("workers", 2))
    torch.set_num_threads(int(options.pop("threads", 1)))  # the training loop's; each worker uses 1
    report_name = options.pop("report", "augment_speed")  # another name keeps the published report
    checkpoints = {family: options.pop(family, None) for family in ("cgan", "ae", "cvae")}
    if options:  # before any model trains
        valid = "cgan, ae, cvae, fit_steps, epochs, workers, threads, report"
        raise ValueError(f"unknown option(s) {sorted(options)}; valid: {valid}")
    cgan, ae, cvae = (trained_model(family, path, fit_steps) for family, path in checkpoints.items())
    ae_half = trained_model("ae", None, fit_steps, base_width=16)  # the size genaug-bench trains (published)
    data = genaug.data.load("mnist5k")
    to_float = v2.ToDtype(torch.float32, scale=True)
    classical = classical_transforms(channels=1)

    throughput = {
        "bank (default bank_size: 16 on CPU)": images_per_second(data, GenerativeAugment(cgan, p=1.0), workers),
        "one at a time (bank_size=1)": images_per_second(data, GenerativeAugment(cgan, p=1.0, bank_size=1), workers),
        "perturb (ae, per call)": images_per_second(data, GenerativeAugment(ae, p=1.0, mode="perturb"), workers),
        "no augmentation": images_per_second(data, v2.Identity(), workers),
    }
    print(throughput, flush=True)

    image = data.images[0]
    replace_call = GenerativeAugment(cgan, p=1.0, bank_size=1)
    perturb_call = GenerativeAugment(ae, p=1.0, mode="perturb", strength=1.0)
    calls = {
        "GenerativeAugment(bank_size=1), replace": seconds_per_call(lambda: replace_call(image, 3), 300),
        "model.sample(1)": seconds_per_call(lambda: cgan.sample(1, labels=3), 300),
        "model.sample(16), per image": seconds_per_call(lambda: cgan.sample(16, labels=3), 20) / 16,
        "model.sample(256), per image": seconds_per_call(lambda: cgan.sample(256, labels=3), 3) / 256,
        "GenerativeAugment, perturb": seconds_per_call(lambda: perturb_call(image), 300),
        "model.perturb(1 image)": seconds_per_call(lambda: ae.perturb(image[None], 1.0), 300),
    }
    print(calls, flush=True)
    batch_costs = batch_cost_ms(data, {"cgan": cgan, "cvae": cvae, "ae": ae, "ae (half width)": ae_half})
    print(batch_costs, flush=True)

    classical_float = v2.Compose([classical, to_float])
    perturb_ae = GenerativeAugment(ae, p=0.5, mode="perturb", strength=0.5)

    def batch_perturb(model: GenerativeModel) -> BatchAugment:
        return BatchAugment(model, mode="perturb", p=0.5, strength=0.5, seed=0)

    arms: dict[str, tuple[v2.Transform, BatchAugment | None, bool]] = {
        "classical": (classical_float, None, False),
        "GenerativeAugment(p=0.5) + classical": (
            v2.Compose([GenerativeAugment(cgan, p=0.5), classical_float]),
            None,
            False,
        ),
        "GenerativeAugment(ae, perturb, p=0.5) + classical": (v2.Compose([perturb_ae, classical_float]), None, False),
        BATCH_IN_STEP: (classical_float, batch_perturb(ae), False),
        "classical + BatchAugment(ae of the benchmark's half width, perturb, p=0.5)": (
            classical_float,
            batch_perturb(ae_half),
            False,
        ),
        BATCH_IN_WORKERS: (classical_float, batch_perturb(ae), True),
        "classical + BatchAugment(ae of the benchmark's half width, perturb, p=0.5) in the workers' collate_fn": (
            classical_float,
            batch_perturb(ae_half),
            True,
        ),
    }
    epoch_times: dict[str, list[dict[str, float]]] = {name: [] for name in arms}
    for _ in range(epochs):  # arms interleaved, so drifting load from other processes hits all alike
        for name, (transform, batch_augment, in_workers) in arms.items():
            epoch_times[name].append(training_epoch(data, transform, workers, batch_augment, in_workers))
            print(name, epoch_times[name][-1], flush=True)

    synthetic_per_epoch = 0.5 * len(data)  # p = 0.5
    floor = synthetic_per_epoch * calls["model.sample(16), per image"]  # CPU s/epoch the generator needs at least
    report = build_report(argv, workers, throughput, calls, epoch_times)
    report["batch_augment_ms_per_batch_of_64"] = batch_costs
    report["generation_cpu_floor_s_per_epoch"] = round(floor, 2)
    report["bank_speedup_ceiling"] = bank_speedup_ceiling(report["per_call_ms"])
    report["wall_s"] = round(time.perf_counter() - start, 1)  # model training included
    md = markdown(report)
    write_report(report_name, report, md)
    print(md)


def batch_cost_ms(data: ImageSet, models: dict[str, GenerativeModel]) -> dict[str, float]:
    """Milliseconds of one ``BatchAugment(p=1, strength=1)`` call on a float batch of 64, per family and mode."""
    x, y = data.images[:64].float() / 255, data.labels[:64]
    costs = {}
    for family, model in models.items():
        for mode in ("replace", "perturb") if model.family != "cgan" else ("replace",):
            augment = BatchAugment(model, mode=mode, p=1.0, strength=1.0, seed=0)  # as published (the old default)
            costs[f"{family}, {mode}"] = round(seconds_per_call(lambda a=augment: a(x, y), 20) * 1e3, 2)
    return costs


def build_report(argv, workers, throughput, calls, epoch_times) -> dict[str, Any]:
    medians = {name: statistics.median(t["wall"] for t in times) for name, times in epoch_times.items()}
    classical, augmented = medians["classical"], medians["GenerativeAugment(p=0.5) + classical"]
    batch_ratio, workers_ratio = medians[BATCH_IN_STEP] / classical, medians[BATCH_IN_WORKERS] / classical
    speedup = throughput["bank (default bank_size: 16 on CPU)"] / throughput["one at a time (bank_size=1)"]
    return {
        "command": " ".join(["python -m benchmarks.augment_speed", *argv]),
        "machine": describe_machine() + " (in the main process)",
        "load_average_1_5_15min": [round(v, 2) for v in os.getloadavg()],  # > cores: other work shared the CPU
        "dataloader_workers": workers,
        "throughput_images_per_s": {k: round(v, 1) for k, v in throughput.items()},
        "per_call_ms": {k: round(v * 1e3, 3) for k, v in calls.items()},
        "epoch_s": {k: [{m: round(t, 2) for m, t in epoch.items()} for epoch in v] for k, v in epoch_times.items()},
        "epoch_ratio": round(augmented / classical, 3),
        "epoch_ratios": {name: round(m / classical, 3) for name, m in medians.items() if name != "classical"},
        "bank_speedup": round(speedup, 2),
        "targets_met": {
            f"epoch ratio <= {TARGET_EPOCH_RATIO}": augmented / classical <= TARGET_EPOCH_RATIO,
            f"BatchAugment in the training step, epoch ratio <= {TARGET_BATCH_EPOCH_RATIO}": (
                batch_ratio <= TARGET_BATCH_EPOCH_RATIO
            ),
            f"BatchAugment in the workers (collate_fn), epoch ratio <= {TARGET_BATCH_EPOCH_RATIO}": (
                workers_ratio <= TARGET_BATCH_EPOCH_RATIO
            ),
            f"bank speedup >= {TARGET_BANK_SPEEDUP}": speedup >= TARGET_BANK_SPEEDUP,
        },
    }


def bank_speedup_ceiling(per_call_ms: dict[str, float]) -> float:
    """The most any bank can gain here: a whole one-at-a-time call vs the generator's cheapest per-image cost in
    a batch (a bank cannot make an image cheaper than the batched arithmetic that draws it)."""
    cheapest = min(per_call_ms["model.sample(16), per image"], per_call_ms["model.sample(256), per image"])
    return round(per_call_ms["GenerativeAugment(bank_size=1), replace"] / cheapest, 2)


def markdown(report: dict[str, Any]) -> str:
    throughput = "\n".join(f"| {k} | {v} |" for k, v in report["throughput_images_per_s"].items())
    calls = "\n".join(f"| {k} | {v} |" for k, v in report["per_call_ms"].items())
    epochs = "\n".join(
        f"| {k} | {median(v, 'wall')} | {', '.join(str(e['wall']) for e in v)} | {median(v, 'main_cpu')} "
        f"| {median(v, 'workers_cpu')} |"
        for k, v in report["epoch_s"].items()
    )
    targets = "\n".join(f"- {k}: {'met' if v else 'NOT met'}" for k, v in report["targets_met"].items())
    ratios = "\n".join(f"| {k} | {v}× |" for k, v in report["epoch_ratios"].items())
    batch = "\n".join(f"| {k} | {v} |" for k, v in report["batch_augment_ms_per_batch_of_64"].items())
    return (
        f"Command: `{report['command']}`  \nMachine: {report['machine']}  \n"
        f"Load average (1, 5, 15 min) at the end: {report['load_average_1_5_15min']}  \n"
        f"Wall time: {report['wall_s']} s (the few training steps of the models included)  \n"
        f"DataLoader: {report['dataloader_workers']} forked workers, batch 64; MNIST-5k (5000 images, 28×28 gray); "
        "models of the default recipe size.\n\n"
        "Throughput of GenerativeAugment(p=1) over one pass of MNIST-5k (worker start-up included):\n\n"
        f"| pipeline | images/s |\n|---|---|\n{throughput}\n\n"
        f"Bank vs one at a time: {report['bank_speedup']}×  \n"
        "Ceiling for any bank on this machine: one GenerativeAugment(bank_size=1) call / the cheapest per-image "
        f"model.sample cost in a batch = {report['bank_speedup_ceiling']}× (the generator's arithmetic per image "
        "does not shrink with the batch)\n\n"
        "Time per call in the main process (one 28×28 image; the bank refills with model.sample(16)):\n\n"
        f"| call | ms |\n|---|---|\n{calls}\n\n"
        "One epoch of SmallCNN training (79 steps of batch 64); CPU seconds are medians over the epochs:\n\n"
        "| pipeline | median epoch (s) | epochs (s) | training process CPU (s) | workers CPU (s) |\n"
        f"|---|---|---|---|---|\n{epochs}\n\n"
        "Epoch ratios (median epoch / classical median epoch; BatchAugment runs after the workers' classical "
        "pipeline, in the training process or, with collate_fn=aug.collate, in the workers):\n\n"
        f"| pipeline | ratio |\n|---|---|\n{ratios}\n\n"
        "Generator cost of BatchAugment(p=1) on a float batch of 64 (28×28 gray), in this process:\n\n"
        f"| family, mode | ms per batch |\n|---|---|\n{batch}\n\n"
        "Generator floor: 2500 synthetic images per epoch (p = 0.5) × model.sample(16) per image = "
        f"{report['generation_cpu_floor_s_per_epoch']} s of worker CPU per epoch, whatever the bank does.\n\n"
        f"Targets:\n{targets}\n"
    )


def median(epochs: list[dict[str, float]], measure: str) -> float:
    return round(statistics.median(epoch[measure] for epoch in epochs), 2)


if __name__ == "__main__":
    main(sys.argv[1:])
