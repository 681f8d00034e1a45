"""The dialogue loop: many dialogues at once, turn by turn.

Each iteration gathers the policy requests of every live dialogue into one batched
``policy.generate`` call, then runs all simulator steps concurrently (over HTTP they overlap).
Finished dialogues leave the batch and waiting ones take their place, so per-dialogue bookkeeping
never depends on batch position.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence

from rlver.errors import LLMError, PolicyError, SimulatorError
from rlver.llm.types import Message
from rlver.policy.base import Policy, PolicyRequest, TokenTrace
from rlver.policy.prompts import system_prompt as default_system_prompt
from rlver.policy.think import split_think
from rlver.profiles.schema import Profile
from rlver.rollout.types import Episode, Turn
from rlver.simulator.base import DialogueState, UserSimulator
from rlver.simulator.presets import Preset

__all__ = ["DialogueJob", "RolloutConfig", "run_dialogues"]

_RECOVERABLE = (SimulatorError, LLMError, PolicyError)


@dataclass(frozen=True)
class DialogueJob:
    """One dialogue to run."""

    profile: Profile
    seed: int = 0
    """Simulator seed (GRPO: the same for every rollout of a group)."""
    group: int = 0
    """Group index (rollouts of one profile in one GRPO group share it)."""
    id: str | None = None
    """Episode id; defaults to ``{profile.id}-s{seed}-g{group}``."""

    @property
    def key(self) -> str:
        return self.id or f"{self.profile.id}-s{self.seed}-g{self.group}"


@dataclass(frozen=True)
class RolloutConfig:
    """How dialogues are run."""

    preset: Preset
    """Simulator mechanics (initial emotion, clamps, end conditions, turn limit)."""
    think: bool = False
    """Think-then-say: the policy writes ``<think>…</think>`` before its reply; only the reply is shown."""
    system_prompt: str | None = None
    """Policy system prompt; ``None`` = the default for the profile's language; ``""`` = none."""
    max_concurrent: int = 64
    """Dialogues live at once (one policy batch). Waiting dialogues start as others finish."""


@dataclass
class _Live:
    job: DialogueJob
    state: DialogueState
    episode: Episode
    system: list[Message] = field(default_factory=list)

EpisodeCallback = Callable[[Episode], Awaitable[None] | None]


async def run_dialogues(
    jobs: Sequence[DialogueJob],
    policy: Policy,
    simulator: UserSimulator,
    config: RolloutConfig,
    *,
    on_episode: EpisodeCallback | None = None,
) -> list[Episode]:
    """Run every job to the end; return episodes in job order (failed ones carry ``error``)."""
    if config.max_concurrent < 1:
        raise ValueError("max_concurrent must be >= 1")
    pending = list(enumerate(jobs))
    pending.reverse()
    results: dict[int, Episode] = {}
    live: dict[int, _Live] = {}

    async def finish(index: int, episode: Episode) -> None:
        results[index] = episode
        live.pop(index, None)
        if on_episode is not None:
            maybe = on_episode(episode)
            if asyncio.iscoroutine(maybe):
                await maybe

    # Each iteration advances every live dialogue by one policy turn, so this bound is never reached
    # unless a simulator misbehaves (never ends); then the dialogue is closed with an error.
    max_iterations = (len(jobs) + 1) * (config.preset.max_policy_turns + 1)
    for _ in range(max_iterations):
        await _refill(pending, live, policy, simulator, config, finish)
        if not live:
            break
        order = sorted(live)
        requests = [
            PolicyRequest(
                key=live[i].episode.id,
                messages=live[i].system + list(live[i].state.history),
                trace=live[i].episode.trace,
                profile=live[i].job.profile,
            )
            for i in order
        ]
        try:
            raws = await policy.generate(requests)
        except _RECOVERABLE as exc:
            for i in order:
                live[i].episode.error = f"policy: {exc}"
                await finish(i, _close(live[i], "error"))
            continue
        if len(raws) != len(order):
            raise PolicyError(f"policy returned {len(raws)} replies for {len(order)} requests")

        steps, stepped = [], []
        for i, raw in zip(order, raws):
            if isinstance(raw, PolicyError):
                live[i].episode.error = f"policy: {raw}"
                await finish(i, _close(live[i], "error"))
            else:
                steps.append(_advance(live[i], raw, simulator, config))
                stepped.append(i)
        for i, done in zip(stepped, await asyncio.gather(*steps)):
            if done:
                await finish(i, live[i].episode)
    else:
        for i in list(live):
            live[i].episode.error = "dialogue did not end within the turn limit"
            await finish(i, _close(live[i], "error"))
    return [results[i] for i in range(len(jobs))]


async def _refill(pending, live, policy, simulator, config, finish) -> None:
    starting = []
    while pending and len(live) + len(starting) < config.max_concurrent:
        starting.append(pending.pop())
    if not starting:
        return

    async def start(index: int, job: DialogueJob) -> tuple[int, DialogueJob, DialogueState | Exception]:
        try:
            return index, job, await simulator.reset(job.profile, config.preset, job.seed)
        except _RECOVERABLE as exc:
            return index, job, exc

    for index, job, state in await asyncio.gather(*(start(i, j) for i, j in starting)):
        episode = Episode(
            id=job.key,
            profile_id=job.profile.id,
            preset=config.preset.name,
            simulator=simulator.name,
            policy=policy.name,
            seed=job.seed,
            group=job.group,
            trace=TokenTrace() if policy.token_exact else None,
        )
        if isinstance(state, Exception):
            episode.error = f"simulator: {state}"
            episode.end_reason = "error"
            await finish(index, episode)
            continue
        prompt = config.system_prompt
        if prompt is None:
            prompt = default_system_prompt(job.profile.language, think=config.think)
        system = [Message("system", prompt)] if prompt else []
        episode.emotions = list(state.emotions)
        episode.turns.append(_user_turn(state))
        live[index] = _Live(job=job, state=state, episode=episode, system=system)


async def _advance(item: _Live, raw: str, simulator: UserSimulator, config: RolloutConfig) -> bool:
    """Send one policy reply through the simulator. Returns True when the dialogue is over."""
    episode, state = item.episode, item.state
    shown, thought = raw.strip(), None
    if config.think:
        split = split_think(raw)
        thought = split.thought or None
        if not split.ok:
            episode.format_violations += 1
            episode.turns.append(Turn(role="assistant", text="", raw=raw, thought=thought))
            _close(item, "format_violation")
            return True
        shown = split.reply
    appraisals_before = len(state.appraisals)
    try:
        await simulator.step(state, shown)
    except _RECOVERABLE as exc:
        episode.turns.append(Turn(role="assistant", text=shown, raw=raw, thought=thought))
        episode.error = f"simulator: {exc}"
        _close(item, "error")
        return True
    appraisal = state.appraisals[-1] if len(state.appraisals) > appraisals_before else None
    episode.turns.append(Turn(role="assistant", text=shown, raw=raw, thought=thought, appraisal=appraisal))
    if appraisal is not None:
        episode.turns.append(_user_turn(state))
    episode.emotions = list(state.emotions)
    if state.done:
        episode.end_reason = state.end_reason
        return True
    return False


def _user_turn(state: DialogueState) -> Turn:
    reply = state.replies[-1]
    return Turn(role="user", text=reply.response, thought=reply.thinking or None, emotion=state.emotion)


def _close(item: _Live, reason: str) -> Episode:
    item.episode.end_reason = reason
    item.episode.emotions = list(item.state.emotions)
    return item.episode
