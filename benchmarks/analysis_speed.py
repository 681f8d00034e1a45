"""How fast the analyses run: judge throughput over HTTP, report rendering, the code sandbox.

    .venv/bin/python benchmarks/analysis_speed.py [--repeats 3]

Uses the local scripted OpenAI-compatible server (with 50 ms simulated model latency) as the judge,
fixture benchmark directories made by the real benchmark runner, and the built-in general suite.
Prints a table of medians and writes benchmarks/results/analysis_speed.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.test_bench_fixtures (fixture benchmark directories)

from rlver.bench.capabilities import judge_dialogues  # noqa: E402
from rlver.bench.compare import load_result  # noqa: E402
from rlver.bench.general import check_item, load_suite  # noqa: E402
from rlver.bench.judge import JudgeConfig  # noqa: E402
from rlver.llm.client import OpenAIChatClient  # noqa: E402
from rlver.report import write_report  # noqa: E402
from rlver.testing import StubChatServer  # noqa: E402
from tests.test_bench_fixtures import make_bench_dir, write_metrics  # noqa: E402
from tests.test_bench_general import gold  # noqa: E402

ANSWER = json.dumps(
    {
        k: {"score": 4, "reason": "r"}
        for k in ("empathic_depth", "core_insight", "solution_crafting", "dialogue_guidance", "style_adaptability")
    }
)


def judge_throughput(rows: list[dict], concurrency: int, latency: float) -> float:
    """Dialogues judged per second with ``concurrency`` calls in flight."""
    with StubChatServer(lambda req: ANSWER, latency=latency) as server:

        async def run() -> float:
            client = OpenAIChatClient(base_url=server.base_url, model="judge", api_key_env=None, max_retries=0)
            async with client:
                start = time.perf_counter()
                records = await judge_dialogues(rows, client, JudgeConfig(max_concurrent=concurrency))
                elapsed = time.perf_counter() - start
            assert all(r.error is None for r in records)
            return len(rows) / elapsed

        return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        run = write_metrics(Path(tmp) / "run", steps=50)
        base = make_bench_dir(run / "bench" / "base", policy="p", styles=("suggest", "question"), n_profiles=32)
        make_bench_dir(run / "bench" / "trained", policy="p", styles=("reflect", "affirm", "question"), n_profiles=32)
        rows = list(load_result(base).rows)

        for concurrency in (1, 8, 32):
            values = [judge_throughput(rows, concurrency, latency=0.05) for _ in range(args.repeats)]
            results[f"judge dialogues/s (50 ms latency, {concurrency} in flight)"] = {
                "median": round(statistics.median(values), 2),
                "runs": [round(v, 2) for v in values],
            }

        times = []
        for i in range(args.repeats):
            start = time.perf_counter()
            out = write_report(run, Path(tmp) / f"report{i}.html")
            times.append(time.perf_counter() - start)
        results["report seconds (50 steps, 2 x 32 dialogues)"] = {
            "median": round(statistics.median(times), 2),
            "runs": [round(t, 2) for t in times],
            "bytes": out.stat().st_size,
        }

        code_items = [item for item in load_suite() if item.category == "code"]
        per_item = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            assert all(check_item(item, gold(item)).passed for item in code_items)
            per_item.append((time.perf_counter() - start) / len(code_items))
        results["sandbox seconds per code item"] = {
            "median": round(statistics.median(per_item), 3),
            "runs": [round(t, 3) for t in per_item],
        }

    width = max(len(k) for k in results)
    print(f"{'measurement':<{width}}  median")
    for key, value in results.items():
        print(f"{key:<{width}}  {value['median']}")
    out_path = ROOT / "benchmarks" / "results" / "analysis_speed.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": platform.platform(), "python": platform.python_version(), "results": results}
    out_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
