"""``OfflineSentientAgent``: a deterministic simulated user that needs no network and no LLM.

It implements the three hooks of :class:`rlver.simulator.base.SentientAgent` (which owns the
emotion update, clamps, end conditions and turn limits):

* ``appraise``: recognise the reply's strategy mix semantically, measure its surface features, and
  compute the change with the pure functions of :mod:`rlver.simulator.offline.appraisal`;
* ``respond``: answer in character (:mod:`rlver.simulator.offline.replies`), with a cue of the
  hidden need;
* ``opening``: a first message for presets without a scripted opening.

Same profile + history + seed gives bit-identical appraisals and replies.
"""

from __future__ import annotations

import weakref

import numpy as np

from rlver.errors import SimulatorError
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply
from rlver.simulator.offline.appraisal import (
    DEFAULT_WEIGHTS,
    AppraisalWeights,
    ChangeBreakdown,
    ReplyFeatures,
    appraise_change,
)
from rlver.simulator.offline.embedder import Embedder, get_embedder
from rlver.simulator.offline.explain import NEED_WISH, render_appraisal
from rlver.simulator.offline.features import (
    copied_share,
    format_markers,
    garble_score,
    need_echo,
    repetition,
    word_count,
    words,
)
from rlver.simulator.offline.recognise import scores_from_vectors, sentence_mix
from rlver.simulator.offline.replies import opening_message, reply_message
from rlver.simulator.offline.text import neutralise, split_sentences
from rlver.simulator.presets import Preset

__all__ = ["OfflineSentientAgent", "infer_need"]


def infer_need(task: str, embedder: Embedder | None = None) -> HiddenNeed:
    """The hidden need closest in meaning to a free-text ``task`` (for profiles without ``need``)."""
    embedder = embedder or get_embedder()
    needs = list(NEED_WISH)
    vectors = embedder.embed([task] + [f"wants {NEED_WISH[n]}" for n in needs])  # (1 + 8, 384)
    sims = vectors[1:].astype(np.float64) @ vectors[0].astype(np.float64)  # (8,)
    return needs[int(np.argmax(sims))]


class OfflineSentientAgent(SentientAgent):
    """Deterministic, offline Sentient Agent (English profiles only)."""

    name = "offline"

    def __init__(
        self, *, embedder: Embedder | None = None, weights: AppraisalWeights = DEFAULT_WEIGHTS
    ) -> None:
        """``embedder``: defaults to the process-wide all-MiniLM-L6-v2 (loaded on first use).
        ``weights``: the appraisal constants (defaults are the calibrated ones)."""
        self._embedder = embedder
        self.weights = weights
        self._breakdowns: dict[int, ChangeBreakdown] = {}
        self._needs: dict[str, HiddenNeed] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    # -- per-dialogue facts -----------------------------------------------------------------------
    def need_of(self, profile: Profile) -> HiddenNeed:
        if profile.need is not None:
            return profile.need
        if profile.task not in self._needs:
            self._needs[profile.task] = infer_need(profile.task, self.embedder)
        return self._needs[profile.task]

    @staticmethod
    def character_of(profile: Profile) -> CharacterType:
        return profile.character or CharacterType.PASSIVE

    async def reset(self, profile: Profile, preset: Preset, seed: int = 0) -> DialogueState:
        if profile.language != "en":
            raise SimulatorError(
                f"profile {profile.id!r}: the offline simulator speaks English only "
                f"(language {profile.language!r}); use an LLM simulator for other languages"
            )
        return await super().reset(profile, preset, seed)

    # -- hooks ------------------------------------------------------------------------------------
    async def opening(self, state: DialogueState) -> UserReply:
        return opening_message(
            state.profile, self.need_of(state.profile), state.preset.disclosure, state.seed
        )

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        profile, preset = state.profile, state.preset
        need, character = self.need_of(profile), self.character_of(profile)
        earlier = [m.content for m in state.history[:-1] if m.role == "assistant"]
        # Recognition reads what each sentence does, so the event's phrase and the name are neutralised.
        sentences = split_sentences(neutralise(reply, profile.topic, profile.name))
        earlier_sentences = [
            split_sentences(neutralise(text, profile.topic, profile.name)) for text in earlier
        ]
        every = sentences + [s for group in earlier_sentences for s in group]
        vectors = await self.embedder.embed_async(every)  # (N, 384)
        own = vectors[: len(sentences)]
        scored = scores_from_vectors(sentences, own, self.embedder)
        mix = sentence_mix(scored)
        offset, earlier_vectors = len(sentences), []
        for group in earlier_sentences:
            earlier_vectors.append(_mean_unit(vectors[offset : offset + len(group)]))
            offset += len(group)
        features = ReplyFeatures(
            mix=mix,
            turn=state.policy_turns,
            repetition=repetition(
                _mean_unit(own),
                reply,
                np.stack(earlier_vectors) if earlier_vectors else np.zeros((0, 384)),
                earlier,
            ),
            words=word_count(reply),
            garble=garble_score(reply, _Vocabulary(self.embedder.vocabulary(), profile)),
            markers=format_markers(reply),
            echo=need_echo(reply, profile.task),
            copied=copied_share(
                neutralise(reply, profile.topic, profile.name),
                [
                    neutralise(m.content, profile.topic, profile.name)
                    for m in state.history
                    if m.role == "user"
                ],
            ),
        )
        reserved = preset.disclosure == "reserved"
        breakdown = appraise_change(features, need, character, reserved=reserved, weights=self.weights)
        self._remember(state, breakdown)
        return render_appraisal(
            profile,
            need,
            character,
            mix,
            breakdown,
            seed=state.seed,
            turn=state.policy_turns,
            reserved=reserved,
        )

    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        breakdown = self._breakdowns.get(id(state))
        if breakdown is None or breakdown.change != appraisal.change:
            raise SimulatorError("respond() called without a matching appraise() for this dialogue")
        profile = state.profile
        return reply_message(
            profile,
            self.need_of(profile),
            state.preset.disclosure,
            state.seed,
            state.policy_turns,
            state.emotion,
            breakdown,
            said=[m.content for m in state.history if m.role == "user"][-3:],
        )

    def _remember(self, state: DialogueState, breakdown: ChangeBreakdown) -> None:
        key = id(state)
        if key not in self._breakdowns:
            # Forget the dialogue's last breakdown when its state is garbage-collected.
            weakref.finalize(state, self._breakdowns.pop, key, None)
        self._breakdowns[key] = breakdown


class _Vocabulary:
    """English words plus the words of this person's name and topic (names are real words here)."""

    def __init__(self, base: frozenset[str], profile: Profile) -> None:
        self.base = base
        self.extra = frozenset(words(f"{profile.name or ''} {profile.topic or ''}"))

    def __contains__(self, word: object) -> bool:
        return word in self.base or word in self.extra


def _mean_unit(vectors: np.ndarray) -> np.ndarray:
    """Unit-length mean of sentence vectors ``(n, 384) -> (384,)``; zeros for no sentences."""
    if vectors.shape[0] == 0:
        return np.zeros(vectors.shape[1] if vectors.ndim == 2 else 384, dtype=np.float64)
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else mean
