"""Lockstep vs continuous dialogues against OpenAI-compatible endpoints with fixed and heavy-tailed latency.

Runs the real stack (OpenAIChatClient over HTTP, LLMSentientAgent, OpenAIPolicy) against
rlver.testing.StubChatServer, which answers every call with scripted SAGE-format text after a
scripted delay. The server runs in its own process, so its threads do not compete with the
client's event loop for the GIL. Each dialogue has ``--turns`` policy replies (the scripted user
says goodbye after the last), i.e. a chain of 3 x turns sequential calls: policy, appraisal,
response, turn after turn.

Two latency scenarios, each call's delay drawn from (seed, dialogue, call number), so both loops
and every repeat see exactly the same delays:

* fixed: every call takes ``--latency`` seconds (200 ms);
* lognormal: median ``--median`` (300 ms), sigma ``--sigma`` (1), the heavy tail of real endpoints.

Two loops, side by side on the same server:

* lockstep: the loop before issue 13 (benchmarks/_lockstep.py): each round sends one policy call
  for every live dialogue, then all simulator steps, and waits for the slowest before the next;
* continuous: rlver.rollout.run_dialogues: each dialogue advances the moment its own call returns.

Ideal = the longest dialogue's own chain of delays (no loop can be faster). Goals: continuous within
1.2x of ideal under lognormal latency, and not slower than lockstep under fixed latency.

    .venv/bin/python benchmarks/rollout_concurrency.py [--dialogues 64] [--turns 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Self

from _common import median, print_table, write_result
from _lockstep import run_lockstep

from rlver.llm.client import ClientConfig, OpenAIChatClient
from rlver.policy.openai_policy import OpenAIPolicy
from rlver.profiles.schema import Profile
from rlver.rollout import DialogueJob, RolloutConfig, run_dialogues
from rlver.simulator.llm_agent import LLMSentientAgent
from rlver.simulator.presets import get_preset
from rlver.testing import StubChatServer, StubResponse
from rlver.utils.seeding import derive_seed

TAG = re.compile(r"\[run(\d+)-d(\d+)\]")
"""Every dialogue's opening carries its run and index, so the server can tell dialogues apart."""


@dataclass(frozen=True)
class Latency:
    """How long the scripted endpoint takes for one call."""

    kind: str
    """``fixed`` or ``lognormal``."""
    median_s: float
    """Fixed: every call's delay. Lognormal: the median delay."""
    sigma: float = 0.0
    """Lognormal: standard deviation of log(delay)."""
    seed: int = 0
    """Seed of the per-call draws."""

    def delay(self, dialogue: int, call: int) -> float:
        """Delay of call ``call`` of dialogue ``dialogue``: the same in every run and either loop."""
        if self.kind == "fixed":
            return self.median_s
        z = random.Random(derive_seed(self.seed, "latency", dialogue, call)).gauss(0.0, 1.0)
        return self.median_s * math.exp(self.sigma * z)


class ScriptedEndpoint:
    """The server's responder: SAGE-format answers, each after its scripted delay (recorded per dialogue)."""

    def __init__(self, turns: int, latency: Latency) -> None:
        self.turns = turns
        self.latency = latency
        self.delays: dict[tuple[int, int], list[float]] = defaultdict(list)  # (run, dialogue) -> delays in order
        self._lock = threading.Lock()  # the server answers on one thread per connection

    def __call__(self, request: dict) -> StubResponse:
        text = "\n".join(m["content"] for m in request["messages"])
        run, dialogue = (int(g) for g in TAG.search(text).groups())
        with self._lock:
            chain = self.delays[(run, dialogue)]
            delay = self.latency.delay(dialogue, len(chain))
            chain.append(delay)
        if "TargetCompletion:" in text:  # appraisal
            answer = "Content: support\nTargetCompletion: partly\nActivity: calmer\nAnalyse: ok\nChange: +2"
        elif "Response:" in text:  # the person's reply; goodbye after the last scripted turn
            bye = " Okay, bye for now." if text.count('"speaker": "partner"') >= self.turns else ""
            answer = f"Thinking: fine\nOrigin: ok\nChange: none\nResponse: I hear you.{bye}"
        else:  # the policy
            answer = "That sounds really hard. Tell me more?"
        return StubResponse(text=answer, delay=delay)


def _serve(turns: int, latency: Latency, ready, stop, report) -> None:
    endpoint = ScriptedEndpoint(turns, latency)
    with StubChatServer(endpoint) as server:
        ready.put(server.base_url)
        stop.wait()
    report.put({key: list(value) for key, value in endpoint.delays.items()})


