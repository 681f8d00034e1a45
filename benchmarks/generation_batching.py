"""HFPolicy generation batching on CPU: batched vs one-by-one calls, the rollout loop, reproducibility.

Part ``calls`` (a tiny random Qwen2): 64 dialogues x 2 policy turns (turn 1 renders the chat
template; turn 2 appends the template delta), sampled at temperature 1.0. "batched" = one
``HFPolicy.generate`` call per turn for all dialogues (left-padded, one ``model.generate``);
"one-by-one" = one call per dialogue per turn (awaited one after another).

Part ``loop`` (the shipped policy builtin:tiny, the offline simulator, builtin:test profiles,
preset sage): 64 dialogues through the lockstep loop (benchmarks/_lockstep.py, the loop before
issue 13) and the continuous loop (rlver.rollout.run_dialogues), with the simulator answering at
once and with a lognormal delay per step (median 300 ms, sigma 1, seeded per dialogue and turn, as
an LLM endpoint would). Reports model batches, mean batch occupancy (replies per batch), sampled
tokens per second of wall time, and the share of wall time the model was busy.

Part ``repro``: the same 16 dialogues at concurrency 1, 8 and 64, batched and exact
(``GenerationSettings.exact``): how many replies and sampled tokens differ from concurrency 1.

Writes benchmarks/results/generation_batching.json.

    .venv/bin/python benchmarks/generation_batching.py [--parts calls,loop,repro] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import resource
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import torch

from rlver.llm.types import Message
from rlver.models import build_tiny_model, train_tokenizer
from rlver.models.builtin import tiny_policy_path
from rlver.policy.base import PolicyRequest, TokenTrace
from rlver.policy.hf import GenerationSettings, HFPolicy
from rlver.profiles import load_profiles
from rlver.profiles.schema import Profile
from rlver.rollout import DialogueJob, RolloutConfig
from rlver.rollout import run_dialogues as run_loop
from rlver.rollout.types import Episode
from rlver.simulator.base import DialogueState, UserSimulator
from rlver.simulator.offline import OfflineSentientAgent
from rlver.simulator.presets import Preset, get_preset
from rlver.utils.seeding import derive_seed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lockstep import run_lockstep  # a sibling helper, not a package

RESULTS = Path(__file__).resolve().parent / "results" / "generation_batching.json"
OPENINGS = [
    "I had a rough day at work.",
    "My sister keeps cancelling our plans at the last minute and I feel ignored by everyone.",
    "Not sure why I am telling you this.",
    "My manager took credit for my project in front of the whole team, again, and nobody said a word.",
]


def corpus(limit_chars: int = 2_000_000) -> list[str]:
    """Plain text to train a ~4k BPE vocabulary offline: the Python standard library's sources."""
    texts, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        texts.append(text)
        total += len(text)
        if total >= limit_chars:
            break
    return texts


def requests(n: int) -> list[PolicyRequest]:
    system = Message("system", "You are a caring friend. Reply briefly.")
    return [
        PolicyRequest(key=f"d{i}", messages=[system, Message("user", OPENINGS[i % len(OPENINGS)])], trace=TokenTrace())
        for i in range(n)
    ]


async def run_dialogues(policy: HFPolicy, n: int, batched: bool) -> list[tuple[float, int]]:
    """Two policy turns for ``n`` dialogues; (seconds, sampled tokens) per turn."""
    reqs = requests(n)
    per_turn = []
    for turn in range(2):
        sampled_before = sum(sum(r.trace.mask) for r in reqs)
        start = time.perf_counter()
        if batched:
            replies = await policy.generate(reqs)
        else:
            replies = [(await policy.generate([r]))[0] for r in reqs]
        per_turn.append((time.perf_counter() - start, sum(sum(r.trace.mask) for r in reqs) - sampled_before))
        if turn == 0:
            for r, reply in zip(reqs, replies):
                r.messages += [Message("assistant", reply), Message("user", "Thanks. It still bothers me though.")]
    return per_turn


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle, indent=2)
        tmp = handle.name
    os.replace(tmp, path)


