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
from dataclasses import replace
from typing import Any

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
    impression_points,
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
from rlver.simulator.offline.fitted import fitted_weights
from rlver.simulator.offline.language import chinese_texts
from rlver.simulator.offline.multilingual import get_multilingual_embedder
from rlver.simulator.offline.recognise import scores_from_vectors, sentence_mix, sentences_of
from rlver.simulator.offline.replies import opening_message, reply_message
from rlver.simulator.offline.text import neutralise, quantise
from rlver.simulator.offline.zh_features import (
    copied_share_zh,
    format_markers_zh,
    garble_score_zh,
    length_units,
    need_echo_zh,
    structure,
)
from rlver.simulator.presets import Preset

__all__ = ["IMPRESSION_CHARS", "OfflineSentientAgent", "infer_need"]

IMPRESSION_CHARS = 2000
"""Characters of a reply the impression read-out embeds (a longer reply is judged by its start)."""


def infer_need(task: str, embedder: Embedder | None = None, language: str = "en") -> HiddenNeed:
    """The hidden need closest in meaning to a free-text ``task`` (for profiles without ``need``)."""
    if language == "zh":
        embedder = embedder or get_multilingual_embedder()
        wishes = chinese_texts().need_wish
        needs = list(wishes)
        vectors = embedder.embed([task] + [f"你想要{wishes[n]}" for n in needs])  # (1 + 8, D)
    else:
        embedder = embedder or get_embedder()
        needs = list(NEED_WISH)
        vectors = embedder.embed([task] + [f"wants {NEED_WISH[n]}" for n in needs])  # (1 + 8, D)
    sims = vectors[1:].astype(np.float64) @ vectors[0].astype(np.float64)  # (8,)
    return needs[int(np.argmax(sims))]


