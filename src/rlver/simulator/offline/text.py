"""Small text helpers shared by recognition, features and the reference composer."""

from __future__ import annotations

import re

import numpy as np

__all__ = ["neutralise", "quantise", "split_sentences", "to_second_person"]

_SPLIT = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+|(?<=[;:])\s+(?=[A-Z])")
_PERSON = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "we": "you", "us": "you",
    "our": "your", "ours": "yours", "ourselves": "yourselves", "i'm": "you're", "i've": "you've",
    "i'd": "you'd", "i'll": "you'll", "am": "are",
}  # fmt: skip
_PERSON_WORD = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in sorted(_PERSON, key=len, reverse=True)) + r")\b", re.IGNORECASE
)


def quantise(x: float, step: float = 0.01) -> float:
    """Round to a grid of ``step`` (half away from zero), so tiny float differences vanish.

    >>> quantise(0.12499999), quantise(-0.125)
    (0.12, -0.13)
    """
    q = np.floor(abs(x) / step + 0.5) * step
    return float(round(q if x >= 0 else -q, 6))


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (at ``.!?``, line breaks, and ``:``/``;`` before a capital)."""
    parts = (p.strip() for p in _SPLIT.split(text.strip()))
    return [p for p in parts if p and re.search(r"\w", p)]


def to_second_person(phrase: str) -> str:
    """Rewrite the person's own phrase for the supporter: "my sister" -> "your sister".

    >>> to_second_person("the argument with my sister about our house")
    'the argument with your sister about your house'
    """

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        out = _PERSON[word.lower()]
        return out.capitalize() if word[0].isupper() and word.lower() != "i" else out

    return _PERSON_WORD.sub(swap, phrase)


def neutralise(text: str, topic: str | None = None, name: str | None = None) -> str:
    """Replace the event's phrase with "this" and drop the person's name, before recognition.

    Recognition is about what a sentence *does* (comfort, ask, advise), not what it is about; a long
    topic phrase would otherwise pull every sentence towards whichever prototypes share its words.

    >>> neutralise("Maya, tell me more about the fight with your sister.", "the fight with my sister", "Maya Ok")
    'Tell me more about this.'
    """
    if topic:
        for variant in sorted({topic, to_second_person(topic)}, key=len, reverse=True):
            text = re.sub(re.escape(variant), "this", text, flags=re.IGNORECASE)
    if name:
        first = re.escape(name.split()[0])
        text = re.sub(rf"(^|(?<=[.!?]\s)){first},\s*(\w)", lambda m: m.group(1) + m.group(2).upper(), text)
        text = re.sub(rf",\s*{first}\b", "", text)
    return text