def calls_part(args: argparse.Namespace) -> dict:
    """Batched vs one-by-one ``generate`` calls on a tiny random model."""
    tokenizer = train_tokenizer(corpus(), vocab_size=4096)
    model = build_tiny_model(tokenizer, size=args.size, seed=0)
    params = sum(p.numel() for p in model.parameters())
    # batch_wait 0: one-by-one callers await each call, so waiting for company would only add delay.
    settings = GenerationSettings(temperature=1.0, max_new_tokens=args.max_new_tokens, batch_size=args.dialogues,
                                  batch_wait=0.0)
    policy = HFPolicy(model, tokenizer, settings)
    asyncio.run(run_dialogues(policy, 4, batched=True))  # warm-up

    runs: dict[str, list[list[tuple[float, int]]]] = {"batched": [], "one_by_one": []}
    for _ in range(args.repeats):
        for mode, samples in runs.items():
            samples.append(asyncio.run(run_dialogues(policy, args.dialogues, batched=mode == "batched")))

    # Phases: turn 1 (render + sample), turn 2 (delta + re-prefill of the trace + sample), both turns.
    phases = {"turn1": [0], "turn2": [1], "both": [0, 1]}
    summary: dict[str, dict] = {}
    for mode, samples in runs.items():
        summary[mode] = {}
        for phase, turns in phases.items():
            seconds = [sum(run[t][0] for t in turns) for run in samples]
            tokens = [sum(run[t][1] for t in turns) for run in samples]
            summary[mode][phase] = {
                "median_seconds": round(statistics.median(seconds), 3),
                "median_sampled_tokens": statistics.median(tokens),
                "tokens_per_second": round(statistics.median(t / s for s, t in zip(seconds, tokens)), 1),
                "seconds_per_repeat": [round(s, 3) for s in seconds],
            }
    speedups = {
        phase: round(summary["one_by_one"][phase]["median_seconds"] / summary["batched"][phase]["median_seconds"], 2)
        for phase in phases
    }
    print(f"calls: model {args.size}: {params / 1e6:.2f}M params, vocab {len(tokenizer)}, device {model.device}, "
          f"{torch.get_num_threads()} threads; {args.dialogues} dialogues x 2 turns x <= {args.max_new_tokens} "
          f"new tokens, {args.repeats} repeats")
    print(f"{'mode':<12} {'phase':<6} {'median s':>9} {'tokens':>7} {'tokens/s':>9} {'speed-up':>9}")
    for mode, rows in summary.items():
        for phase, row in rows.items():
            ratio = f"{speedups[phase]:.1f}x" if mode == "batched" else ""
            print(f"{mode:<12} {phase:<6} {row['median_seconds']:>9.3f} {row['median_sampled_tokens']:>7} "
                  f"{row['tokens_per_second']:>9.1f} {ratio:>9}")
    print(f"speed-up batched vs one-by-one, both turns: {speedups['both']:.1f}x (target >= 10x)")
    return {
        "model_size": args.size, "params": params, "vocab": len(tokenizer), "device": str(model.device),
        "dialogues": args.dialogues, "turns": 2, "max_new_tokens": args.max_new_tokens, "repeats": args.repeats,
        "results": summary, "speedup_median": speedups,
    }


class DelayedSimulator:
    """A simulator whose every step first waits a lognormal delay (seeded per dialogue and turn), as an endpoint would."""

    def __init__(self, inner: UserSimulator, median_s: float, sigma: float, seed: int = 0) -> None:
        self.inner, self.name = inner, inner.name
        self.median_s, self.sigma, self.seed = median_s, sigma, seed

    async def reset(self, profile: Profile, preset: Preset, seed: int = 0) -> DialogueState:
        return await self.inner.reset(profile, preset, seed)

    async def step(self, state: DialogueState, reply: str) -> DialogueState:
        z = random.Random(derive_seed(self.seed, "latency", state.profile.id, state.policy_turns)).gauss(0.0, 1.0)
        await asyncio.sleep(self.median_s * math.exp(self.sigma * z))
        return await self.inner.step(state, reply)


def rollout(profiles: list[Profile], concurrency: int, *, lockstep: bool = False, exact: bool = False,
            delay: tuple[float, float] | None = None) -> tuple[float, HFPolicy, list[Episode]]:
    """builtin:tiny against the offline simulator: (wall seconds, the policy, episodes)."""
    policy = HFPolicy.from_pretrained(tiny_policy_path(), GenerationSettings(seed=0, exact=exact))
    simulator: UserSimulator = OfflineSentientAgent()
    if delay is not None:
        simulator = DelayedSimulator(simulator, *delay)
    jobs = [DialogueJob(p, seed=0, id=p.id) for p in profiles]
    config = RolloutConfig(preset=get_preset("sage"), max_concurrent=concurrency)
    start = time.perf_counter()
    episodes = asyncio.run((run_lockstep if lockstep else run_loop)(jobs, policy, simulator, config))
    return time.perf_counter() - start, policy, episodes


def replies(episodes: list[Episode]) -> list[list[str]]:
    return [[t.raw or "" for t in e.turns if t.role == "assistant"] for e in episodes]


def sampled(episode: Episode) -> list[int]:
    """The policy's sampled token ids, all turns in order."""
    return [i for i, m in zip(episode.trace.ids, episode.trace.mask) if m]


