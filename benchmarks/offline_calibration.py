"""Calibration of the offline Sentient Agent: reference policies through the real dialogue loop.

Runs ``reference:random`` and ``reference:oracle`` on the built-in test profiles (falls back to the
offline package's 24 sample profiles if the built-in set is missing) under every preset, then a
policy that uses one strategy every turn (what a policy that ignores the person's cues can reach),
prints tables and writes ``benchmarks/results/offline_calibration.json``.

    .venv/bin/python benchmarks/offline_calibration.py [--seeds 2] [--profiles builtin|sample] [--weights fitted]

``--weights fitted`` runs the English profiles with the parameters fitted to DeepSeek-V3's SAGE
appraisals (``data/sage_fit.json``) instead of the hand-set ones, and writes
``benchmarks/results/offline_calibration_fitted.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from rlver.policy.reference import ReferencePolicy, compose_reply
from rlver.profiles.schema import HiddenNeed, Profile
from rlver.rollout import DialogueJob, RolloutConfig, run_dialogues
from rlver.simulator.offline import BEST_STRATEGY, SUPPORT_STRATEGIES, OfflineSentientAgent, Strategy
from rlver.simulator.offline.cues import CUES
from rlver.simulator.offline.samples import sample_profiles
from rlver.simulator.presets import PRESETS

RESULTS = Path(__file__).parent / "results" / "offline_calibration.json"
RESULTS_FITTED = Path(__file__).parent / "results" / "offline_calibration_fitted.json"
AGENT_WEIGHTS = None  # set by --weights: None = the hand-set English constants


def load_profiles(source: str) -> tuple[str, list[Profile]]:
    if source == "builtin":
        try:
            from rlver.profiles.builtin import load_builtin

            return "builtin:test", load_builtin("test")
        except ImportError:
            pass
    return "offline samples", sample_profiles()


class ConstantPolicy:
    """Always the same support strategy (fresh wording each turn): how far one strategy alone gets."""

    token_exact = False

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.name = f"constant:{strategy.value}"

    async def generate(self, requests) -> list[str]:
        out = []
        for request in requests:
            earlier = {m.content for m in request.messages if m.role == "assistant"}
            turn = len(earlier) + 1
            rng = random.Random(
                int.from_bytes(hashlib.sha256(f"{request.key}/{turn}".encode()).digest()[:8], "big")
            )
            topic = request.profile.topic if request.profile else None
            reply = compose_reply(self.strategy, topic=topic, name=None, last_user_message="", rng=rng)
            for _ in range(10):  # bounded: avoid repeating an earlier reply word for word
                if reply not in earlier:
                    break
                reply = compose_reply(self.strategy, topic=topic, name=None, last_user_message="", rng=rng)
            out.append(reply)
        return out


class CueReader:
    """Reads only the conversation: spots the person's need from the cue sentences in their
    messages (as a policy trained against this simulator could learn to) and answers it with the
    need's best strategy; before any cue is recognised it reflects feelings. An upper bound on what
    the cues alone let a policy reach, without the profile."""

    token_exact = False
    name = "cue-reader"

    def __init__(self) -> None:
        self.cue_to_need = {
            cue: need for need, levels in CUES.items() for cues in levels.values() for cue in cues
        }

    def read_need(self, messages) -> HiddenNeed | None:
        votes: dict[HiddenNeed, int] = {}
        for message in messages:
            if message.role == "user":
                for cue, need in self.cue_to_need.items():
                    if cue in message.content:
                        votes[need] = votes.get(need, 0) + 1
        return max(votes, key=lambda n: (votes[n], n.value)) if votes else None

    async def generate(self, requests) -> list[str]:
        out = []
        for request in requests:
            need = self.read_need(request.messages)
            strategy = BEST_STRATEGY[need] if need is not None else Strategy.REFLECT_FEELINGS
            earlier = {m.content for m in request.messages if m.role == "assistant"}
            rng = random.Random(
                int.from_bytes(hashlib.sha256(f"{request.key}/{len(earlier)}".encode()).digest()[:8], "big")
            )
            topic = request.profile.topic if request.profile else None
            reply = compose_reply(strategy, topic=topic, name=None, last_user_message="", rng=rng)
            for _ in range(10):  # bounded: avoid repeating an earlier reply word for word
                if reply not in earlier:
                    break
                reply = compose_reply(strategy, topic=topic, name=None, last_user_message="", rng=rng)
            out.append(reply)
        return out


async def cue_reader(profiles: list[Profile]) -> list[dict]:
    agent = OfflineSentientAgent(weights=AGENT_WEIGHTS)
    rows = []
    for preset in PRESETS.values():
        episodes = await run_dialogues(
            [DialogueJob(p, seed=0) for p in profiles], CueReader(), agent, RolloutConfig(preset=preset)
        )
        score = round(statistics.mean(e.final_emotion for e in episodes), 1)
        rows.append({"preset": preset.name, "policy": "cue-reader", "score_mean": score})
        print(f"| {preset.name:<10} | cue-reader (no profile) | {score:>6.1f} |", flush=True)
    return rows


async def constant_strategies(profiles: list[Profile]) -> list[dict]:
    agent = OfflineSentientAgent(weights=AGENT_WEIGHTS)
    rows = []
    for preset in ("sage", "rlver"):
        for strategy in SUPPORT_STRATEGIES:
            jobs = [DialogueJob(p, seed=0) for p in profiles]
            config = RolloutConfig(preset=PRESETS[preset])
            episodes = await run_dialogues(jobs, ConstantPolicy(strategy), agent, config)
            score = round(statistics.mean(e.final_emotion for e in episodes), 1)
            rows.append({"preset": preset, "strategy": strategy.value, "score_mean": score})
            print(f"| {preset:<6} | always {strategy.value:<20} | {score:>6.1f} |", flush=True)
    return rows


async def calibrate(profiles: list[Profile], seeds: int) -> list[dict]:
    agent = OfflineSentientAgent(weights=AGENT_WEIGHTS)
    rows = []
    for preset in PRESETS.values():
        for mode in ("random", "oracle"):
            jobs = [DialogueJob(p, seed=s) for p in profiles for s in range(seeds)]
            start = time.perf_counter()
            episodes = await run_dialogues(
                jobs, ReferencePolicy(mode, seed=0), agent, RolloutConfig(preset=preset)
            )
            elapsed = time.perf_counter() - start
            finals = [e.final_emotion for e in episodes if e.final_emotion is not None]
            rows.append(
                {
                    "preset": preset.name,
                    "policy": f"reference:{mode}",
                    "dialogues": len(episodes),
                    "errors": sum(e.error is not None for e in episodes),
                    "score_mean": round(statistics.mean(finals), 1),
                    "score_median": statistics.median(finals),
                    "success": sum(f >= 100 for f in finals),
                    "failure": sum(f < 10 for f in finals),
                    "mean_policy_turns": round(statistics.mean(e.policy_turns for e in episodes), 2),
                    "seconds": round(elapsed, 1),
                }
            )
            print(_row(rows[-1]), flush=True)
    return rows


def _row(r: dict) -> str:
    return (
        f"| {r['preset']:<10} | {r['policy']:<16} | {r['dialogues']:>4} | {r['score_mean']:>6.1f} | "
        f"{r['success']:>4} | {r['failure']:>4} | {r['mean_policy_turns']:>5.2f} |"
    )


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="simulator seeds per profile")
    parser.add_argument("--profiles", choices=("builtin", "sample"), default="builtin")
    parser.add_argument("--weights", choices=("handset", "fitted"), default="handset")
    args = parser.parse_args()
    global AGENT_WEIGHTS
    if args.weights == "fitted":
        from rlver.simulator.offline import fitted_weights

        AGENT_WEIGHTS = fitted_weights()
    source, profiles = load_profiles(args.profiles)
    print(f"profiles: {source} ({len(profiles)}), seeds: {args.seeds}")
    print("| preset     | policy           |    n |  score | succ | fail | turns |")
    print("|------------|------------------|------|--------|------|------|-------|")
    rows = asyncio.run(calibrate(profiles, args.seeds))
    print("\n| preset | one strategy every turn     |  score |")
    print("|--------|-----------------------------|--------|")
    constant = asyncio.run(constant_strategies(profiles))
    print()
    cues = asyncio.run(cue_reader(profiles))
    payload = {
        "profiles": source,
        "n_profiles": len(profiles),
        "seeds": args.seeds,
        "weights": args.weights,
        "rows": rows,
        "constant": constant,
        "cue_reader": cues,
    }
    path = RESULTS_FITTED if args.weights == "fitted" else RESULTS
    write_json(path, payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
