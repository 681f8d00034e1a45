"""The dialogue loop as it was before issue 13 ("lockstep"), rebuilt for side-by-side benchmarks.

Each round gathers the requests of every live dialogue into one ``policy.generate`` call, then runs
all their simulator steps concurrently, then starts the next round: every turn waits for the
slowest policy call and the slowest simulator step of the round. Refilling, error handling and
bookkeeping reuse the real loop's helpers, so the two loops differ only in scheduling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rlver.errors import PolicyError
from rlver.policy.base import Policy, PolicyRequest
from rlver.rollout.loop import _RECOVERABLE, DialogueJob, RolloutConfig, _advance, _close, _Live, _start
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator

__all__ = ["run_lockstep"]


async def run_lockstep(
    jobs: Sequence[DialogueJob], policy: Policy, simulator: UserSimulator, config: RolloutConfig
) -> list[Episode]:
    """Every job to the end, one lockstep round at a time; episodes in job order."""
    pending = list(enumerate(jobs))[::-1]
    live: dict[int, _Live] = {}
    results: dict[int, Episode] = {}
    for _ in range((len(jobs) + 1) * (config.preset.max_policy_turns + 1)):
        starting = []
        while pending and len(live) + len(starting) < config.max_concurrent:
            starting.append(pending.pop())
        started = await asyncio.gather(*(_start(job, policy, simulator, config) for _, job in starting))
        for (index, _), item in zip(starting, started):
            if isinstance(item, Episode):
                results[index] = item
            else:
                live[index] = item
        if not live:
            break
        order = sorted(live)
        requests = [
            PolicyRequest(key=live[i].episode.id, messages=live[i].system + list(live[i].state.history),
                          trace=live[i].episode.trace, profile=live[i].job.profile)
            for i in order
        ]
        try:
            raws = await policy.generate(requests)
        except _RECOVERABLE as exc:
            for i in order:
                live[i].episode.error = f"policy: {exc}"
                results[i] = _close(live.pop(i), "error")
            continue
        steps, stepped = [], []
        for i, raw in zip(order, raws):
            if isinstance(raw, PolicyError):
                live[i].episode.error = f"policy: {raw}"
                results[i] = _close(live.pop(i), "error")
            else:
                steps.append(_advance(live[i], raw, simulator, config))
                stepped.append(i)
        for i, done in zip(stepped, await asyncio.gather(*steps)):
            if done:
                results[i] = live.pop(i).episode
    for i in list(live):
        live[i].episode.error = "dialogue did not end within the turn limit"
        results[i] = _close(live.pop(i), "error")
    return [results[i] for i in range(len(jobs))]
