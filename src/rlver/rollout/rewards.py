"""Named reward functions on finished dialogues.

A reward function maps an :class:`Episode` to one reward per policy turn (the trainer places turn
``k``'s reward on the last token of the policy's ``k``-th reply). RLVER's reward is the outcome:
final emotion / 100 on the last turn, 0 before it. A reward that cannot be computed is never 0:
episodes with an ``error`` (a crashed simulator or policy) raise :class:`UnscorableEpisode` and are
dropped from the batch, and counted.

    >>> from rlver.rollout.types import Episode, Turn
    >>> ep = Episode(id="e", profile_id="p", preset="rlver", simulator="s", policy="p", seed=0,
    ...              turns=[Turn("user", "hi"), Turn("assistant", "hello"), Turn("user", "ok")],
    ...              emotions=[30, 45], end_reason="turn_limit")
    >>> emotion_reward(ep)
    [0.45]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from rlver.errors import ConfigError, RlverError
from rlver.rollout.types import Episode

__all__ = [
    "RewardFn",
    "UnscorableEpisode",
    "ScoredEpisode",
    "emotion_reward",
    "emotion_delta_rewards",
    "REWARDS",
    "get_reward",
    "score_episodes",
]

EMOTION_SCALE = 100.0
"""Emotion lives in [0, 100]; rewards in [0, 1]."""

RewardFn = Callable[..., list[float]]
"""``fn(episode, *, format_violation_reward: float) -> list[float]``, one reward per policy turn."""


class UnscorableEpisode(RlverError):
    """The episode carries no reward (it failed, or has no policy turn); drop it, never score it 0."""


@dataclass(frozen=True)
class ScoredEpisode:
    """An episode with its per-turn rewards."""

    episode: Episode
    turn_rewards: tuple[float, ...]
    """One reward per policy turn, in order."""

    @property
    def total(self) -> float:
        """Undiscounted return: the sum of the turn rewards."""
        return float(sum(self.turn_rewards))


def _check_scorable(episode: Episode) -> int:
    if episode.error is not None:
        raise UnscorableEpisode(f"episode {episode.id} failed: {episode.error}")
    turns = episode.policy_turns
    if turns == 0:
        raise UnscorableEpisode(f"episode {episode.id} has no policy turn")
    if not episode.emotions:
        raise UnscorableEpisode(f"episode {episode.id} has no emotion trajectory")
    return turns


def _violated(episode: Episode) -> bool:
    return episode.format_violations > 0 or episode.end_reason == "format_violation"


def emotion_reward(episode: Episode, *, format_violation_reward: float = 0.0) -> list[float]:
    """RLVER's reward (the default): final emotion / 100 on the last policy turn, 0 on the others.

    A think-mode format violation ends the dialogue and earns ``format_violation_reward`` instead
    (the paper: 0) whatever the emotion was.
    """
    turns = _check_scorable(episode)
    final = format_violation_reward if _violated(episode) else episode.emotions[-1] / EMOTION_SCALE
    return [0.0] * (turns - 1) + [float(final)]


def emotion_delta_rewards(episode: Episode, *, format_violation_reward: float = 0.0) -> list[float]:
    """Dense alternative: each policy turn earns the emotion change its appraisal caused, / 100.

    The turn rewards sum to (final - initial) / 100, so with gamma = 1 the return differs from
    :func:`emotion_reward`'s only by the profile's initial emotion; credit reaches each turn directly.
    An unappraised reply (``sage``'s last turn) earns 0. A format-violating reply earns
    ``format_violation_reward`` (choose a negative value: there is no emotion to lose).
    """
    turns = _check_scorable(episode)
    rewards: list[float] = []
    for turn in episode.turns:
        if turn.role != "assistant":
            continue
        change = turn.appraisal.applied_change if turn.appraisal is not None else 0
        rewards.append(change / EMOTION_SCALE)
    if _violated(episode):
        rewards[-1] = float(format_violation_reward)
    if len(rewards) != turns:  # pragma: no cover - policy_turns counts the same turns
        raise RuntimeError(f"episode {episode.id}: {len(rewards)} rewards for {turns} policy turns")
    return rewards


REWARDS: dict[str, RewardFn] = {
    "emotion": emotion_reward,
    "emotion_delta": emotion_delta_rewards,
}


def get_reward(name: str) -> RewardFn:
    """The reward function registered as ``name``."""
    try:
        return REWARDS[name]
    except KeyError:
        raise ConfigError(f"unknown reward {name!r}; choose one of {', '.join(REWARDS)}") from None


def score_episodes(
    episodes: Sequence[Episode], reward: RewardFn, *, format_violation_reward: float = 0.0
) -> tuple[list[ScoredEpisode], list[Episode]]:
    """Score every episode; return ``(scored, dropped)``. Dropped episodes carry no reward at all."""
    scored: list[ScoredEpisode] = []
    dropped: list[Episode] = []
    for episode in episodes:
        try:
            rewards = reward(episode, format_violation_reward=format_violation_reward)
        except UnscorableEpisode:
            dropped.append(episode)
            continue
        scored.append(ScoredEpisode(episode=episode, turn_rewards=tuple(float(r) for r in rewards)))
    return scored, dropped
