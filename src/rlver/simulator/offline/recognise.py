"""Semantic strategy recognition: which support strategies a reply uses, and how much of it.

A reply is split into sentences; each sentence is embedded and compared with every strategy's
prototypes (score = mean cosine similarity of the ``TOP_K`` nearest prototypes). A sentence counts
for the strategy it is closest to, if that score clears ``MIN_SCORE``; otherwise it is
"unrecognised" (filler, garble, off-topic). The reply's *mix* is the share of its sentences per
strategy, so stuffing many strategies into one reply spreads it thin instead of adding up.

Scores are quantised to two decimals so that appraisals are bit-identical across machines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rlver.simulator.offline.embedder import Embedder, get_embedder
from rlver.simulator.offline.strategies import PROTOTYPES, Strategy
from rlver.simulator.offline.text import neutralise, quantise, split_sentences

__all__ = [
    "MIN_SCORE",
    "TOP_K",
    "SentenceScore",
    "label",
    "quantise",
    "recognise",
    "score_sentences",
    "scores_from_vectors",
    "sentence_mix",
    "split_sentences",
]

TOP_K = 3
"""A sentence's score for a strategy is the mean similarity of its ``TOP_K`` nearest prototypes."""
MIN_SCORE = 0.35
"""Below this best score a sentence is unrecognised (it dilutes the reply's mix)."""


@dataclass(frozen=True)
class SentenceScore:
    """One sentence and its quantised similarity to every strategy."""

    text: str
    scores: Mapping[Strategy, float]
    weight: float
    """How much the sentence counts in the mix (very short fragments count half)."""

    @property
    def best(self) -> Strategy | None:
        strategy, score = max(self.scores.items(), key=lambda kv: (kv[1], -_ORDER[kv[0]]))
        return strategy if score >= MIN_SCORE else None


_ORDER = {s: i for i, s in enumerate(Strategy)}


class _PrototypeIndex:
    def __init__(self, embedder: Embedder) -> None:
        self.strategies = list(PROTOTYPES)
        self.matrices = [embedder.embed(PROTOTYPES[s]) for s in self.strategies]  # each (P_s, 384)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Top-k mean cosine similarity. ``vectors`` (N, 384) -> (N, S)."""
        out = np.zeros((vectors.shape[0], len(self.strategies)), dtype=np.float64)
        for j, protos in enumerate(self.matrices):
            sims = vectors.astype(np.float64) @ protos.astype(np.float64).T  # (N, P_s) cosine
            k = min(TOP_K, sims.shape[1])
            top = -np.sort(-sims, axis=1)[:, :k]  # (N, k)
            out[:, j] = top.mean(axis=1)
        return out


_INDEXES: dict[int, _PrototypeIndex] = {}


def _index(embedder: Embedder) -> _PrototypeIndex:
    key = id(embedder)
    if key not in _INDEXES:
        _INDEXES[key] = _PrototypeIndex(embedder)
    return _INDEXES[key]


def _sentence_weight(sentence: str) -> float:
    return 0.5 if len(sentence.split()) <= 2 else 1.0


def scores_from_vectors(
    sentences: Sequence[str], vectors: np.ndarray, embedder: Embedder
) -> list[SentenceScore]:
    """Quantised strategy scores for already-embedded sentences."""
    index = _index(embedder)
    raw = index.scores(vectors) if len(sentences) else np.zeros((0, len(index.strategies)))
    return [
        SentenceScore(
            text=sentence,
            scores={s: quantise(float(raw[i, j])) for j, s in enumerate(index.strategies)},
            weight=_sentence_weight(sentence),
        )
        for i, sentence in enumerate(sentences)
    ]


def score_sentences(
    text: str, embedder: Embedder | None = None, *, topic: str | None = None, name: str | None = None
) -> list[SentenceScore]:
    """Split ``text`` into sentences and score each against every strategy.

    ``topic`` (the person's phrase for the event) and ``name``, when known, are neutralised first.
    """
    embedder = embedder or get_embedder()
    sentences = split_sentences(neutralise(text, topic, name))
    return scores_from_vectors(sentences, embedder.embed(sentences), embedder)


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
    text: str, embedder: Embedder | None = None, *, topic: str | None = None, name: str | None = None
) -> dict[Strategy, float]:
    """The strategy mix of a reply: ``{strategy: share of its sentences}`` (shares sum to <= 1)."""
    return sentence_mix(score_sentences(text, embedder, topic=topic, name=name))


def label(
    text: str, embedder: Embedder | None = None, *, topic: str | None = None, name: str | None = None
) -> Strategy | None:
    """The reply's dominant strategy, or ``None`` if no sentence is recognised."""
    mix = recognise(text, embedder, topic=topic, name=name)
    if not mix:
        return None
    return max(mix.items(), key=lambda kv: (kv[1], -_ORDER[kv[0]]))[0]
