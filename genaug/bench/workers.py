"""Measuring labelled subsets in parallel worker processes (``genaug-bench workers=N``).

Each subset is one task; a worker writes its rows to the shared result files itself (under their lock), so an
interrupted parallel run resumes like a serial one. Workers are spawned (not forked: forking a process that has
started torch's thread pools can hang) and split the parent's CPU threads between them. Each gets the benchmark
as plain pickled bytes, its tensors copied: multiprocessing's own pickler would share them through file
descriptors, which fails to spawn a worker when two views of one tensor travel (pytorch/pytorch#31571; seen with
torch 2.11), and a CUDA tensor would travel as a handle into the parent's memory.
"""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from genaug.bench.run import Benchmark
    from genaug.bench.scenarios import Scenario

_benchmark: Benchmark | None = None  # the worker process's copy, set once when it starts


def run_in_workers(benchmark: Benchmark, todo: list[Scenario], step: str) -> None:
    """``getattr(benchmark, step)(scenario)`` for every scenario of ``todo``, ``benchmark.workers`` at a time (each
    worker holds a copy of ``benchmark`` as it is now); the first failure cancels the subsets not yet started and is
    raised here."""
    threads = max(1, torch.get_num_threads() // benchmark.workers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        benchmark.workers, mp_context=context, initializer=_start, initargs=(pickle.dumps(benchmark), threads)
    ) as pool:
        futures = [pool.submit(_run_step, step, scenario) for scenario in todo]
        try:
            for future in tqdm(
                as_completed(futures), total=len(futures), desc=f"genaug-bench {step}", unit="subset",
                disable=not benchmark.progress,
            ):  # fmt: skip
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _start(benchmark: bytes, threads: int) -> None:
    global _benchmark
    torch.set_num_threads(threads)
    _benchmark = pickle.loads(benchmark)


def _run_step(step: str, scenario: Scenario) -> None:
    assert _benchmark is not None, "a benchmark worker runs subsets only after _start"
    getattr(_benchmark, step)(scenario)
