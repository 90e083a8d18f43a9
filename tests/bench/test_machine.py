"""describe_machine: the line benchmarks record with their results."""

import torch

from genaug.bench.machine import cpu_model, describe_machine


def test_the_line_names_the_cpu_its_vector_instructions_and_the_threads():
    line = describe_machine(threads=3)
    assert line.startswith(cpu_model())
    assert torch.backends.cpu.get_cpu_capability() in line  # float results differ between CPUs: say which ran
    assert "3 torch threads" in line and torch.__version__ in line


def test_a_cpu_device_adds_nothing_and_another_device_is_named():
    assert describe_machine(device=torch.device("cpu")) == describe_machine()
    assert describe_machine(device=torch.device("mps")).endswith("; ran on mps (mps)")
