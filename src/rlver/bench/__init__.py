"""The Sentient Benchmark and its analyses."""

from rlver.bench.sentient import BenchConfig, load_dialogues, run_benchmark, summarize

__all__ = ["BenchConfig", "run_benchmark", "summarize", "load_dialogues"]
