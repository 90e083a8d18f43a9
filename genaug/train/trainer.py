"""The training loop (one process or many): batches, progress bar, metrics, sample grids, checkpoints, resume."""

from __future__ import annotations

import contextlib
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

from genaug.atomic import atomic_path
from genaug.checks import AUTO
from genaug.data.fingerprint import fingerprint
from genaug.data.streaming import StreamingData, fit_memory_budget
from genaug.data.unlabelled import load_unlabelled
from genaug.directory_lock import directory_lock
from genaug.errors import CheckpointError, TrainingDivergedError
from genaug.models.base import GenerativeModel
from genaug.models.io import CONFIG_FILE, WEIGHTS_FILE, save_model
from genaug.models.objective import Objective
from genaug.models.registry import family_of_config
from genaug.train.acceleration import accelerate
from genaug.train.batches import batch_source, draw_indices
from genaug.train.config import TrainerConfig
from genaug.train.device import resolve_device
from genaug.train.distributed import ProcessGroup, noise_seed, rank_rng_state, restore_rank_rng
from genaug.train.metrics_log import METRICS_FILE, MetricsLog
from genaug.train.precision import Precision
from genaug.train.resume_checks import check_resumable
from genaug.train.resume_state import TRAIN_STATE_FILE, load_training_state, save_training_state

if TYPE_CHECKING:
    from genaug.data import ImageSet

SAMPLES_DIR = "samples"
GRID_MAX_CLASSES = 20
UNLABELLED_SEED_OFFSET = 1_000_003  # the unlabelled batches' generator is seeded with seed + this, apart from
# the labelled one's, so adding unlabelled images leaves the labelled batch order as it was