class OfflineSentientAgent(SentientAgent):
    """Deterministic, offline Sentient Agent (English and Chinese profiles)."""

    name = "offline"

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        weights: AppraisalWeights | None = None,
        zh_embedder: Embedder | None = None,
        zh_weights: AppraisalWeights | None = None,
    ) -> None:
        """``embedder``: English sentences; defaults to the process-wide all-MiniLM-L6-v2.
        ``weights``: the appraisal constants of English profiles (default: the hand-set ones).
        ``zh_embedder``: Chinese sentences; defaults to USE multilingual v3 (loaded on first use).
        ``zh_weights``: Chinese profiles' constants (default: those fitted to DeepSeek-V3's SAGE
        appraisals, ``data/sage_fit.json``; ``weights`` when only that is given)."""
        self._embedder = embedder
        self._zh_embedder = zh_embedder
        self.weights = weights or DEFAULT_WEIGHTS
        self._zh_weights = zh_weights or weights
        self._breakdowns: dict[int, ChangeBreakdown] = {}
        self._needs: dict[tuple[str, str], HiddenNeed] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def embedder_for(self, language: str) -> Embedder:
        """The sentence embedder that reads ``language``."""
        if language != "zh":
            return self.embedder
        if self._zh_embedder is None:
            self._zh_embedder = get_multilingual_embedder()
        return self._zh_embedder

    def weights_for(self, language: str) -> AppraisalWeights:
        """The appraisal constants used for a profile in ``language``."""
        if language != "zh":
            return self.weights
        if self._zh_weights is None:
            self._zh_weights = fitted_weights()
        return self._zh_weights

    # -- per-dialogue facts -----------------------------------------------------------------------
    def need_of(self, profile: Profile) -> HiddenNeed:
        if profile.need is not None:
            return profile.need
        key = (profile.language, profile.task)
        if key not in self._needs:
            language = profile.language
            self._needs[key] = infer_need(profile.task, self.embedder_for(language), language)
        return self._needs[key]

    @staticmethod
    def character_of(profile: Profile) -> CharacterType:
        return profile.character or CharacterType.PASSIVE

    async def reset(self, profile: Profile, preset: Preset, seed: int = 0) -> DialogueState:
        if profile.language not in ("en", "zh"):
            raise SimulatorError(
                f"profile {profile.id!r}: the offline simulator speaks English and Chinese only "
                f"(language {profile.language!r}); use an LLM simulator for other languages"
            )
        return await super().reset(profile, preset, seed)

    # -- hooks ------------------------------------------------------------------------------------
    async def opening(self, state: DialogueState) -> UserReply:
        return opening_message(
            state.profile, self.need_of(state.profile), state.preset.disclosure, state.seed
        )

    async def reply_features(
        self, state: DialogueState, reply: str, *, responsiveness: bool = True
    ) -> ReplyFeatures:
        """Everything the appraisal reads about ``reply`` (the last assistant message of ``state``).

        ``responsiveness``: also compare it with the person's last message (skipped, and left 0,
        when the weights in use give that no points: it costs embedding the message)."""
        profile = state.profile
        language = profile.language
        embedder = self.embedder_for(language)
        earlier = [m.content for m in state.history[:-1] if m.role == "assistant"]
        said = [m.content for m in state.history if m.role == "user"]
        # Recognition reads what each sentence does, so the event's phrase and the name are neutralised.
        sentences = sentences_of(reply, language, topic=profile.topic, name=profile.name)
        earlier_sentences = [
            sentences_of(t, language, topic=profile.topic, name=profile.name) for t in earlier
        ]
        # What the person said last (before this reply): a reply that takes it up is a reply to them.
        last_said = (
            sentences_of(said[-1], language, topic=profile.topic, name=profile.name)
            if said and responsiveness
            else []
        )
        every = sentences + [s for group in earlier_sentences for s in group] + last_said
        vectors = await embedder.embed_async(every)  # (N, D)
        own = vectors[: len(sentences)]
        mix = sentence_mix(scores_from_vectors(sentences, own, embedder, language))
        offset, earlier_vectors = len(sentences), []
        for group in earlier_sentences:
            earlier_vectors.append(_mean_unit(vectors[offset : offset + len(group)], embedder.dim))
            offset += len(group)
        stacked = np.stack(earlier_vectors) if earlier_vectors else np.zeros((0, embedder.dim))
        features = ReplyFeatures(
            mix=mix,
            turn=state.policy_turns,
            repetition=repetition(_mean_unit(own, embedder.dim), reply, stacked, earlier),
            structure=structure(reply),
            responsiveness=_similarity(own, vectors[len(vectors) - len(last_said) :], embedder.dim),
            emotion=state.emotion,
            **(
                _chinese_surface(reply, profile, said)
                if language == "zh"
                else _english_surface(reply, profile, said, embedder)
            ),
        )
        return features

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        profile, preset = state.profile, state.preset
        need, character = self.need_of(profile), self.character_of(profile)
        weights = self.weights_for(profile.language)
        features = await self.reply_features(state, reply, responsiveness=weights.responsiveness != 0)
        if weights.impression:
            vector = await self.impression_vector(reply)
            features = replace(features, impression=impression_points(vector, len(reply), weights))
        mix = features.mix
        reserved = preset.disclosure == "reserved"
        breakdown = appraise_change(features, need, character, reserved=reserved, weights=weights)
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
            best_strategy=weights.best_strategy,
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

    async def impression_vector(self, reply: str) -> np.ndarray:
        """The whole reply's embedding (its first ``IMPRESSION_CHARS`` characters), which the
        impression read-out weighs (:func:`~rlver.simulator.offline.appraisal.impression_points`).
        Always the multilingual encoder, whatever the language: the read-out was fitted on it."""
        return (await self.embedder_for("zh").embed_async([reply[:IMPRESSION_CHARS]]))[0]

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


def _english_surface(reply: str, profile: Profile, said: list[str], embedder: Embedder) -> dict[str, Any]:
    """Length, garble, markers, need echo and copying of an English reply."""
    return {
        "words": word_count(reply),
        "garble": garble_score(reply, _Vocabulary(embedder.vocabulary(), profile)),
        "markers": format_markers(reply),
        "echo": need_echo(reply, profile.task),
        "copied": copied_share(
            neutralise(reply, profile.topic, profile.name),
            [neutralise(m, profile.topic, profile.name) for m in said],
        ),
    }


def _chinese_surface(reply: str, profile: Profile, said: list[str]) -> dict[str, Any]:
    """The same features of a Chinese reply, measured on characters."""
    return {
        "words": length_units(reply),
        "garble": garble_score_zh(reply),
        "markers": format_markers_zh(reply),
        "echo": need_echo_zh(reply, profile.task),
        "copied": copied_share_zh(reply, said),
    }


def _similarity(a: np.ndarray, b: np.ndarray, dim: int) -> float:
    """Cosine of the mean sentence vectors of two texts (0 when either has no sentence), quantised."""
    if a.shape[0] == 0 or b.shape[0] == 0:
        return 0.0
    return quantise(float(_mean_unit(a, dim) @ _mean_unit(b, dim)))


def _mean_unit(vectors: np.ndarray, dim: int = 384) -> np.ndarray:
    """Unit-length mean of sentence vectors ``(n, D) -> (D,)``; zeros for no sentences."""
    if vectors.shape[0] == 0:
        return np.zeros(dim, dtype=np.float64)
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else mean
