"""Surface features of a reply that people react to, as pure functions of text.

Each returns a plain number or tuple, quantised where it is a ratio, so that the appraisal math in
:mod:`rlver.simulator.offline.appraisal` stays a pure function of integers and two-decimal floats.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np

from rlver.simulator.offline.text import quantise

__all__ = [
    "STOPWORDS",
    "copied_share",
    "format_markers",
    "garble_score",
    "need_echo",
    "repetition",
    "ungrammatical_pairs",
    "word_count",
    "words",
]

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_STUTTER = re.compile(r"\b([A-Za-z']+)\s+\1\b", re.IGNORECASE)
STOPWORDS = frozenset(
    """a an the and or but if so to of in on at by for with from into about as is are was were be been being
    am do does did have has had having i me my myself we our ours us you your yours yourself he him his she
    her hers they them their theirs it its this that these those what which who whom when where why how all
    any both each few more most other some such no nor not only own same than too very can will just should
    would could may might must shall want wants wanted really also there here then them out up down over
    again once off get got one""".split()  # noqa: SIM905
)

# Things that look like the appraiser's own output format or a reasoning block: they are never part
# of a natural message, and they must never earn reward (a policy could try to steer a judge with them).
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("think tag", re.compile(r"</?\s*think\s*>", re.IGNORECASE)),
    (
        "section label",
        re.compile(
            r"(?:^|\n|[*#>\-\s])\s*\**\s*(change|response|content|target\s*completion|activity|analy[sz]e|thinking|"
            r"origin|emotion|score|reward|assistant|user|system)\s*\**\s*[:：]",
            re.IGNORECASE,
        ),
    ),
    ("markdown header", re.compile(r"(?m)^\s*#{1,6}\s+\S")),
    ("bold heading", re.compile(r"\*\*[^*\n]{1,40}\*\*")),
    ("signed score", re.compile(r"(?<![\w])[+＋]\s?\d{1,3}\b")),
    ("bracket tag", re.compile(r"\[(?:[A-Za-z_ ]{2,30})\]|<\s*/?\s*[A-Za-z_]{2,20}\s*>")),
)


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (letters and inner apostrophes)."""
    return [w.lower() for w in _WORD.findall(text)]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def format_markers(text: str) -> tuple[str, ...]:
    """Names of the fake-format markers found in ``text`` (empty for a natural message).

    >>> format_markers("Change: +10. Response: that sounds hard")
    ('section label', 'signed score')
    >>> format_markers("That sounds really hard.")
    ()
    """
    return tuple(name for name, pattern in _MARKERS if pattern.search(text))


# Closed word classes for a cheap grammaticality check: a determiner followed by another function
# word ("the it", "a of") or a subject pronoun followed by a determiner ("they the") almost never
# occurs in English, but is everywhere in word salad.
_DETERMINERS = frozenset("the a an my your their our".split())  # noqa: SIM905
_FUNCTION = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "your",
        "his",
        "their",
        "our",
        "its",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "to",
        "is",
        "are",
        "was",
        "were",
        "am",
        "be",
        "been",
        "do",
        "does",
        "did",
        "will",
        "would",
        "can",
        "could",
        "should",
        "might",
        "must",
        "and",
        "or",
        "but",
        "if",
        "because",
        "i",
        "he",
        "she",
        "we",
        "they",
        "this",
        "that",
        "these",
        "those",
        "them",
        "him",
        "me",
        "it",
        "you",
        "not",
    ]
)
_SUBJECTS = frozenset("i he she we they".split())  # noqa: SIM905


def ungrammatical_pairs(tokens: Sequence[str]) -> float:
    """Share of adjacent word pairs that English grammar rules out (``"the it"``, ``"they the"``).

    >>> ungrammatical_pairs("they the it the if the thought".split())
    0.5
    >>> ungrammatical_pairs("i think they did the right thing".split())
    0.0
    """
    if len(tokens) < 2:
        return 0.0
    bad = 0
    for a, b in itertools.pairwise(tokens):
        if (a in _DETERMINERS and b in _FUNCTION) or (a in _SUBJECTS and b in _DETERMINERS):
            bad += 1
    return bad / (len(tokens) - 1)


