"""The offline appraisal: how much one reply moves the person's emotion. Pure functions, integers out.

    change = round( gain(fit) * damping + reactions + penalties [+ temperament + mood + responsiveness] )

* ``fit`` = sum_s share_s * AFFINITY[need][s]: the reply's strategy mix against what the person
  secretly needs. Shares sum to <= 1, so a reply stuffed with every strategy averages the row
  (about zero or below) instead of adding the good entries up.
* ``gain`` scales fit by the character type: negative and avoidant people react more sharply to a
  miss, and give less for a hit.
* ``reactions`` are specific dislikes (an avoidant person probed early, blame, unsolicited advice
  to someone venting, vague comfort to someone who wants advice...).
* ``penalties`` are what everyone dislikes: repetition, platitudes, garble, walls of text, talking
  about oneself, saying the hidden need back, fake format markers. ``damping`` also shrinks the
  positive gain for the worst of them, so none of these can ever help.
* the bracketed terms are zero in the hand-set weights; the weights fitted to DeepSeek-V3
  (:mod:`.fitted`) use them, and round in steps of five (tricks' penalties in whole steps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rlver.profiles.schema import CharacterType, HiddenNeed
from rlver.simulator.offline.strategies import Strategy

__all__ = [
    "AFFINITY",
    "BEST_STRATEGY",
    "IMPRESSION",
    "TRICK_TERMS",
    "UNVOICED_TERMS",
    "AppraisalWeights",
    "ChangeBreakdown",
    "ReplyFeatures",
    "Term",
    "addresses_need",
    "appraise_change",
    "character_gain",
    "damping",
    "expected_change",
    "impression_points",
    "need_fit",
    "penalty_terms",
    "reaction_terms",
    "round_half_away",
]

S = Strategy
_ROWS: dict[HiddenNeed, tuple[float, ...]] = {
    # columns: listening, reflect, question, advice, others, praise, validation, reflection, dialectical,
    #          platitude, self-disclosure, blame
    HiddenNeed.ANALYSIS: (-0.2, 0.0, 0.2, 0.1, 0.4, -0.3, -0.4, 0.2, 1.0, -0.9, -0.6, -0.6),
    HiddenNeed.ADVICE: (-0.4, -0.1, 0.2, 1.0, 0.1, -0.3, -0.3, -0.1, 0.3, -1.0, -0.5, -0.7),
    HiddenNeed.UNDERSTAND_OTHERS: (-0.2, 0.0, 0.2, -0.2, 1.0, -0.3, -0.3, 0.1, 0.4, -0.9, -0.6, -0.6),
    HiddenNeed.SELF_GROWTH: (-0.1, 0.0, 0.3, 0.0, 0.2, 0.0, -0.5, 1.0, 0.3, -0.9, -0.5, -0.4),
    HiddenNeed.PRAISE: (0.0, 0.2, 0.1, -0.4, -0.3, 1.0, 0.3, -0.3, -0.3, -0.8, -0.6, -1.0),
    HiddenNeed.VENTING: (1.0, 0.5, 0.1, -0.7, -0.5, 0.1, 0.2, -0.4, -0.4, -0.9, -0.7, -1.0),
    HiddenNeed.EMPATHY: (0.4, 1.0, 0.1, -0.4, -0.3, 0.0, 0.1, -0.3, -0.3, -1.0, -0.6, -1.0),
    HiddenNeed.VALIDATION: (0.1, 0.2, 0.0, -0.3, -0.6, 0.3, 1.0, -0.6, -0.4, -0.8, -0.6, -1.0),
}
AFFINITY: dict[HiddenNeed, dict[Strategy, float]] = {
    need: dict(zip(Strategy, row, strict=True)) for need, row in _ROWS.items()
}
"""How well each strategy serves each hidden need, in [-1, 1] (1 = exactly what they want)."""
BEST_STRATEGY: dict[HiddenNeed, Strategy] = {
    need: max(row, key=lambda s: row[s]) for need, row in AFFINITY.items()
}
"""The one strategy that meets each need (affinity 1)."""
_ORDER = {s: i for i, s in enumerate(Strategy)}
IMPRESSION = "overall impression"
"""Name of the impression read-out's term (:func:`impression_points`)."""
UNVOICED_TERMS = frozenset({"mood", "temperament", "takes up what I said", IMPRESSION})
"""Terms that shape the change but are not a reason the person would say out loud."""
TRICK_TERMS = frozenset(("repeats an earlier reply", "hard to make sense of", "strange format markers",
                         "parrots my hidden wish back", "parrots my own words"))  # fmt: skip