def loop_part(args: argparse.Namespace) -> dict:
    """Lockstep vs continuous loop with builtin:tiny: occupancy and throughput."""
    profiles = load_profiles("builtin:test")[: args.loop_dialogues]
    results: dict[str, dict] = {}
    rollout(profiles[:2], 2)  # warm-up: model load, the offline simulator's embedder
    print(f"loop: builtin:tiny, offline simulator, {len(profiles)} dialogues (sage), {torch.get_num_threads()} threads")
    print(f"{'simulator':<22} {'loop':<11} {'wall s':>7} {'batches':>8} {'occupancy':>10} {'tokens/s':>9} "
          f"{'model busy':>11}")
    for name, delay in (("immediate", None), ("lognormal 300ms s=1", (0.3, 1.0))):
        results[name] = {}
        transcripts = {}
        for mode in ("lockstep", "continuous"):
            wall, policy, episodes = rollout(profiles, args.loop_dialogues, lockstep=mode == "lockstep", delay=delay)
            transcripts[mode] = replies(episodes)
            row = {
                "wall_s": round(wall, 2), "model_batches": policy.batcher.batches,
                "mean_occupancy": round(policy.batcher.occupancy, 2), "replies": policy.stats.replies,
                "sampled_tokens": policy.stats.sampled_tokens,
                "tokens_per_second": round(policy.stats.sampled_tokens / wall, 1),
                "model_busy_share": round(policy.stats.seconds / wall, 3),
                "mean_final_emotion": round(statistics.mean(e.final_emotion or 0 for e in episodes), 2),
            }
            results[name][mode] = row
            print(f"{name:<22} {mode:<11} {row['wall_s']:>7.1f} {row['model_batches']:>8} "
                  f"{row['mean_occupancy']:>10.1f} {row['tokens_per_second']:>9.1f} {row['model_busy_share']:>11.2f}")
        results[name]["same_transcripts"] = transcripts["lockstep"] == transcripts["continuous"]
        print(f"{name:<22} same transcripts in both loops: {results[name]['same_transcripts']}")
    return {"dialogues": len(profiles), "results": results}


def repro_part(args: argparse.Namespace) -> dict:
    """The same dialogues at several concurrencies: replies and sampled tokens that differ from concurrency 1."""
    profiles = load_profiles("builtin:test")[: args.repro_dialogues]
    results: dict[str, dict] = {}
    rollout(profiles[:2], 2)  # warm-up
    print(f"repro: builtin:tiny, {len(profiles)} dialogues, seed 0, concurrency {args.concurrencies}")
    for mode in ("batched", "exact"):
        runs = {}
        for concurrency in args.concurrencies:
            wall, _, episodes = rollout(profiles, concurrency, exact=mode == "exact")
            runs[concurrency] = (wall, episodes)
        base = runs[args.concurrencies[0]][1]
        results[mode] = {}
        for concurrency, (wall, episodes) in runs.items():
            texts, base_texts = replies(episodes), replies(base)
            ids, base_ids = [sampled(e) for e in episodes], [sampled(e) for e in base]
            row = {
                "wall_s": round(wall, 2),
                "replies": sum(len(t) for t in texts),
                "differing_replies": sum(a != b for x, y in zip(texts, base_texts) for a, b in zip(x, y))
                + sum(abs(len(x) - len(y)) for x, y in zip(texts, base_texts)),
                "differing_dialogues": sum(a.trace.ids != b.trace.ids for a, b in zip(episodes, base)),
                "sampled_tokens": sum(len(x) for x in ids),
                # Position by position: after a first difference a dialogue usually diverges for good.
                "differing_sampled_tokens": sum(
                    sum(a != b for a, b in zip(x, y)) + abs(len(x) - len(y)) for x, y in zip(ids, base_ids)
                ),
                "mean_final_emotion": round(statistics.mean(e.final_emotion or 0 for e in episodes), 2),
            }
            results[mode][str(concurrency)] = row
            print(f"{mode:<8} concurrency {concurrency:>3}: {row['wall_s']:>6.1f} s, {row['differing_replies']} of "
                  f"{row['replies']} replies and {row['differing_sampled_tokens']} of {row['sampled_tokens']} sampled "
                  f"tokens differ from concurrency {args.concurrencies[0]}; mean final emotion "
                  f"{row['mean_final_emotion']}")
    return {"dialogues": len(profiles), "concurrencies": args.concurrencies, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="calls,loop,repro", help="comma-separated: calls, loop, repro")
    parser.add_argument("--dialogues", type=int, default=64, help="calls part")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="calls part")
    parser.add_argument("--repeats", type=int, default=3, help="calls part")
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"], help="calls part")
    parser.add_argument("--loop-dialogues", type=int, default=64)
    parser.add_argument("--repro-dialogues", type=int, default=16)
    parser.add_argument("--concurrencies", type=lambda v: [int(x) for x in v.split(",")], default=[1, 8, 64])
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = {"calls": calls_part, "loop": loop_part, "repro": repro_part}
    chosen = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(chosen) - set(parts)
    if unknown:
        raise SystemExit(f"unknown parts: {sorted(unknown)}")

    # Parts not run this time keep their previous results.
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    for name in chosen:
        data[name] = parts[name](args)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    data.update({
        "benchmark": "generation_batching",
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "machine": platform.machine(),
    })
    print(f"peak RSS {peak_rss_mb:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    write_json(args.out, data)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
