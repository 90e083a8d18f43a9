"""genaug.bench: does synthetic data help a downstream classifier? The protocol behind ``genaug-bench``."""

from genaug.bench.arms import BALANCED_ARMS, IMBALANCED_ARMS
from genaug.bench.config import BenchConfig
from genaug.bench.results import ResultsMismatchError
from genaug.bench.run import Benchmark
from genaug.bench.summary import write_summary

__all__ = ["BALANCED_ARMS", "IMBALANCED_ARMS", "BenchConfig", "Benchmark", "ResultsMismatchError", "write_summary"]