class Trainer:
    """Fits one model family to an ImageSet and writes the run into ``out``.

    ``out`` ends up holding ``config.json`` + ``weights.safetensors`` (load with ``genaug.load``),
    ``train_state.safetensors`` (for ``resume``), ``metrics.csv`` and ``samples/step_XXXXXX.png``.
    Data within ``config.memory_budget_mb`` is held on the device; larger data is streamed by DataLoader
    workers. Under ``torchrun`` the processes train one model together and only rank 0 writes. The writing
    process holds ``out``'s lock (``out/.genaug.lock``) for the whole run, so a second run, resume or export
    into ``out`` fails at once with DirectoryBusyError. ``resume`` refuses a run with another model, seed or
    training data (genaug.train.resume_checks).

    Unlabelled images (``unlabelled`` of ``fit``; every family learns from them, its docstring says how): every step
    draws ``batch_size`` labelled images and as many unlabelled ones, each set with replacement from its own
    generator (seeded from ``seed``), and hands both to the objective; the run's record counts both sets. The
    labelled set alone is the reference (the ae's class densities, "auto" settings, sample grids).
    """

    def __init__(self, config: TrainerConfig, out: str | Path):
        self.config = config
        self.out = Path(out)

    def fit(self, data: ImageSet | StreamingData, model_config: Any, unlabelled: Any = None) -> GenerativeModel:
        """Train a model of ``model_config``'s family on ``data`` and return it ready for inference
        (``GenerativeModel.for_inference``).

        ``unlabelled``: images without labels, as anything ``genaug.data.load`` accepts; they are brought to
        ``data``'s image shape with load's rules (genaug.data.unlabelled: labels on them are ignored, an empty set
        trains on ``data`` alone, each with a DataWarning).
        Under ``torchrun`` every process runs this; they train one model together (see genaug.train.distributed).
        """
        if unlabelled is not None:
            unlabelled = load_unlabelled(unlabelled, data)
        threads = torch.get_num_threads()
        if self.config.num_threads:
            torch.set_num_threads(self.config.num_threads)
        group = ProcessGroup.join(self.config.device)
        try:
            with contextlib.ExitStack() as held:
                self._lock_out(group, held)
                return self._fit(data, model_config, unlabelled, group)
        finally:
            if group is not None:
                group.close()
            torch.set_num_threads(threads)  # num_threads holds for this run only, not for the caller's later work

    def _lock_out(self, group: ProcessGroup | None, held: contextlib.ExitStack) -> None:
        """Lock ``out`` until ``held`` closes, in the process that writes it (rank 0 under torchrun); when another
        run or export holds it, every rank raises DirectoryBusyError."""

        def take() -> None:
            held.enter_context(directory_lock(self.out, "training run"))

        if group is None:
            take()
        else:
            group.on_main(take)

    def _fit(
        self,
        data: ImageSet | StreamingData,
        model_config: Any,
        unlabelled: ImageSet | None,
        group: ProcessGroup | None,
    ) -> GenerativeModel:
        cfg = self.config
        device = group.device if group is not None else resolve_device(cfg.device)
        is_main = group is None or group.is_main
        data, reference, streamed = fit_memory_budget(data, cfg.memory_budget_mb, cfg.seed, cfg.num_workers)
        family = family_of_config(model_config)
        family.objective_class.check_data(reference.labels, data.classes)
        model_config = model_config.resolved_for(reference.images)
        torch.manual_seed(cfg.seed)  # weight initialisation
        model = family.model_class(model_config, data.classes, data.image_shape).to(device)
        accelerate(model, cfg.channels_last, cfg.compile)
        syncs = (group.average_gradients, group.average) if group is not None else (None, None)
        objective = family.objective_class(model, Precision(device, cfg.precision, *syncs))
        batch_size = self._batch_size(len(data))
        steps = family.schedule.steps(len(data), batch_size) if cfg.steps == AUTO else cfg.steps
        per_rank_batch_size = group.per_rank_batch(batch_size) if group is not None else batch_size
        shard = group.shard if group is not None else _whole_batch
        generators = {"batches": torch.Generator().manual_seed(cfg.seed)}
        if unlabelled is not None:
            unlabelled, _, unlabelled_streamed = fit_memory_budget(
                unlabelled, cfg.memory_budget_mb, cfg.seed, cfg.num_workers
            )
            generators["unlabelled_batches"] = torch.Generator().manual_seed(cfg.seed + UNLABELLED_SEED_OFFSET)
        training_info = {
            "seed": cfg.seed,
            "batch_size": batch_size,
            "world_size": group.world_size if group is not None else 1,
            "per_rank_batch_size": per_rank_batch_size,
            "streamed": streamed,
            "data_source": data.source,
            "num_images": len(data),
            "data": fingerprint(data),  # a resume on other data is refused (genaug.train.resume_checks)
            "num_unlabelled_images": len(unlabelled) if unlabelled is not None else 0,
            "unlabelled_data_source": unlabelled.source if unlabelled is not None else None,
            "unlabelled_data": fingerprint(unlabelled) if unlabelled is not None else None,
            "trainer": dataclasses.asdict(cfg),
            "steps": steps,  # trainer.steps resolved ("auto": the family's schedule for these images)
        }
        start, images_seen = self._start(model, objective, generators, device, group, training_info)
        if start >= steps:
            return model.for_inference()
        loading = (steps - start, shard, device, cfg.num_workers, cfg.seed)
        sources = {"batches": batch_source(data, streamed, generators["batches"], batch_size, *loading)}
        if unlabelled is not None:
            sources["unlabelled_batches"] = batch_source(
                unlabelled, unlabelled_streamed, generators["unlabelled_batches"], batch_size, *loading
            )
        images_per_step = batch_size * len(sources)

        def take(name: str, num_images: int) -> tuple[torch.Tensor, torch.Tensor]:
            """This step's batch from ``sources[name]``: images (float, on the device) and labels."""
            images, labels = sources[name].take(shard(draw_indices(generators[name], num_images, batch_size)))
            if cfg.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            return images, labels

        log = MetricsLog(self.out, start, cfg.tensorboard) if is_main else None
        running: dict[str, torch.Tensor] = {}
        window_start, window_steps, last_checked = time.perf_counter(), 0, start
        bar = tqdm(
            total=steps,
            initial=start,
            disable=not (cfg.progress and is_main),
            desc=f"{family.key} training",
            unit="step",
        )
        try:
            for step in range(start + 1, steps + 1):
                images, labels = take("batches", len(data))
                if unlabelled is None:
                    losses = objective.train_step(images, labels)
                else:
                    losses = objective.train_step(
                        images, labels, unlabelled=take("unlabelled_batches", len(unlabelled))[0]
                    )
                images_seen += batch_size  # counted, not step x batch_size: a resumed run may change batch_size
                for name, value in losses.items():
                    running[name] = running.get(name, 0.0) + value
                window_steps += 1
                last = step == steps
                if step % cfg.log_every == 0 or step % cfg.checkpoint_every == 0 or last:
                    if group is not None:
                        running = group.mean(running)
                    means = self._check_finite(running, window_steps, last_checked, step)
                    elapsed = time.perf_counter() - window_start
                    means["images_per_sec"] = window_steps * images_per_step / max(elapsed, 1e-9)
                    if log is not None:
                        log.write(step, means)
                    bar.set_postfix({k: f"{v:.3g}" for k, v in means.items()}, refresh=False)
                    running, window_steps, last_checked = {}, 0, step
                    window_start = time.perf_counter()
                bar.update(1)
                if step % cfg.sample_every == 0 or step % cfg.checkpoint_every == 0 or last:
                    if group is not None:
                        group.broadcast_module(model, buffers_only=True)
                    objective.prepare_for_sampling(reference.images, reference.labels)
                if (step % cfg.sample_every == 0 or last) and log is not None:
                    log.add_grid(self._save_grid(model, step), step)
                if step % cfg.checkpoint_every == 0 or last:
                    self._checkpoint(model, objective, generators, step, images_seen, training_info, group)
                    window_start = time.perf_counter()  # checkpoint time is not training throughput
        finally:
            bar.close()
            for source in sources.values():
                source.close()
            if log is not None:
                log.close()
        return model.for_inference()

    def _batch_size(self, num_images: int) -> int:
        if num_images >= self.config.batch_size:
            return self.config.batch_size
        warnings.warn(
            f"the data set has {num_images} images, fewer than trainer.batch_size={self.config.batch_size}; "
            f"training with batches of {num_images}",
            stacklevel=3,
        )
        return num_images

    def _start(
        self,
        model: GenerativeModel,
        objective: Objective,
        generators: dict[str, torch.Generator],
        device: torch.device,
        group: ProcessGroup | None,
        training: dict[str, Any],
    ) -> tuple[int, int]:
        """Prepare ``out`` (rank 0 only) and restore a resumed run's state on every rank: the step to start after
        and the images seen until then. ``training`` is this run's record, checked against a resumed run's."""
        if group is None:
            state = self._prepare_out(model, training)
        else:
            state = group.on_main(lambda: self._prepare_out(model, training))
            group.broadcast_module(model)  # rank 0's initial or resumed weights
        if state is None:
            if group is not None and not group.is_main:
                torch.manual_seed(noise_seed(self.config.seed, group.rank, 0))  # each rank its own training noise
            return 0, 0
        for name, optimizer in objective.optimizers().items():
            optimizer.load_state_dict(state["optimizers"][name])
        scaler = objective.precision.scaler
        if scaler is not None and state.get("grad_scaler"):
            scaler.load_state_dict(state["grad_scaler"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        for name, generator in generators.items():
            generator.set_state(rng[name])
        if group is not None:
            restore_rank_rng(group, rng, self.config.seed, int(state["step"]))
        elif device.type == "cuda" and rng.get("cuda"):
            torch.cuda.set_rng_state_all(list(rng["cuda"]))
        step = int(state["step"])
        # a state saved before images_seen was kept: its run counted step x batch_size
        return step, int(state.get("images_seen", step * training["batch_size"]))

    def _prepare_out(self, model: GenerativeModel, training: dict[str, Any]) -> dict[str, Any] | None:
        """Create ``out``, or check and read the run to resume from it (weights into ``model``; the rest is
        returned)."""
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
            return None
        check_resumable(self.out, model, training)
        return load_training_state(self.out, model)

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
        per_class = self.config.grid_per_class
        images, _ = model.sample_per_class(
            per_class, seed=self.config.seed, classes=min(model.num_classes, GRID_MAX_CLASSES)
        )
        with atomic_path(self.out / SAMPLES_DIR / f"step_{step:06d}.png") as tmp:  # the name ends .tmp: say PNG
            save_image(images, tmp, format="png", nrow=per_class, padding=1)
        return make_grid(images, nrow=per_class, padding=1)

    def _checkpoint(
        self,
        model: GenerativeModel,
        objective: Objective,
        generators: dict[str, torch.Generator],
        step: int,
        images_seen: int,
        info: dict,
        group: ProcessGroup | None,
    ) -> None:
        bad = [name for name, p in model.state_dict().items() if p.is_floating_point() and not torch.isfinite(p).all()]
        if bad:
            raise TrainingDivergedError(
                f"weights {bad[:3]} are NaN/inf at step {step}; the last good checkpoint is kept in {self.out}"
            )
        scaler = objective.precision.scaler
        rng = {"torch": torch.get_rng_state(), "cuda": None}
        rng.update({name: generator.get_state() for name, generator in generators.items()})
        if group is not None:
            group.check_replicas(model)
            rng["ranks"] = group.gather(rank_rng_state(group.device))
        elif model.device.type == "cuda":
            rng["cuda"] = tuple(torch.cuda.get_rng_state_all())
        if group is None or group.is_main:
            state = {
                "step": step,
                "optimizers": {name: opt.state_dict() for name, opt in objective.optimizers().items()},
                "grad_scaler": scaler.state_dict() if scaler is not None else None,
                "rng": rng,
                "images_seen": images_seen,
            }
            save_training_state(self.out, model, state)
            save_model(model, self.out, training={**info, "step": step, "images_seen": images_seen})
        if group is not None:
            group.barrier()  # the files exist when any rank moves on (or returns)


def _whole_batch(indices: torch.Tensor) -> torch.Tensor:
    """A single process trains on the whole batch."""
    return indices