"""Penalties of replies that try to game the appraisal (never fitted, never rounded away)."""

REACTION_POINTS: dict[str, float] = {
    "probed too early": 4.0,
    "felt blamed": 5.0,
    "told it was my fault": 5.0,
    "unsolicited advice": 4.0,
    "vague comfort instead of help": 3.0,
    "stock phrase irritates me": 2.0,
}
"""Hand-set points lost per unit share of each specific dislike."""
PENALTY_POINTS: dict[str, float] = {
    "platitude": 3.0,  # per unit share
    "self_disclosure": 3.0,  # per unit share
    "garble": 10.0,  # per unit garble
    "long_per_word": 1.0 / 12.0,  # per word over the limit
    "long_max": 8.0,
    "curt": 2.0,
    "lecture": 0.0,  # per unit of list / heading structure (0: the hand-set simulator ignores layout)
}
"""Hand-set points of the general penalties."""


@dataclass(frozen=True)
class AppraisalWeights:
    """Tunable constants of the appraisal (defaults calibrated in docs/offline-simulator.md)."""

    gain: float = 10.0
    """Change for a perfectly fitting reply (fit = 1) from a passive person."""
    loss: float = 8.0
    """Change magnitude for a fully wrong reply (fit = -1) from a passive person."""
    positive_factor: Mapping[CharacterType, float] = field(
        default_factory=lambda: {
            CharacterType.NEGATIVE: 0.8,
            CharacterType.PASSIVE: 1.0,
            CharacterType.AVOIDANT: 0.85,
        }
    )
    """How much of a good reply's gain each character type lets through."""
    negative_factor: Mapping[CharacterType, float] = field(
        default_factory=lambda: {
            CharacterType.NEGATIVE: 1.5,
            CharacterType.PASSIVE: 1.0,
            CharacterType.AVOIDANT: 1.3,
        }
    )
    """How sharply each character type reacts to a miss."""
    repetition_start: float = 0.86
    """Similarity to an earlier reply above which the reply counts as repeated."""
    repetition_full: float = 0.96
    """Similarity at which the repetition penalty is full and the reply earns nothing."""
    long_reply_words: int = 70
    """Replies longer than this many words start to lose points."""
    echo_start: float = 0.5
    """Share of the hidden need's words repeated back from which the reply counts as an echo."""
    copy_start: float = 0.5
    """Share of the reply copied from the person's messages from which it counts as parroting."""
    affinity: Mapping[HiddenNeed, Mapping[Strategy, float]] = field(default_factory=lambda: AFFINITY)
    """How well each strategy serves each need, in [-1, 1] (the hand-set table by default)."""
    reactions: Mapping[str, float] = field(default_factory=lambda: dict(REACTION_POINTS))
    """Points lost per unit share of each specific dislike (see :func:`reaction_terms`)."""
    penalties: Mapping[str, float] = field(default_factory=lambda: dict(PENALTY_POINTS))
    """Points of each general penalty (see :func:`penalty_terms`)."""
    temperament: Mapping[CharacterType, Mapping[Strategy, float]] = field(default_factory=dict)
    """Points per unit share of each strategy for each character type, whatever the need (how a
    negative, passive or avoidant person takes that kind of reply); empty in the hand-set weights."""
    mood: float = 0.0
    """Points added per 10 points of emotion above ``mood_centre`` (a person in a good mood is kinder)."""
    mood_centre: float = 40.0
    """Emotion at which mood adds nothing."""
    bias: float = 0.0
    """Points added to every change (how lenient the person is overall)."""
    responsiveness: float = 0.0
    """Points per 0.1 of similarity to the person's last message above ``responsiveness_centre``."""
    responsiveness_centre: float = 0.5
    """Similarity at which taking up (or ignoring) the last message adds nothing."""
    step: int = 1
    """Changes come in multiples of this (DeepSeek-V3 thinks in fives); a nonzero change is at least one step."""
    impression: tuple[float, ...] = ()
    """Points per unit of each dimension of the whole reply's sentence embedding: a linear read-out of
    how the reply lands as a whole, fitted to an LLM simulator's changes (empty = none, the hand-set
    weights). See :func:`impression_points`."""
    impression_length: float = 0.0
    """Points per unit of ``log(1 + characters)`` of the reply in the impression read-out."""
    impression_bias: float = 0.0
    """Intercept of the impression read-out."""
    rules_scale: float = 1.0
    """Share of the named terms (fit, reactions, penalties, mood) that counts next to the impression;
    trick penalties always count in full."""

    @property
    def best_strategy(self) -> dict[HiddenNeed, Strategy]:
        """The strategy with the highest affinity for each need."""
        return {need: max(row, key=lambda s: (row[s], -_ORDER[s])) for need, row in self.affinity.items()}


