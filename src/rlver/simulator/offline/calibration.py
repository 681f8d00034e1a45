"""Calibration against a real Sentient Agent: replay recorded SAGE dialogues through the offline appraisal.

Each recorded policy reply is appraised by :class:`OfflineSentientAgent` with its recorded
history (the real user turns are kept; nothing is generated) and its profile. The offline emotion
runs along the dialogue under SAGE's mechanics (start 40, change clamped to [-10, 10], bounds
[0, 100]): the offline person's mood is its own, never DeepSeek-V3's recorded emotion, so the
agreement measured here is the offline appraisal's own.

Per model: Spearman correlation and sign agreement with the recorded changes, mean absolute
error, and the model's score re-computed with the offline changes (the replayed dialogue stops
where SAGE would have stopped it: emotion >= 100 or < 10, though every recorded reply is still
appraised for the turn numbers; a recorded dialogue that ended earlier keeps its last offline
emotion) next to the published score (mean recorded final emotion).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlver.llm.types import Message
from rlver.profiles.schema import Profile
from rlver.simulator.base import DialogueState
from rlver.simulator.offline.agent import OfflineSentientAgent
from rlver.simulator.offline.sage import RecordedDialogue
from rlver.simulator.presets import PRESETS

__all__ = ["ModelAgreement", "TurnResult", "agreement", "replay_dialogues", "spearman", "summarise"]

_SAGE = PRESETS["sage"]


@dataclass(frozen=True)
class TurnResult:
    """One recorded reply, appraised offline."""

    model: str
    """Policy model."""
    dialogue: str
    """Dialogue id."""
    turn: int
    """1-based index of the policy reply."""
    offline_change: int
    """The offline appraisal's change."""
    recorded_change: int
    """DeepSeek-V3's recorded change."""
    offline_emotion: int
    """Offline emotion after this reply (SAGE mechanics)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "dialogue": self.dialogue,
            "turn": self.turn,
            "model": self.model,
            "offline_change": self.offline_change,
            "recorded_change": self.recorded_change,
            "offline_emotion": self.offline_emotion,
        }


@dataclass(frozen=True)
class ModelAgreement:
    """How the offline appraisal agrees with the recorded one on one model's replies."""

    model: str
    """Policy model."""
    turns: int
    """Appraised replies compared."""
    spearman: float
    """Spearman rank correlation of offline vs recorded change."""
    sign_agreement: float
    """Share of replies where both changes have the same sign (0 counts as its own sign)."""
    mae: float
    """Mean absolute difference of the changes, each clamped to SAGE's [-10, 10]."""
    replayed_score: float
    """Mean final offline emotion over the model's dialogues (SAGE mechanics)."""
    published_score: float
    """Mean recorded final emotion (SAGE's published score)."""
    held_out: bool = False
    """True for models the fit never saw."""
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "turns": self.turns,
            "spearman": round(self.spearman, 3),
            "sign_agreement": round(self.sign_agreement, 3),
            "mae": round(self.mae, 2),
            "replayed_score": round(self.replayed_score, 1),
            "published_score": round(self.published_score, 1),
            "held_out": self.held_out,
        }


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: the Pearson correlation of average ranks (ties share their mean rank)."""
    if len(x) < 2:
        return float("nan")
    rx, ry = _ranks(np.asarray(x, float)), _ranks(np.asarray(y, float))
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return float("nan")
    return float(((rx - rx.mean()) * (ry - ry.mean())).mean() / (sx * sy))


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):  # ties get their average rank
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


async def _replay_one(
    agent: OfflineSentientAgent, dialogue: RecordedDialogue, profile: Profile
) -> tuple[list[TurnResult], int]:
    state = DialogueState(profile=profile, preset=_SAGE, seed=0, emotion=_SAGE.initial_emotion)
    state.emotions.append(state.emotion)
    results: list[TurnResult] = []
    messages, final = dialogue.messages, None
    for index, message in enumerate(messages):
        state.history.append(Message(message["role"], message["content"]))
        if message["role"] != "assistant":
            continue
        state.policy_turns += 1
        following = messages[index + 1] if index + 1 < len(messages) else None
        if following is None or "change" not in following:
            continue
        appraisal = await agent.appraise(state, message["content"])
        state.emotion = _SAGE.apply(state.emotion, appraisal.change)
        results.append(
            TurnResult(
                model=dialogue.model,
                dialogue=dialogue.id,
                turn=state.policy_turns,
                offline_change=appraisal.change,
                recorded_change=int(following["change"]),
                offline_emotion=state.emotion,
            )
        )
        # SAGE would have ended the dialogue here: the score keeps this emotion, while the later
        # recorded replies are still appraised (every recorded reply counts in the turn agreement).
        if final is None and (state.emotion >= _SAGE.upper_bound or state.emotion < _SAGE.failure_below):
            final = state.emotion
    return results, state.emotion if final is None else final


async def replay_dialogues(
    dialogues: Sequence[RecordedDialogue],
    profiles: Mapping[str, Profile],
    agent: OfflineSentientAgent | None = None,
    *,
    concurrency: int = 32,
) -> tuple[list[TurnResult], dict[tuple[str, str], int]]:
    """Appraise every recorded reply offline. Returns the turns and each dialogue's final offline emotion.

    Raises ``KeyError`` naming a dialogue whose profile is missing from ``profiles``.
    """
    agent = agent or OfflineSentientAgent()
    missing = sorted({d.profile for d in dialogues if d.profile not in profiles})
    if missing:
        raise KeyError(f"no profile for {len(missing)} dialogue(s), e.g. {missing[0]!r}")
    gate = asyncio.Semaphore(concurrency)

    async def one(dialogue: RecordedDialogue) -> tuple[list[TurnResult], int]:
        async with gate:
            return await _replay_one(agent, dialogue, profiles[dialogue.profile])

    outcomes = await asyncio.gather(*(one(d) for d in dialogues))
    turns = [t for result, _ in outcomes for t in result]
    finals = {(d.model, d.id): final for d, (_, final) in zip(dialogues, outcomes)}
    return turns, finals


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def agreement(
    model: str,
    turns: Sequence[TurnResult],
    finals: Sequence[int],
    published: Sequence[int],
    *,
    held_out: bool = False,
) -> ModelAgreement:
    """Agreement numbers of one model from its replayed turns and dialogue finals."""
    offline = [t.offline_change for t in turns]
    recorded = [t.recorded_change for t in turns]
    clamp = _SAGE.clamp_change
    n = len(turns)
    return ModelAgreement(
        model=model,
        turns=n,
        spearman=spearman(offline, recorded),
        sign_agreement=sum(_sign(a) == _sign(b) for a, b in zip(offline, recorded)) / n if n else math.nan,
        mae=sum(abs(clamp(a) - clamp(b)) for a, b in zip(offline, recorded)) / n if n else math.nan,
        replayed_score=float(np.mean(finals)) if finals else math.nan,
        published_score=float(np.mean(published)) if published else math.nan,
        held_out=held_out,
    )


def summarise(
    dialogues: Sequence[RecordedDialogue],
    turns: Sequence[TurnResult],
    finals: Mapping[tuple[str, str], int],
    *,
    held_out: Sequence[str] = (),
) -> list[ModelAgreement]:
    """One :class:`ModelAgreement` per model, in the order models first appear."""
    models = list(dict.fromkeys(d.model for d in dialogues))
    rows = []
    for model in models:
        mine = [d for d in dialogues if d.model == model]
        rows.append(
            agreement(
                model,
                [t for t in turns if t.model == model],
                [finals[(d.model, d.id)] for d in mine],
                [d.emo_point for d in mine],
                held_out=model in held_out,
            )
        )
    return rows
