"""Counts over a profile set: character types, hidden needs, languages, traits.

Pure: :func:`profile_stats` reads profiles and returns a frozen dataclass; printing is the CLI's job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rlver.profiles.schema import CharacterType, HiddenNeed, Profile

__all__ = ["UNKNOWN", "ProfileStats", "profile_stats"]

UNKNOWN = "unknown"
"""Key used for profiles whose character type or hidden need is not set."""


@dataclass(frozen=True)
class ProfileStats:
    """Counts over a set of profiles. Every mapping is ordered: schema order, then ``unknown``."""

    total: int
    """Number of profiles."""
    by_character: dict[str, int]
    """Character type value (``negative`` …, or ``unknown``) → count; zero counts included."""
    by_need: dict[str, int]
    """Hidden-need value (``analysis`` …, or ``unknown``) → count; zero counts included."""
    by_language: dict[str, int]
    """Language code → count (only languages present)."""
    by_trait: dict[str, int]
    """Sub-trait → number of profiles with it, most common first (ties alphabetical)."""
    with_first_talk: int
    """Profiles that carry a scripted opening line (needed by the ``sage`` preset)."""

    def share(self, count: int) -> float:
        """``count`` as a fraction of ``total`` (0.0 for an empty set)."""
        return count / self.total if self.total else 0.0


def _ordered(counter: Counter[str], order: Iterable[str]) -> dict[str, int]:
    counts = {key: counter.get(key, 0) for key in order}
    if counter.get(UNKNOWN):
        counts[UNKNOWN] = counter[UNKNOWN]
    return counts


def profile_stats(profiles: Iterable[Profile]) -> ProfileStats:
    """Count profiles by character type, hidden need, language and trait.

    >>> from rlver.profiles.schema import Profile
    >>> stats = profile_stats([Profile(id="a", persona="p", scene="s", task="t", traits=("shy",))])
    >>> stats.total, stats.by_character["unknown"], stats.by_trait
    (1, 1, {'shy': 1})
    """
    characters: Counter[str] = Counter()
    needs: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    traits: Counter[str] = Counter()
    total = with_first_talk = 0
    for profile in profiles:
        total += 1
        characters[profile.character.value if profile.character else UNKNOWN] += 1
        needs[profile.need.value if profile.need else UNKNOWN] += 1
        languages[profile.language] += 1
        traits.update(set(profile.traits))  # a trait listed twice in one profile counts once
        with_first_talk += profile.first_talk is not None
    return ProfileStats(
        total=total,
        by_character=_ordered(characters, (c.value for c in CharacterType)),
        by_need=_ordered(needs, (n.value for n in HiddenNeed)),
        by_language=dict(sorted(languages.items())),
        by_trait=dict(sorted(traits.items(), key=lambda item: (-item[1], item[0]))),
        with_first_talk=with_first_talk,
    )
