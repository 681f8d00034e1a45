"""A small synthetic profile set (every need x every character type) for tests and benchmarks.

The real built-in sets live in :mod:`rlver.profiles.builtin`; these exist so the offline simulator
can be tested and calibrated on its own, with profiles that cover the whole need x character grid.
"""

from __future__ import annotations

from rlver.profiles.schema import CharacterType, HiddenNeed, Profile

__all__ = ["sample_profiles"]

_PEOPLE = (
    ("Maya", "the argument with my sister about Mum's care home", ("stubborn", "anxious", "proud")),
    ("Daniel", "being passed over for the promotion at school", ("angry", "proud", "impatient")),
    ("Priya", "my best friend forgetting my birthday dinner", ("sensitive", "cautious", "introvert")),
    ("Tom", "my son not calling since the wedding", ("reserved", "stubborn", "old-fashioned")),
    ("Chloe", "failing my clinical placement exam", ("anxious", "chatty", "self-critical")),
    ("Marcus", "the row with my manager about the night shifts", ("blunt", "angry", "loyal")),
    ("Aisha", "my partner spending our savings without asking", ("careful", "proud", "anxious")),
    ("Ben", "my flatmate moving his girlfriend in", ("avoidant", "easygoing", "passive")),
)
_TASKS = {
    HiddenNeed.ANALYSIS: "Wants a balanced analysis of the problem with both sides weighed.",
    HiddenNeed.ADVICE: "Wants practical advice that really helps: concrete, doable next steps.",
    HiddenNeed.UNDERSTAND_OTHERS: "Wants to understand why the other people acted as they did.",
    HiddenNeed.SELF_GROWTH: "Wants to be guided to self-reflection and growth.",
    HiddenNeed.PRAISE: "Wants sincere praise for the specific things they did well.",
    HiddenNeed.VENTING: "Wants to be listened to while venting.",
    HiddenNeed.EMPATHY: "Wants deep empathy for their feelings rather than simple comfort.",
    HiddenNeed.VALIDATION: "Believes they did nothing wrong and wants that confirmed.",
}


def sample_profiles(limit: int | None = None) -> list[Profile]:
    """24 English profiles: each of the 8 needs with each of the 3 character types."""
    profiles = []
    for i, need in enumerate(HiddenNeed):
        for j, character in enumerate(CharacterType):
            name, topic, traits = _PEOPLE[(i + 3 * j) % len(_PEOPLE)]
            profiles.append(
                Profile(
                    id=f"sample-{need.value}-{character.value}",
                    persona=f"{name}, an ordinary person with a {character.value} way of coping.",
                    scene=f"{name} is upset about {topic}. {_TASKS[need]}",
                    task=_TASKS[need],
                    character=character,
                    traits=traits,
                    need=need,
                    first_talk=f"I can't stop thinking about {topic}.",
                    topic=topic,
                    name=name,
                )
            )
    return profiles[:limit] if limit is not None else profiles
