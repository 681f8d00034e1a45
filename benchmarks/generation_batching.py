"""Batched vs one-by-one policy turns with HFPolicy on a tiny random Qwen2 (CPU by default).

64 dialogues x 2 policy turns (turn 1 renders the chat template; turn 2 appends the template delta),
sampled at temperature 1.0. "batched" = one ``HFPolicy.generate`` call per turn for all dialogues
(left-padded, one ``model.generate``); "one-by-one" = one call per dialogue per turn. Prints a table
and writes benchmarks/results/generation_batching.json (medians over repeats).

    .venv/bin/python benchmarks/generation_batching.py [--repeats 3] [--size small]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
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
from rlver.policy.base import PolicyRequest, TokenTrace
from rlver.policy.hf import GenerationSettings, HFPolicy

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    tokenizer = train_tokenizer(corpus(), vocab_size=4096)
    model = build_tiny_model(tokenizer, size=args.size, seed=0)
    params = sum(p.numel() for p in model.parameters())
    settings = GenerationSettings(temperature=1.0, max_new_tokens=args.max_new_tokens, batch_size=args.dialogues)
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
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB

    print(f"model {args.size}: {params / 1e6:.2f}M params, vocab {len(tokenizer)}, device {model.device}, "
          f"{torch.get_num_threads()} threads; {args.dialogues} dialogues x 2 turns x <= {args.max_new_tokens} "
          f"new tokens, {args.repeats} repeats")
    print(f"{'mode':<12} {'phase':<6} {'median s':>9} {'tokens':>7} {'tokens/s':>9} {'speed-up':>9}")
    for mode, rows in summary.items():
        for phase, row in rows.items():
            ratio = f"{speedups[phase]:.1f}x" if mode == "batched" else ""
            print(f"{mode:<12} {phase:<6} {row['median_seconds']:>9.3f} {row['median_sampled_tokens']:>7} "
                  f"{row['tokens_per_second']:>9.1f} {ratio:>9}")
    print(f"speed-up batched vs one-by-one, both turns: {speedups['both']:.1f}x (target >= 10x); "
          f"peak RSS {peak_rss_mb:.0f} MB; load average {os.getloadavg()[0]:.1f}")

    write_json(args.out, {
        "benchmark": "generation_batching",
        "model_size": args.size,
        "params": params,
        "vocab": len(tokenizer),
        "device": str(model.device),
        "torch_threads": torch.get_num_threads(),
        "dialogues": args.dialogues,
        "turns": 2,
        "max_new_tokens": args.max_new_tokens,
        "repeats": args.repeats,
        "results": summary,
        "speedup_median": speedups,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "machine": platform.machine(),
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