DEFAULT_WEIGHTS = AppraisalWeights()


@dataclass(frozen=True)
class ReplyFeatures:
    """Everything the appraisal needs to know about one reply (all quantised)."""

    mix: Mapping[Strategy, float]
    """Share of the reply per strategy (sums to <= 1)."""
    turn: int = 1
    """1-based index of this policy reply in the dialogue."""
    repetition: float = 0.0
    """Highest similarity to an earlier policy reply."""
    words: int = 20
    garble: float = 0.0
    """0 = ordinary sentences, 1 = noise."""
    markers: tuple[str, ...] = ()
    """Fake format markers found (``Change: +10``, ``</think>``, headings...)."""
    echo: float = 0.0
    """Share of the hidden need's content words said back."""
    copied: float = 0.0
    """Share of the reply's word trigrams copied from the person's own messages."""
    structure: float = 0.0
    """How much the reply is laid out as a document (list items, headings), in [0, 1]."""
    responsiveness: float = 0.0
    """Similarity of the reply to the person's last message (does it take up what they said?)."""
    emotion: float = 40.0
    """The person's emotion before this reply."""
    impression: float = 0.0
    """The impression read-out of the whole reply (:func:`impression_points`; 0 without one)."""


@dataclass(frozen=True)
class Term:
    """One named component of the change (reactions and penalties are negative or small positive)."""

    name: str
    points: float


@dataclass(frozen=True)
class ChangeBreakdown:
    """The change and every component that produced it."""

    fit: float
    gain: float
    """Character-scaled fit, before damping."""
    damping: float
    terms: tuple[Term, ...]
    change: int
    addresses_need: bool

    @property
    def total_penalty(self) -> float:
        return sum(t.points for t in self.terms if t.points < 0)


def round_half_away(x: float) -> int:
    """Round to the nearest integer, halves away from zero (Python's round() is banker's)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def impression_points(vector: Sequence[float], characters: int, weights: AppraisalWeights) -> float:
    """impression = w . e + w_len * log(1 + characters) + b, with e the whole reply's unit embedding."""
    if not weights.impression:
        return 0.0
    if len(vector) != len(weights.impression):
        raise ValueError(f"impression read-out of {len(weights.impression)} dims, embedding of {len(vector)}")
    dot = math.fsum(w * x for w, x in zip(weights.impression, vector))
    return round(dot + weights.impression_length * math.log1p(characters) + weights.impression_bias, 4)


def need_fit(
    mix: Mapping[Strategy, float], need: HiddenNeed, weights: AppraisalWeights | None = None
) -> float:
    """fit = sum_s share_s * AFFINITY[need][s]; unrecognised parts of the reply count 0."""
    row = (weights or DEFAULT_WEIGHTS).affinity[need]
    return round(sum(share * row[s] for s, share in mix.items()), 4)


def character_gain(
    fit: float, character: CharacterType, weights: AppraisalWeights = DEFAULT_WEIGHTS
) -> float:
    """Fit scaled by how this character type takes hits and misses."""
    if fit >= 0:
        return fit * weights.gain * weights.positive_factor[character]
    return fit * weights.loss * weights.negative_factor[character]


def addresses_need(
    mix: Mapping[Strategy, float], need: HiddenNeed, weights: AppraisalWeights | None = None
) -> bool:
    """True if at least half of the reply is the strategy the hidden need calls for."""
    best = BEST_STRATEGY if weights is None else weights.best_strategy
    return mix.get(best[need], 0.0) >= 0.5


