"""One line describing the machine a benchmark ran on, for its results files and summaries."""

from __future__ import annotations

import os
import platform

import torch


def describe_machine(threads: int | None = None, device: torch.device | None = None) -> str:
    """CPU (model, architecture and the vector instructions torch's kernels use), core count, torch threads
    (``threads`` or torch's current setting) and torch version; with a ``device`` other than the CPU, also which
    one (a CUDA device by its name). The CPU's model and instructions are recorded because float results differ
    slightly between CPUs, so a rerun elsewhere can differ in the last digits of a row."""
    cpu = f"{cpu_model()} ({platform.machine()}, {torch.backends.cpu.get_cpu_capability()})"
    threads = torch.get_num_threads() if threads is None else threads
    line = f"{cpu}, {os.cpu_count()} cores, {threads} torch threads, torch {torch.__version__}"
    if device is None or device.type == "cpu":
        return line
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"{line}; ran on {device} ({name})"


def cpu_model() -> str:
    """The CPU's model name where the OS tells it (Linux's /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
