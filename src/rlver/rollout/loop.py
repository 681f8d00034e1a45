"""The dialogue loop: many dialogues at once, each advancing on its own.

Every dialogue runs as its own chain: reset, then policy reply and simulator step, turn after turn.
Its next policy request goes out the moment its simulator step returns, so no dialogue waits for
the slowest one (simulator endpoints have heavy-tailed latency). At most ``max_concurrent``
dialogues are in flight; one that ends frees its slot at once for the next waiting job.

The policy is called with one request per dialogue; policies that run a local model batch the
concurrent calls themselves (``HFPolicy``'s batching queue, ``BatchingGenerator`` for token
generators), API policies send each request at once. Per-dialogue bookkeeping never depends on
timing, and policies seed their sampling per dialogue and turn, so a seeded run is reproducible
whatever the latencies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field

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
    """Dialogues in flight at once. A waiting job starts the moment a dialogue ends. Size the policy's
    batching (``GenerationSettings.batch_size``) and the endpoints' ``max_concurrency`` to it."""


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
    """Run every job to the end; return episodes in job order (failed ones carry ``error``).

    ``on_episode`` is called as each dialogue ends (in the order they end, one call at a time). A
    policy, simulator or endpoint error fails only its dialogue; any other exception (a bug) cancels
    the remaining dialogues and is raised.
    """
    if config.max_concurrent < 1:
        raise ValueError("max_concurrent must be >= 1")
    results: list[Episode | None] = [None] * len(jobs)
    todo = iter(enumerate(jobs))  # shared by the slots: each job is taken once, in job order
    callback_lock = asyncio.Lock()  # callbacks (file appenders, progress bars) never overlap

    async def slot() -> None:
        for index, job in todo:
            episode = await _run_dialogue(job, policy, simulator, config)
            results[index] = episode
            if on_episode is not None:
                async with callback_lock:
                    maybe = on_episode(episode)
                    if asyncio.iscoroutine(maybe):
                        await maybe

    await _run_all([slot() for _ in range(min(config.max_concurrent, len(jobs)))])
    return results  # type: ignore[return-value]  # the slots ran every job


async def _run_all(coroutines: list[Coroutine[object, object, None]]) -> None:
    """Run ``coroutines`` as tasks until all end; on the first exception (or a cancellation of the
    caller) cancel the rest, wait for them, and raise it."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    if not tasks:
        return
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()  # a no-op for tasks that are done
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def _run_dialogue(job: DialogueJob, policy: Policy, simulator: UserSimulator, config: RolloutConfig) -> Episode:
    """One dialogue from reset to its end; errors of the policy or simulator end only this dialogue."""
    item = await _start(job, policy, simulator, config)
    if isinstance(item, Episode):
        return item
    episode = item.episode
    # A dialogue ends by the simulator's turn limit; the one extra round only catches a simulator
    # that never ends, which is closed with an error.
    for _ in range(config.preset.max_policy_turns + 1):
        request = PolicyRequest(
            key=episode.id, messages=item.system + list(item.state.history), trace=episode.trace, profile=job.profile
        )
        try:
            raws = await policy.generate([request])
        except _RECOVERABLE as exc:
            episode.error = f"policy: {exc}"
            return _close(item, "error")
        if len(raws) != 1:
            raise PolicyError(f"policy returned {len(raws)} replies for 1 request")
        (raw,) = raws
        if isinstance(raw, PolicyError):
            episode.error = f"policy: {raw}"
            return _close(item, "error")
        if await _advance(item, raw, simulator, config):
            return episode
    episode.error = "dialogue did not end within the turn limit"
    return _close(item, "error")


async def _start(job: DialogueJob, policy: Policy, simulator: UserSimulator, config: RolloutConfig) -> _Live | Episode:
    """Reset the simulator for ``job``: a live dialogue, or its failed episode."""
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
    try:
        state = await simulator.reset(job.profile, config.preset, job.seed)
    except _RECOVERABLE as exc:
        episode.error = f"simulator: {exc}"
        episode.end_reason = "error"
        return episode
    prompt = config.system_prompt
    if prompt is None:
        prompt = default_system_prompt(job.profile.language, think=config.think)
    system = [Message("system", prompt)] if prompt else []
    episode.emotions = list(state.emotions)
    episode.turns.append(_user_turn(state))
    return _Live(job=job, state=state, episode=episode, system=system)


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