def reaction_terms(
    mix: Mapping[Strategy, float],
    need: HiddenNeed,
    character: CharacterType,
    turn: int,
    weights: AppraisalWeights | None = None,
) -> list[Term]:
    """Specific dislikes of this person (character type x need x moment in the dialogue)."""
    points = (weights or DEFAULT_WEIGHTS).reactions
    share = lambda *strategies: sum(mix.get(s, 0.0) for s in strategies)
    found: list[tuple[str, float]] = []
    probing = share(S.OPEN_QUESTION, S.REFLECTION_PROMPT)
    if character is CharacterType.AVOIDANT and turn <= 2 and probing > 0:
        found.append(("probed too early", probing))
    blame = share(S.BLAME)
    if blame > 0 and character is CharacterType.NEGATIVE:
        found.append(("felt blamed", blame))
    if blame > 0 and need is HiddenNeed.VALIDATION:
        found.append(("told it was my fault", blame))
    advice = share(S.ADVICE)
    if advice > 0 and need in (HiddenNeed.VENTING, HiddenNeed.EMPATHY) and turn <= 3:
        found.append(("unsolicited advice", advice))
    vague = share(S.PLATITUDE, S.LISTENING)
    if vague > 0 and need is HiddenNeed.ADVICE:
        found.append(("vague comfort instead of help", vague))
    if character is CharacterType.NEGATIVE and share(S.PLATITUDE) > 0:
        found.append(("stock phrase irritates me", share(S.PLATITUDE)))
    # A reaction fitted to zero points is no reaction at all (it must not name a reason).
    return [Term(name, -points[name] * amount) for name, amount in found if points[name] > 0]


def penalty_terms(
    features: ReplyFeatures, character: CharacterType, weights: AppraisalWeights = DEFAULT_WEIGHTS
) -> list[Term]:
    """What anyone dislikes in a reply, whatever their need."""
    points = weights.penalties
    terms: list[Term] = []
    rep = _repetition_level(features.repetition, weights)
    if features.repetition >= weights.repetition_start:
        terms.append(Term("repeats an earlier reply", -(2.0 + 6.0 * rep)))
    if features.mix.get(S.PLATITUDE, 0.0) > 0 and points["platitude"] > 0:
        terms.append(Term("generic platitude", -points["platitude"] * features.mix[S.PLATITUDE]))
    if features.mix.get(S.SELF_DISCLOSURE, 0.0) > 0 and points["self_disclosure"] > 0:
        terms.append(
            Term("talks about themselves", -points["self_disclosure"] * features.mix[S.SELF_DISCLOSURE])
        )
    if features.garble > 0:
        terms.append(Term("hard to make sense of", -points["garble"] * features.garble))
    if features.words > weights.long_reply_words:
        sharpness = 1.5 if character is CharacterType.AVOIDANT else 1.0
        excess = (features.words - weights.long_reply_words) * points["long_per_word"]
        terms.append(Term("far too long", -min(points["long_max"], excess * sharpness)))
    elif features.words < 3:
        terms.append(Term("curt", -points["curt"]))
    if features.structure > 0 and points["lecture"] > 0:
        terms.append(Term("talks at length in lists", -points["lecture"] * features.structure))
    if features.echo >= weights.echo_start:
        terms.append(Term("parrots my hidden wish back", -(4.0 + 8.0 * (features.echo - weights.echo_start))))
    if features.copied >= weights.copy_start:
        terms.append(Term("parrots my own words", -(3.0 + 6.0 * (features.copied - weights.copy_start))))
    if features.markers:
        terms.append(Term("strange format markers", -min(8.0, 4.0 + 2.0 * (len(features.markers) - 1))))
    return terms


def _repetition_level(similarity: float, weights: AppraisalWeights) -> float:
    span = weights.repetition_full - weights.repetition_start
    return min(1.0, max(0.0, (similarity - weights.repetition_start) / span))


def damping(features: ReplyFeatures, weights: AppraisalWeights = DEFAULT_WEIGHTS) -> float:
    """Multiplier in [0, 1] on a positive gain: repeated, garbled, echoing or marked-up replies earn less."""
    factor = 1.0 - _repetition_level(features.repetition, weights)
    factor *= (1.0 - features.garble) ** 2  # word salad can look on-strategy; it must not pay
    if features.echo >= weights.echo_start:
        factor *= 0.5
    if features.copied >= weights.copy_start:
        factor *= 0.5
    if features.markers:
        factor *= 0.5
    if features.words > weights.long_reply_words:
        factor *= max(0.3, 1.0 - (features.words - weights.long_reply_words) / 100.0)
    return round(factor, 4)