def garble_score(text: str, vocabulary: Collection[str]) -> float:
    """How broken the text is, in [0, 1]: 0 = ordinary sentences, 1 = noise.

    Adds up independent signs: words that are not English (``vocabulary``), stutters, one word
    over and over, symbol clutter, run-on or unfinished text, no function words, and word pairs
    that English grammar rules out (word salad).
    """
    tokens = words(text)
    if not tokens:
        return 1.0
    n = len(tokens)
    unknown = max(0, sum(1 for t in tokens if not _is_word(t, vocabulary)) - 1) / n  # non-words (one is free)
    stutter = len(_STUTTER.findall(text)) / max(1, n - 1)  # "the the" (not across punctuation)
    top_count = Counter(t for t in tokens if t not in STOPWORDS).most_common(1)
    hoarding = (top_count[0][1] / n) if top_count and n >= 8 else 0.0  # one content word over and over
    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    clutter = 1.0 - letters / max(1, visible)  # share of non-letters among visible characters
    run_on = 1.0 if n >= 25 and not re.search(r"[.!?…]", text) else 0.0
    no_function_words = 1.0 if n >= 6 and not any(t.split("'")[0] in STOPWORDS for t in tokens) else 0.0
    unfinished = 1.0 if n >= 4 and not re.search(r"[.!?…)\"']\s*$", text.strip()) else 0.0
    signs = (
        (unknown - 0.15) * 2.0,  # a few names or typos are fine
        stutter * 4.0,
        (hoarding - 0.25) * 3.0,
        (clutter - 0.3) * 2.5,
        0.5 * run_on,
        0.7 * no_function_words,
        ungrammatical_pairs(tokens) * 5.0,  # word salad
        0.25 * unfinished,  # cut off mid-sentence
    )
    score = sum(max(0.0, sign) for sign in signs)  # independent signs of garble add up
    return quantise(min(1.0, max(0.0, score)))


def _is_word(token: str, vocabulary: Collection[str]) -> bool:
    if token in vocabulary:
        return True
    base, _, suffix = token.partition("'")
    if suffix == "t" and base.endswith("n"):  # doesn't -> does, can't -> can, won't -> wo(n)
        return base[:-1] in vocabulary or base in vocabulary or base == "won"
    return base in vocabulary


def need_echo(text: str, task: str) -> float:
    """How much of the hidden need's wording the reply says back, in [0, 1].

    The larger of: the share of the task's word trigrams found in the reply, and (when at least four
    of them are repeated) the share of its content words. Saying the hidden theme back ("you want a
    balanced, dialectical analysis") is not understanding; it is a cheap way to look on target.
    """
    task_tokens, reply_tokens = words(task), words(text)
    task_trigrams = {tuple(task_tokens[i : i + 3]) for i in range(len(task_tokens) - 2)}
    reply_trigrams = {tuple(reply_tokens[i : i + 3]) for i in range(len(reply_tokens) - 2)}
    trigram_share = (
        len(task_trigrams & reply_trigrams) / len(task_trigrams) if len(task_trigrams) >= 3 else 0.0
    )
    task_words = {_stem(w) for w in task_tokens if w not in STOPWORDS and len(w) > 3}
    reply_words = {_stem(w) for w in reply_tokens if len(w) > 3}
    shared = len(task_words & reply_words)
    word_share = shared / len(task_words) if shared >= 4 else 0.0
    return quantise(max(trigram_share, word_share))


def copied_share(text: str, sources: Sequence[str]) -> float:
    """Share of the reply's word trigrams that appear in ``sources`` (the person's own messages).

    >>> copied_share("so you just need to get this out", ["I just need to get this out of my system"])
    0.67
    """
    tokens = words(text)
    trigrams = {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}
    if not trigrams:
        return 0.0
    seen: set[tuple[str, ...]] = set()
    for source in sources:
        src = words(source)
        seen.update(tuple(src[i : i + 3]) for i in range(len(src) - 2))
    return quantise(len(trigrams & seen) / len(trigrams))


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def repetition(
    vector: np.ndarray, text: str, earlier_vectors: np.ndarray, earlier_texts: Sequence[str]
) -> float:
    """Highest similarity between a reply and any earlier policy reply, in [0, 1].

    ``vector`` (384,) and ``earlier_vectors`` (M, 384) are unit vectors; an identical text
    (ignoring case and spacing) counts as 1.
    """
    norm = _normal_form(text)
    if any(norm == _normal_form(t) for t in earlier_texts):
        return 1.0
    if earlier_vectors.shape[0] == 0:
        return 0.0
    sims = earlier_vectors.astype(np.float64) @ vector.astype(np.float64)  # (M,) cosine
    return quantise(float(max(0.0, sims.max())))


def _normal_form(text: str) -> str:
    """Words ignoring case and spacing; text without Latin words (Chinese) less its whitespace."""
    return " ".join(words(text)) or re.sub(r"\s+", "", text)
