"""The Sentient Benchmark and its analyses."""

from rlver.utils.lazy import lazy_exports


__all__ = ["BenchConfig", "run_benchmark", "summarize", "load_dialogues"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.bench.sentient": ["BenchConfig", "load_dialogues", "run_benchmark", "summarize"],
    },
)
