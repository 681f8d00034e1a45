"""Semantic strategy recognition: which support strategies a reply uses, and how much of it.

A reply is split into sentences; each sentence is embedded and compared with every strategy's
prototypes (score = mean cosine similarity of the ``TOP_K`` nearest prototypes). A sentence counts
for the strategy it is closest to, if that score clears ``MIN_SCORE``; otherwise it is
"unrecognised" (filler, garble, off-topic). The reply's *mix* is the share of its sentences per
strategy, so stuffing many strategies into one reply spreads it thin instead of adding up.

Scores are quantised to two decimals so that appraisals are bit-identical across machines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rlver.simulator.offline.embedder import Embedder, get_embedder
from rlver.simulator.offline.strategies import PROTOTYPES, Strategy
from rlver.simulator.offline.text import neutralise, quantise, split_sentences

__all__ = [
    "MIN_SCORE",
    "MIN_SCORE_BY_LANGUAGE",
    "TOP_K",
    "SentenceScore",
    "label",
    "prototypes_for",
    "quantise",
    "recognise",
    "score_sentences",
    "scores_from_vectors",
    "sentence_mix",
    "sentences_of",
    "split_sentences",
]

TOP_K = 3
"""A sentence's score for a strategy is the mean similarity of its ``TOP_K`` nearest prototypes."""
MIN_SCORE = 0.35
"""Below this best score a sentence is unrecognised (it dilutes the reply's mix)."""
MIN_SCORE_BY_LANGUAGE = {"en": MIN_SCORE, "zh": 0.33}
"""The threshold per language: long real Chinese sentences score lower against short prototypes."""


@dataclass(frozen=True)
class SentenceScore:
    """One sentence and its quantised similarity to every strategy."""

    text: str
    scores: Mapping[Strategy, float]
    weight: float
    """How much the sentence counts in the mix (very short fragments count half)."""
    min_score: float = MIN_SCORE
    """Best score below which the sentence is unrecognised."""

    @property
    def best(self) -> Strategy | None:
        strategy, score = max(self.scores.items(), key=lambda kv: (kv[1], -_ORDER[kv[0]]))
        return strategy if score >= self.min_score else None


_ORDER = {s: i for i, s in enumerate(Strategy)}
_CJK = re.compile(r"[\u3400-\u9fff]")


def prototypes_for(language: str) -> Mapping[Strategy, Sequence[str]]:
    """The prototype sentences of each strategy in ``language`` (``en`` or ``zh``)."""
    if language == "zh":
        from rlver.simulator.offline.language import chinese_strategies

        return chinese_strategies().prototypes
    return PROTOTYPES


def sentences_of(
    text: str, language: str = "en", *, topic: str | None = None, name: str | None = None
) -> list[str]:
    """The sentences recognition reads, with the event's phrase and the person's name neutralised."""
    if language == "zh":
        from rlver.simulator.offline.zh_features import neutralise_zh, split_sentences_zh

        return split_sentences_zh(neutralise_zh(text, name))
    return split_sentences(neutralise(text, topic, name))


class _PrototypeIndex:
    def __init__(self, embedder: Embedder, language: str) -> None:
        prototypes = prototypes_for(language)
        self.strategies = list(prototypes)
        self.matrices = [embedder.embed(prototypes[s]) for s in self.strategies]  # each (P_s, D)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Top-k mean cosine similarity. ``vectors`` (N, D) -> (N, S)."""
        out = np.zeros((vectors.shape[0], len(self.strategies)), dtype=np.float64)
        for j, protos in enumerate(self.matrices):
            sims = vectors.astype(np.float64) @ protos.astype(np.float64).T  # (N, P_s) cosine
            k = min(TOP_K, sims.shape[1])
            top = -np.sort(-sims, axis=1)[:, :k]  # (N, k)
            out[:, j] = top.mean(axis=1)
        return out


_INDEXES: dict[tuple[int, str], _PrototypeIndex] = {}


def _index(embedder: Embedder, language: str) -> _PrototypeIndex:
    key = (id(embedder), language)
    if key not in _INDEXES:
        _INDEXES[key] = _PrototypeIndex(embedder, language)
    return _INDEXES[key]


def _sentence_weight(sentence: str) -> float:
    if _CJK.search(sentence):  # no spaces in Chinese: a fragment is a few characters
        return 0.5 if len(sentence) <= 4 else 1.0
    return 0.5 if len(sentence.split()) <= 2 else 1.0


def scores_from_vectors(
    sentences: Sequence[str], vectors: np.ndarray, embedder: Embedder, language: str = "en"
) -> list[SentenceScore]:
    """Quantised strategy scores for already-embedded sentences."""
    index = _index(embedder, language)
    raw = index.scores(vectors) if len(sentences) else np.zeros((0, len(index.strategies)))
    return [
        SentenceScore(
            text=sentence,
            scores={s: quantise(float(raw[i, j])) for j, s in enumerate(index.strategies)},
            weight=_sentence_weight(sentence),
            min_score=MIN_SCORE_BY_LANGUAGE.get(language, MIN_SCORE),
        )
        for i, sentence in enumerate(sentences)
    ]


def score_sentences(
    text: str,
    embedder: Embedder | None = None,
    *,
    topic: str | None = None,
    name: str | None = None,
    language: str = "en",
) -> list[SentenceScore]:
    """Split ``text`` into sentences and score each against every strategy.

    ``topic`` (the person's phrase for the event) and ``name``, when known, are neutralised first.
    ``language`` ``zh`` reads Chinese (its prototypes; pass the multilingual embedder).
    """
    embedder = embedder or get_embedder()
    sentences = sentences_of(text, language, topic=topic, name=name)
    return scores_from_vectors(sentences, embedder.embed(sentences), embedder, language)


def sentence_mix(scored: Sequence[SentenceScore]) -> dict[Strategy, float]:
    """Share of the reply per strategy (quantised); the rest of the reply is unrecognised.

    >>> sentence_mix([])
    {}
    """
    total = sum(s.weight for s in scored)
    if total <= 0:
        return {}
    mix: dict[Strategy, float] = {}
    for sentence in scored:
        best = sentence.best
        if best is not None:
            mix[best] = mix.get(best, 0.0) + sentence.weight / total
    return {s: quantise(v) for s, v in sorted(mix.items(), key=lambda kv: _ORDER[kv[0]])}


def recognise(
    text: str,
    embedder: Embedder | None = None,
    *,
    topic: str | None = None,
    name: str | None = None,
    language: str = "en",
) -> dict[Strategy, float]:
    """The strategy mix of a reply: ``{strategy: share of its sentences}`` (shares sum to <= 1)."""
    return sentence_mix(score_sentences(text, embedder, topic=topic, name=name, language=language))


def label(
    text: str,
    embedder: Embedder | None = None,
    *,
    topic: str | None = None,
    name: str | None = None,
    language: str = "en",
) -> Strategy | None:
    """The reply's dominant strategy, or ``None`` if no sentence is recognised."""
    mix = recognise(text, embedder, topic=topic, name=name, language=language)
    if not mix:
        return None
    return max(mix.items(), key=lambda kv: (kv[1], -_ORDER[kv[0]]))[0]
