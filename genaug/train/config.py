"""TrainerConfig: how long and how a model is trained (the loop, not the model's hyper-parameters)."""

from __future__ import annotations

from dataclasses import dataclass

from genaug.checks import AUTO, check_int, check_number


@dataclass
class TrainerConfig:
    """Settings of the training loop; plain data, instantiated by Hydra from ``recipes/trainer/``."""

    # optimisation steps (one batch each); "auto": the family's schedule (genaug.models.schedule) for the number of
    # training images, e.g. 600 steps for the ae up to 960 images, then 40 passes, at most 3,000
    steps: int | str = AUTO
    batch_size: int = 64  # images per step over all processes (torchrun: each rank takes batch_size / ranks); with
    # unlabelled images, each step also takes as many unlabelled ones
    seed: int = 0  # seeds weight init, batch order and training noise
    device: str = "auto"  # auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps
    precision: str = "auto"  # auto (bf16/fp16 autocast on CUDA, fp32 elsewhere), 32, bf16 (CUDA or CPU: on a CPU
    # with bf16 instructions it trained the cgan 1.7x faster, benchmarks/results/cpu_speed.md), fp16 (CUDA)
    log_every: int = 25  # steps between rows of metrics.csv (and the NaN/inf check)
    sample_every: int = 500  # steps between sample grid PNGs (one more at the end)
    checkpoint_every: int = 500  # steps between checkpoints (one more at the end)
    grid_per_class: int = 8  # images per class in sample grids
    resume: bool = False  # continue the run in ``out`` from its last checkpoint
    overwrite: bool = False  # replace a finished or interrupted run in ``out``
    num_threads: int | None = None  # CPU threads for torch (None: torch's default)
    progress: bool = True  # show a tqdm progress bar
    tensorboard: bool = True  # also log to out/tensorboard when tensorboard is installed
    memory_budget_mb: float = 4096  # data larger than this (as uint8) is streamed by DataLoader workers
    num_workers: int = 2  # DataLoader worker processes when streaming
    channels_last: bool = False  # channels-last memory format (faster convolutions on recent GPUs and on CPUs)
    compile: bool = False  # torch.compile the conv trunks (slow first steps, then faster on GPUs)

    def __post_init__(self) -> None:
        # counts are stored as checked (a numpy int becomes an int): the run records this config as JSON
        if self.steps != AUTO:
            self.steps = check_int("trainer.steps", self.steps, minimum=1, note="or 'auto'")
        for name in ("batch_size", "log_every", "sample_every", "checkpoint_every", "grid_per_class"):
            setattr(self, name, check_int(f"trainer.{name}", getattr(self, name), minimum=1))
        self.num_workers = check_int("trainer.num_workers", self.num_workers, minimum=0)
        check_number("trainer.memory_budget_mb", self.memory_budget_mb, minimum=0, finite=False, note="megabytes")