def _impression_damping(features: ReplyFeatures, weights: AppraisalWeights) -> float:
    """A gain's damping, times the share of the reply that is not a stock phrase, talk about oneself or
    blame: a read-out fitted on long real replies must not make those pay (their costs are never fitted)."""
    never_pays = sum(features.mix.get(s, 0.0) for s in (S.PLATITUDE, S.SELF_DISCLOSURE, S.BLAME))
    return damping(features, weights) * max(0.0, 1.0 - never_pays)


def appraise_change(
    features: ReplyFeatures,
    need: HiddenNeed,
    character: CharacterType,
    *,
    reserved: bool = False,
    weights: AppraisalWeights = DEFAULT_WEIGHTS,
) -> ChangeBreakdown:
    """The signed integer change of one reply, with its breakdown.

    ``reserved`` (preset disclosure ``reserved``): only replies that clearly address the hidden
    need can raise the emotion; anything else earns at most 0 from fit.
    """
    fit = need_fit(features.mix, need, weights)
    gain = character_gain(fit, character, weights)
    hits = addresses_need(features.mix, need, weights)
    if reserved and not hits:
        gain = min(gain, 0.0)
    damp = damping(features, weights) if gain > 0 else 1.0
    terms = reaction_terms(features.mix, need, character, features.turn, weights) + penalty_terms(
        features, character, weights
    )
    table = weights.temperament.get(character, {})
    temper = sum(share * table.get(s, 0.0) for s, share in features.mix.items())
    if temper:
        terms.append(Term("temperament", round(temper, 4)))
    # Mood and leniency are not reasons a person voices; they are kept apart from the named terms.
    mood = weights.mood * (features.emotion - weights.mood_centre) / 10.0 + weights.bias
    if mood:
        terms.append(Term("mood", round(mood, 4)))
    heard = weights.responsiveness * (features.responsiveness - weights.responsiveness_centre) * 10.0
    if heard:
        name = "takes up what I said" if heard > 0 else "ignores what I just said"
        terms.append(Term(name, round(heard, 4)))
    if features.impression:  # a positive impression is damped like a gain: tricks must not pay
        points = features.impression * (
            _impression_damping(features, weights) if features.impression > 0 else 1.0
        )
        terms.append(Term(IMPRESSION, round(points, 4)))
    total = gain * damp + sum(t.points for t in terms)  # change = gain * damping + every term
    if (
        weights.rules_scale != 1.0
    ):  # scale * (gain * damping + reactions + penalties + mood) + tricks + impression
        kept = sum(t.points for t in terms if t.name in TRICK_TERMS or t.name == IMPRESSION)
        total = weights.rules_scale * (total - kept) + kept
    terms = tuple(terms)
    change = round_half_away(round(total, 6))
    if weights.step > 1:
        change = _in_steps(total, terms, weights.step)
    return ChangeBreakdown(
        fit=fit, gain=round(gain, 4), damping=damp, terms=terms, change=change, addresses_need=hits
    )


def _in_steps(total: float, terms: tuple[Term, ...], step: int) -> int:
    """The change in whole steps (a nonzero change is at least one step).

    A trick's penalty (repetition, garble, fake markers, echo, parroting) is taken in whole steps of
    its own, after the rest is rounded: rounding to steps of five must never swallow it.
    """
    tricks = sum(t.points for t in terms if t.name in TRICK_TERMS)
    rest = total - tricks
    change = (
        0
        if round(rest, 6) == 0
        else int(math.copysign(step * max(1, round_half_away(abs(rest) / step)), rest))
    )
    return change - step * math.ceil(round(-tricks, 6) / step) if tricks < 0 else change


def expected_change(
    strategy: Strategy, need: HiddenNeed, character: CharacterType, turn: int, *, reserved: bool = False
) -> int:
    """Change for a clean, focused reply made of one strategy (what an ideal supporter plans with)."""
    return appraise_change(
        ReplyFeatures(mix={strategy: 1.0}, turn=turn), need, character, reserved=reserved
    ).change
