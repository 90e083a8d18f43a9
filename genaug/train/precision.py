"""Mixed precision: bf16 (or fp16 with a gradient scaler) autocast on CUDA by default, full precision elsewhere;
bf16 autocast on the CPU when asked for (fast where the CPU has bf16 instructions, AVX512-BF16 or AMX)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch

from genaug.checks import AUTO, check_choice

PRECISIONS = (AUTO, "32", "bf16", "fp16")


class Precision:
    """Runs forward passes under autocast and steps optimisers, scaling gradients when fp16 needs it.

    ``gradient_sync`` (set for multi-process training) is called with each optimiser between the backward pass
    and the step, to average its gradients over the processes; ``value_sync`` averages a tensor over them, for
    the running statistics an objective keeps beside its weights (the cgan's ADA signal and LeCam anchors).
    """

    def __init__(
        self,
        device: torch.device,
        mode: str = AUTO,
        gradient_sync: Callable[[torch.optim.Optimizer], None] | None = None,
        value_sync: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ):
        check_choice("precision", mode, PRECISIONS)
        if mode == AUTO:
            if device.type != "cuda":
                mode = "32"
            else:
                mode = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        if mode == "bf16" and device.type not in ("cuda", "cpu"):
            raise ValueError(f"precision='bf16' runs on CUDA or the CPU; this run is on {device}. Use precision=32")
        if mode == "fp16" and device.type != "cuda":
            instead = "32 or bf16" if device.type == "cpu" else "32"
            raise ValueError(f"precision='fp16' needs a CUDA device; this run is on {device}. Use precision={instead}")
        self.device = device
        self.mode = mode
        self.dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mode)
        self.scaler = torch.amp.GradScaler("cuda") if mode == "fp16" else None
        self.gradient_sync = gradient_sync
        self.value_sync = value_sync

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.dtype is None:
            yield
        else:
            with torch.autocast(device_type=self.device.type, dtype=self.dtype):
                yield

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Back-propagate ``loss`` and take one step of ``optimizer`` (gradients cleared first)."""
        optimizer.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            if self.gradient_sync is not None:
                self.gradient_sync(optimizer)
            optimizer.step()
        else:
            self.scaler.scale(loss).backward()
            if self.gradient_sync is not None:
                self.gradient_sync(optimizer)  # scaled gradients: an inf on any rank reaches every rank
            self.scaler.step(optimizer)
            self.scaler.update()

    def mean_over_ranks(self, value: torch.Tensor) -> torch.Tensor:
        """``value``'s mean over the training processes (``value`` itself in a single process). Every process must
        call it at the same point of the same step."""
        return value if self.value_sync is None else self.value_sync(value)
