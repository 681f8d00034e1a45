"""Speed of the offline Sentient Agent's appraisals (the simulator side of every RL step).

Measures appraisals per second of ``OfflineSentientAgent.appraise`` on reference-composer replies:

* ``cold``: the embedding cache is cleared before each repeat, so every sentence is embedded;
* ``warm``: the same replies again (in RL, a policy's sentences recur across dialogues);
* ``sequential`` calls one appraisal at a time (latency p50/p95); ``concurrent`` runs a batch of
  appraisals in one ``asyncio.gather``, as the rollout loop does, so their sentences share forward
  passes.

Wall-clock rates depend on what else runs on the machine; the rate per second of this process's
CPU time (the embedder uses one thread) is what an uncontended core would do.

Prints a table of medians over repeats and writes ``benchmarks/results/offline_simulator_speed.json``.

    .venv/bin/python benchmarks/offline_simulator_speed.py [--replies 64] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from rlver.llm.types import Message
from rlver.policy.reference import compose_reply
from rlver.simulator.offline import SUPPORT_STRATEGIES, OfflineSentientAgent, get_embedder
from rlver.simulator.offline.samples import sample_profiles
from rlver.simulator.presets import get_preset

RESULTS = Path(__file__).parent / "results" / "offline_simulator_speed.json"


def workload(n: int, seed: int) -> list[tuple]:
    try:
        from rlver.profiles.builtin import load_builtin

        profiles = load_builtin("test")
    except ImportError:
        profiles = sample_profiles()
    rng = random.Random(seed)
    items = []
    for i in range(n):
        profile = profiles[i % len(profiles)]
        strategy = rng.choice(SUPPORT_STRATEGIES)
        reply = compose_reply(strategy, topic=profile.topic, name=profile.name, last_user_message="", rng=rng)
        items.append((profile, reply))
    return items


async def appraise_one(agent: OfflineSentientAgent, profile, reply: str) -> float:
    state = await agent.reset(profile, get_preset("sage"), seed=0)
    state.history.append(Message("assistant", reply))
    state.policy_turns = 1
    start = time.perf_counter()
    await agent.appraise(state, reply)
    return time.perf_counter() - start


async def sequential(agent, items) -> tuple[float, list[float], float]:
    cpu = time.process_time()
    latencies = [await appraise_one(agent, p, r) for p, r in items]
    return len(items) / sum(latencies), latencies, len(items) / (time.process_time() - cpu)


async def concurrent(agent, items) -> tuple[float, float]:
    states = []
    for profile, reply in items:
        state = await agent.reset(profile, get_preset("sage"), seed=0)
        state.history.append(Message("assistant", reply))
        state.policy_turns = 1
        states.append((state, reply))
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(agent.appraise(state, reply) for state, reply in states))
    return len(items) / (time.perf_counter() - start), len(items) / (time.process_time() - cpu)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(n: int, repeats: int, threads: int) -> dict:
    embedder = get_embedder()
    embedder.num_threads = threads
    agent = OfflineSentientAgent(embedder=embedder)
    await sequential(agent, workload(4, seed=999))  # load the model and the prototype index
    results: dict[str, dict] = {}
    for cache in ("cold", "warm"):
        for mode in ("sequential", "concurrent"):
            rates, cpu_rates, latencies = [], [], []
            for r in range(repeats):
                items = workload(n, seed=r)
                if cache == "cold":
                    embedder.clear_cache()
                else:
                    await sequential(agent, items)  # fill the cache with exactly these sentences
                if mode == "sequential":
                    rate, lat, cpu_rate = await sequential(agent, items)
                    latencies += lat
                else:
                    rate, cpu_rate = await concurrent(agent, items)
                rates.append(rate)
                cpu_rates.append(cpu_rate)
            key = f"{cache}/{mode}"
            results[key] = {
                "appraisals_per_s_median": round(statistics.median(rates), 1),
                "appraisals_per_s_all": [round(x, 1) for x in rates],
                # per second of this process's CPU time: what one uncontended core would do
                "appraisals_per_cpu_s_median": round(statistics.median(cpu_rates), 1),
            }
            if latencies:
                results[key]["latency_ms_p50"] = round(1000 * percentile(latencies, 0.5), 2)
                results[key]["latency_ms_p95"] = round(1000 * percentile(latencies, 0.95), 2)
    return results


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=64, help="appraisals per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the embedder's forward pass")
    args = parser.parse_args()
    results = asyncio.run(run(args.replies, args.repeats, args.threads))
    print(f"{args.replies} appraisals x {args.repeats} repeats; medians")
    print("| cache | mode       | appraisals/s | per CPU-s | p50 ms | p95 ms |")
    print("|-------|------------|--------------|-----------|--------|--------|")
    for key, row in results.items():
        cache, mode = key.split("/")
        p50, p95 = row.get("latency_ms_p50", "-"), row.get("latency_ms_p95", "-")
        rate, cpu_rate = row["appraisals_per_s_median"], row["appraisals_per_cpu_s_median"]
        print(f"| {cache:<5} | {mode:<10} | {rate:>12} | {cpu_rate:>9} | {p50:>6} | {p95:>6} |")
    payload = {
        "replies": args.replies,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "embedder_threads": args.threads,
        "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "results": results,
    }
    write_json(RESULTS, payload)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
