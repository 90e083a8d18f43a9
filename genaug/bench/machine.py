"""One line describing the machine a benchmark ran on, for its results files and summaries."""

from __future__ import annotations

import os
import platform

import torch


def describe_machine(threads: int | None = None, device: torch.device | None = None) -> str:
    """CPU, core count, torch threads (``threads`` or torch's current setting) and torch version; with a ``device``
    other than the CPU, also which one (a CUDA device by its name)."""
    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads() if threads is None else threads
    line = f"{cpu}, {os.cpu_count()} cores, {threads} torch threads, torch {torch.__version__}"
    if device is None or device.type == "cpu":
        return line
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"{line}; ran on {device} ({name})"
