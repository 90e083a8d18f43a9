"""The training loop: in-memory batches, progress bar, metrics, sample grids, atomic checkpoints, resume."""

from __future__ import annotations

import dataclasses
import math
import shutil
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torchvision.utils import make_grid, save_image
from tqdm.auto import tqdm

from genaug.errors import CheckpointError, TrainingDivergedError
from genaug.models.base import GenerativeModel
from genaug.models.registry import family_of_config
from genaug.train.checkpoint import (
    CONFIG_FILE,
    TRAIN_STATE_FILE,
    WEIGHTS_FILE,
    load_training_state,
    read_config,
    save_model,
    save_training_state,
)
from genaug.train.config import TrainerConfig
from genaug.train.device import resolve_device
from genaug.train.metrics_log import METRICS_FILE, MetricsLog
from genaug.train.objective import Objective
from genaug.train.precision import Precision

if TYPE_CHECKING:
    from genaug.data import ImageSet

SAMPLES_DIR = "samples"
GRID_MAX_CLASSES = 20


class Trainer:
    """Fits one model family to an ImageSet and writes the run into ``out``.

    ``out`` ends up holding ``config.json`` + ``weights.safetensors`` (load with ``genaug.load``),
    ``train_state.safetensors`` (for ``resume``), ``metrics.csv`` and ``samples/step_XXXXXX.png``.
    """

    def __init__(self, config: TrainerConfig, out: str | Path):
        self.config = config
        self.out = Path(out)

    def fit(self, data: ImageSet, model_config: Any) -> GenerativeModel:
        cfg = self.config
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        device = resolve_device(cfg.device)
        family = family_of_config(model_config)
        model_config = model_config.resolved_for(data.images)
        torch.manual_seed(cfg.seed)  # weight initialisation
        model = family.model_class(model_config, data.classes, data.image_shape).to(device)
        objective = family.objective_class(model, Precision(device, cfg.precision))
        batch_size = self._batch_size(len(data))
        batches = torch.Generator().manual_seed(cfg.seed)
        start = self._prepare_out(model, objective, batches, device)
        training_info = {
            "seed": cfg.seed,
            "batch_size": batch_size,
            "data_source": data.source,
            "num_images": len(data),
            "trainer": dataclasses.asdict(cfg),
        }
        if start >= cfg.steps:
            return model.eval()
        images = data.images.to(device)
        labels = data.labels.to(device)
        log = MetricsLog(self.out, start, cfg.tensorboard)
        running: dict[str, torch.Tensor] = {}
        window_start, window_steps, last_checked = time.perf_counter(), 0, start
        bar = tqdm(total=cfg.steps, initial=start, disable=not cfg.progress, desc=f"{family.key} training", unit="step")
        try:
            for step in range(start + 1, cfg.steps + 1):
                idx = torch.randint(len(data), (batch_size,), generator=batches).to(device)
                losses = objective.train_step(images[idx].float().div_(255.0), labels[idx])
                for name, value in losses.items():
                    running[name] = running.get(name, 0.0) + value
                window_steps += 1
                last = step == cfg.steps
                if step % cfg.log_every == 0 or step % cfg.checkpoint_every == 0 or last:
                    means = self._check_finite(running, window_steps, last_checked, step)
                    elapsed = time.perf_counter() - window_start
                    means["images_per_sec"] = window_steps * batch_size / max(elapsed, 1e-9)
                    log.write(step, means)
                    bar.set_postfix({k: f"{v:.3g}" for k, v in means.items()}, refresh=False)
                    running, window_steps, last_checked = {}, 0, step
                    window_start = time.perf_counter()
                bar.update(1)
                if step % cfg.sample_every == 0 or step % cfg.checkpoint_every == 0 or last:
                    objective.prepare_for_sampling(data.images, data.labels)
                if step % cfg.sample_every == 0 or last:
                    log.add_grid(self._save_grid(model, step), step)
                if step % cfg.checkpoint_every == 0 or last:
                    self._checkpoint(model, objective, batches, step, training_info)
                    window_start = time.perf_counter()  # checkpoint time is not training throughput
        finally:
            bar.close()
            log.close()
        return model.eval()

    def _batch_size(self, num_images: int) -> int:
        if num_images >= self.config.batch_size:
            return self.config.batch_size
        warnings.warn(
            f"the data set has {num_images} images, fewer than trainer.batch_size={self.config.batch_size}; "
            f"training with batches of {num_images}",
            stacklevel=3,
        )
        return num_images

    def _prepare_out(
        self, model: GenerativeModel, objective: Objective, batches: torch.Generator, device: torch.device
    ) -> int:
        """Create ``out``, or resume from it; returns the step to start after."""
        cfg = self.config
        state_file = self.out / TRAIN_STATE_FILE
        existing = [p for p in (CONFIG_FILE, WEIGHTS_FILE, TRAIN_STATE_FILE) if (self.out / p).exists()]
        if existing and cfg.overwrite:
            for name in (CONFIG_FILE, WEIGHTS_FILE, TRAIN_STATE_FILE, METRICS_FILE):
                (self.out / name).unlink(missing_ok=True)
            shutil.rmtree(self.out / SAMPLES_DIR, ignore_errors=True)
            shutil.rmtree(self.out / "tensorboard", ignore_errors=True)
        elif existing and not (cfg.resume and state_file.exists()):
            hint = "pass resume=true to continue it, " if state_file.exists() else ""
            raise CheckpointError(
                f"{self.out} already holds a genaug run ({', '.join(existing)}); {hint}"
                "pass overwrite=true to replace it, or choose another out"
            )
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in self.out.glob(".*.tmp"):  # left by a run killed while writing a file
            stale.unlink()
        if not (cfg.resume and state_file.exists()) or cfg.overwrite:
            return 0
        self._check_same_run(model)
        state = load_training_state(self.out, model)
        for name, optimizer in objective.optimizers().items():
            optimizer.load_state_dict(state["optimizers"][name])
        scaler = objective.precision.scaler
        if scaler is not None and state.get("grad_scaler"):
            scaler.load_state_dict(state["grad_scaler"])
        torch.set_rng_state(state["rng"]["torch"])
        batches.set_state(state["rng"]["batches"])
        if device.type == "cuda" and state["rng"].get("cuda"):
            torch.cuda.set_rng_state_all(list(state["rng"]["cuda"]))
        return int(state["step"])

    def _check_same_run(self, model: GenerativeModel) -> None:
        record = read_config(self.out)
        ours = {
            "family": family_of_config(model.config).key,
            "model": dataclasses.asdict(model.config),
            "classes": model.classes,
            "image_shape": list(model.image_shape),
        }
        theirs = {key: record.get(key) for key in ours}
        if json_like(theirs) != json_like(ours):
            differing = [k for k in ours if json_like(theirs[k]) != json_like(ours[k])]
            raise CheckpointError(
                f"cannot resume: the run in {self.out} differs in {differing} from this one; "
                "use the same data and model settings, or pass overwrite=true, or choose another out"
            )

    def _check_finite(self, running: dict[str, Any], steps: int, since: int, step: int) -> dict[str, float]:
        means = {name: float(total) / steps for name, total in running.items()}
        bad = {name: value for name, value in means.items() if not math.isfinite(value)}
        if bad:
            raise TrainingDivergedError(
                f"training diverged: {bad} between steps {since + 1} and {step}. The last good checkpoint "
                f"(step {since - since % self.config.checkpoint_every}) is kept in {self.out}; lower the "
                "learning rate, then resume=true or start again"
            )
        return means

    def _save_grid(self, model: GenerativeModel, step: int) -> torch.Tensor:
        classes = min(model.num_classes, GRID_MAX_CLASSES)
        per_class = self.config.grid_per_class
        labels = torch.arange(classes).repeat_interleave(per_class)
        images = model.sample(len(labels), labels=labels, seed=self.config.seed).cpu()
        path = self.out / SAMPLES_DIR / f"step_{step:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(images, path, nrow=per_class, padding=1)
        return make_grid(images, nrow=per_class, padding=1)

    def _checkpoint(
        self, model: GenerativeModel, objective: Objective, batches: torch.Generator, step: int, info: dict
    ) -> None:
        bad = [name for name, p in model.state_dict().items() if p.is_floating_point() and not torch.isfinite(p).all()]
        if bad:
            raise TrainingDivergedError(
                f"weights {bad[:3]} are NaN/inf at step {step}; the last good checkpoint is kept in {self.out}"
            )
        scaler = objective.precision.scaler
        state = {
            "step": step,
            "optimizers": {name: opt.state_dict() for name, opt in objective.optimizers().items()},
            "grad_scaler": scaler.state_dict() if scaler is not None else None,
            "rng": {
                "torch": torch.get_rng_state(),
                "batches": batches.get_state(),
                "cuda": tuple(torch.cuda.get_rng_state_all()) if model.device.type == "cuda" else None,
            },
        }
        save_training_state(self.out, model, state)
        save_model(model, self.out, training={**info, "step": step})


def json_like(value: Any) -> Any:
    """``value`` with tuples as lists, as it reads back from JSON (for comparing configs)."""
    if isinstance(value, dict):
        return {k: json_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_like(v) for v in value]
    return value
