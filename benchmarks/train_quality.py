"""Training-quality benchmark: for each family at its default recipe, on MNIST-5k, on this machine:

- wall time of a full default training run and the trainer's images/second;
- label fidelity: accuracy with which a reference CNN, trained only on held-out real images, labels
  synthetic images as the class they were conditioned on, and (an independent judge) an RBF-SVM on pixels trained
  on the same images;
- trainer overhead: step time inside the Trainer vs a bare PyTorch loop calling the same objective.

Protocol: MNIST-5k is split (stratified, seed 0) into two halves. Generators train on one half; the
reference CNN and the SVM train on the other and are tested on the generators' half, which they never saw.

    python -m benchmarks.train_quality                       # all families, default recipes
    python -m benchmarks.train_quality families=[cvae] overhead_steps=50
    python -m benchmarks.train_quality families=[ae] trainer.steps=5 overhead_steps=2 reference_steps=20  # a smoke run

Writes benchmarks/results/train_quality.{md,json} and a sample grid per family.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torchvision.utils import save_image

from benchmarks.report import RESULTS, write_report
from genaug.bench.machine import describe_machine
from genaug.cli.recipes import recipes_dir
from genaug.data import load, train_test_split
from genaug.metrics import accuracy, svm_label_fidelity, train_classifier, train_pixel_svm
from genaug.models.registry import family_of_config
from genaug.train import Trainer
from genaug.train.precision import Precision

PUBLISHED_STEPS = 3000
FIDELITY_SAMPLES_PER_CLASS = 500


def default_recipe(family: str, overrides: list[str]):
    with initialize_config_dir(config_dir=recipes_dir(), version_base="1.3"):
        cfg = compose("train", overrides=[f"model={family}", *overrides])
    return instantiate(cfg.model, _convert_="all"), instantiate(cfg.trainer)


def step_times(data, model_config, trainer_config, steps: int, work: Path) -> tuple[float, float]:
    """Seconds per step: (Trainer, bare loop over the same objective), same batches and model size."""
    trainer_config.steps, trainer_config.progress, trainer_config.tensorboard = steps, False, False
    trainer_config.sample_every = trainer_config.checkpoint_every = 10**9 if steps > 1 else 1
    trainer_config.overwrite = True
    Trainer(trainer_config, work / "warmup").fit(data, model_config)  # warm caches, allocator, threads
    start = time.perf_counter()
    Trainer(trainer_config, work / "overhead").fit(data, model_config)
    trainer_time = (time.perf_counter() - start) / steps

    family = family_of_config(model_config)
    resolved = model_config.resolved_for(data.images)
    torch.manual_seed(trainer_config.seed)
    model = family.model_class(resolved, data.classes, data.image_shape)
    objective = family.objective_class(model, Precision(torch.device("cpu")))
    batches = torch.Generator().manual_seed(trainer_config.seed)
    bs = trainer_config.batch_size
    start = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(len(data), (bs,), generator=batches)
        objective.train_step(data.images[idx].float() / 255.0, data.labels[idx])
    bare_time = (time.perf_counter() - start) / steps
    return trainer_time, bare_time


def main(argv: list[str]) -> None:
    options = dict(arg.split("=", 1) for arg in argv)
    families = options.pop("families", "[cgan,cvae,ae]").strip("[]").split(",")
    overhead_steps = int(options.pop("overhead_steps", 200))
    reference_steps = int(options.pop("reference_steps", 1500))  # the reference CNN's training steps
    # every family for 3,000 steps (the published table's; trainer.steps=auto would give each its own schedule),
    # unless overridden, e.g. trainer.steps=100 for a quick look
    options.setdefault("trainer.steps", str(PUBLISHED_STEPS))
    overrides = [f"{k}={v}" for k, v in options.items()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = RESULTS / "train_quality_runs"

    data = load("mnist5k")
    generator_half, held_out = train_test_split(data, test_size=0.5, seed=0)
    start = time.perf_counter()
    reference = train_classifier(held_out.images, held_out.labels, data.num_classes, steps=reference_steps, seed=0)
    reference_time = time.perf_counter() - start
    reference_acc = accuracy(reference, generator_half.images, generator_half.labels)
    print(f"reference CNN: accuracy {reference_acc:.4f} on unseen real images ({reference_time:.0f} s)", flush=True)
    svm = train_pixel_svm(held_out.images, held_out.labels)
    svm_acc = svm_label_fidelity(svm, generator_half.images, generator_half.labels)

    rows = []
    for family in families:
        model_config, trainer_config = default_recipe(family, overrides)
        trainer_config.progress, trainer_config.overwrite = False, True
        steps = trainer_config.steps
        start = time.perf_counter()
        model = Trainer(trainer_config, work / family).fit(generator_half, model_config)
        wall = time.perf_counter() - start
        metrics = (work / family / "metrics.csv").read_text().splitlines()
        header, *values = (line.split(",") for line in metrics)
        ips = [float(v[header.index("images_per_sec")]) for v in values]
        samples, labels = model.sample_per_class(FIDELITY_SAMPLES_PER_CLASS, seed=1)  # both judges score these
        save_image(model.sample_per_class(10, seed=1)[0], RESULTS / f"samples_{family}.png", nrow=10)
        model_config, trainer_config = default_recipe(family, overrides)
        trainer_step, bare_step = step_times(generator_half, model_config, trainer_config, overhead_steps, work)
        row = {
            "family": family,
            "steps": steps,
            "wall_time_s": round(wall, 1),
            "images_per_sec": round(sum(ips) / len(ips), 1),
            "label_fidelity": round(accuracy(reference, samples, labels), 4),
            "svm_label_fidelity": round(svm_label_fidelity(svm, samples, labels), 4),
            "trainer_step_ms": round(trainer_step * 1000, 2),
            "bare_loop_step_ms": round(bare_step * 1000, 2),
            "trainer_overhead_ratio": round(trainer_step / bare_step, 3),
            "load_average_15min": round(os.getloadavg()[2], 2),  # > cores means other work shared the CPU
        }
        rows.append(row)
        print(row, flush=True)
    shutil.rmtree(work / "warmup", ignore_errors=True)
    shutil.rmtree(work / "overhead", ignore_errors=True)

    machine = describe_machine()
    report = {
        "command": "python -m benchmarks.train_quality " + " ".join(argv),
        "machine": machine,
        "reference_accuracy": round(reference_acc, 4),
        "svm_accuracy": round(svm_acc, 4),
        "rows": rows,
    }
    lines = [
        "| family | steps | wall time (s) | images/s | label fidelity | label fidelity (SVM) "
        "| trainer step (ms) | bare loop step (ms) | ratio | load avg (15 min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['family']} | {r['steps']} | {r['wall_time_s']} | {r['images_per_sec']} | {r['label_fidelity']:.1%} "
        f"| {r['svm_label_fidelity']:.1%} | {r['trainer_step_ms']} | {r['bare_loop_step_ms']} "
        f"| {r['trainer_overhead_ratio']} | {r['load_average_15min']} |"
        for r in rows
    ]
    md = (
        f"Command: `{report['command']}`  \nMachine: {machine}  \n"
        f"Judges' accuracy on unseen real MNIST: reference CNN {reference_acc:.1%}, RBF-SVM on pixels {svm_acc:.1%}\n\n"
        + "\n".join(lines)
        + "\n"
    )
    write_report("train_quality", report, md)
    print(md)


if __name__ == "__main__":
    main(sys.argv[1:])