class RemoteStub:
    """StubChatServer in its own process; on exit, ``delays`` holds every dialogue's chain of delays."""

    def __init__(self, turns: int, latency: Latency) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._ready, self._stop, self._report = ctx.Queue(), ctx.Event(), ctx.Queue()
        self._process = ctx.Process(
            target=_serve, args=(turns, latency, self._ready, self._stop, self._report), daemon=True
        )
        self.delays: dict[tuple[int, int], list[float]] = {}

    def __enter__(self) -> Self:
        self._process.start()
        self.base_url = self._ready.get(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.delays = self._report.get(timeout=60)
        self._process.join(timeout=10)


async def run_once(base_url: str, run: int, n: int, turns: int, lockstep: bool) -> float:
    """Wall seconds for ``n`` dialogues through one loop (clients connected before the clock starts)."""
    profiles = [
        Profile(id=f"p{i}", persona="Ann, 30, nurse", scene="A hard week.", task="wants to vent",
                first_talk=f"Ugh, today. [run{run}-d{i}]")
        for i in range(n)
    ]
    config = ClientConfig(base_url=base_url, model="stub", api_key_env=None, max_concurrency=2 * n, timeout=60)
    async with OpenAIChatClient(config) as sim_client, OpenAIChatClient(config) as policy_client:
        simulator = LLMSentientAgent(sim_client)
        policy = OpenAIPolicy(policy_client)
        rollout = RolloutConfig(preset=get_preset("sage"), max_concurrent=n)
        loop = run_lockstep if lockstep else run_dialogues
        start = time.perf_counter()
        episodes = await loop([DialogueJob(p) for p in profiles], policy, simulator, rollout)
        elapsed = time.perf_counter() - start
    bad = [e for e in episodes if e.error or e.policy_turns != turns]
    if bad:
        raise SystemExit(f"unexpected dialogue {bad[0].id}: {bad[0].error or bad[0].policy_turns}")
    return elapsed


def scenario(latency: Latency, args: argparse.Namespace) -> dict:
    """Both loops, ``repeats`` times each (alternating), against one server."""
    walls: dict[str, list[float]] = {"lockstep": [], "continuous": []}
    with RemoteStub(args.turns, latency) as server:
        run = 0
        for _ in range(args.repeats):
            for mode, values in walls.items():
                values.append(asyncio.run(run_once(server.base_url, run, args.dialogues, args.turns,
                                                   lockstep=mode == "lockstep")))
                run += 1
    chains: dict[int, list[float]] = defaultdict(list)  # run -> every dialogue's chain length in seconds
    for (run, _), delays in server.delays.items():
        chains[run].append(sum(delays))
    ideals = {round(max(c), 9) for c in chains.values()}
    if len(ideals) != 1:
        raise SystemExit(f"runs saw different delays: {ideals}")
    calls = {len(d) for d in server.delays.values()}
    ideal = ideals.pop()
    result = {
        "latency": {"kind": latency.kind, "median_s": latency.median_s, "sigma": latency.sigma, "seed": latency.seed},
        "calls_per_dialogue": sorted(calls),
        "ideal_s": ideal,
        "mean_chain_s": sum(chains[0]) / len(chains[0]),
    }
    for mode, values in walls.items():
        result[mode] = {"wall_s": values, "median_wall_s": median(values), "x_ideal": median(values) / ideal}
    result["continuous_speedup_vs_lockstep"] = result["lockstep"]["median_wall_s"] / result["continuous"]["median_wall_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogues", type=int, default=64)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.2, help="fixed scenario: seconds per call")
    parser.add_argument("--median", type=float, default=0.3, help="lognormal scenario: median seconds per call")
    parser.add_argument("--sigma", type=float, default=1.0, help="lognormal scenario: sigma of log(latency)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    scenarios = {
        "fixed": Latency("fixed", args.latency, seed=args.seed),
        "lognormal": Latency("lognormal", args.median, args.sigma, seed=args.seed),
    }
    results = {name: scenario(latency, args) for name, latency in scenarios.items()}
    rows = []
    for name, r in results.items():
        for mode in ("lockstep", "continuous"):
            rows.append([name, mode, r[mode]["median_wall_s"], r["ideal_s"], r[mode]["x_ideal"]])
    print_table(
        f"{args.dialogues} dialogues x {args.turns} turns ({3 * args.turns} sequential calls each), "
        f"median of {args.repeats}",
        ["latency", "loop", "wall s", "ideal s", "x ideal"],
        rows,
    )
    goals = {
        "lognormal_continuous_x_ideal_max": 1.2,
        "fixed_continuous_not_slower_than_lockstep": True,
    }
    met = {
        "lognormal_continuous_x_ideal_max": results["lognormal"]["continuous"]["x_ideal"] <= 1.2,
        "fixed_continuous_not_slower_than_lockstep": (
            results["fixed"]["continuous"]["median_wall_s"] <= results["fixed"]["lockstep"]["median_wall_s"]
        ),
    }
    print(f"goals met: {met}")
    path = write_result(
        "rollout_concurrency",
        {"dialogues": args.dialogues, "turns": args.turns, "repeats": args.repeats, "scenarios": results,
         "goals": goals, "goals_met": met},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
