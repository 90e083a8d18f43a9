"""Multi-process training under ``torchrun``: the process group, rank-0 gating, batch shards, gradient averaging.

``torchrun --nproc_per_node=N -m genaug.cli.train ...`` starts N copies of the trainer with ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK`` set; ``ProcessGroup.join`` turns them into a process group (NCCL on CUDA,
Gloo on the CPU). Semantics (documented in the README):

- ``trainer.batch_size`` is the *global* batch: every rank draws the same indices from the shared batch
  generator and takes its own contiguous slice of ``batch_size / world_size`` of them. A step therefore sees
  exactly the images of the single-process run's step, and the learning rate needs no scaling.
- Gradients are averaged over ranks before every optimiser step (what DistributedDataParallel does). This is
  done with one flattened all-reduce per optimiser step rather than by wrapping the networks in DDP, because
  the GAN objective calls the discriminator's ``features``/``score`` methods directly and runs two optimisers
  on one batch, which DDP's forward hooks do not see (they would raise unused-parameter errors or silently skip
  the reduction). Identical initial weights (broadcast from rank 0) plus identical averaged gradients keep the
  weights, and the EMA generator updated from them, identical on every rank; the trainer checks this at each
  checkpoint.
- Buffers (batch-norm running statistics, which training does not read) follow rank 0, like DDP's
  ``broadcast_buffers``: they are broadcast before samples are drawn or a checkpoint is written.
- Only rank 0 touches the run directory; what it reads on resume is sent to the other ranks, so resuming a
  multi-node run needs the run directory on rank 0's node only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from genaug.checks import AUTO
from genaug.models.io import tensors_digest
from genaug.train.device import resolve_device

T = TypeVar("T")


def launched_ranks() -> int:
    """The number of processes torchrun started (``WORLD_SIZE``); 1 when not launched by torchrun."""
    value = os.environ.get("WORLD_SIZE", "1")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"the environment variable WORLD_SIZE={value!r} is not an integer") from None


def is_main_process() -> bool:
    """True unless this process is a torchrun worker of rank > 0 (for printing and Hydra's output files)."""
    return int(os.environ.get("RANK", "0")) == 0


def noise_seed(seed: int, rank: int, step: int) -> int:
    """A seed for rank ``rank``'s training noise, decorrelated from every other (seed, rank, step)."""
    return int(np.random.SeedSequence([seed, rank, step]).generate_state(1, np.uint64)[0] >> 1)


def rank_device(name: str, local_rank: int) -> torch.device:
    """The device of the process with ``local_rank`` on its node: ``cuda:LOCAL_RANK`` on CUDA, else the CPU."""
    if name in (AUTO, "cuda") and torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    if name.startswith("cuda:"):
        raise ValueError(
            f"trainer.device={name!r} under torchrun: each rank takes cuda:LOCAL_RANK; use device=cuda or auto"
        )
    device = resolve_device(name)
    if device.type == "mps":
        if name == "mps":
            raise ValueError("PyTorch has no process group for MPS; under torchrun use trainer.device=cpu")
        warnings.warn("torchrun on a machine with MPS only: training on the CPU with Gloo", stacklevel=2)
        return torch.device("cpu")
    return device


class ProcessGroup:
    """This process's place among the ranks torchrun started, and the collectives the Trainer needs."""

    def __init__(self, rank: int, world_size: int, device: torch.device, owns_group: bool):
        self.rank = rank
        self.world_size = world_size
        self.device = device
        self._owns_group = owns_group

    @classmethod
    def join(cls, device_name: str) -> ProcessGroup | None:
        """Join the process group torchrun set up the environment for; None for a plain single process."""
        world_size = launched_ranks()
        if world_size < 2:
            return None
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        device = rank_device(device_name, local_rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)  # NCCL and the object collectives use the current device
        owns_group = not dist.is_initialized()
        if owns_group:
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if dist.get_world_size() != world_size:
            raise RuntimeError(f"the process group has {dist.get_world_size()} ranks but WORLD_SIZE={world_size}")
        return cls(rank, world_size, device, owns_group)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        """Leave the process group (only if ``join`` created it: a caller's own group is left alone)."""
        if self._owns_group and dist.is_initialized():
            dist.destroy_process_group()

    def per_rank_batch(self, batch_size: int) -> int:
        """Images per rank and step for a global ``batch_size`` (which must split evenly over the ranks)."""
        if batch_size % self.world_size:
            fitting = batch_size - batch_size % self.world_size or self.world_size
            raise ValueError(
                f"trainer.batch_size={batch_size} is the global batch and must be divisible by the "
                f"{self.world_size} ranks; use e.g. trainer.batch_size={fitting}"
            )
        return batch_size // self.world_size

    def shard(self, indices: torch.Tensor) -> torch.Tensor:
        """This rank's contiguous slice of a global batch of indices."""
        size = len(indices) // self.world_size
        return indices[self.rank * size : (self.rank + 1) * size]

    def average_gradients(self, optimizer: torch.optim.Optimizer) -> None:
        """Replace the gradients of ``optimizer``'s parameters by their mean over ranks (one all-reduce)."""
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat.div_(self.world_size)
        for grad, part in zip(grads, flat.split([g.numel() for g in grads]), strict=True):
            grad.copy_(part.view_as(grad))

    def average(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of ``value`` over ranks (a new tensor; one all-reduce)."""
        total = value.detach().clone()
        dist.all_reduce(total)
        return total.div_(self.world_size)

    def broadcast_module(self, module: nn.Module, buffers_only: bool = False) -> None:
        """Copy rank 0's parameters (unless ``buffers_only``) and buffers to every rank."""
        tensors = list(module.buffers()) if buffers_only else [*module.parameters(), *module.buffers()]
        with torch.no_grad():
            for tensor in tensors:
                if tensor.dtype == torch.bool:  # Gloo has no bool collectives
                    as_bytes = tensor.to(torch.uint8)
                    dist.broadcast(as_bytes, src=0)
                    tensor.copy_(as_bytes.bool())
                else:
                    dist.broadcast(tensor.data, src=0)

    def mean(self, values: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The mean over ranks of each scalar in ``values`` (same keys, in the same order, on every rank)."""
        stacked = torch.stack([torch.as_tensor(v, dtype=torch.float32, device=self.device) for v in values.values()])
        dist.all_reduce(stacked)
        return dict(zip(values, stacked.div_(self.world_size), strict=True))

    def on_main(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on rank 0 only and return its result on every rank; if it raised, every rank raises."""
        box: list[Any] = [None]
        if self.is_main:
            try:
                box[0] = (fn(), None)
            except Exception as exc:  # shared so that the other ranks stop too instead of waiting forever
                box[0] = (None, exc)
        dist.broadcast_object_list(box, src=0)
        result, error = box[0]
        if error is not None:
            raise error
        return result

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank."""
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def check_replicas(self, module: nn.Module) -> None:
        """Raise if the ranks hold different weights (they must stay identical; a mismatch is a bug)."""
        digests = self.gather(tensors_digest(module.state_dict()))
        if len(set(digests)) > 1:
            differing = [r for r, d in enumerate(digests) if d != digests[0]]
            raise RuntimeError(f"ranks {differing} hold different weights from rank 0; please report this as a bug")

    def barrier(self) -> None:
        dist.barrier()


def rank_rng_state(device: torch.device) -> dict[str, torch.Tensor | None]:
    """This process's training-noise RNG state (CPU, and its own CUDA device)."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
    }


def restore_rank_rng(group: ProcessGroup, saved: dict[str, Any], seed: int, step: int) -> None:
    """Give this rank back its noise stream from a checkpoint's ``rng`` record.

    Rank 0 has already restored the saved main state. A run saved with the same number of ranks holds every
    rank's state; otherwise (resumed with more ranks) the other ranks start fresh, decorrelated streams.
    """
    ranks = saved.get("ranks")
    if ranks and len(ranks) == group.world_size:
        own = ranks[group.rank]
        torch.set_rng_state(own["torch"])
        if group.device.type == "cuda" and own.get("cuda") is not None:
            torch.cuda.set_rng_state(own["cuda"], group.device)
    elif not group.is_main:
        torch.manual_seed(noise_seed(seed, group.rank, step))
