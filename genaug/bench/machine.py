"""One line describing the machine a benchmark ran on, for its results files and summaries."""

from __future__ import annotations

import os
import platform

import torch


def describe_machine(threads: int | None = None) -> str:
    """CPU, core count, torch threads (``threads`` or torch's current setting) and torch version."""
    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads() if threads is None else threads
    return f"{cpu}, {os.cpu_count()} cores, {threads} torch threads, torch {torch.__version__}"
